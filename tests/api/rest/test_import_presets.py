"""A tool's export over REST: `POST /api/v1/evidence:import?preset=P` with a multipart body
(`file` the export, `links` the links file), a dry run, a refused export and the errors of a
request that cannot be a preset import."""

from __future__ import annotations

import httpx
import orjson

from graph import evidence
from graph.kit.connection import Database
from schema.vocabulary import Role
from tests.factories import gql, make_caller, small_model
from tests.graph.imports.presets import export, links

IMPORT = "/api/v1/evidence:import"


def _parts(preset: str, raw: bytes, links_text: str) -> dict[str, tuple[str, bytes, str]]:
    return {
        "file": (f"{preset}.json", raw, "application/json"),
        "links": ("links.yaml", links_text.encode(), "application/yaml"),
    }


async def test_a_gong_export_is_imported_over_rest_and_resent_without_effect(
    db: Database, client: httpx.AsyncClient
) -> None:
    model = await small_model(db, segment="Mid-market ops", account="Northwind Traders")
    caller = await make_caller(db, "sales")
    parts = _parts("gong", export("gong"), links("gong", *model.experiences))
    params = {"preset": "gong", "segment": model.segment_id}

    dry = await client.post(
        IMPORT, params={**params, "dry_run": "true"}, files=parts, headers=caller.headers
    )
    assert dry.status_code == 200, dry.text
    assert dry.json()["import"] is None and dry.json()["report"]["items"] == 2
    assert await db.read(evidence.count) == 0

    first = await client.post(IMPORT, params=params, files=parts, headers=caller.headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["report"]["unmatched_ids"], body["import"]["created"]) == (
        ["7782342274025937897"],
        2,
    )
    found = await gql(
        client,
        caller,
        "{ evidenceItems(first: 10) { nodes { summary sourceType function } } }",
    )
    nodes = found["data"]["evidenceItems"]["nodes"]  # type: ignore[index]
    assert {n["sourceType"] for n in nodes} == {"sales_call"}
    assert {n["function"] for n in nodes} == {"sales"}
    assert any(n["summary"].startswith("Honestly, setup took") for n in nodes)
    again = await client.post(IMPORT, params=params, files=parts, headers=caller.headers)
    assert again.json()["import"]["already_present"] == 2


async def test_a_malformed_record_is_refused_with_its_index_and_nothing_written(
    db: Database, client: httpx.AsyncClient
) -> None:
    model = await small_model(db, segment="Ops", account=None)
    caller = await make_caller(db, "product")
    document = orjson.loads(export("dovetail"))
    document["data"][1]["created_at"] = "Tuesday"
    answer = await client.post(
        IMPORT,
        params={"preset": "dovetail"},
        files=_parts("dovetail", orjson.dumps(document), links("dovetail", *model.experiences)),
        headers=caller.headers,
    )
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["problems"]
    assert (problem["row"], problem["column"]) == (1, "created_at")
    assert await db.read(evidence.count) == 0


async def test_requests_that_cannot_be_a_preset_import_say_why(
    db: Database, client: httpx.AsyncClient
) -> None:
    model = await small_model(db, segment="Ops", account=None)
    caller = await make_caller(db, "product")
    unknown = await client.post(
        IMPORT, params={"preset": "jira"}, files={"file": ("a", b"{}")}, headers=caller.headers
    )
    assert unknown.status_code == 400 and "zendesk" in unknown.json()["message"]
    no_links = await client.post(
        IMPORT,
        params={"preset": "canny"},
        files={"file": ("posts.json", export("canny"))},
        headers=caller.headers,
    )
    assert no_links.status_code == 400 and "'links' part" in no_links.json()["message"]
    bad_links = await client.post(
        IMPORT,
        params={"preset": "canny"},
        files=_parts("canny", export("canny"), "links: [{tag: a}]"),
        headers=caller.headers,
    )
    assert bad_links.status_code == 400
    assert "links[0]: proposition" in bad_links.json()["message"]
    viewer = await make_caller(db, "product", Role.VIEWER)
    refused = await client.post(
        IMPORT,
        params={"preset": "canny"},
        files=_parts("canny", export("canny"), links("canny", *model.experiences)),
        headers=viewer.headers,
    )
    assert refused.status_code == 403
    assert await db.read(evidence.count) == 0


async def test_keep_pii_keeps_what_is_masked_by_default(
    db: Database, client: httpx.AsyncClient
) -> None:
    model = await small_model(db, segment="Ops", account=None)
    caller = await make_caller(db, "product")
    parts = _parts("canny", export("canny"), links("canny", *model.experiences))
    params = {"preset": "canny", "keep_pii": "true"}
    answer = await client.post(IMPORT, params=params, files=parts, headers=caller.headers)
    assert answer.status_code == 200, answer.text
    found = await gql(client, caller, "{ evidenceItems(first: 10) { nodes { summary } } }")
    summaries = [n["summary"] for n in found["data"]["evidenceItems"]["nodes"]]  # type: ignore[index]
    assert any("+1 206 555 0188" in s for s in summaries)
