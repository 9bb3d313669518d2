"""Idempotency keys stored in the scope of a function, and the migration that scopes the keys
stored before keys had scopes."""

from __future__ import annotations

from datetime import UTC, datetime

from neo4j import AsyncManagedTransaction

from graph import entities
from graph.kit import keys, migrations
from graph.kit.connection import Database, fetch_all
from graph.snapshots import store as snapshots
from schema.migrations import MIGRATIONS
from schema.models import EntityCreate
from schema.vocabulary import EntityKind
from tests.factories import make_caller
from tests.graph.snapshots.factories import no_figures

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


async def test_entities_and_snapshots_with_one_key_are_each_functions_own(db: Database) -> None:
    sales = (await make_caller(db, "sales")).actor
    product = (await make_caller(db, "product")).actor
    pain = EntityCreate(kind=EntityKind.PAIN, name="Manual reporting", idempotency_key="K")
    made = [
        await db.write(entities.create, actor, pain, datetime.now(UTC))
        for actor in (sales, product, product)
    ]
    assert [created for _, created in made] == [True, True, False]
    assert made[1][0].id != made[0][0].id and made[2][0].id == made[1][0].id

    shots = [
        await snapshots.create(db, actor, no_figures, idempotency_key="K")
        for actor in (sales, product, product)
    ]
    assert [created for _, created in shots] == [True, True, False]
    assert shots[1][0].id != shots[0][0].id and shots[2][0].id == shots[1][0].id
