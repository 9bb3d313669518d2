"""Blind votes in a workshop: inputs, ballots and results as pure data, and the typed ways a
vote request fails (docs/design.md §4).

A facilitator opens a vote on some propositions; each participant casts, for their own
function, a ballot per proposition (p and magnitude) that nobody else can read; at the reveal
one belief per (function, proposition) is stated: the median of that function's ballots.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from schema.errors import BadInput, Conflict, Forbidden, NotFound
from schema.models import stripped_or_none

MAX_VOTE_PROPOSITIONS = 30
DEFAULT_MIN_BALLOTS = 2  # ballots a function needs before a vote states its belief
MAX_MIN_BALLOTS = 100
MAX_LABEL = 200


class VoteStatus(StrEnum):
    OPEN = "open"
    REVEALED = "revealed"
    CANCELLED = "cancelled"


class VoteOpen(BaseModel):
    """A facilitator's request to open a blind vote."""

    proposition_ids: list[str] = Field(min_length=1, max_length=MAX_VOTE_PROPOSITIONS)
    label: str | None = Field(None, max_length=MAX_LABEL)
    segment_id: str | None = Field(None, max_length=200)
    min_ballots: int = Field(
        DEFAULT_MIN_BALLOTS,
        ge=1,
        le=MAX_MIN_BALLOTS,
        description="A function's belief is stated at the reveal only from at least this many "
        "of its ballots on a proposition; one loud voice does not speak for a team.",
    )

    @field_validator("proposition_ids")
    @classmethod
    def _distinct_ids(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value]
        if any(not v or len(v) > 200 or "\x00" in v for v in cleaned):
            raise ValueError("every proposition id must be 1-200 characters")
        return list(dict.fromkeys(cleaned))

    @field_validator("label")
    @classmethod
    def _clean_label(cls, value: str | None) -> str | None:
        return stripped_or_none(value, "label")


class BallotCast(BaseModel):
    """One participant's answer on one proposition of an open vote."""

    proposition_id: str = Field(min_length=1, max_length=200)
    p: float = Field(ge=0.0, le=1.0, description="How likely it holds, 0-1.")
    magnitude: int | None = Field(None, ge=1, le=5, description="How much it matters, 1-5.")


class Ballot(BaseModel):
    """A ballot as its own caster sees it (nobody else ever does)."""

    proposition_id: str
    p: float = Field(description="How likely you think it holds, 0-1.")
    magnitude: int | None = Field(description="How much it matters, 1-5.")
    cast_at: datetime
    updated_at: datetime = Field(description="When you last changed it.")


class BallotCount(BaseModel):
    """Progress the whole room may see: how many have voted, never what they voted."""

    function: str
    proposition_id: str
    ballots: int


class VoteResult(BaseModel):
    """One function's outcome on one proposition, stated as a belief at the reveal."""

    function: str
    proposition_id: str
    p: float = Field(description="The median p of the function's ballots.")
    magnitude: int | None = Field(
        description="The median magnitude, rounded half up; null when no ballot gave one."
    )
    median_magnitude: float | None = Field(description="The median before rounding.")
    count: int = Field(description="How many ballots.")
    spread: float = Field(description="Highest minus lowest p among the ballots.")
    p_min: float
    p_max: float
    belief_id: str = Field(description="The belief the outcome was stated as.")
    previous_p: float | None = Field(
        None, description="The function's belief just before the reveal; null when it held none."
    )


class Vote(BaseModel):
    id: str
    label: str
    segment_id: str | None
    proposition_ids: list[str]
    status: VoteStatus
    opened_at: datetime
    opened_by: str  # member id
    opened_by_name: str
    updated_at: datetime
    closed_at: datetime | None = None  # revealed or cancelled
    closed_by: str | None = None
    min_ballots: int = DEFAULT_MIN_BALLOTS


class VoteView(BaseModel):
    """A vote as one member may see it: progress for all, their own ballots, and results."""

    vote: Vote
    progress: list[BallotCount]
    participants: int  # distinct members who cast at least one ballot
    my_ballots: list[Ballot]
    results: list[VoteResult]  # empty until the reveal


# --- expected failures --------------------------------------------------------------------
# Each carries the objects involved as attributes. The code and HTTP status come from the root
# class, so the edge maps them as before; no details beyond the root's go on the wire, so
# answers read exactly as they did before these subclasses.


class VoteNotFound(NotFound):
    def __init__(self, vote_id: str) -> None:
        super().__init__("vote", vote_id)
        self.vote_id = vote_id


class NotAVoter(Forbidden):
    """A viewer follows a vote but casts no ballot."""

    def __init__(self, member_id: str, vote_id: str) -> None:
        super().__init__("viewers follow a vote but do not vote")
        self.member_id = member_id
        self.vote_id = vote_id


class NoFunctionToVoteFor(BadInput):
    """Ballots count for the caster's function; a member without one has nothing to vote for."""

    def __init__(self, member_id: str, vote_id: str) -> None:
        super().__init__("only a member of a function can vote")
        self.member_id = member_id
        self.vote_id = vote_id


class NoBallots(BadInput):
    def __init__(self, vote_id: str) -> None:
        super().__init__("send at least one ballot")
        self.vote_id = vote_id


class RepeatedBallots(BadInput):
    """Two ballots on one proposition in one request: which one counts would be a guess."""

    def __init__(self, vote_id: str, proposition_ids: list[str]) -> None:
        super().__init__("send one ballot per proposition")
        self.vote_id = vote_id
        self.proposition_ids = proposition_ids


class PropositionNotInVote(BadInput):
    def __init__(self, vote_id: str, proposition_id: str) -> None:
        super().__init__(f"proposition {proposition_id!r} is not part of this vote")
        self.vote_id = vote_id
        self.proposition_id = proposition_id


class RetiredPropositionInVote(BadInput):
    """A vote may only be opened on live propositions."""

    def __init__(self, proposition_id: str) -> None:
        super().__init__(f"proposition {proposition_id!r} is retired and cannot be voted on")
        self.proposition_id = proposition_id


class VoteNotOpen(Conflict):
    """The step needs an open vote, and this one was revealed or cancelled."""

    def __init__(self, vote: Vote, message: str) -> None:
        super().__init__(message)
        self.vote = vote
        self.vote_id = vote.id


class VoteClosed(VoteNotOpen):
    """A ballot sent after the vote was revealed or cancelled."""

    def __init__(self, vote: Vote) -> None:
        super().__init__(
            vote, f"the vote {vote.label!r} is {vote.status.value}: ballots are closed"
        )


class VoteCancelled(VoteNotOpen):
    """A cancelled vote is never revealed: its ballots stay secret."""

    def __init__(self, vote: Vote) -> None:
        super().__init__(vote, f"the vote {vote.label!r} was cancelled")


class VoteAlreadyRevealed(VoteNotOpen):
    """A revealed vote has stated its beliefs; cancelling it cannot take them back."""

    def __init__(self, vote: Vote) -> None:
        super().__init__(vote, f"the vote {vote.label!r} is already revealed")
