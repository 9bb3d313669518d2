"""Blind votes: ballots kept in Neo4j, secret until the reveal, then stated as beliefs.

``(:Vote)-[:ABOUT]->(:Proposition)``; each participant's answer on one proposition is one
``(:Ballot {key: vote|member|proposition})-[:IN_VOTE]->(:Vote)``, MERGEd on its key (backed by a
uniqueness constraint) so a participant changes their answer by casting again. Every write
to a vote first write-locks the vote node (``SET v.updated_at``), so a ballot can never slip
in after the reveal has read the ballots, and two reveals cannot both state beliefs.

Nothing here returns another member's ballot: before the reveal the room sees only counts per
function; at the reveal each function's ballots on a proposition become one belief (their
median) recorded as a ``(:VoteResult)`` with the count and spread. Ballots are their own
record of who voted when (member, function, cast and update times) and are not audited one
by one; opening, revealing and cancelling are.
"""

from __future__ import annotations

import math
import statistics
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import audit, beliefs, entities, propositions
from graph.kit.connection import fetch_all, fetch_one
from graph.kit.records import to_datetime
from schema.errors import BadInput, Conflict, Forbidden, NotFound
from schema.models import Actor, BeliefCreate
from schema.vocabulary import EntityKind
from schema.votes import (
    Ballot,
    BallotCast,
    BallotCount,
    Vote,
    VoteOpen,
    VoteResult,
    VoteStatus,
    VoteView,
)

VOTE_PROJECTION = """
v {.id, .label, .segment_id, .proposition_ids, .status, .opened_at, .opened_by,
   .opened_by_name, .updated_at, .closed_at, .closed_by}
"""

OPEN_VOTE = (
    """
MERGE (v:Vote {idempotency_key: $idempotency_key})
ON CREATE SET v.id = $id, v.label = $label, v.segment_id = $segment_id,
              v.proposition_ids = $proposition_ids, v.status = 'open', v.opened_at = $now,
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

GET_VOTE = "MATCH (v:Vote {id: $id}) RETURN " + VOTE_PROJECTION + " AS vote"

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

RESULTS_OF_VOTE = """
MATCH (r:VoteResult)-[:OF_VOTE]->(:Vote {id: $vote_id})
RETURN r {.function, .proposition_id, .p, .magnitude, .median_magnitude, .count, .spread,
          .p_min, .p_max, .belief_id} AS result
ORDER BY r.proposition_id, r.function
"""

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

RESULTS_FOR_PROPOSITION = """
MATCH (r:VoteResult {proposition_id: $proposition_id})-[:OF_VOTE]->(v:Vote)
RETURN v.id AS vote_id, v.label AS label, v.closed_at AS revealed_at,
       r {.function, .proposition_id, .p, .magnitude, .median_magnitude, .count, .spread,
          .p_min, .p_max, .belief_id} AS result
ORDER BY v.closed_at DESC, r.function
LIMIT $limit
"""

VOTED_BELIEFS = """
UNWIND $proposition_ids AS pid
MATCH (r:VoteResult {proposition_id: pid})
RETURN r.belief_id AS belief_id
"""

# Both use the range indexes on AuditEntry.at and Vote.updated_at: one index seek each.
NEWEST_AUDIT = """
MATCH (a:AuditEntry) WHERE a.at IS NOT NULL
RETURN a.at AS at ORDER BY a.at DESC LIMIT 1
"""
NEWEST_VOTE_CHANGE = """
MATCH (v:Vote) WHERE v.updated_at IS NOT NULL
RETURN v.updated_at AS at ORDER BY v.updated_at DESC LIMIT 1
"""


def ballot_key(vote_id: str, member_id: str, proposition_id: str) -> str:
    return f"{vote_id}|{member_id}|{proposition_id}"


def _vote(row: dict[str, Any]) -> Vote:
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


def _require_facilitator(actor: Actor, doing: str) -> None:
    if not actor.may_act_for_any_function:
        raise Forbidden(f"only facilitators and admins may {doing}")


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
        raise NotFound("proposition", missing[0])
    retired = [p.id for p in found.values() if p.retired_at is not None]
    if retired:
        raise BadInput(f"proposition {retired[0]!r} is retired and cannot be voted on")
    live_ids = list(dict.fromkeys(found[pid].id for pid in data.proposition_ids))
    if data.segment_id is not None:
        segment = await entities.get(tx, data.segment_id, now)
        if segment is None or segment.kind is not EntityKind.SEGMENT:
            raise NotFound("segment", data.segment_id)
    vote_id = f"vote-{uuid.uuid4().hex[:16]}"
    label = data.label or f"{now:%d %b %Y %H:%M} UTC"
    row = await fetch_one(
        tx,
        OPEN_VOTE,
        id=vote_id,
        label=label,
        segment_id=data.segment_id,
        proposition_ids=live_ids,
        now=now,
        actor_id=actor.member_id,
        actor_name=actor.name,
        # Without a key the vote is keyed by its own id; the MERGE on the key (unique) makes
        # concurrent retries with one key converge on one vote.
        idempotency_key=idempotency_key or f"auto:{vote_id}",
        marker=uuid.uuid4().hex,
    )
    assert row is not None
    vote = _vote(row["vote"])
    if row["created"]:
        await audit.record(tx, actor, "openVote", [vote.id, *live_ids], now, label[:200])
    return vote


async def _locked_vote(tx: AsyncManagedTransaction, vote_id: str, now: datetime) -> Vote:
    row = await fetch_one(tx, LOCK_VOTE, id=vote_id, now=now)
    if row is None:
        raise NotFound("vote", vote_id)
    return _vote(row["vote"])


async def cast_ballots(
    tx: AsyncManagedTransaction,
    actor: Actor,
    vote_id: str,
    ballots: list[BallotCast],
    now: datetime,
) -> list[Ballot]:
    """Cast or change the caller's ballots, for their own function, while the vote is open."""
    if not actor.can_write:
        raise Forbidden("viewers follow a vote but do not vote")
    if actor.function is None:
        raise BadInput("only a member of a function can vote")
    if not ballots:
        raise BadInput("send at least one ballot")
    ids = [b.proposition_id for b in ballots]
    if len(ids) != len(set(ids)):
        raise BadInput("send one ballot per proposition")
    vote = await _locked_vote(tx, vote_id, now)
    if vote.status is not VoteStatus.OPEN:
        raise Conflict(f"the vote {vote.label!r} is {vote.status.value}: ballots are closed")
    outside = [pid for pid in ids if pid not in vote.proposition_ids]
    if outside:
        raise BadInput(f"proposition {outside[0]!r} is not part of this vote")
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
    """Close the vote and state one belief per (function, proposition) with ballots.

    A reveal of an already revealed vote changes nothing and returns its results.
    """
    _require_facilitator(actor, "reveal a vote")
    vote = await _locked_vote(tx, vote_id, now)
    if vote.status is VoteStatus.REVEALED:
        return await results(tx, vote_id)
    if vote.status is VoteStatus.CANCELLED:
        raise Conflict(f"the vote {vote.label!r} was cancelled")
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in await fetch_all(tx, BALLOTS_OF_VOTE, vote_id=vote_id):
        grouped[(row["function"], row["proposition_id"])].append(row)
    live = await propositions.get_many(tx, sorted({pid for _, pid in grouped}))
    stated: list[dict[str, Any]] = []
    for (function, proposition_id), rows in sorted(grouped.items()):
        found = live.get(proposition_id)
        if found is None or found.retired_at is not None:
            continue  # retired since the vote opened: nothing to state on it
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
                },
            }
        )
    await tx.run(RECORD_RESULTS, vote_id=vote_id, rows=stated)
    await tx.run(
        CLOSE_VOTE, id=vote_id, status=VoteStatus.REVEALED.value, now=now, actor_id=actor.member_id
    )
    await audit.record(
        tx, actor, "revealVote", [vote_id], now, f"{len(stated)} beliefs from {vote.label}"[:200]
    )
    return await results(tx, vote_id)


async def cancel(tx: AsyncManagedTransaction, actor: Actor, vote_id: str, now: datetime) -> Vote:
    """Close an open vote without stating anything; its ballots stay secret."""
    _require_facilitator(actor, "cancel a vote")
    vote = await _locked_vote(tx, vote_id, now)
    if vote.status is VoteStatus.REVEALED:
        raise Conflict(f"the vote {vote.label!r} is already revealed")
    if vote.status is VoteStatus.OPEN:
        await tx.run(
            CLOSE_VOTE,
            id=vote_id,
            status=VoteStatus.CANCELLED.value,
            now=now,
            actor_id=actor.member_id,
        )
        await audit.record(tx, actor, "cancelVote", [vote_id], now, vote.label[:200])
    found = await get(tx, vote_id)
    assert found is not None
    return found


async def get(tx: AsyncManagedTransaction, vote_id: str) -> Vote | None:
    row = await fetch_one(tx, GET_VOTE, id=vote_id)
    return None if row is None else _vote(row["vote"])


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
        raise NotFound("vote", vote_id)
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
    return [_vote(r["vote"]) for r in rows]


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
    rows = await fetch_all(tx, VOTED_BELIEFS, proposition_ids=proposition_ids)
    return {r["belief_id"] for r in rows}


async def change_stamps(tx: AsyncManagedTransaction) -> dict[str, str | None]:
    """The newest model write (audit entry) and vote change, for live pages to poll."""
    audit_row = await fetch_one(tx, NEWEST_AUDIT)
    vote_row = await fetch_one(tx, NEWEST_VOTE_CHANGE)

    def stamp(row: dict[str, Any] | None) -> str | None:
        at = None if row is None else to_datetime(row["at"])
        return None if at is None else at.isoformat()

    return {"model": stamp(audit_row), "votes": stamp(vote_row)}
