"""Live updates: the change feed and its event stream, and across API replicas (a page
subscribed to one server hears about a ballot cast through another, because the change stamps
live in Neo4j, not in a process)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx

from api.rest.workshop.events import ChangeFeed, stream
from graph import votes
from graph.kit.connection import Database
from schema.vocabulary import Role
from schema.votes import BallotCast, VoteOpen
from tests.factories import make_caller, settings_for_target
from tests.graph.test_votes import two_propositions
from tests.live_server import serve

if TYPE_CHECKING:  # imported for the annotation only: pytest would try to collect it
    from tests.conftest import TestDatabase

API = "/api/v1/workshop"


async def next_change(lines: object) -> dict[str, str | None]:
    """The data of the next ``change`` event on an SSE line stream."""
    event = None
    async for line in lines:  # type: ignore[attr-defined]
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == "change":
            data: dict[str, str | None] = json.loads(line.removeprefix("data: "))
            return data
    raise AssertionError("the event stream ended")


async def test_a_ballot_cast_on_one_replica_reaches_a_page_on_another(
    db: Database, neo4j_target: TestDatabase
) -> None:
    _, pain, _ = await two_propositions(db)
    facilitator = await make_caller(db, "design", Role.FACILITATOR)
    member = await make_caller(db, "product")
    settings = settings_for_target(neo4j_target.target)
    with serve(settings) as replica_a, serve(settings) as replica_b:
        async with (
            httpx.AsyncClient(base_url=replica_a.url, timeout=30) as a,
            httpx.AsyncClient(base_url=replica_b.url, timeout=30) as b,
        ):
            opened = await b.post(
                f"{API}/votes", json={"proposition_ids": [pain]}, headers=facilitator.headers
            )
            assert opened.status_code == 201
            vote_id = opened.json()["vote"]["id"]
            headers = {**member.headers, "Accept": "text/event-stream"}
            async with a.stream("GET", f"{API}/events", headers=headers) as stream:
                assert stream.status_code == 200
                assert stream.headers["content-type"].startswith("text/event-stream")
                lines = stream.aiter_lines()
                first = await asyncio.wait_for(next_change(lines), 30)
                cast = await b.put(
                    f"{API}/votes/{vote_id}/ballots",
                    json={"ballots": [{"proposition_id": pain, "p": 0.7, "magnitude": 3}]},
                    headers=member.headers,
                )
                assert cast.status_code == 200
                second = await asyncio.wait_for(next_change(lines), 30)
                assert second["votes"] != first["votes"]
                assert second["model"] == first["model"]  # a ballot changes no belief
                revealed = await b.post(
                    f"{API}/votes/{vote_id}/reveal", headers=facilitator.headers
                )
                assert revealed.status_code == 200
                third = await asyncio.wait_for(next_change(lines), 30)
                assert third["model"] != second["model"]  # the reveal stated beliefs


async def test_the_change_feed_tells_open_pages_about_ballots_and_stops_when_they_leave(
    db: Database,
) -> None:
    _, pain, _ = await two_propositions(db)
    facilitator = await make_caller(db, "design", Role.FACILITATOR)
    member = await make_caller(db, "product")
    vote = await db.write(
        votes.open_vote, facilitator.actor, VoteOpen(proposition_ids=[pain]), datetime.now(UTC)
    )

    async def read_stamps() -> dict[str, str | None]:
        return await db.read(votes.change_stamps)

    feed = ChangeFeed(read_stamps, interval_s=0.05)
    queue = feed.subscribe()
    events = stream(feed, queue, _never_disconnected, keepalive_s=30)
    assert (await anext(events)).startswith(b"retry:")
    first = await asyncio.wait_for(anext(events), 10)
    assert first.startswith(b"event: change")
    await db.write(
        votes.cast_ballots,
        member.actor,
        vote.id,
        [BallotCast(proposition_id=pain, p=0.5, magnitude=3)],
        datetime.now(UTC),
    )
    second = await asyncio.wait_for(anext(events), 10)
    assert second.startswith(b"event: change") and second != first
    assert feed.subscribers == 1
    await events.aclose()
    assert feed.subscribers == 0
    await feed.close()


async def _never_disconnected() -> bool:
    return False
