"""Reading blind votes: a vote as one member may see it, lists, revealed outcomes, and the
stamps that tell live pages something changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph.kit.connection import fetch_all, fetch_collected, fetch_one, one_statement
from graph.kit.records import to_datetime
from schema.models import Actor
from schema.votes import (
    Ballot,
    BallotCount,
    Vote,
    VoteNotFound,
    VoteResult,
    VoteStatus,
    VoteView,
)

VOTE_PROJECTION = """
v {.id, .label, .segment_id, .proposition_ids, .status, .opened_at, .opened_by,
   .opened_by_name, .updated_at, .closed_at, .closed_by,
   min_ballots: coalesce(v.min_ballots, 2)}
"""

RESULT_PROJECTION = """
r {.function, .proposition_id, .p, .magnitude, .median_magnitude, .count, .spread,
   .p_min, .p_max, .belief_id, .previous_p}
"""

GET_VOTE = "MATCH (v:Vote {id: $id}) RETURN " + VOTE_PROJECTION + " AS vote"

PROGRESS = """
MATCH (b:Ballot)-[:IN_VOTE]->(:Vote {id: $vote_id})
RETURN b.function AS function, b.proposition_id AS proposition_id, count(b) AS ballots,
       collect(DISTINCT b.member_id) AS members
ORDER BY function, proposition_id
"""

MY_BALLOTS = """
MATCH (b:Ballot {member_id: $member_id})-[:IN_VOTE]->(:Vote {id: $vote_id})
RETURN b {.proposition_id, .p, .magnitude, .cast_at, .updated_at} AS ballot
ORDER BY b.proposition_id
"""

RESULTS_OF_VOTE = (
    """
MATCH (r:VoteResult)-[:OF_VOTE]->(:Vote {id: $vote_id})
RETURN """
    + RESULT_PROJECTION
    + """ AS result
ORDER BY r.proposition_id, r.function
"""
)

LIST_VOTES = (
    """
MATCH (v:Vote)
WHERE ($segment_id IS NULL OR v.segment_id = $segment_id)
  AND ($status IS NULL OR v.status = $status)
RETURN """
    + VOTE_PROJECTION
    + """ AS vote
ORDER BY v.opened_at DESC, v.id DESC
LIMIT $limit
"""
)

RESULTS_FOR_PROPOSITION = (
    """
MATCH (r:VoteResult {proposition_id: $proposition_id})-[:OF_VOTE]->(v:Vote)
RETURN v.id AS vote_id, v.label AS label, v.closed_at AS revealed_at,
       """
    + RESULT_PROJECTION
    + """ AS result
ORDER BY v.closed_at DESC, r.function
LIMIT $limit
"""
)

VOTED_BELIEFS = """
UNWIND $proposition_ids AS pid
MATCH (r:VoteResult {proposition_id: pid})
RETURN collect(r.belief_id) AS belief_ids
"""

# Both in one statement (one round trip for every page a workshop opens), each read from the
# range index on AuditEntry.at or Vote.updated_at, newest first, for one row. ``collect``
# makes one row whether or not there is any.
CHANGE_STAMPS = """
CALL {
  MATCH (a:AuditEntry) WHERE a.at IS NOT NULL
  WITH a ORDER BY a.at DESC LIMIT 1
  RETURN collect(a.at) AS model
}
CALL {
  MATCH (v:Vote) WHERE v.updated_at IS NOT NULL
  WITH v ORDER BY v.updated_at DESC LIMIT 1
  RETURN collect(v.updated_at) AS votes
}
RETURN model[0] AS model, votes[0] AS votes
"""


def vote_from_record(row: dict[str, Any]) -> Vote:
    """A vote from ``VOTE_PROJECTION``'s map."""
    return Vote.model_validate(
        {
            **row,
            "opened_at": to_datetime(row["opened_at"]),
            "updated_at": to_datetime(row["updated_at"]),
            "closed_at": to_datetime(row.get("closed_at")),
        }
    )


def _result(row: dict[str, Any]) -> VoteResult:
    return VoteResult.model_validate(row)


async def get(tx: AsyncManagedTransaction, vote_id: str) -> Vote | None:
    row = await fetch_one(tx, GET_VOTE, id=vote_id)
    return None if row is None else vote_from_record(row["vote"])


async def my_ballots(tx: AsyncManagedTransaction, vote_id: str, member_id: str) -> list[Ballot]:
    rows = await fetch_all(tx, MY_BALLOTS, vote_id=vote_id, member_id=member_id)
    return [
        Ballot.model_validate(
            {
                **r["ballot"],
                "cast_at": to_datetime(r["ballot"]["cast_at"]),
                "updated_at": to_datetime(r["ballot"]["updated_at"]),
            }
        )
        for r in rows
    ]


async def results(tx: AsyncManagedTransaction, vote_id: str) -> list[VoteResult]:
    rows = await fetch_all(tx, RESULTS_OF_VOTE, vote_id=vote_id)
    return [_result(r["result"]) for r in rows]


async def view(tx: AsyncManagedTransaction, vote_id: str, viewer: Actor) -> VoteView:
    """The vote as ``viewer`` may see it: counts for everyone, ballots only their own."""
    vote = await get(tx, vote_id)
    if vote is None:
        raise VoteNotFound(vote_id)
    progress_rows = await fetch_all(tx, PROGRESS, vote_id=vote_id)
    members = {m for row in progress_rows for m in row["members"]}
    return VoteView(
        vote=vote,
        progress=[
            BallotCount(
                function=r["function"],
                proposition_id=r["proposition_id"],
                ballots=int(r["ballots"]),
            )
            for r in progress_rows
        ],
        participants=len(members),
        my_ballots=await my_ballots(tx, vote_id, viewer.member_id),
        results=await results(tx, vote_id) if vote.status is VoteStatus.REVEALED else [],
    )


async def list_votes(
    tx: AsyncManagedTransaction,
    *,
    segment_id: str | None = None,
    status: VoteStatus | None = None,
    limit: int = 20,
) -> list[Vote]:
    rows = await fetch_all(
        tx,
        LIST_VOTES,
        segment_id=segment_id,
        status=status.value if status else None,
        limit=limit,
    )
    return [vote_from_record(r["vote"]) for r in rows]


async def results_for_proposition(
    tx: AsyncManagedTransaction, proposition_id: str, limit: int = 50
) -> list[tuple[str, str, datetime | None, VoteResult]]:
    """Revealed outcomes on one proposition: (vote id, label, revealed at, result), newest first."""
    rows = await fetch_all(tx, RESULTS_FOR_PROPOSITION, proposition_id=proposition_id, limit=limit)
    return [
        (r["vote_id"], r["label"], to_datetime(r["revealed_at"]), _result(r["result"]))
        for r in rows
    ]


async def belief_ids_from_votes(
    tx: AsyncManagedTransaction, proposition_ids: list[str]
) -> set[str]:
    """The ids of the beliefs that reveals stated on these propositions."""
    return set(
        await fetch_collected(tx, VOTED_BELIEFS, "belief_ids", proposition_ids=proposition_ids)
    )


@one_statement
async def change_stamps(tx: AsyncManagedTransaction) -> dict[str, str | None]:
    """The newest model write (audit entry) and vote change, for live pages to poll."""
    row = await fetch_one(tx, CHANGE_STAMPS)

    def stamp(value: Any) -> str | None:
        at = to_datetime(value)
        return None if at is None else at.isoformat()

    return {"model": stamp(row and row["model"]), "votes": stamp(row and row["votes"])}
