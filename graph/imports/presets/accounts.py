"""Organisations of a tool's export as Accounts: matched by external id (our account id, or
the key of an account an earlier import of the same tool created), then by name (any case);
the rest created in a segment, keyed by their external id so the next export finds them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from neo4j import AsyncManagedTransaction

from graph import entities, functions
from graph.imports.presets.engine import AccountRef
from graph.kit import keys
from graph.kit.connection import Database, fetch_all, fetch_one
from schema.entities import SegmentNotFound
from schema.models import Actor, EntityCreate
from schema.vocabulary import EntityKind

# An account an import created is keyed by the organisation's id in the tool, in the scope of
# the function that imported it (graph/kit/keys.py): every scope's key is looked for, each
# through the Entity.idempotency_key constraint's index.
ACCOUNTS_BY_ID_OR_KEY = """
UNWIND $wanted AS wanted
OPTIONAL MATCH (a:Entity {id: wanted.id}) WHERE a:Account AND a.merged_into IS NULL
OPTIONAL MATCH (k:Entity)
WHERE k.idempotency_key IN [scope IN $scopes | scope + ':' + wanted.key] AND k:Account
WITH wanted, a, collect(coalesce(k.merged_into, k.id)) AS keyed
RETURN wanted.ref AS ref, coalesce(a.id, keyed[0]) AS id
"""

ACCOUNTS_NAMED = """
MATCH (a:Account)
WHERE a.merged_into IS NULL AND a.retired_at IS NULL AND toLower(trim(a.name)) IN $names
RETURN toLower(trim(a.name)) AS name, collect(a.id) AS ids
"""

SEGMENT = """
MATCH (s:Segment)
WHERE (s.id = $ref OR toLower(trim(s.name)) = $name) AND s.merged_into IS NULL
RETURN s.id AS id ORDER BY s.id LIMIT 1
"""


def account_key(preset: str, external_id: str) -> str:
    return f"account:{preset}:{external_id}"[:200]


async def _by_id_or_key(
    tx: AsyncManagedTransaction, preset: str, refs: list[AccountRef]
) -> dict[str, str]:
    wanted = [
        {"ref": r.ref, "id": r.external_id, "key": account_key(preset, r.external_id)}
        for r in refs
        if r.external_id is not None
    ]
    scopes = ["", keys.GLOBAL, *(f.name for f in await functions.list_all(tx))]
    rows = await fetch_all(tx, ACCOUNTS_BY_ID_OR_KEY, wanted=wanted, scopes=scopes)
    return {row["ref"]: row["id"] for row in rows if row["id"] is not None}


async def _named(tx: AsyncManagedTransaction, names: list[str]) -> dict[str, list[str]]:
    return {r["name"]: list(r["ids"]) for r in await fetch_all(tx, ACCOUNTS_NAMED, names=names)}


async def resolve(
    db: Database, preset: str, refs: Iterable[AccountRef], bookmarks: list[str] | None
) -> tuple[dict[str, str], list[AccountRef]]:
    """Each organisation's account id, and the organisations no account matches. A name
    several live accounts share matches none of them: the import creates its own."""
    wanted = list(refs)
    found = await db.read_after(bookmarks, _by_id_or_key, preset, wanted) if wanted else {}
    rest = [r for r in wanted if r.ref not in found]
    named = (
        await db.read_after(bookmarks, _named, sorted({r.name.strip().lower() for r in rest}))
        if rest
        else {}
    )
    missing: list[AccountRef] = []
    for ref in rest:
        ids = named.get(ref.name.strip().lower(), [])
        if len(ids) == 1:
            found[ref.ref] = ids[0]
        else:
            missing.append(ref)
    return found, missing


async def _segment(tx: AsyncManagedTransaction, ref: str) -> str | None:
    row = await fetch_one(tx, SEGMENT, ref=ref, name=ref.strip().lower())
    return None if row is None else str(row["id"])


async def segment_id(db: Database, ref: str, bookmarks: list[str] | None) -> str:
    """A segment by its id or its name (any case)."""
    found = await db.read_after(bookmarks, _segment, ref)
    if found is None:
        raise SegmentNotFound(ref)
    return found


async def create(
    db: Database, actor: Actor, preset: str, segment: str, missing: list[AccountRef]
) -> dict[str, str]:
    """Create the missing accounts in ``segment``; their external id keys them, so a retry or
    the next export finds the same account."""
    created: dict[str, str] = {}
    for ref in missing:
        data = EntityCreate(
            kind=EntityKind.ACCOUNT,
            name=ref.name,
            segment_id=segment,
            idempotency_key=account_key(preset, ref.external_id or f"name:{ref.name.lower()}"),
        )
        entity, _ = await db.write(entities.create, actor, data, datetime.now(UTC))
        created[ref.ref] = entity.id
    return created
