"""Benchmark: a preset import (Zendesk tickets with a links file) against the plain JSON Lines
import of the same rows.

Both write the same items: each ticket's subject and description as the summary, its url as
the source, its organisation's account (found by name either way), one bearing, keyed by the
ticket id. The preset import also reads the tool's nesting, matches a tag link and a regular
expression link (with its time limit) and masks e-mail addresses (one ticket in ten has one).
Runs take turns (plain, preset, plain, …) so load from elsewhere hits both alike; each run
writes new tickets, deleted again afterwards (untimed).

    python -m bench.import_presets --data-dir DIR [--items 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.generate import connect
from bench.harness import machine, ratio, summary, timed
from graph import entities, propositions
from graph.imports import validation, writing
from graph.imports.mapping import ColumnMapping
from graph.imports.presets import catalog
from graph.imports.presets.engine import scan
from graph.imports.presets.importing import import_export
from graph.imports.presets.links import Links, parse_links
from graph.imports.presets.records import Reader
from graph.kit.connection import Database
from schema.imports import ImportFormat
from schema.models import Actor, EntityCreate, PropositionCreate
from schema.vocabulary import EntityKind, Relation

DELETE_IMPORT = """
MATCH (ev:Evidence {import_id: $import_id}) DETACH DELETE ev
WITH count(*) AS deleted
MATCH (i:Import {id: $import_id}) DELETE i
"""
START = datetime(2026, 1, 1, tzinfo=UTC)


async def _model(db: Database) -> tuple[str, str]:
    """A segment with one account and one proposition; returns (proposition, account name)."""
    actor, now = Actor.system(), datetime.now(UTC)
    stamp = f"{time.time_ns()}"

    async def build(tx: Any) -> str:
        segment, _ = await entities.create(
            tx, actor, EntityCreate(kind=EntityKind.SEGMENT, name=f"Bench presets {stamp}"), now
        )
        await entities.create(
            tx,
            actor,
            EntityCreate(kind=EntityKind.ACCOUNT, name=f"Bench Org {stamp}", segment_id=segment.id),
            now,
        )
        pain, _ = await entities.create(
            tx, actor, EntityCreate(kind=EntityKind.PAIN, name=f"Bench pain {stamp}"), now
        )
        prop, _ = await propositions.create(
            tx,
            actor,
            PropositionCreate(
                subject_id=segment.id, relation=Relation.EXPERIENCES, object_id=pain.id
            ),
            now,
        )
        return prop.id

    return await db.write(build), f"Bench Org {stamp}"


def _tickets(run: int, items: int) -> list[dict[str, Any]]:
    base = 10_000_000 * (run + 1)
    return [
        {
            "url": f"https://bench.zendesk.com/api/v2/tickets/{base + n}.json",
            "id": base + n,
            "via": {"channel": "email", "source": {"from": {"address": "x@bench.example"}}},
            "created_at": (START + timedelta(minutes=n)).isoformat().replace("+00:00", "Z"),
            "subject": f"Ticket {n}: the weekly report still lives in a spreadsheet",
            "description": "Our admin rebuilt it by hand again"
            + (" — write to ops@bench.example" if n % 10 == 0 else "")
            + ".",
            "requester_id": 500 + n % 50,
            "organization_id": 42,
            "tags": ["onboarding", "reporting"],
            "status": "open",
        }
        for n in range(items)
    ]


def _plain(tickets: list[dict[str, Any]], proposition: str, account: str) -> bytes:
    rows = [
        {
            "summary": f"{t['subject']}\n{t['description']}".replace(
                "ops@bench.example", "[email]"
            ),
            "source_type": "support_ticket",
            "proposition_id": proposition,
            "stance": "SUPPORTS",
            "observed_at": t["created_at"],
            "account_id": account,
            "source_ref": t["url"],
            "idempotency_key": str(t["id"]),
        }
        for t in tickets
    ]
    return b"\n".join(orjson.dumps(row) for row in rows) + b"\n"


def _export(tickets: list[dict[str, Any]], account: str) -> bytes:
    return orjson.dumps({"tickets": tickets, "organizations": [{"id": 42, "name": account}]})


def _reading(items: int, proposition: str, account: str, links: str) -> dict[str, Any]:
    """The part of each import that needs no database: reading and checking every row (plain:
    the first pass of validation; preset: the engine's scan), median of five."""
    tickets = _tickets(0, items)
    plain_body, export = _plain(tickets, proposition, account), _export(tickets, account)
    reader = Reader.of(catalog.get("zendesk"))
    parsed = Links.of(parse_links(links))

    def plain() -> None:
        with tempfile.TemporaryFile() as clean:
            validation.first_pass(
                io.BytesIO(plain_body), ImportFormat.JSONL, ColumnMapping.parse(None), ",", clean
            )

    def preset() -> None:
        with tempfile.TemporaryFile() as clean:
            scan(reader, export, parsed, {proposition: proposition}, keep_pii=False, clean=clean)

    plain_s = summary([timed(plain)[0] for _ in range(5)])
    preset_s = summary([timed(preset)[0] for _ in range(5)])
    return {
        "plain_first_pass": plain_s,
        "preset_scan": preset_s,
        "speed_ratio_preset_over_plain": ratio(plain_s["median_s"], preset_s["median_s"]),
    }


async def _delete(db: Database, import_id: str) -> None:
    async def work(tx: Any) -> None:
        await tx.run(DELETE_IMPORT, import_id=import_id)

    await db.write(work)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    db = connect(args.data_dir)
    started = datetime.now(UTC).isoformat()
    try:
        proposition, account = await _model(db)
        actor = Actor.system()
        links = f"links:\n  - tag: onboarding\n    proposition: {proposition}\n"
        links += f'  - text: "(?i)spread\\\\s*sheet"\n    proposition: {proposition}\n'

        async def plain(run: int) -> str:
            body = _plain(_tickets(run, args.items), proposition, account)
            validated = await validation.validate(
                db, io.BytesIO(body), ImportFormat.JSONL, ColumnMapping.parse(None)
            )
            try:
                result = await writing.write(db, actor, validated)
            finally:
                validated.close()
            assert result.created == args.items, result
            return result.import_id

        async def preset(run: int) -> str:
            body = _export(_tickets(run, args.items), account)
            outcome = await import_export(db, actor, "zendesk", body, links)
            assert outcome.result is not None and outcome.result.created == args.items
            return outcome.result.import_id

        times: dict[str, list[float]] = {"plain_jsonl": [], "preset_zendesk": []}
        run = 0
        for round_ in range(args.warmup + args.runs):
            for name, work in (("plain_jsonl", plain), ("preset_zendesk", preset)):
                run += 1
                began = time.perf_counter()
                import_id = await work(run)
                elapsed = time.perf_counter() - began
                await _delete(db, import_id)
                if round_ >= args.warmup:
                    times[name].append(elapsed)
        plain_s = summary(times["plain_jsonl"])
        preset_s = summary(times["preset_zendesk"])
        return {
            "started_at": started,
            "machine": machine(),
            "items": args.items,
            "plain_jsonl": {
                **plain_s,
                "items_per_s": round(args.items / plain_s["median_s"]),
            },
            "preset_zendesk": {
                **preset_s,
                "items_per_s": round(args.items / preset_s["median_s"]),
            },
            "speed_ratio_preset_over_plain": ratio(plain_s["median_s"], preset_s["median_s"]),
            "reading_only": _reading(args.items, proposition, account, links),
        }
    finally:
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--output", type=Path, default=None)
    found = asyncio.run(main(parser.parse_args()))
    text = json.dumps(found, indent=2)
    print(text)
    output = parser.parse_args().output
    if output is not None:
        output.write_text(text + "\n")
