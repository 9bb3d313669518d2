"""Redaction reaches snapshots: one taken after it holds neither the item's text nor its
raw key, and an admin purges both from the snapshots taken before it, each purge recorded
with the fingerprint's change in the snapshot and in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from graph import audit, evidence
from graph.divergence import EngineSettings
from graph.kit.connection import Database
from graph.snapshots import removal
from graph.snapshots import store as snapshots
from graph.snapshots.content import fingerprint_of
from graph.snapshots.export import export
from graph.snapshots.figures import figures_for
from schema.errors import BadInput, Forbidden, NotFound
from schema.models import Actor, BearingCreate, EvidenceCreate
from schema.snapshots import SECTIONS
from schema.vocabulary import Role, Stance
from tests.graph.snapshots.factories import export_to, live_fingerprint, small_company

ADMIN = Actor(member_id="mem-admin", name="Ada", function="product", role=Role.ADMIN)
FACILITATOR = Actor(member_id="mem-f", name="Fay", function="product", role=Role.FACILITATOR)
EMAIL = "jane.doe@example.com"


async def _text(db: Database, snapshot_id: str, fmt: str, table: str | None = None) -> str:
    return b"".join([p async for p in export(db, snapshot_id, fmt, table=table)]).decode()


async def _everything(db: Database, snapshot_id: str) -> str:
    """Every file a snapshot can be exported as, in one text."""
    files = [await _text(db, snapshot_id, fmt) for fmt in ("json", "md", "html")]
    files += [await _text(db, snapshot_id, "csv", t) for t in ("evidence", "top_gaps")]
    return "\n".join(files)


def _file_fingerprint(document: dict[str, object]) -> str:
    content = document["content"]
    assert isinstance(content, dict)
    return fingerprint_of((s, record) for s in SECTIONS for record in content[s])


async def test_an_admin_purges_a_redacted_item_from_older_snapshots(
    db: Database, tmp_path: Path
) -> None:
    ids = await small_company(db)
    item = EvidenceCreate(
        source_type="interview",
        summary=f"Call with {EMAIL}: setup took two weeks",
        source_ref=f"mailto:{EMAIL}",
        idempotency_key=EMAIL,
        bears=[BearingCreate(proposition_id=ids["Slow setup"], stance=Stance.SUPPORTS)],
    )
    [(item_id, _)] = await db.write(evidence.add, ADMIN, [item], datetime.now(UTC))
    figures = figures_for(EngineSettings())
    older, _ = await snapshots.create(db, ADMIN, figures, label="Before")
    assert EMAIL in await _everything(db, older.id)

    await db.write(evidence.redact, ADMIN, item_id, "customer asked", datetime.now(UTC))
    later, _ = await snapshots.create(db, ADMIN, figures, label="After")
    # Taken after the redaction: neither the text nor the raw key (its HMAC at most).
    assert EMAIL not in await _everything(db, later.id)
    assert EMAIL in await _everything(db, older.id)

    with pytest.raises(Forbidden, match="only admins"):
        await removal.purge_redacted(db, FACILITATOR, item_id, "gdpr", datetime.now(UTC))
    with pytest.raises(BadInput, match="not redacted"):
        await removal.purge_redacted(db, ADMIN, "ev-slow-0", "gdpr", datetime.now(UTC))
    with pytest.raises(NotFound):
        await removal.purge_redacted(db, ADMIN, "ev-nope", "gdpr", datetime.now(UTC))
    assert (await snapshots.get(db, older.id)).fingerprint == older.fingerprint

    at = datetime.now(UTC)
    changed = await removal.purge_redacted(db, ADMIN, item_id, "erasure request 42", at)

    assert [s.id for s in changed] == [older.id]
    [purged] = changed
    assert EMAIL not in await _everything(db, older.id)
    # The new fingerprint is that of the content now held, and of the model as of the
    # snapshot's time as a snapshot taken today reads it.
    document = orjson.loads(await _text(db, older.id, "json"))
    assert document["snapshot"]["fingerprint"] == purged.fingerprint != older.fingerprint
    assert _file_fingerprint(document) == purged.fingerprint
    assert purged.fingerprint == await live_fingerprint(db, older.as_of)
    [entry] = purged.purges
    assert (entry.evidence_id, entry.by, entry.reason) == (
        item_id,
        ADMIN.member_id,
        "erasure request 42",
    )
    assert (entry.fingerprint_before, entry.fingerprint_after) == (
        older.fingerprint,
        purged.fingerprint,
    )
    assert abs(entry.at - at) < timedelta(seconds=1)
    [logged] = await db.read(
        audit.list_entries,
        member_id=None,
        action="purgeRedactedFromSnapshots",
        before=None,
        limit=10,
    )
    assert logged["target_ids"] == [older.id, item_id]
    assert older.fingerprint in logged["detail"] and purged.fingerprint in logged["detail"]
    # The purged file still restores: its content matches its fingerprint.
    exported = await export_to(db, older.id, tmp_path / "older.json")
    assert _file_fingerprint(orjson.loads(exported.read_bytes())) == purged.fingerprint
    # A second purge finds nothing left to take.
    assert await removal.purge_redacted(db, ADMIN, item_id, "again", datetime.now(UTC)) == []
    assert len((await snapshots.get(db, older.id)).purges) == 1
    assert (await snapshots.get(db, later.id)).purges == []
