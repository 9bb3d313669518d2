"""Bulk import of evidence over REST: mapped columns, whole-file validation, idempotent
resends, who may import, the size limit, the import's bookmark and state, and a 100k-row
file streamed in."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
from neo4j import AsyncManagedTransaction

from graph import evidence
from graph.kit.connection import Database, fetch_one
from schema.vocabulary import Role
from tests.api.apphelpers import app_client, graph_fingerprint
from tests.factories import make_caller, settings_for_target
from tests.graph.imports.tickets import (
    TICKET_HEADER,
    TICKET_MAPPING,
    evidence_count,
    ticket_model,
    tickets_csv,
    visible_supporting,
)

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

IMPORT = "/api/v1/evidence:import"


async def _post(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    body: str | bytes,
    mapping: dict[str, object] | None = TICKET_MAPPING,
    **params: str,
) -> httpx.Response:
    query = {"format": "csv", **params}
    if mapping is not None:
        query["mapping"] = json.dumps(mapping)
    return await client.post(IMPORT, params=query, content=body, headers=headers)


async def test_a_mapped_ticket_export_imports_and_a_resend_writes_nothing_new(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await ticket_model(db)
    success = await make_caller(db, "success")
    body = tickets_csv(props, account, 30)
    first = await _post(client, success.headers, body)
    assert first.status_code == 200, first.text
    summary = first.json()
    assert (summary["rows"], summary["created"], summary["already_present"]) == (30, 30, 0)
    assert summary["status"] == "complete"

    items = await db.read(evidence.for_proposition, props[1], datetime.now(UTC))
    assert len(items) == 10
    item = items[0]
    assert item.source_type == "support_ticket"
    assert item.function == "success" and item.recorded_by == success.member.id
    assert item.account_id == account and item.import_id == summary["import_id"]
    assert item.summary is not None and item.summary.startswith("Ticket ")

    before = await graph_fingerprint(db)
    again = await _post(client, success.headers, body)
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["already_present"]) == (0, 30)
    assert await evidence_count(db) == 30
    # Only the new Import node and its audit entry were added.
    after = await graph_fingerprint(db)
    assert after[1] == before[1] + 2 and after[2] == before[2]


async def test_a_bad_row_rejects_the_whole_file_with_a_row_numbered_report(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await ticket_model(db)
    pm = await make_caller(db, "product")
    lines = tickets_csv(props, account, 40).splitlines(keepends=True)
    # Spreadsheet rows: the header is row 1, so data row n is at lines[n - 1].
    lines[5] = lines[5].replace("supports", "maybe").replace("Contradicts", "maybe")
    lines[12] = lines[12].replace(props[11 % 3], "prop-missing")
    lines[20] = lines[20].replace("2026-03-", "yesterday-")
    lines[30] = lines[30].replace(account, "acct-unknown")
    lines[33] = lines[33].replace(",0.", ",7.")
    before = await graph_fingerprint(db)

    response = await _post(client, pm.headers, "".join(lines))

    assert response.status_code == 422, response.text
    report = response.json()
    assert report["error"] == "BAD_USER_INPUT"
    problems = {(p["row"], p["column"]) for p in report["problems"]}
    assert problems == {
        (6, "Stance"),
        (13, "Proposition"),
        (21, "Created"),
        (31, "Org ID"),
        (34, "Strength"),
    }
    assert report["problem_count"] == 5
    assert [p["row"] for p in report["problems"]] == sorted(p["row"] for p in report["problems"])
    messages = {p["column"]: p["message"] for p in report["problems"]}
    assert "SUPPORTS or CONTRADICTS" in messages["Stance"]
    assert "prop-missing" in messages["Proposition"] and "does not exist" in messages["Proposition"]
    assert "ISO 8601" in messages["Created"]
    assert "acct-unknown" in messages["Org ID"]
    assert "strength" in messages["Strength"]
    assert await graph_fingerprint(db) == before


async def test_the_report_lists_the_first_hundred_problems_and_counts_them_all(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await ticket_model(db)
    pm = await make_caller(db, "product")
    body = tickets_csv(props, account, 250).replace(props[0], "prop-gone")
    response = await _post(client, pm.headers, body)
    assert response.status_code == 422
    report = response.json()
    assert report["problem_count"] == 84  # every third row names the missing proposition
    assert len(report["problems"]) == 84
    body = tickets_csv(props, account, 250).replace(",supports,", ",nope,")
    report = (await _post(client, pm.headers, body)).json()
    assert report["problem_count"] == 166 and len(report["problems"]) == 100
    assert report["problems"][0]["row"] == 3
    assert await evidence_count(db) == 0


async def test_json_lines_with_nested_fields_and_translated_values(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await ticket_model(db)
    pm = await make_caller(db, "design")
    survey = [
        {
            "response": {"id": f"r-{n}", "comment": f"Answer {n}", "at": "2026-04-02"},
            "tag": props[n % 3],
            "sentiment": "positive" if n % 2 else "negative",
            "score": 4,
        }
        for n in range(6)
    ]
    body = "\n".join(json.dumps(row) for row in survey) + "\n\n"
    mapping = {
        "summary": "response.comment",
        "observed_at": "response.at",
        "idempotency_key": "response.id",
        "proposition_id": "tag",
        "stance": {
            "column": "sentiment",
            "values": {"positive": "SUPPORTS", "negative": "CONTRADICTS"},
        },
        "magnitude": "score",
        "source_type": {"const": "survey"},
    }
    response = await client.post(
        IMPORT,
        content=body,
        headers={
            **pm.headers,
            "Content-Type": "application/x-ndjson",
            "X-Import-Mapping": json.dumps(mapping),
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 6
    items = await db.read(evidence.for_proposition, props[1], datetime.now(UTC))
    assert {i.bears[0].stance.value for i in items} == {"SUPPORTS", "CONTRADICTS"}
    assert all(i.source_type == "survey" and i.observed_at.year == 2026 for i in items)

    bad = body.replace('"negative"', '"meh"', 1).replace('"r-4"', "null")
    bad = bad.replace(props[2], "prop-missing")  # rows n = 2 and 5
    report = (
        await client.post(
            IMPORT,
            content="not json\n" + bad,
            headers={
                **pm.headers,
                "Content-Type": "application/x-ndjson",
                "X-Import-Mapping": json.dumps(mapping),
            },
        )
    ).json()
    # A bad first line does not stop the rest of the file from being checked, ids included.
    assert [(p["row"], p["column"]) for p in report["problems"]] == [
        (1, None),
        (2, "sentiment"),
        (4, "tag"),
        (7, "tag"),
    ]


async def test_files_without_an_idempotency_column_are_keyed_by_content(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, _ = await ticket_model(db)
    pm = await make_caller(db, "product")
    body = "summary,source_type,proposition_id,stance\n" + "".join(
        f"Interview {n},interview,{props[0]},SUPPORTS\n" for n in range(5)
    )
    body += f"Interview 0,interview,{props[0]},SUPPORTS\n"  # the same row twice
    first = (await _post(client, pm.headers, body, mapping=None)).json()
    assert (first["rows"], first["created"], first["duplicates"]) == (6, 5, 1)
    second = (await _post(client, pm.headers, body, mapping=None)).json()
    assert (second["created"], second["already_present"]) == (0, 5)
    assert await evidence_count(db) == 5


async def test_who_may_import_and_what_the_request_must_say(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await ticket_model(db)
    body = tickets_csv(props, account, 3)
    assert (await _post(client, {}, body)).status_code == 401
    viewer = await make_caller(db, "sales", Role.VIEWER)
    forbidden = await _post(client, viewer.headers, body)
    assert forbidden.status_code == 403 and forbidden.json()["error"] == "FORBIDDEN"
    pm = await make_caller(db, "product")
    unknown = await client.post(IMPORT, content=body, headers=pm.headers)
    assert unknown.status_code == 415 and "format=csv" in unknown.text
    bad_mapping = await _post(client, pm.headers, body, mapping={"subject": "Ticket subject"})
    assert bad_mapping.status_code == 400 and "'subject'" in bad_mapping.json()["message"]
    not_json = await client.post(
        IMPORT, params={"format": "csv", "mapping": "{nope"}, content=body, headers=pm.headers
    )
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["message"]
    missing_column = await _post(
        client, pm.headers, body, mapping={**TICKET_MAPPING, "summary": "Subject"}
    )
    assert missing_column.status_code == 422
    assert "'Subject'" in missing_column.json()["problems"][0]["message"]
    empty = await _post(client, pm.headers, "")
    assert empty.status_code == 422 and "header" in empty.json()["problems"][0]["message"]
    assert await evidence_count(db) == 0


async def test_a_file_over_the_import_limit_is_refused_while_streaming(
    db: Database, neo4j_target: TestDatabase
) -> None:
    props, account = await ticket_model(db)
    pm = await make_caller(db, "product")
    settings = settings_for_target(neo4j_target.target, COMMONGROUND_MAX_IMPORT_BYTES=4096)
    body = tickets_csv(props, account, 200).encode()
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for start in range(0, len(body), 1024):
            sent += 1
            yield body[start : start + 1024]

    async with app_client(settings, db) as http:
        declared = await http.post(
            IMPORT,
            params={"format": "csv", "mapping": json.dumps(TICKET_MAPPING)},
            content=body,
            headers=pm.headers,
        )
        streamed = await http.post(
            IMPORT,
            params={"format": "csv", "mapping": json.dumps(TICKET_MAPPING)},
            content=chunks(),
            headers=pm.headers,
        )
    assert declared.status_code == 413 and "4096" in declared.text
    assert streamed.status_code == 413
    assert sent < len(body) // 1024  # refused before the whole body was read
    assert await evidence_count(db) == 0


async def test_the_import_bookmark_reads_its_own_write(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await ticket_model(db)
    pm = await make_caller(db, "product")
    imported = (await _post(client, pm.headers, tickets_csv(props, account, 6))).json()
    status = await client.get(
        f"/api/v1/imports/{imported['import_id']}",
        headers={**pm.headers, "X-Bookmark": imported["bookmark"]},
    )
    assert status.status_code == 200 and status.json()["status"] == "complete"
    assert status.json()["created"] == 6
    response = await client.post(
        "/graphql",
        json={
            "query": "query($id: ID!) { proposition(id: $id) { id } }",
            "variables": {"id": props[0]},
        },
        headers={**pm.headers, "X-Bookmark": imported["bookmark"]},
    )
    assert response.json()["data"]["proposition"]["id"] == props[0]
    missing = await client.get("/api/v1/imports/import-nope", headers=pm.headers)
    assert missing.status_code == 404


async def test_a_hundred_thousand_rows_stream_in_and_count_once_complete(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await ticket_model(db, pains=5)
    success = await make_caller(db, "success")
    rows = 100_000

    async def generated() -> AsyncIterator[bytes]:
        yield TICKET_HEADER.encode()
        for start in range(0, rows, 5000):
            yield tickets_csv(props, account, 5000, start).split("\n", 1)[1].encode()

    try:
        response = await client.post(
            IMPORT,
            params={"format": "csv", "mapping": json.dumps(TICKET_MAPPING)},
            content=generated(),
            headers=success.headers,
        )
        assert response.status_code == 200, response.text[:2000]
        summary = response.json()
        assert (summary["rows"], summary["created"], summary["already_present"]) == (
            rows,
            rows,
            0,
        )
        assert await evidence_count(db) == rows
        assert await visible_supporting(db, props[1]) == sum(
            1 for n in range(rows) if n % 5 == 1 and n % 3
        )
    finally:
        # The next test's one-query wipe of 100k items would exceed a small database's
        # transaction memory; delete them in slices.
        while await db.write(_delete_some_evidence):
            pass


async def _delete_some_evidence(tx: AsyncManagedTransaction) -> int:
    row = await fetch_one(
        tx, "MATCH (ev:Evidence) WITH ev LIMIT 10000 DETACH DELETE ev RETURN count(*) AS n"
    )
    return int(row["n"]) if row else 0


async def test_an_export_naming_accounts_and_giving_percentages_imports(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await ticket_model(db, pains=1)  # the account is named "Northwind"
    success = await make_caller(db, "success")
    given = [("Northwind", "60%"), (" northwind ", "0.6"), ("NORTHWIND", "1")]
    lines = [TICKET_HEADER] + [
        f"{20000 + n},Ticket {n},2026-03-0{n + 1} 10:00,{org},{props[0]},supports,{strength},3\n"
        for n, (org, strength) in enumerate(given)
    ]
    response = await _post(client, success.headers, "".join(lines))
    assert response.status_code == 200, response.text

    items = await db.read(evidence.for_proposition, props[0], datetime.now(UTC))
    assert {item.account_id for item in items} == {account}
    assert sorted(item.bears[0].strength for item in items) == [0.6, 0.6, 1.0]


async def test_a_member_runs_at_most_the_configured_imports_at_once(
    db: Database, neo4j_target: TestDatabase
) -> None:
    props, account = await ticket_model(db)
    pm = await make_caller(db, "product")
    other = await make_caller(db, "sales")
    settings = settings_for_target(neo4j_target.target, COMMONGROUND_MAX_IMPORTS_PER_MEMBER=1)
    body = tickets_csv(props, account, 4).encode()
    reading, release = asyncio.Event(), asyncio.Event()

    async def held_open() -> AsyncIterator[bytes]:
        yield body[:10]
        reading.set()  # the first import is being read: it holds its member's one slot
        await release.wait()
        yield body[10:]

    async with app_client(settings, db) as http:
        first = asyncio.create_task(_post(http, pm.headers, held_open()))
        await reading.wait()
        refused = await _post(http, pm.headers, body)
        by_other = await _post(http, other.headers, body)
        release.set()
        done = await first
        after = await _post(http, pm.headers, body)
    assert refused.status_code == 409, refused.text
    assert "at once" in refused.json()["message"]
    assert by_other.status_code == 200 and done.status_code == 200
    assert after.status_code == 200  # the slot is given back when an import ends


async def test_a_line_over_the_line_limit_is_refused_with_its_number(
    db: Database, neo4j_target: TestDatabase
) -> None:
    props, account = await ticket_model(db)
    pm = await make_caller(db, "product")
    settings = settings_for_target(neo4j_target.target, COMMONGROUND_MAX_IMPORT_LINE_BYTES=2048)
    line = json.dumps(
        {"summary": "x", "source_type": "interview", "proposition_id": props[0], "stance": "S"}
    )
    long_line = json.dumps({"summary": "y" * 5000, "proposition_id": props[0]})
    body = "\n".join([line.replace('"S"', '"SUPPORTS"'), long_line, line]) + "\n"
    async with app_client(settings, db) as http:
        csv_body = TICKET_HEADER + "1," + "z" * 3000 + ",2026-03-01,,p,supports,1,1\n"
        jsonl = await _post(http, pm.headers, body, mapping=None, format="jsonl")
        csv = await _post(http, pm.headers, csv_body)
    assert jsonl.status_code == 422
    problems = jsonl.json()["problems"]
    assert [p["row"] for p in problems] == [2, 3]
    assert "longer than the limit of 2,048 bytes" in problems[0]["message"]
    assert csv.status_code == 422
    assert csv.json()["problems"][0]["row"] == 2
    assert "longer than the limit" in csv.json()["problems"][0]["message"]
    assert await evidence_count(db) == 0
