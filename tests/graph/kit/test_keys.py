"""Idempotency keys stored in the scope of a function, and the migration that scopes the keys
stored before keys had scopes."""

from __future__ import annotations

from neo4j import AsyncManagedTransaction

from graph.kit import keys, migrations
from graph.kit.connection import Database, fetch_all
from schema.migrations import MIGRATIONS

LEGACY = """
CREATE (:Evidence {id: 'ev-legacy-1', function: 'sales', idempotency_key: 'K'}),
       (:Evidence {id: 'ev-legacy-2', function: null, idempotency_key: 'seed:1'}),
       (:Evidence {id: 'ev-new', function: 'product', idempotency_key: 'product:K',
                   key_scope: 'product'}),
       (:Belief {id: 'bel-legacy', function: 'design', idempotency_key: 'B'}),
       (:Member {id: 'mem-legacy', name: 'legacy-author', function: 'success'}),
       (:Entity {id: 'ent-legacy', created_by: 'mem-legacy', idempotency_key: 'E'}),
       (:Snapshot {id: 'snap-legacy', created_by: 'system', idempotency_key: 'S'})
"""

STORED = """
MATCH (n) WHERE n.id IN ['ev-legacy-1', 'ev-legacy-2', 'ev-new', 'bel-legacy', 'ent-legacy',
                         'snap-legacy']
RETURN n.id AS id, n.idempotency_key AS key ORDER BY id
"""


async def _legacy(tx: AsyncManagedTransaction) -> None:
    await tx.run(LEGACY)


async def _apply_key_migration(db: Database) -> None:
    [scoping] = [m for m in MIGRATIONS if any("key_scope" in d for d in m.data)]
    async with db.driver.session(database=db.name) as session:
        for statement in scoping.data:
            await (await session.run(statement)).consume()


async def test_keys_stored_before_scopes_are_scoped_once(db: Database) -> None:
    await db.write(_legacy)
    await _apply_key_migration(db)
    expected = [
        {"id": "bel-legacy", "key": "design:B"},
        {"id": "ent-legacy", "key": "success:E"},
        {"id": "ev-legacy-1", "key": "sales:K"},
        {"id": "ev-legacy-2", "key": ":seed:1"},
        {"id": "ev-new", "key": "product:K"},
        {"id": "snap-legacy", "key": ":S"},
    ]
    assert await db.read(fetch_all, STORED) == expected
    await _apply_key_migration(db)  # a half-applied version applies again: nothing changes
    assert await db.read(fetch_all, STORED) == expected
    assert await migrations.schema_is_current(db)


def test_a_key_is_stored_in_its_scope() -> None:
    assert keys.scoped("sales", "K") != keys.scoped("product", "K")
    assert keys.scoped(keys.GLOBAL, "K") == "*:K"
    assert keys.scoped("sales", None) is None
    assert keys.redacted("secret", "sales:K") != keys.redacted("other", "sales:K")
