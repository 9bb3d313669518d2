"""Bulk import of evidence over REST (and GraphQL's importEvidence): mapped columns,
whole-file validation, idempotent resends, visibility only once complete, and a 100k-row
file streamed in."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from neo4j import AsyncManagedTransaction

from graph import entities, evidence, imports, propositions
from graph.kit.connection import ConnectionTarget, Database, fetch_one
from graph.support import SupportSettings, support_for
from schema.models import Actor, EntityCreate, PropositionCreate
from schema.vocabulary import DEFAULT_RELIABILITY, EntityKind, Relation, Role
from tests.api.apphelpers import app_client, graph_fingerprint
from tests.factories import gql, make_caller, settings_for_target

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

IMPORT = "/api/v1/evidence:import"

TICKET_MAPPING = {
    "summary": "Ticket subject",
    "observed_at": "Created",
    "source_ref": "Ticket ID",
    "account_id": "Org ID",
    "proposition_id": "Proposition",
    "stance": "Stance",
    "strength": "Strength",
    "magnitude": "Score",
    "source_type": {"const": "support_ticket"},
    "idempotency_key": "Ticket ID",
}
TICKET_HEADER = "Ticket ID,Ticket subject,Created,Org ID,Proposition,Stance,Strength,Score\n"


async def _model(db: Database, pains: int = 3) -> tuple[list[str], str]:
    """A segment with an account and ``pains`` EXPERIENCES propositions."""
    now = datetime.now(UTC)
    actor = Actor.system()

    async def build(tx: AsyncManagedTransaction) -> tuple[list[str], str]:
        segment, _ = await entities.create(
            tx, actor, EntityCreate(kind=EntityKind.SEGMENT, name="Mid-market ops"), now
        )
        account, _ = await entities.create(
            tx,
            actor,
            EntityCreate(kind=EntityKind.ACCOUNT, name="Northwind", segment_id=segment.id),
            now,
        )
        ids = []
        for n in range(pains):
            pain, _ = await entities.create(
                tx, actor, EntityCreate(kind=EntityKind.PAIN, name=f"Pain {n}"), now
            )
            prop, _ = await propositions.create(
                tx,
                actor,
                PropositionCreate(
                    subject_id=segment.id, relation=Relation.EXPERIENCES, object_id=pain.id
                ),
                now,
            )
            ids.append(prop.id)
        return ids, account.id

    return await db.write(build)


async def _evidence_count(db: Database) -> int:
    return await db.read(evidence.count)


async def _visible_supporting(db: Database, proposition_id: str) -> int:
    found = await db.read(
        support_for,
        SupportSettings(dict(DEFAULT_RELIABILITY)),
        as_of=datetime.now(UTC),
        ids=[proposition_id],
    )
    return found[proposition_id].supporting_count if proposition_id in found else 0


def _tickets(props: list[str], account: str, rows: int, start: int = 0) -> str:
    lines = [TICKET_HEADER]
    for n in range(start, start + rows):
        stance = "supports" if n % 3 else "Contradicts"
        lines.append(
            f'{10000 + n},"Ticket {n}: setup, again",2026-03-{1 + n % 28:02d} 10:22,{account},'
            f"{props[n % len(props)]},{stance},0.{1 + n % 9},{1 + n % 5}\n"
        )
    return "".join(lines)


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
    props, account = await _model(db)
    success = await make_caller(db, "success")
    body = _tickets(props, account, 30)
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
    assert await _evidence_count(db) == 30
    # Only the new Import node and its audit entry were added.
    after = await graph_fingerprint(db)
    assert after[1] == before[1] + 2 and after[2] == before[2]


async def test_a_bad_row_rejects_the_whole_file_with_a_row_numbered_report(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await _model(db)
    pm = await make_caller(db, "product")
    lines = _tickets(props, account, 40).splitlines(keepends=True)
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
    props, account = await _model(db)
    pm = await make_caller(db, "product")
    body = _tickets(props, account, 250).replace(props[0], "prop-gone")
    response = await _post(client, pm.headers, body)
    assert response.status_code == 422
    report = response.json()
    assert report["problem_count"] == 84  # every third row names the missing proposition
    assert len(report["problems"]) == 84
    body = _tickets(props, account, 250).replace(",supports,", ",nope,")
    report = (await _post(client, pm.headers, body)).json()
    assert report["problem_count"] == 166 and len(report["problems"]) == 100
    assert report["problems"][0]["row"] == 3
    assert await _evidence_count(db) == 0


async def test_json_lines_with_nested_fields_and_translated_values(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await _model(db)
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
    props, _ = await _model(db)
    pm = await make_caller(db, "product")
    body = "summary,source_type,proposition_id,stance\n" + "".join(
        f"Interview {n},interview,{props[0]},SUPPORTS\n" for n in range(5)
    )
    body += f"Interview 0,interview,{props[0]},SUPPORTS\n"  # the same row twice
    first = (await _post(client, pm.headers, body, mapping=None)).json()
    assert (first["rows"], first["created"], first["duplicates"]) == (6, 5, 1)
    second = (await _post(client, pm.headers, body, mapping=None)).json()
    assert (second["created"], second["already_present"]) == (0, 5)
    assert await _evidence_count(db) == 5


async def test_an_import_counts_only_once_its_last_batch_commits(db: Database) -> None:
    props, account = await _model(db, pains=1)
    actor = (await make_caller(db, "success")).actor
    raw = io.BytesIO(_tickets(props, account, 25).encode())
    validated = await imports.validate(
        db, raw, imports.ImportFormat.CSV, imports.ColumnMapping.parse(TICKET_MAPPING)
    )
    seen_during: list[tuple[int, int]] = []

    async def after_batch(done: int, total: int) -> None:
        seen_during.append((done, await _visible_supporting(db, props[0])))

    result = await imports.write(db, actor, validated, batch_size=10, progress=after_batch)
    validated.close()
    assert [done for done, _ in seen_during] == [10, 20, 25]
    assert [visible for _, visible in seen_during] == [0, 0, 0]
    assert await _evidence_count(db) == 25
    assert await _visible_supporting(db, props[0]) == 16  # the rows not on every third
    status = await db.read(imports.get, result.import_id)
    assert status is not None and status["status"] == "complete"


async def test_an_interrupted_import_stays_invisible_and_a_resend_completes_it(
    db: Database,
) -> None:
    props, account = await _model(db, pains=1)
    actor = (await make_caller(db, "success")).actor
    mapping = imports.ColumnMapping.parse(TICKET_MAPPING)
    data = _tickets(props, account, 30).encode()

    async def crash_after_first(done: int, total: int) -> None:
        raise ConnectionError("the client went away")

    validated = await imports.validate(db, io.BytesIO(data), imports.ImportFormat.CSV, mapping)
    with pytest.raises(ConnectionError):
        await imports.write(db, actor, validated, batch_size=12, progress=crash_after_first)
    validated.close()
    assert await _evidence_count(db) == 12
    assert await _visible_supporting(db, props[0]) == 0
    failed = await db.read(_import_statuses)
    assert failed == ["failed"]

    validated = await imports.validate(db, io.BytesIO(data), imports.ImportFormat.CSV, mapping)
    result = await imports.write(db, actor, validated, batch_size=12)
    validated.close()
    assert (result.created, result.already_present) == (18, 12)
    assert await _evidence_count(db) == 30
    assert await _visible_supporting(db, props[0]) == 20


async def _import_statuses(tx: AsyncManagedTransaction) -> list[str]:
    row = await fetch_one(tx, "MATCH (i:Import) RETURN collect(i.status) AS statuses")
    return list(row["statuses"]) if row else []


async def test_who_may_import_and_what_the_request_must_say(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await _model(db)
    body = _tickets(props, account, 3)
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
    assert await _evidence_count(db) == 0


IMPORT_EVIDENCE = """
mutation($data: String!, $format: EvidenceFileFormat, $mapping: JSON) {
  importEvidence(data: $data, format: $format, mapping: $mapping) {
    importId status rows created alreadyPresent duplicates
  }
}"""


async def test_a_tool_imports_a_whole_file_through_graphql_as_through_rest(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await _model(db)
    success = await make_caller(db, "success")
    body = _tickets(props, account, 30)
    first = await gql(
        client, success, IMPORT_EVIDENCE, data=body, format="CSV", mapping=TICKET_MAPPING
    )
    assert "errors" not in first, first
    summary = first["data"]["importEvidence"]
    assert (summary["rows"], summary["created"], summary["alreadyPresent"]) == (30, 30, 0)
    assert summary["status"] == "complete"
    items = await db.read(evidence.for_proposition, props[1], datetime.now(UTC))
    assert len(items) == 10 and items[0].import_id == summary["importId"]
    assert items[0].function == "success" and items[0].source_type == "support_ticket"

    # JSON Lines (the default format) with the same rows: keyed alike, nothing new.
    lines = "".join(
        json.dumps(
            {
                "summary": f"Ticket {n}: setup, again",
                "source_type": "support_ticket",
                "proposition_id": props[n % 3],
                "stance": "SUPPORTS" if n % 3 else "CONTRADICTS",
                "idempotency_key": str(10000 + n),
            }
        )
        + "\n"
        for n in range(30)
    )
    again = await gql(client, success, IMPORT_EVIDENCE, data=lines)
    assert again["data"]["importEvidence"]["alreadyPresent"] == 30
    assert await _evidence_count(db) == 30


async def test_a_bad_file_through_graphql_is_refused_whole_with_the_problems_by_row(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await _model(db)
    pm = await make_caller(db, "product")
    viewer = await make_caller(db, "sales", Role.VIEWER)
    lines = _tickets(props, account, 10).splitlines(keepends=True)
    lines[5] = lines[5].replace("supports", "maybe").replace("Contradicts", "maybe")
    before = await graph_fingerprint(db)
    refused = await gql(
        client, pm, IMPORT_EVIDENCE, data="".join(lines), format="CSV", mapping=TICKET_MAPPING
    )
    (error,) = refused["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["problemCount"] == 1
    (problem,) = error["extensions"]["problems"]
    assert (problem["row"], problem["column"]) == (6, "Stance")
    assert "SUPPORTS or CONTRADICTS" in problem["message"]
    assert "nothing was written" in error["message"]

    forbidden = await gql(client, viewer, IMPORT_EVIDENCE, data=_tickets(props, account, 2))
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad_mapping = await gql(client, pm, IMPORT_EVIDENCE, data="{}", mapping={"subject": "x"})
    assert bad_mapping["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # A lone surrogate, which JSON can carry ("\ud800") but UTF-8 and so Neo4j cannot.
    lone = await client.post(
        "/graphql",
        content=json.dumps({"query": IMPORT_EVIDENCE, "variables": {"data": "\ud800\n"}}),
        headers={**pm.headers, "Content-Type": "application/json"},
    )
    assert lone.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "valid Unicode" in lone.json()["errors"][0]["message"]
    assert await graph_fingerprint(db) == before


async def test_a_file_over_the_import_limit_is_refused_while_streaming(
    db: Database, neo4j_target: TestDatabase
) -> None:
    props, account = await _model(db)
    pm = await make_caller(db, "product")
    settings = settings_for_target(neo4j_target.target, COMMONGROUND_MAX_IMPORT_BYTES=4096)
    body = _tickets(props, account, 200).encode()
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
    assert await _evidence_count(db) == 0


async def test_the_import_bookmark_reads_its_own_write(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await _model(db)
    pm = await make_caller(db, "product")
    imported = (await _post(client, pm.headers, _tickets(props, account, 6))).json()
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
    props, account = await _model(db, pains=5)
    success = await make_caller(db, "success")
    rows = 100_000

    async def generated() -> AsyncIterator[bytes]:
        yield TICKET_HEADER.encode()
        for start in range(0, rows, 5000):
            yield _tickets(props, account, 5000, start).split("\n", 1)[1].encode()

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
        assert await _evidence_count(db) == rows
        assert await _visible_supporting(db, props[1]) == sum(
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


def _cli(target: ConnectionTarget, workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NEO4J_URI": target.uri,
        "NEO4J_USER": target.user,
        "NEO4J_PASSWORD": target.password,
        "NEO4J_DATABASE": target.database,
    }
    return subprocess.run(
        [sys.executable, "-m", "commonground.cli", "import", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def test_the_cli_imports_with_a_mapping_file_and_the_same_report(
    db: Database, neo4j_target: TestDatabase, tmp_path: Path
) -> None:
    props, account = await _model(db)
    success = await make_caller(db, "success")
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(_tickets(props, account, 12))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(TICKET_MAPPING))
    args = (str(tickets), "--mapping", str(mapping), "--member", success.member.name, "--json")

    first = await asyncio.to_thread(_cli, neo4j_target.target, tmp_path, *args)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["rows"], summary["created"]) == (12, 12)
    items = await db.read(evidence.for_proposition, props[0], datetime.now(UTC))
    assert {i.function for i in items} == {"success"}
    again = await asyncio.to_thread(_cli, neo4j_target.target, tmp_path, *args)
    assert json.loads(again.stdout)["already_present"] == 12

    bad = tmp_path / "bad.csv"
    bad.write_text(_tickets(props, account, 12).replace(",supports,", ",perhaps,", 1))
    before = await graph_fingerprint(db)
    rejected = await asyncio.to_thread(
        _cli, neo4j_target.target, tmp_path, str(bad), "--mapping", str(mapping), "--json"
    )
    assert rejected.returncode == 1
    report = json.loads(rejected.stdout)
    assert report["problems"][0]["column"] == "Stance" and report["problems"][0]["row"] == 3
    assert await graph_fingerprint(db) == before
