"""Open workshop pages hear of a decision falling at risk: a ``decision-at-risk`` event on the
page's event stream, once, when a write puts the decision at risk."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from api.rest.workshop.events import ChangeFeed, stream
from graph.decisions.watch import AT_RISK
from graph.kit.connection import Database
from schema.vocabulary import Stance
from tests.factories import make_caller, settings_for_target
from tests.graph.test_decisions import add, at, decide, validated_pain
from tests.live_server import serve

if TYPE_CHECKING:  # imported for the annotation only: pytest would try to collect it
    from tests.conftest import TestDatabase

API = "/api/v1/workshop"
WIZARD = {"id": "dec-1", "title": "Build the wizard"}


def stamps(model: str, *at_risk: dict[str, str]) -> dict[str, str | None]:
    return {"model": model, "votes": None, AT_RISK: json.dumps(list(at_risk)) if at_risk else None}


async def events_of(feed: ChangeFeed, sent: list[dict[str, str | None]]) -> list[tuple[str, Any]]:
    """The events a page gets while the feed's stamps go through ``sent``."""
    queue = feed.subscribe()

    async def read() -> list[bytes]:
        return [p async for p in stream(feed, queue, _never, keepalive_s=5)]

    reading = asyncio.create_task(read())
    for s in [*sent, None]:  # None, as when the server shuts down: the stream ends
        await queue.put(s)
    pieces = await reading
    events = []
    for piece in pieces:
        lines = piece.decode().splitlines()
        if lines and lines[0].startswith("event: "):
            events.append((lines[0][7:], json.loads(lines[1][6:])))
    return events


async def _never() -> bool:
    return False


async def _stamps_unused() -> dict[str, str | None]:
    raise AssertionError("not polled in this test")


async def test_a_page_hears_once_of_a_decision_falling_at_risk() -> None:
    for sent, expected in [
        ([stamps("1"), stamps("2", WIZARD)], [{"decisions": [WIZARD]}]),
        ([stamps("1", WIZARD), stamps("2", WIZARD)], []),  # at risk before: nothing new
        ([stamps("1"), stamps("2")], []),
    ]:
        feed = ChangeFeed(_stamps_unused)
        feed.latest = sent[0]
        queue_events = await events_of(feed, sent[1:])
        fallen = [data for name, data in queue_events if name == "decision-at-risk"]
        assert fallen == expected
        assert [name for name, _ in queue_events].count("change") == len(sent)


async def next_event(lines: Any, wanted: str) -> dict[str, Any]:
    event = None
    async for line in lines:
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == wanted:
            data: dict[str, Any] = json.loads(line.removeprefix("data: "))
            return data
    raise AssertionError("the event stream ended")


async def test_evidence_that_puts_a_decision_at_risk_reaches_an_open_page(
    db: Database, neo4j_target: TestDatabase
) -> None:
    pid = await validated_pain(db)
    decision_id = await decide(db, [pid], at(1), title="Ship the wizard")
    member = await make_caller(db, "product")
    with serve(settings_for_target(neo4j_target.target)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            headers = {**member.headers, "Accept": "text/event-stream"}
            async with http.stream("GET", f"{API}/events", headers=headers) as events:
                lines = events.aiter_lines()
                first = await asyncio.wait_for(next_event(lines, "change"), 30)
                assert first[AT_RISK] is None
                # Recorded now: the feed checks the decisions again when the newest write moves.
                await add(db, pid, Stance.CONTRADICTS, 6, datetime.now(UTC))
                heard = await asyncio.wait_for(next_event(lines, "decision-at-risk"), 30)
    assert heard == {"decisions": [{"id": decision_id, "title": "Ship the wizard"}]}
