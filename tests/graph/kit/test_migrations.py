"""The schema: constraints applied idempotently, default functions present."""

from __future__ import annotations

import re

from graph import startup
from graph.kit import migrations
from graph.kit.connection import Database, fetch_all
from schema.migrations import LATEST_VERSION, MIGRATIONS
from schema.vocabulary import DEFAULT_FUNCTIONS


async def test_every_constraint_and_index_exists(db: Database) -> None:
    constraints = {r["name"] for r in await db.read(fetch_all, "SHOW CONSTRAINTS YIELD name")}
    indexes = {r["name"] for r in await db.read(fetch_all, "SHOW INDEXES YIELD name")}
    for migration in MIGRATIONS:
        for statement in migration.statements:
            match = re.search(r"(?:CONSTRAINT|INDEX) (\w+) IF NOT EXISTS", statement)
            assert match, statement
            name = match.group(1)
            assert name in (constraints if "CONSTRAINT" in statement else indexes), statement


async def test_applying_twice_changes_nothing(db: Database) -> None:
    before = await db.read(fetch_all, "SHOW CONSTRAINTS YIELD name RETURN name ORDER BY name")
    assert await startup.apply_schema(db) == LATEST_VERSION
    assert await startup.apply_schema(db) == LATEST_VERSION
    after = await db.read(fetch_all, "SHOW CONSTRAINTS YIELD name RETURN name ORDER BY name")
    assert before == after
    assert await migrations.schema_is_current(db)


async def test_the_seven_default_functions_exist_once(db: Database) -> None:
    await startup.apply_schema(db)
    rows = await db.read(fetch_all, "MATCH (f:Function) RETURN f.name AS name ORDER BY name")
    assert [r["name"] for r in rows] == sorted(DEFAULT_FUNCTIONS)


async def test_a_merge_key_without_constraint_would_be_caught(db: Database) -> None:
    # Every MERGE key used by the repositories is backed by a uniqueness constraint.
    rows = await db.read(
        fetch_all,
        "SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type "
        "WHERE type = 'UNIQUENESS' RETURN labelsOrTypes[0] AS label, properties[0] AS key",
    )
    unique = {(r["label"], r["key"]) for r in rows}
    merge_keys = {
        ("Entity", "id"),
        ("Entity", "idempotency_key"),
        ("Proposition", "id"),
        ("Function", "name"),
        ("Member", "id"),
        ("SchemaMigration", "version"),
    }
    assert merge_keys <= unique
