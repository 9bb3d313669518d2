"""Import keys: a file's keys belong to the importing function unless the product derived
them (global keys), and a redacted row's text cannot be confirmed by importing it again."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from graph import evidence
from graph.imports import validation, writing
from graph.imports.mapping import ColumnMapping
from graph.kit.connection import Database, fetch_one
from schema.imports import ImportFormat
from schema.models import Actor
from schema.vocabulary import Role
from tests.factories import make_caller
from tests.graph.imports.tickets import TICKET_MAPPING, evidence_count, ticket_model, tickets_csv

UNKEYED = {k: v for k, v in TICKET_MAPPING.items() if k != "idempotency_key"}


async def _import(
    db: Database, actor: Actor, data: bytes, mapping: dict[str, object], **options: bool
) -> writing.ImportResult:
    validated = await validation.validate(
        db, io.BytesIO(data), ImportFormat.CSV, ColumnMapping.parse(mapping)
    )
    try:
        return await writing.write(db, actor, validated, **options)
    finally:
        validated.close()


async def test_another_functions_import_of_the_same_file_is_its_own(db: Database) -> None:
    props, account = await ticket_model(db, pains=1)
    sales = (await make_caller(db, "sales")).actor
    product = (await make_caller(db, "product")).actor
    data = tickets_csv(props, account, 5).encode()
    assert (await _import(db, sales, data, TICKET_MAPPING)).created == 5
    by_product = await _import(db, product, data, TICKET_MAPPING)
    assert (by_product.created, by_product.already_present) == (5, 0)
    again = await _import(db, product, data, TICKET_MAPPING)
    assert (again.created, again.already_present) == (0, 5)
    assert await evidence_count(db) == 10


async def test_global_keys_count_each_record_once_whoever_imports_it(db: Database) -> None:
    props, account = await ticket_model(db, pains=1)
    sales = (await make_caller(db, "sales")).actor
    product = (await make_caller(db, "product")).actor
    data = tickets_csv(props, account, 5).encode()
    assert (await _import(db, sales, data, TICKET_MAPPING, global_keys=True)).created == 5
    by_product = await _import(db, product, data, TICKET_MAPPING, global_keys=True)
    assert (by_product.created, by_product.already_present) == (0, 5)
    assert await evidence_count(db) == 5


async def test_reimporting_a_redacted_rows_text_does_not_confirm_it(db: Database) -> None:
    props, account = await ticket_model(db, pains=1)
    product = (await make_caller(db, "product")).actor
    admin = (await make_caller(db, "engineering", Role.ADMIN)).actor
    data = tickets_csv(props, account, 1).encode()
    first = await _import(db, product, data, UNKEYED)
    assert first.created == 1
    assert (await _import(db, product, data, UNKEYED)).already_present == 1
    item = await db.read(fetch_one, "MATCH (ev:Evidence) RETURN ev.id AS id")
    assert item is not None
    await db.write(evidence.redact, admin, item["id"], "GDPR request", datetime.now(UTC))
    guessed = await _import(db, product, data, UNKEYED)
    assert (guessed.created, guessed.already_present) == (1, 0)
