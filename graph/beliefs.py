"""Beliefs: a function's stated stance on a proposition, append-only.

Each (function, proposition) has a ``BeliefSeries`` node whose counter gives every statement
its sequence number. The counter is bumped with the series node write-locked first, so two
concurrent statements can never read the same value (read-committed isolation would
otherwise allow a lost update); timestamps can tie, sequence numbers cannot. The current
belief is the one with the highest sequence number; a withdrawal is appended like any
other statement and leaves no current belief.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from neo4j import AsyncManagedTransaction
from pydantic import TypeAdapter

from graph import audit, functions, model_version, propositions
from graph.kit import keys, records
from graph.kit.connection import fetch_all, fetch_collected, fetch_one
from schema.beliefs import NoFunctionNamed, NothingToWithdraw
from schema.divergence import FunctionBelief
from schema.members import ViewerCannotWrite, WrongFunction
from schema.models import Actor, Belief, BeliefCreate
from schema.propositions import PropositionNotFound, PropositionRetired

BELIEF_PROJECTION = """
b {.id, .function, .seq, .p, .magnitude, .rationale, .withdrawn, .stated_at, .stated_by,
   .vote_id, proposition_id: p.id}
"""

# Taking the series' write lock before reading its counter is what serialises statements.
LOCK_SERIES = """
MERGE (s:BeliefSeries {key: $series_key})
ON CREATE SET s.seq = 0, s.function = $function, s.proposition_id = $proposition_id
SET s.locked_by = $marker
RETURN s.seq AS seq
"""

EXISTING_BY_KEY = (
    "MATCH (b:Belief {idempotency_key: $key})-[:ON]->(p:Proposition) RETURN "
    + BELIEF_PROJECTION
    + " AS belief"
)

APPEND = (
    """
MATCH (s:BeliefSeries {key: $series_key})
MATCH (p:Proposition {id: $proposition_id})
MATCH (f:Function {name: $function})
SET s.seq = s.seq + 1
REMOVE s.locked_by
CREATE (b:Belief {id: $id, function: $function, proposition_id: $proposition_id,
                  seq: s.seq, p: $p, magnitude: $magnitude, rationale: $rationale,
                  withdrawn: $withdrawn, stated_at: $stated_at, stated_by: $stated_by,
                  idempotency_key: $idempotency_key, key_scope: $key_scope,
                  vote_id: $vote_id})
CREATE (b)-[:ON]->(p)
CREATE (b)-[:OF_FUNCTION]->(f)
RETURN """
    + BELIEF_PROJECTION
    + " AS belief"
)

# The series' latest statement whatever its time, read under the series lock: it is the
# one the next statement follows. (Filtering by the request's own time missed a withdrawal
# committed meanwhile by a request that started later, and withdrew twice.)
LATEST_IN_SERIES = (
    """
MATCH (b:Belief {function: $function})-[:ON]->(p:Proposition {id: $proposition_id})
WITH b, p ORDER BY b.seq DESC LIMIT 1
RETURN """
    + BELIEF_PROJECTION
    + " AS belief"
)

# The current belief of every function on each proposition, as of a time. One record for
# all (times as epoch parts, see records.from_epoch): a record per belief, each with a
# hydrated DateTime, cost the driver most of the divergence engine's time.
_CURRENT = """
UNWIND $proposition_ids AS pid
MATCH (b:Belief)-[:ON]->(p:Proposition {id: pid})
WHERE b.stated_at <= $as_of AND ($function IS NULL OR b.function = $function)
WITH p, b ORDER BY b.seq DESC
WITH p, b.function AS function, head(collect(b)) AS b
WHERE NOT b.withdrawn
"""
CURRENT_BELIEFS = (
    _CURRENT
    + """
RETURN collect(b {.id, .function, .seq, .p, .magnitude, .rationale, .withdrawn, .stated_by,
                  .vote_id, proposition_id: p.id,
                  stated_at: [b.stated_at.epochSeconds, b.stated_at.nanosecond,
                              b.stated_at.offsetSeconds]}) AS beliefs
"""
)
# The same beliefs shaped as the divergence engine's FunctionBelief, the time as ISO text
# (a zone name cut off; its offset stays): pydantic validates the whole list in one call,
# where a Belief and then a FunctionBelief per row was the biggest cost of loading the
# model (benchmark b, docs/benchmarks.md).
CURRENT_FUNCTION_BELIEFS = (
    _CURRENT
    + """AND b.p IS NOT NULL
RETURN collect({proposition_id: p.id, belief: b {.function, .p, .magnitude, .stated_by,
                .seq, .rationale, belief_id: b.id,
                stated_at: split(toString(b.stated_at), '[')[0]}}) AS beliefs
"""
)
_FUNCTION_BELIEFS = TypeAdapter(list[FunctionBelief])


HISTORY = (
    """
MATCH (b:Belief)-[:ON]->(p:Proposition {id: $proposition_id})
WHERE ($function IS NULL OR b.function = $function) AND b.stated_at <= $as_of
RETURN """
    + BELIEF_PROJECTION
    + """ AS belief
ORDER BY b.function, b.seq
"""
)

# Histories of several (proposition, function, as-of) requests at once, for DataLoaders.
HISTORIES = (
    """
UNWIND $requests AS r
MATCH (b:Belief)-[:ON]->(p:Proposition {id: r.proposition_id})
WHERE (r.function IS NULL OR b.function = r.function) AND b.stated_at <= r.as_of
RETURN r.index AS index, """
    + BELIEF_PROJECTION
    + """ AS belief
ORDER BY index, b.function, b.seq
"""
)


def series_key(function: str, proposition_id: str) -> str:
    return f"{function}|{proposition_id}"


async def _acting_function(tx: AsyncManagedTransaction, actor: Actor, requested: str | None) -> str:
    """The function a statement is made for: the caller's own unless they may name another."""
    if not actor.can_write:
        raise ViewerCannotWrite(actor.member_id, "state beliefs")
    function = requested or actor.function
    if function is None:
        raise NoFunctionNamed(actor.member_id)
    own = function.strip().casefold() == (actor.function or "").casefold()
    if not own and not actor.may_act_for_any_function:
        raise WrongFunction(actor.member_id, actor.function, function)
    return await functions.require(tx, function)  # as stored, whatever case was given


async def _lock_series(tx: AsyncManagedTransaction, function: str, proposition_id: str) -> str:
    """Write-lock the (function, proposition) series until this transaction ends."""
    key = series_key(function, proposition_id)
    await tx.run(
        LOCK_SERIES,
        series_key=key,
        function=function,
        proposition_id=proposition_id,
        marker=uuid.uuid4().hex,
    )
    return key


@dataclass(frozen=True, slots=True)
class _Statement:
    """What one appended belief says: a function's p on a proposition, or a withdrawal."""

    function: str
    proposition_id: str
    p: float | None  # None for a withdrawal
    magnitude: int | None = None
    rationale: str | None = None
    withdrawn: bool = False


async def _append(
    tx: AsyncManagedTransaction,
    actor: Actor,
    said: _Statement,
    now: datetime,
    *,
    idempotency_key: str | None = None,
    vote_id: str | None = None,
    belief_id: str | None = None,
) -> tuple[Belief, bool]:
    key = await _lock_series(tx, said.function, said.proposition_id)
    # A key belongs to the function the belief is stated for (graph/kit/keys.py).
    key_scope = keys.scope_of(said.function)
    idempotency_key = keys.scoped(key_scope, idempotency_key)
    if idempotency_key is not None:
        # Under the series lock, so a concurrent retry with the same key sees the first.
        existing = await fetch_one(tx, EXISTING_BY_KEY, key=idempotency_key)
        if existing is not None:
            return records.belief(existing["belief"]), False
    row = await fetch_one(
        tx,
        APPEND,
        series_key=key,
        id=belief_id or f"bel-{uuid.uuid4().hex[:16]}",
        function=said.function,
        proposition_id=said.proposition_id,
        p=said.p,
        magnitude=said.magnitude,
        rationale=said.rationale,
        withdrawn=said.withdrawn,
        stated_at=now,
        stated_by=actor.member_id,
        idempotency_key=idempotency_key,
        key_scope=None if idempotency_key is None else key_scope,
        vote_id=vote_id,
    )
    assert row is not None
    return records.belief(row["belief"]), True


async def _live_proposition(tx: AsyncManagedTransaction, proposition_id: str) -> str:
    # Locked before read, so a merge of this proposition cannot strand the statement.
    found = (await propositions.get_many_locked(tx, [proposition_id])).get(proposition_id)
    if found is None:
        raise PropositionNotFound(proposition_id)
    if found.retired_at is not None:
        raise PropositionRetired(found.id)
    return found.id


async def state(
    tx: AsyncManagedTransaction,
    actor: Actor,
    data: BeliefCreate,
    now: datetime,
    *,
    vote_id: str | None = None,
) -> tuple[Belief, bool]:
    """Append a belief; return it and whether it is new (an idempotent retry is not)."""
    function = await _acting_function(tx, actor, data.function)
    proposition_id = await _live_proposition(tx, data.proposition_id)
    said = _Statement(function, proposition_id, data.p, data.magnitude, data.rationale)
    belief, created = await _append(
        tx, actor, said, now, idempotency_key=data.idempotency_key, vote_id=vote_id
    )
    if created:
        await audit.record(
            tx,
            actor,
            "stateBelief",
            [belief.id, proposition_id],
            now,
            f"{function} p={data.p}",
            change=model_version.weighing([proposition_id]),
        )
    return belief, created


async def withdraw(
    tx: AsyncManagedTransaction,
    actor: Actor,
    proposition_id: str,
    function: str | None,
    now: datetime,
) -> Belief:
    """Append a withdrawal: the function no longer holds a belief on the proposition."""
    acting = await _acting_function(tx, actor, function)
    live_id = await _live_proposition(tx, proposition_id)
    # Under the series lock, so two concurrent withdrawals cannot both find a belief.
    await _lock_series(tx, acting, live_id)
    current = await fetch_one(tx, LATEST_IN_SERIES, function=acting, proposition_id=live_id)
    if current is None or current["belief"]["withdrawn"]:
        raise NothingToWithdraw(acting, live_id)
    belief, _ = await _append(tx, actor, _Statement(acting, live_id, None, withdrawn=True), now)
    await audit.record(
        tx,
        actor,
        "withdrawBelief",
        [belief.id, live_id],
        now,
        acting,
        change=model_version.weighing([live_id]),
    )
    return belief


async def append_given(
    tx: AsyncManagedTransaction,
    actor: Actor,
    *,
    belief_id: str,
    function: str,
    proposition_id: str,
    p: float | None,
    magnitude: int | None,
    rationale: str | None,
    withdrawn: bool,
    stated_at: datetime,
) -> None:
    """Seed data and restore: append a belief with a given id and time, once."""
    exists = await fetch_one(tx, "MATCH (b:Belief {id: $id}) RETURN b.id AS id", id=belief_id)
    if exists is not None:
        return
    said = _Statement(function, proposition_id, p, magnitude, rationale, withdrawn)
    await _append(tx, actor, said, stated_at, belief_id=belief_id)


async def current(
    tx: AsyncManagedTransaction,
    proposition_ids: list[str],
    as_of: datetime,
    function: str | None = None,
) -> list[Belief]:
    """The current (not withdrawn) belief of each function on each proposition."""
    found = await fetch_collected(
        tx,
        CURRENT_BELIEFS,
        "beliefs",
        proposition_ids=proposition_ids,
        as_of=as_of,
        function=function,
    )
    return [records.belief_at_epoch(b) for b in found]


async def current_function_beliefs(
    tx: AsyncManagedTransaction, proposition_ids: list[str], as_of: datetime
) -> list[tuple[str, FunctionBelief]]:
    """Each function's current belief with a value on each proposition, for the engine:
    (proposition id, belief) pairs."""
    found = await fetch_collected(
        tx,
        CURRENT_FUNCTION_BELIEFS,
        "beliefs",
        proposition_ids=proposition_ids,
        as_of=as_of,
        function=None,
    )
    held = _FUNCTION_BELIEFS.validate_python([row["belief"] for row in found])
    return [(row["proposition_id"], belief) for row, belief in zip(found, held, strict=True)]


async def history(
    tx: AsyncManagedTransaction,
    proposition_id: str,
    as_of: datetime,
    function: str | None = None,
) -> list[Belief]:
    rows = await fetch_all(
        tx, HISTORY, proposition_id=proposition_id, function=function, as_of=as_of
    )
    return [records.belief(r["belief"]) for r in rows]


async def histories(
    tx: AsyncManagedTransaction, requests: list[tuple[str, str | None, datetime]]
) -> list[list[Belief]]:
    """The history of each (proposition id, function or None, as-of) request, in order."""
    rows = await fetch_all(
        tx,
        HISTORIES,
        requests=[
            {"index": n, "proposition_id": pid, "function": function, "as_of": as_of}
            for n, (pid, function, as_of) in enumerate(requests)
        ],
    )
    result: list[list[Belief]] = [[] for _ in requests]
    for row in rows:
        result[int(row["index"])].append(records.belief(row["belief"]))
    return result
