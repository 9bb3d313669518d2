"""Writing evidence: a batch of observations, each bearing on one or more propositions.

A batch is written with one ``UNWIND`` per shape (keyed and unkeyed items). An item with an
``idempotency_key`` is written once, whatever the number of retries: ``MERGE`` on the key is
backed by a uniqueness constraint, and only the transaction that created the node links it.
The key is stored in the scope of the function the item is recorded for (``graph/kit/keys``):
another function's identical key is another item. A retry of a key whose item was redacted
since finds it by the key's HMAC.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import neo4j
from neo4j import AsyncManagedTransaction

from graph import audit, model_version, propositions, sources
from graph.evidence import reading
from graph.kit import keys
from graph.kit.connection import fetch_all, single_meanwhile
from schema.entities import AccountNotFound
from schema.evidence import RepeatedIdempotencyKey
from schema.members import ViewerCannotWrite
from schema.models import Actor, Evidence, EvidenceCreate
from schema.propositions import PropositionNotFound, PropositionRetired

# Links a freshly created item to its propositions and account (both checked beforehand).
# Accounts are found through the Entity.id constraint's index: `(:Account {id})` would scan
# every account for every row.
_LINK = """
CALL {
  WITH ev, row, created
  WITH ev, row WHERE created
  UNWIND row.bears AS bearing
  MATCH (p:Proposition {id: bearing.proposition_id})
  CREATE (ev)-[:BEARS_ON {stance: bearing.stance, strength: bearing.strength,
                          magnitude: bearing.magnitude}]->(p)
}
CALL {
  WITH ev, row, created
  WITH ev, row WHERE created AND row.props.account_id IS NOT NULL
  MATCH (a:Entity {id: row.props.account_id}) WHERE a:Account
  CREATE (ev)-[:FROM_ACCOUNT]->(a)
}
RETURN collect([row.index, ev.id, created]) AS written
"""

# What a batch is checked against before anything is written, in one round trip: the named
# propositions write-locked in id order (as ``propositions.lock``), then their live ids and
# retirement (``propositions.LIVE_IDS``), and the named ids that are no account (found
# through the Entity.id constraint's index, as in _LINK). Each CALL runs whole before the
# next, so every lock is held before a proposition is read. The accounts come back as one
# collected list: a record per account cost ~0.4 ms each, 70 ms of a 500-item batch naming
# 180 accounts (benchmark add_evidence, docs/benchmarks.md). The key secret (``keys``) comes
# with them: a round trip of its own cost ~4 ms of every keyed batch.
CHECK_BATCH = (
    """
CALL () {
  UNWIND $ids AS wanted
  MATCH (p:Proposition {id: wanted})
  SET p.lock_marker = true
  REMOVE p.lock_marker
  RETURN count(*) AS locked
}
CALL () {
  UNWIND $account_ids AS account_id
  OPTIONAL MATCH (a:Entity {id: account_id}) WHERE a:Account
  WITH account_id, a WHERE a IS NULL
  RETURN collect(account_id) AS missing_accounts
}
CALL () {
  OPTIONAL MATCH (s:ServerSecret {name: $secret_name})
  RETURN s.value AS key_secret
}
CALL () {
"""
    + propositions.LIVE_IDS
    + """}
RETURN rows, missing_accounts, key_secret
"""
)

# Items whose key was replaced by its HMAC when they were redacted.
REDACTED_KEYS = """
UNWIND $keys AS key
MATCH (ev:Evidence {idempotency_key: key})
RETURN key, ev.id AS id
"""

# Rows carry their two times as ISO text, made DATETIME values here: the driver spends
# ~0.1-0.2 ms packing each Python datetime, more than the database's own work on a big
# batch (benchmark a, docs/benchmarks.md). Nobody ever sees the text.
CREATE_EVIDENCE = (
    """
UNWIND $rows AS row
CREATE (ev:Evidence)
SET ev = row.props, ev.observed_at = datetime(row.observed_at),
    ev.recorded_at = datetime(row.recorded_at)
WITH ev, row, true AS created
"""
    + _LINK
)

MERGE_EVIDENCE = (
    """
UNWIND $rows AS row
MERGE (ev:Evidence {idempotency_key: row.props.idempotency_key})
ON CREATE SET ev += row.props, ev.observed_at = datetime(row.observed_at),
              ev.recorded_at = datetime(row.recorded_at), ev.creation_marker = $marker
WITH ev, row, coalesce(ev.creation_marker = $marker, false) AS created
REMOVE ev.creation_marker
WITH ev, row, created
"""
    + _LINK
)

T = TypeVar("T")


class _Unread(Enum):
    """The key secret was not read with the batch's check (``write_rows`` reads it)."""

    SECRET = "unread"


KeySecret = str | None | _Unread


async def _checked_rows(
    tx: AsyncManagedTransaction,
    actor: Actor,
    items: list[EvidenceCreate],
    now: datetime,
    import_id: str | None,
) -> tuple[list[dict[str, Any]], KeySecret]:
    """The batch as rows for ``write_rows``, once the actor, keys, propositions and accounts
    are checked (nothing is written before all of it holds), and the key secret.

    The propositions are write-locked before they are read, so a merge of them cannot strand
    the new links; locking, resolving and the account check take one round trip. The rows
    are made while the database checks (``single_meanwhile``), their bearings naming the
    propositions as given; the few a merge moved are renamed after."""
    if not actor.can_write:
        raise ViewerCannotWrite(actor.member_id)
    if not items:
        return [], _Unread.SECRET
    given_keys = [i.idempotency_key for i in items if i.idempotency_key]
    repeated = [key for key, uses in Counter(given_keys).items() if uses > 1]
    if repeated:
        raise RepeatedIdempotencyKey(repeated[0])
    check = check_parameters(items)
    wanted: list[str] = check["ids"]
    as_given = {pid: pid for pid in wanted}
    record, rows = await single_meanwhile(
        tx,
        CHECK_BATCH,
        check,
        lambda: [
            prepare_row(n, item, as_given, actor, now, import_id) for n, item in enumerate(items)
        ],
    )
    assert record is not None  # the statement returns one row whatever it finds
    live_ids = await _live_ids(tx, wanted, record)
    if live_ids != as_given:
        for row in rows:
            for bearing in row["bears"]:
                bearing["proposition_id"] = live_ids[bearing["proposition_id"]]
    secret = record["key_secret"]
    return rows, None if secret is None else str(secret)


def check_parameters(items: list[EvidenceCreate]) -> dict[str, Any]:
    """``CHECK_BATCH``'s parameters for a batch: the propositions and accounts it names."""
    return {
        "ids": sorted({b.proposition_id for item in items for b in item.bears}),
        "account_ids": sorted({i.account_id for i in items if i.account_id}),
        "secret_name": keys.SECRET_NAME,
    }


async def _live_ids(
    tx: AsyncManagedTransaction, wanted: list[str], record: neo4j.Record
) -> dict[str, str]:
    """Map every proposition id the batch names to its live id (merged ids to survivors), from
    ``CHECK_BATCH``'s answer; refuse a batch naming a missing or retired proposition or an
    account that is none."""
    found = {w: propositions.LiveId(live, retired) for w, live, retired in record["rows"]}
    if not {live.id for live in found.values()} <= set(wanted):
        # A survivor of a merge, not locked yet: lock it and read again, as every write does.
        found = await propositions.live_ids_locked(tx, wanted)
    missing = [pid for pid in wanted if pid not in found]
    if missing:
        raise PropositionNotFound(missing[0])
    retired = [live.id for live in found.values() if live.retired]
    if retired:
        raise PropositionRetired(retired[0], "evidence cannot bear on it")
    if record["missing_accounts"]:
        raise AccountNotFound(min(record["missing_accounts"]))
    return {pid: found[pid].id for pid in wanted}


def prepare_row(
    index: int,
    item: EvidenceCreate,
    live_ids: dict[str, str],
    actor: Actor,
    now: datetime,
    import_id: str | None,
    recorded_at: datetime | None = None,
    evidence_id: str | None = None,
    *,
    key_scope: str | None = None,
    key_given: bool = True,
) -> dict[str, Any]:
    """One item as ``write_rows`` takes it. Its key is stored in ``key_scope``, by default
    the scope of the actor's function; ``key_given`` is False for a key derived from the
    item's own content, which must not find an item redacted since (a guessed text would
    otherwise be confirmed)."""
    recorded = recorded_at or now
    scope = keys.scope_of(actor.function) if key_scope is None else key_scope
    stored_key = keys.scoped(scope, item.idempotency_key)
    return {
        "index": index,
        "source_key": item.source_key,  # stored only as its HMAC (graph/sources.py)
        "key_given": key_given,
        "observed_at": (item.observed_at or recorded).isoformat(),
        "recorded_at": recorded.isoformat(),
        "props": {
            "id": evidence_id or f"ev-{uuid.uuid4().hex[:16]}",
            "source_type": item.source_type,
            "summary": item.summary,
            "source_ref": item.source_ref,
            "recorded_by": actor.member_id,
            "function": actor.function,
            "account_id": item.account_id,
            "idempotency_key": stored_key,
            "key_scope": None if stored_key is None else scope,
            "import_id": import_id,
        },
        "bears": [
            {
                "proposition_id": live_ids[b.proposition_id],
                "stance": b.stance.value,
                "strength": b.strength,
                "magnitude": b.magnitude,
            }
            for b in item.bears
        ],
    }


async def add(
    tx: AsyncManagedTransaction,
    actor: Actor,
    items: list[EvidenceCreate],
    now: datetime,
    *,
    import_id: str | None = None,
) -> list[tuple[str, bool]]:
    """Write a batch; return (id, created) per item, in order. Validates before writing."""
    rows, secret = await _checked_rows(tx, actor, items, now, import_id)
    return await write_rows(tx, actor, rows, now, key_secret=secret) if rows else []


async def add_answered(
    tx: AsyncManagedTransaction,
    actor: Actor,
    items: list[EvidenceCreate],
    now: datetime,
    present: Callable[[Evidence], T],
) -> list[tuple[T, bool]]:
    """``add``, answering each item as it is stored, as ``present`` makes it for the caller:
    a new item as it was written, an item whose key was seen before as it was read back (it
    may differ from this one)."""
    rows, secret = await _checked_rows(tx, actor, items, now, None)
    if not rows:
        return []
    # Reading 500 new items back cost a third of the write (benchmark add_evidence,
    # docs/benchmarks.md); what was written is known: the rows hold every stored value (the
    # times as the text stored), and a new item keeps its row's id. Each row's answer is made
    # while the database writes; an item whose key was seen before is read back instead.
    if_new: list[T] = []
    written = await write_rows(
        tx,
        actor,
        rows,
        now,
        key_secret=secret,
        meanwhile=lambda: if_new.extend(
            present(as_written(row, row["props"]["id"])) for row in rows
        ),
    )
    seen_before = [item_id for item_id, created in written if not created]
    found = await reading.get_many(tx, seen_before) if seen_before else {}
    return [
        (answer if created else present(found[item_id]), created)
        for answer, (item_id, created) in zip(if_new, written, strict=True)
    ]


def as_written(row: dict[str, Any], evidence_id: str) -> Evidence:
    """A new item as ``write_rows`` stored it from ``row``: what reading it back gives."""
    props = row["props"]
    # Validated from a dict: pydantic's validation (in Rust) costs a third of
    # ``model_construct``'s Python loop over the fields.
    return Evidence.model_validate(
        {
            "id": evidence_id,
            "source_type": props["source_type"],
            "summary": props["summary"],
            "source_ref": props["source_ref"],
            "observed_at": datetime.fromisoformat(row["observed_at"]),
            "recorded_at": datetime.fromisoformat(row["recorded_at"]),
            "recorded_by": props["recorded_by"],
            "function": props["function"],
            "account_id": props["account_id"],
            "import_id": props["import_id"],
            "bears": row["bears"],  # proposition ids, stance values, strength, magnitude
        }
    )


async def write_rows(
    tx: AsyncManagedTransaction,
    actor: Actor,
    rows: list[dict[str, Any]],
    now: datetime,
    *,
    key_secret: KeySecret = _Unread.SECRET,
    meanwhile: Callable[[], object] = lambda: None,
) -> list[tuple[str, bool]]:
    """Write prepared rows (see ``prepare_row``); callers have validated ids and accounts.

    ``key_secret`` is the key secret if the caller read it (``keys.secret``). ``meanwhile``
    runs once, while the database writes the first rows (or last, if every row's key
    belongs to an item redacted since)."""
    await sources.hash_source_keys(tx, rows)
    keyed = [r for r in rows if r["props"]["idempotency_key"]]
    unkeyed = [r for r in rows if not r["props"]["idempotency_key"]]
    results: dict[int, tuple[str, bool]] = {}
    keyed = await _redacted_since(tx, keyed, results, key_secret)
    # One collected record per query: a record per row cost more than writing the row.
    statements = []
    if keyed:
        statements.append((MERGE_EVIDENCE, {"rows": keyed, "marker": uuid.uuid4().hex}))
    if unkeyed:
        statements.append((CREATE_EVIDENCE, {"rows": unkeyed}))
    for n, (statement, parameters) in enumerate(statements):
        record, _ = await single_meanwhile(
            tx, statement, parameters, meanwhile if n == 0 else lambda: None
        )
        assert record is not None  # the statement collects into one row
        for index, evidence_id, created in record["written"]:
            results[index] = (evidence_id, bool(created))
    if not statements:
        meanwhile()
    created_rows = [r for r in rows if results[r["index"]][1]]
    created = [results[r["index"]][0] for r in created_rows]
    if created:
        await tx.run(*batch_audit(actor, created_rows, created, now))
    return [results[r["index"]] for r in rows]


def batch_audit(
    actor: Actor, created_rows: list[dict[str, Any]], created: list[str], now: datetime
) -> tuple[str, dict[str, Any]]:
    """The audit entry and model-version bump of a batch whose ``created_rows`` wrote the new
    items ``created`` (``audit.statement``)."""
    # The propositions the new items bear on are named by the rows (live ids): the model
    # version stamps them without finding every new item again by its id.
    changed = sorted({b["proposition_id"] for r in created_rows for b in r["bears"]})
    return audit.statement(
        actor,
        "addEvidence",
        created[:100],
        now,
        f"{len(created)} item(s)",
        change=model_version.weighing(changed),
    )


async def _redacted_since(
    tx: AsyncManagedTransaction,
    rows: list[dict[str, Any]],
    results: dict[int, tuple[str, bool]],
    key_secret: KeySecret,
) -> list[dict[str, Any]]:
    """Answer the rows whose given key belongs to a redacted item; return the others."""
    given = [r for r in rows if r["key_given"]]
    if not given:
        return rows
    secret = await keys.secret(tx) if key_secret is _Unread.SECRET else key_secret
    if secret is None:  # nothing was ever redacted
        return rows
    by_hmac = {keys.redacted(secret, r["props"]["idempotency_key"]): r for r in given}
    found = await fetch_all(tx, REDACTED_KEYS, keys=sorted(by_hmac))
    for hit in found:
        results[by_hmac[hit["key"]]["index"]] = (str(hit["id"]), False)
    return [r for r in rows if r["index"] not in results]
