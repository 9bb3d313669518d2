"""A blind vote's life: open, cast ballots, reveal (each function's median stated as its
belief), cancel.

Every write to a vote first write-locks the vote node (``SET v.updated_at``), so a ballot can
never slip in after the reveal has read the ballots, and two reveals cannot both state
beliefs. Ballots are their own record of who voted when and are not audited one by one;
opening, revealing and cancelling are.
"""

from __future__ import annotations

import math
import statistics
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import audit, beliefs, entities, model_version, propositions
from graph.kit.connection import fetch_all, fetch_one
from graph.votes.reads import VOTE_PROJECTION, get, my_ballots, results, vote_from_record
from schema.entities import SegmentNotFound
from schema.members import NotAFacilitator
from schema.models import Actor, BeliefCreate
from schema.propositions import PropositionNotFound
from schema.vocabulary import EntityKind
from schema.votes import (
    Ballot,
    BallotCast,
    NoBallots,
    NoFunctionToVoteFor,
    NotAVoter,
    PropositionNotInVote,
    RepeatedBallots,
    RetiredPropositionInVote,
    Vote,
    VoteAlreadyRevealed,
    VoteCancelled,
    VoteClosed,
    VoteNotFound,
    VoteOpen,
    VoteResult,
    VoteStatus,
)

OPEN_VOTE = (
    """
MERGE (v:Vote {idempotency_key: $idempotency_key})
ON CREATE SET v.id = $id, v.label = $label, v.segment_id = $segment_id,
              v.proposition_ids = $proposition_ids, v.status = 'open', v.opened_at = $now,
              v.min_ballots = $min_ballots,
              v.opened_by = $actor_id, v.opened_by_name = $actor_name, v.updated_at = $now,
              v.creation_marker = $marker
WITH v, coalesce(v.creation_marker = $marker, false) AS created
REMOVE v.creation_marker
WITH v, created
CALL {
  WITH v, created
  WITH v WHERE created
  UNWIND v.proposition_ids AS pid
  MATCH (p:Proposition {id: pid})
  MERGE (v)-[:ABOUT]->(p)
}
RETURN created, """
    + VOTE_PROJECTION
    + " AS vote"
)

# Write-locks the vote before anything reads its status or ballots.
LOCK_VOTE = (
    "MATCH (v:Vote {id: $id}) SET v.updated_at = $now RETURN " + VOTE_PROJECTION + " AS vote"
)

CAST_BALLOTS = """
MATCH (v:Vote {id: $vote_id})
MATCH (m:Member {id: $member_id})
UNWIND $rows AS row
MERGE (b:Ballot {key: row.key})
ON CREATE SET b.vote_id = $vote_id, b.member_id = $member_id, b.function = $function,
              b.proposition_id = row.proposition_id, b.cast_at = $now
SET b.p = row.p, b.magnitude = row.magnitude, b.updated_at = $now
MERGE (b)-[:IN_VOTE]->(v)
MERGE (b)-[:CAST_BY]->(m)
"""

BALLOTS_OF_VOTE = """
MATCH (b:Ballot)-[:IN_VOTE]->(:Vote {id: $vote_id})
RETURN b.function AS function, b.proposition_id AS proposition_id, b.p AS p,
       b.magnitude AS magnitude
ORDER BY b.function, b.proposition_id, b.key
"""

RECORD_RESULTS = """
MATCH (v:Vote {id: $vote_id})
UNWIND $rows AS row
MERGE (r:VoteResult {key: row.key})
ON CREATE SET r += row.props
MERGE (r)-[:OF_VOTE]->(v)
"""

CLOSE_VOTE = """
MATCH (v:Vote {id: $id})
SET v.status = $status, v.closed_at = $now, v.closed_by = $actor_id, v.updated_at = $now
"""


def ballot_key(vote_id: str, member_id: str, proposition_id: str) -> str:
    return f"{vote_id}|{member_id}|{proposition_id}"


def _require_facilitator(actor: Actor, doing: str) -> None:
    if not actor.may_act_for_any_function:
        raise NotAFacilitator(actor.member_id, doing)


async def open_vote(
    tx: AsyncManagedTransaction,
    actor: Actor,
    data: VoteOpen,
    now: datetime,
    *,
    idempotency_key: str | None = None,
) -> Vote:
    """Open a blind vote on live propositions (facilitators and admins)."""
    _require_facilitator(actor, "open a vote")
    found = await propositions.get_many(tx, data.proposition_ids)
    missing = [pid for pid in data.proposition_ids if pid not in found]
    if missing:
        raise PropositionNotFound(missing[0])
    retired = [p.id for p in found.values() if p.retired_at is not None]
    if retired:
        raise RetiredPropositionInVote(retired[0])
    live_ids = list(dict.fromkeys(found[pid].id for pid in data.proposition_ids))
    if data.segment_id is not None:
        segment = await entities.get(tx, data.segment_id, now)
        if segment is None or segment.kind is not EntityKind.SEGMENT:
            raise SegmentNotFound(data.segment_id)
    vote_id = f"vote-{uuid.uuid4().hex[:16]}"
    label = data.label or f"{now:%d %b %Y %H:%M} UTC"
    row = await fetch_one(
        tx,
        OPEN_VOTE,
        id=vote_id,
        label=label,
        segment_id=data.segment_id,
        proposition_ids=live_ids,
        min_ballots=data.min_ballots,
        now=now,
        actor_id=actor.member_id,
        actor_name=actor.name,
        # Without a key the vote is keyed by its own id; the MERGE on the key (unique) makes
        # concurrent retries with one key converge on one vote.
        idempotency_key=idempotency_key or f"auto:{vote_id}",
        marker=uuid.uuid4().hex,
    )
    assert row is not None
    vote = vote_from_record(row["vote"])
    if row["created"]:
        await audit.record(
            tx,
            actor,
            "openVote",
            [vote.id, *live_ids],
            now,
            label[:200],
            change=model_version.NOTHING,
        )
    return vote


async def _locked_vote(tx: AsyncManagedTransaction, vote_id: str, now: datetime) -> Vote:
    row = await fetch_one(tx, LOCK_VOTE, id=vote_id, now=now)
    if row is None:
        raise VoteNotFound(vote_id)
    return vote_from_record(row["vote"])


async def cast_ballots(
    tx: AsyncManagedTransaction,
    actor: Actor,
    vote_id: str,
    ballots: list[BallotCast],
    now: datetime,
) -> list[Ballot]:
    """Cast or change the caller's ballots, for their own function, while the vote is open."""
    if not actor.can_write:
        raise NotAVoter(actor.member_id, vote_id)
    if actor.function is None:
        raise NoFunctionToVoteFor(actor.member_id, vote_id)
    if not ballots:
        raise NoBallots(vote_id)
    ids = [b.proposition_id for b in ballots]
    if len(ids) != len(set(ids)):
        raise RepeatedBallots(vote_id, sorted({pid for pid in ids if ids.count(pid) > 1}))
    vote = await _locked_vote(tx, vote_id, now)
    if vote.status is not VoteStatus.OPEN:
        raise VoteClosed(vote)
    outside = [pid for pid in ids if pid not in vote.proposition_ids]
    if outside:
        raise PropositionNotInVote(vote_id, outside[0])
    rows = [
        {
            "key": ballot_key(vote_id, actor.member_id, b.proposition_id),
            "proposition_id": b.proposition_id,
            "p": b.p,
            "magnitude": b.magnitude,
        }
        for b in ballots
    ]
    await tx.run(
        CAST_BALLOTS,
        vote_id=vote_id,
        member_id=actor.member_id,
        function=actor.function,
        rows=rows,
        now=now,
    )
    return await my_ballots(tx, vote_id, actor.member_id)


def median_outcome(
    p_values: list[float], magnitudes: list[int | None]
) -> tuple[float, float | None, int | None, float]:
    """(median p, median magnitude, that magnitude rounded half up, spread of p)."""
    median_p = round(statistics.median(p_values), 4)
    given = [m for m in magnitudes if m is not None]
    median_m = float(statistics.median(given)) if given else None
    rounded = None if median_m is None else math.floor(median_m + 0.5)
    spread = round(max(p_values) - min(p_values), 4)
    return median_p, median_m, rounded, spread


async def reveal(
    tx: AsyncManagedTransaction, actor: Actor, vote_id: str, now: datetime
) -> list[VoteResult]:
    """Close the vote and state one belief per (function, proposition) with at least the
    vote's ``min_ballots`` ballots; a function with fewer keeps the belief it held. Each
    result carries the belief held just before (``previous_p``), so the room sees before →
    after. A reveal of an already revealed vote changes nothing and returns its results.
    """
    _require_facilitator(actor, "reveal a vote")
    vote = await _locked_vote(tx, vote_id, now)
    if vote.status is VoteStatus.REVEALED:
        return await results(tx, vote_id)
    if vote.status is VoteStatus.CANCELLED:
        raise VoteCancelled(vote)
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in await fetch_all(tx, BALLOTS_OF_VOTE, vote_id=vote_id):
        grouped[(row["function"], row["proposition_id"])].append(row)
    live = await propositions.get_many(tx, sorted({pid for _, pid in grouped}))
    before = {
        (b.function, b.proposition_id): b.p
        for b in await beliefs.current(tx, sorted({pid for _, pid in grouped}), now)
    }
    stated: list[dict[str, Any]] = []
    for (function, proposition_id), rows in sorted(grouped.items()):
        found = live.get(proposition_id)
        if found is None or found.retired_at is not None:
            continue  # retired since the vote opened: nothing to state on it
        if len(rows) < vote.min_ballots:
            continue  # too few voices to speak for the function: its belief stays as it was
        p_values = [float(r["p"]) for r in rows]
        median_p, median_m, magnitude, spread = median_outcome(
            p_values, [r["magnitude"] for r in rows]
        )
        count = len(rows)
        rationale = (
            f"Blind vote {vote.label}: median of {count} "
            f"{'ballot' if count == 1 else 'ballots'} (spread {spread:.2f})"
        )
        belief, _ = await beliefs.state(
            tx,
            actor,
            BeliefCreate(
                proposition_id=proposition_id,
                p=median_p,
                magnitude=magnitude,
                rationale=rationale,
                function=function,
                idempotency_key=f"vote:{vote_id}:{function}:{proposition_id}",
            ),
            now,
            vote_id=vote_id,
        )
        stated.append(
            {
                "key": f"{vote_id}|{function}|{proposition_id}",
                "props": {
                    "vote_id": vote_id,
                    "function": function,
                    "proposition_id": proposition_id,
                    "p": median_p,
                    "magnitude": magnitude,
                    "median_magnitude": median_m,
                    "count": count,
                    "spread": spread,
                    "p_min": min(p_values),
                    "p_max": max(p_values),
                    "belief_id": belief.id,
                    "previous_p": before.get((function, proposition_id)),
                },
            }
        )
    await tx.run(RECORD_RESULTS, vote_id=vote_id, rows=stated)
    await tx.run(
        CLOSE_VOTE, id=vote_id, status=VoteStatus.REVEALED.value, now=now, actor_id=actor.member_id
    )
    await audit.record(
        tx,
        actor,
        "revealVote",
        [vote_id],
        now,
        f"{len(stated)} beliefs from {vote.label}"[:200],
        change=model_version.NOTHING,  # each belief it states tells readers itself
    )
    return await results(tx, vote_id)


async def cancel(tx: AsyncManagedTransaction, actor: Actor, vote_id: str, now: datetime) -> Vote:
    """Close an open vote without stating anything; its ballots stay secret."""
    _require_facilitator(actor, "cancel a vote")
    vote = await _locked_vote(tx, vote_id, now)
    if vote.status is VoteStatus.REVEALED:
        raise VoteAlreadyRevealed(vote)
    if vote.status is VoteStatus.OPEN:
        await tx.run(
            CLOSE_VOTE,
            id=vote_id,
            status=VoteStatus.CANCELLED.value,
            now=now,
            actor_id=actor.member_id,
        )
        await audit.record(
            tx,
            actor,
            "cancelVote",
            [vote_id],
            now,
            vote.label[:200],
            change=model_version.NOTHING,
        )
    found = await get(tx, vote_id)
    assert found is not None
    return found
