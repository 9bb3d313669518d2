"""Preset imports against the graph: each tool's export written as evidence (checked through
GraphQL), resent without effect, organisations matched to accounts or created, a dry run
writing nothing, and no e-mail address or phone number stored anywhere."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
import orjson
import pytest

from graph.imports.presets.importing import PresetOutcome, import_export
from graph.kit.connection import Database, fetch_all
from graph.snapshots import store as snapshots
from graph.snapshots.export import export as snapshot_export
from schema.entities import SegmentNotFound
from schema.imports import ImportRejected
from schema.members import ViewerCannotWrite
from schema.models import Actor
from schema.presets import AccountsNeedSegment, LinksFileInvalid
from schema.vocabulary import Role
from tests.factories import SmallModel, gql, make_caller, small_model
from tests.graph.imports.presets import EMAILS, PHONE_PARTS, PHONES, PRESETS, export, links
from tests.graph.snapshots.factories import no_figures

EVIDENCE = """
query {
  evidenceItems(first: 100) {
    totalCount
    nodes {
      summary sourceRef sourceType observedAt
      account { name }
      bears { stance strength proposition { id } }
    }
  }
}
"""

A, B = "A", "B"
# Per preset: items written, and one of them (found by how its summary starts): its account,
# when it was observed, and its bearings (proposition, stance, strength).
EXPECTED: dict[str, tuple[int, str, str | None, str, set[tuple[str, str, float]]]] = {
    "zendesk": (
        3,
        "Setup took our admin two weeks",
        "Northwind Traders",
        "2026-03-04T10:22:41+00:00",
        {(A, "SUPPORTS", 0.8), (B, "SUPPORTS", 1.0)},
    ),
    "intercom": (
        2,
        "Hi! Setting up the workspace",
        None,
        "2026-03-04T10:00:00+00:00",
        {(A, "SUPPORTS", 1.0), (B, "CONTRADICTS", 0.5)},
    ),
    "gong": (
        2,
        "Honestly, setup took our admin two weeks.",
        "Northwind Traders",
        "2026-02-18T18:31:12+00:00",
        {(A, "SUPPORTS", 1.0), (B, "SUPPORTS", 1.0)},
    ),
    "productboard": (
        2,
        "Needs bulk import\nCustomer says: we keep a spreadsheet",
        "Contoso",
        "2026-01-15T09:12:33.412+00:00",
        {(A, "SUPPORTS", 1.0), (B, "SUPPORTS", 1.0)},
    ),
    "dovetail": (
        3,
        "Honestly our real tool is a shared spreadsheet.",
        None,
        "2026-04-02T03:20:00+00:00",
        {(B, "SUPPORTS", 1.0)},
    ),
    "typeform": (
        2,
        "We gave up on the importer and use a spreadsheet.",
        "Northwind Traders",
        "2026-05-03T08:04:51+00:00",
        {(A, "SUPPORTS", 1.0), (B, "SUPPORTS", 1.0)},
    ),
    "salesforce": (
        3,
        "Northwind - Platform\nStage: Closed Lost\nLoss reason: Implementation effort",
        "Northwind Traders",
        "2026-03-31T00:00:00+00:00",
        {(A, "SUPPORTS", 1.0)},
    ),
    "canny": (
        2,
        "Bulk edit for records",
        None,
        "2026-02-10T16:20:00+00:00",
        {(B, "SUPPORTS", 1.0)},
    ),
}


async def _model(db: Database) -> SmallModel:
    return await small_model(db, segment="Mid-market ops", account="Northwind Traders", pains=2)


async def _import(
    db: Database, actor: Actor, model: SmallModel, preset: str, raw: bytes | None = None, **kw: Any
) -> PresetOutcome:
    return await import_export(
        db,
        actor,
        preset,
        export(preset) if raw is None else raw,
        links(preset, *model.experiences),
        **{"segment": model.segment_id, **kw},
    )


async def _evidence(client: httpx.AsyncClient, caller: Any) -> dict[str, Any]:
    body = await gql(client, caller, EVIDENCE)
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["evidenceItems"]  # type: ignore[index]
    return found


@pytest.mark.parametrize("preset", PRESETS)
async def test_a_tools_export_is_written_as_evidence_and_resent_writes_nothing(
    db: Database, client: httpx.AsyncClient, preset: str
) -> None:
    model = await _model(db)
    caller = await make_caller(db, "success")
    count, start, account, observed, bears = EXPECTED[preset]
    first = await _import(db, caller.actor, model, preset)
    assert first.result is not None and first.result.created == count
    assert first.report.items == count and first.report.unmatched == 1
    written = await _evidence(client, caller)
    assert written["totalCount"] == count
    (item,) = [n for n in written["nodes"] if n["summary"].startswith(start)]
    names = {"A": model.experiences[0], "B": model.experiences[1]}
    assert (item["account"] or {}).get("name") == account
    assert datetime.fromisoformat(item["observedAt"]) == datetime.fromisoformat(observed)
    assert {(b["proposition"]["id"], b["stance"], b["strength"]) for b in item["bears"]} == {
        (names[p], stance, strength) for p, stance, strength in bears
    }
    again = await _import(db, caller.actor, model, preset)
    assert again.result is not None
    assert (again.result.created, again.result.already_present) == (0, count)
    assert (await _evidence(client, caller))["totalCount"] == count


async def test_an_export_with_ten_new_records_writes_ten(db: Database) -> None:
    model = await _model(db)
    actor = (await make_caller(db, "success")).actor
    await _import(db, actor, model, "zendesk")
    document = orjson.loads(export("zendesk"))
    for n in range(10):
        document["tickets"].append(
            {"id": 60000 + n, "subject": f"Onboarding stuck at step {n}", "tags": ["onboarding"]}
        )
    outcome = await _import(db, actor, model, "zendesk", orjson.dumps(document))
    assert outcome.result is not None
    assert (outcome.result.created, outcome.result.already_present) == (10, 3)


async def test_two_teams_importing_the_same_export_count_each_record_once(db: Database) -> None:
    model = await _model(db)
    support = (await make_caller(db, "success")).actor
    sales = (await make_caller(db, "sales")).actor
    await _import(db, support, model, "canny")
    outcome = await _import(db, sales, model, "canny")
    assert outcome.result is not None
    assert (outcome.result.created, outcome.result.already_present) == (0, 2)


async def _counts(db: Database) -> tuple[int, int]:
    async def work(tx: Any) -> tuple[int, int]:
        rows = await fetch_all(
            tx,
            "MATCH (e:Evidence) WITH count(e) AS ev "
            "MATCH (a:Account) RETURN ev, count(a) AS accounts",
        )
        return rows[0]["ev"], rows[0]["accounts"]

    return await db.read(work)


async def test_a_dry_run_reports_per_link_and_writes_nothing(db: Database) -> None:
    model = await _model(db)
    actor = (await make_caller(db, "success")).actor
    outcome = await _import(db, actor, model, "zendesk", dry_run=True)
    assert outcome.result is None
    report = outcome.report
    assert [(c.test, c.records) for c in report.links] == [
        ("tag onboarding", 2),
        ("text /(?i)spreadsheet/", 2),
        ("via.channel = web", 1),
    ]
    assert (report.records, report.matched, report.unmatched_ids) == (4, 3, ["48215"])
    assert report.accounts_matched == 1  # Northwind Traders, by name
    assert [(a.external_id, a.name) for a in report.accounts_to_create] == [("509975", "Fabrikam")]
    assert await _counts(db) == (0, 1)


async def test_organisations_are_created_once_in_the_segment_and_found_by_id_after(
    db: Database, client: httpx.AsyncClient
) -> None:
    model = await _model(db)
    caller = await make_caller(db, "product")
    await _import(db, caller.actor, model, "productboard")
    assert await _counts(db) == (2, 3)  # Contoso and fabrikam.example created
    renamed = orjson.loads(export("productboard"))
    renamed["data"][0]["company"]["name"] = "Contoso Ltd"
    renamed["data"][0]["id"] = "a-new-note"
    # Another function imports the next export: the same account, found by its Productboard id.
    other = (await make_caller(db, "success")).actor
    await _import(db, other, model, "productboard", orjson.dumps(renamed))
    assert await _counts(db) == (3, 3)
    body = await gql(client, caller, "{ entities(kind: ACCOUNT, first: 10) { nodes { name } } }")
    assert "errors" not in body, body
    nodes = body["data"]["entities"]["nodes"]  # type: ignore[index]
    assert {n["name"] for n in nodes} == {"Northwind Traders", "Contoso", "fabrikam.example"}


async def test_without_a_segment_new_organisations_are_refused_and_nothing_written(
    db: Database,
) -> None:
    model = await _model(db)
    actor = (await make_caller(db, "success")).actor
    with pytest.raises(AccountsNeedSegment, match="Fabrikam"):
        await _import(db, actor, model, "zendesk", segment=None)
    assert await _counts(db) == (0, 1)
    with pytest.raises(SegmentNotFound, match="Mid-market opps"):
        await _import(db, actor, model, "canny", segment="Mid-market opps")


async def test_a_malformed_record_rejects_the_export_and_nothing_is_written(db: Database) -> None:
    model = await _model(db)
    actor = (await make_caller(db, "success")).actor
    document = orjson.loads(export("salesforce"))
    document["records"][3]["CloseDate"] = "31/06/2026"
    with pytest.raises(ImportRejected) as rejected:
        await _import(db, actor, model, "salesforce", orjson.dumps(document))
    assert [(p.row, p.column) for p in rejected.value.problems] == [(3, "CloseDate")]
    assert await _counts(db) == (0, 1)


async def test_a_link_to_a_proposition_that_does_not_exist_names_the_link(db: Database) -> None:
    model = await _model(db)
    actor = (await make_caller(db, "success")).actor
    with pytest.raises(LinksFileInvalid, match=r"links\[1\]: proposition 'prop-nope'"):
        await import_export(
            db,
            actor,
            "canny",
            export("canny"),
            links("canny", model.experiences[0], "prop-nope"),
            segment=model.segment_id,
        )


async def test_a_viewer_may_not_import_but_may_dry_run(db: Database) -> None:
    model = await _model(db)
    viewer = (await make_caller(db, "success", Role.VIEWER)).actor
    with pytest.raises(ViewerCannotWrite):
        await _import(db, viewer, model, "canny")
    assert (await _import(db, viewer, model, "canny", dry_run=True)).report.items == 2


async def test_no_email_or_phone_is_stored_in_the_graph_or_a_snapshot(db: Database) -> None:
    model = await _model(db)
    actor = (await make_caller(db, "success")).actor
    for preset in PRESETS:
        await _import(db, actor, model, preset)

    async def everything(tx: Any) -> list[Any]:
        rows = await fetch_all(
            tx,
            "MATCH (n) OPTIONAL MATCH (n)-[r]->() "
            "RETURN properties(n) AS node, collect(properties(r)) AS links",
        )
        return [dict(row) for row in rows]

    graph = json.dumps(await db.read(everything), default=str)
    assert "Setup took our admin two weeks" in graph  # the dump holds the evidence
    info, _ = await snapshots.create(db, Actor.system(), no_figures, label="after imports")
    snapshot = b"".join([p async for p in snapshot_export(db, info.id, "json")]).decode()
    assert "Setup took our admin two weeks" in snapshot
    for stored in (graph, snapshot):
        assert not [e for e in EMAILS if e in stored]
        assert not [p for p in PHONES + PHONE_PARTS if p in stored]
