"""The fingerprint's bytes: the same content gives the same canonical records and fingerprint
as it always did, however the records are read and encoded (docs/design.md §3)."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import example, given, settings
from hypothesis import strategies as st
from neo4j import AsyncManagedTransaction
from neo4j.time import DateTime

from graph import calibration
from graph.divergence import EngineSettings, load_picture
from graph.kit.connection import Database
from graph.snapshots import figures as snapshot_figures
from graph.snapshots.content import (
    Fingerprinter,
    canonical_record,
    iter_content,
    time_as_text,
    to_iso,
)
from schema.snapshots import NOT_FINGERPRINTED
from tests.graph.snapshots.factories import (
    BASE,
    FIXED_AS_OF,
    build_fixed_model,
    live_fingerprint,
    small_company,
)

# ---------------------------------------------------------------- canonical JSON


def rfc8785_record(record: dict[str, Any]) -> bytes:
    """How a record was always encoded for the fingerprint."""
    return bytes(rfc8785.dumps({k: v for k, v in record.items() if k not in NOT_FINGERPRINTED}))


FIELD_NAMES = st.sampled_from(["id", "p", "strength", "bears", "idempotency_key", "a", "B", "_"])
KEYS = FIELD_NAMES | st.text(st.characters(exclude_categories=()), max_size=4)
EDGE_FLOATS = st.sampled_from(
    [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        1e-5,
        9.999999999999999e-06,
        1e-7,
        5e-324,
        0.1 + 0.2,
        1e16,
        1e21,
        1.5e20,
        2.0**53,
        2.0**53 + 2,
        -(2.0**53),
        4503599627370495.5,
        1.7976931348623157e308,
        math.inf,
        math.nan,
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**53 - 3, max_value=2**53 + 3)
    | st.integers(min_value=-(2**53) - 3, max_value=-(2**53) + 3)
    | st.floats()
    | st.floats(min_value=-1e-4, max_value=1e-4)
    | EDGE_FLOATS
    | st.text(st.characters(exclude_categories=()))
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(KEYS, inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(settings.get_profile("pure"), max_examples=600)
@given(st.dictionaries(KEYS, VALUES, max_size=8))
@example({"strength": 1.0, "p": -0.0, "bears": [{"strength": 1e-6, "magnitude": 3}]})
@example({"id": "é", "é": 1, "e": 2, "\U0001f600": 3, "\uffff": 4})
@example({"id": "a", "big": 2**53})
@example({"id": "\ud800"})
def test_canonical_record_writes_what_rfc8785_writes(record: dict[str, Any]) -> None:
    try:
        expected = rfc8785_record(record)
    except ValueError as error:  # what rfc8785 refuses (big integers, NaN, surrogates)
        with pytest.raises(type(error)):
            canonical_record(record)
        return
    assert canonical_record(record) == expected


def test_the_fingerprint_hashes_each_record_as_rfc8785_writes_it() -> None:
    records = [
        ("beliefs", {"id": "b1", "p": 1.0, "seq": 1, "idempotency_key": "k"}),
        ("entities", {"id": "e1", "name": "Café\n", "description": None}),
        ("evidence", {"id": "v1", "bears": [{"strength": 0.7, "magnitude": None}]}),
    ]
    hasher = Fingerprinter()
    for section, record in records:
        hasher.add(section, record)
    whole = {
        "beliefs": [{"id": "b1", "p": 1, "seq": 1}],
        "entities": [{"id": "e1", "name": "Café\n", "description": None}],
        "evidence": [{"id": "v1", "bears": [{"strength": 0.7, "magnitude": None}]}],
        "functions": [],
        "imports": [],
        "propositions": [],
    }
    assert hasher.hexdigest() == hashlib.sha256(rfc8785.dumps(whole)).hexdigest()


# ---------------------------------------------------------------- times as text

ECHO_TIMES = "UNWIND $values AS value RETURN value AS raw, " + time_as_text("value") + " AS text"
# Times made by the database from text: named zones go in as text because the driver cannot
# send a datetime in a ZoneInfo zone whose offset it has to work out.
ECHO_PARSED = (
    "UNWIND $texts AS t "
    "WITH CASE WHEN t.local THEN localdatetime(t.text) ELSE datetime(t.text) END AS value "
    "RETURN value AS raw, " + time_as_text("value") + " AS text"
)


async def _echo(tx: AsyncManagedTransaction, values: list[Any]) -> list[tuple[Any, Any]]:
    result = await tx.run(ECHO_TIMES, values=values)
    return [(record["raw"], record["text"]) async for record in result]


async def _echo_parsed(
    tx: AsyncManagedTransaction, texts: list[dict[str, Any]]
) -> list[tuple[Any, Any]]:
    result = await tx.run(ECHO_PARSED, texts=texts)
    return [(record["raw"], record["text"]) async for record in result]


ZONES = st.sampled_from(
    ["", "Z", "+02:00", "-09:30", "+05:45", "[Europe/Berlin]", "[America/St_Johns]", "[UTC]"]
)


@st.composite
def time_texts(draw: st.DrawFn) -> dict[str, Any]:
    moment = draw(st.datetimes(min_value=datetime(1800, 1, 1), max_value=datetime(2200, 1, 1)))
    nanos = draw(st.integers(min_value=0, max_value=999_999_999))
    zone = draw(ZONES)
    return {"text": f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}{zone}", "local": zone == ""}


@settings(settings.get_profile("db"), max_examples=10)
@given(st.lists(time_texts(), min_size=1, max_size=40))
async def test_times_come_back_as_text_exactly_as_to_iso_writes_them(
    db: Database, texts: list[dict[str, Any]]
) -> None:
    for raw, text in await db.read(_echo_parsed, texts):
        assert text == to_iso(raw)
    edges = [
        DateTime(1, 1, 1, 0, 0, 0, 0, tzinfo=UTC),
        DateTime(9999, 12, 31, 23, 59, 59, 999_999_999, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 59, 59, 1, tzinfo=timezone(timedelta(hours=-3))),
        datetime(2026, 1, 2, 3, 4, 5, 6),  # no zone: taken as it is, as to_iso takes it
        None,
    ]
    for raw, text in await db.read(_echo, edges):
        assert text == to_iso(raw)


async def test_a_time_field_holding_no_date_time_is_refused_as_before(db: Database) -> None:
    rows = await db.read(_echo, ["2026-01-01T00:00:00Z", 7])
    for raw, text in rows:
        assert text == [raw]  # handed back as it is, for to_iso to refuse
        with pytest.raises(TypeError):
            to_iso(text[0])


# ---------------------------------------------------------------- a fixed model's fingerprint

# What the code gave for this model before times were read as text and records encoded by
# orjson: the fingerprint of every snapshot of it stays this one.
FIXED_MODEL_FINGERPRINT = "918ac203355222e9a56b485ae7d60de686b42c0cbf6511dd898ee2517318a600"


async def test_a_fixed_model_keeps_the_fingerprint_it_always_had(db: Database) -> None:
    await db.write(build_fixed_model)
    records = [item async for item in iter_content(db, FIXED_AS_OF)]
    by_id = {record.get("id", record.get("name")): record for _, record in records}
    assert by_id["ev-1"]["observed_at"] == "2026-01-05T12:00:00.000000000Z"
    assert by_id["ev-1"]["recorded_at"] == "2026-01-04T00:00:00.123456789Z"
    assert by_id["seg-1"]["created_at"] == "2026-01-02T09:30:00.000000000Z"
    assert by_id["ev-2"]["retracted_at"] == "2026-02-01T00:00:00.000000000Z"
    assert await live_fingerprint(db, FIXED_AS_OF) == FIXED_MODEL_FINGERPRINT


# ---------------------------------------------------------------- the figures


async def test_figures_read_the_model_once_and_say_what_a_read_per_segment_said(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await small_company(db)
    settings = EngineSettings()
    as_of = BASE + timedelta(days=30)
    figures = await snapshot_figures.compute(db, settings, as_of)

    # The figures as they were computed before: a whole read of the model per segment, and
    # calibration's own read.
    async def read_per_segment(tx: AsyncManagedTransaction, whole: Any, segment_id: str) -> Any:
        return await load_picture(tx, settings, as_of=as_of, segment_id=segment_id)

    async def calibration_read(db: Database, picture: Any) -> list[dict[str, Any]]:
        found = await db.read(calibration.calibration, settings, as_of=as_of)
        keep = {"function", "forecasts", "brier_score", "brier_skill_score", "by_quarter"}
        return [row.model_dump(mode="json", include=keep) for row in found]

    monkeypatch.setattr(snapshot_figures, "_scoped", read_per_segment)
    monkeypatch.setattr(snapshot_figures, "_calibration", calibration_read)
    expected = await snapshot_figures.compute(db, settings, as_of)
    assert [s["name"] for s in figures["segments"]] == ["Ops teams"]
    assert figures["calibration"]
    assert orjson.dumps(figures) == orjson.dumps(expected)
