"""The workshop's event streams against a real `commonground serve`: one member cannot hold
them all, and a stream ends soon after its member is deactivated (not at its time limit)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import httpx
import pytest

from api.rest.workshop.events import MAX_STREAM_S, MAX_STREAMS_PER_MEMBER
from graph import members
from graph.kit.connection import Database
from schema.models import Actor
from schema.vocabulary import Role
from tests.factories import Caller, make_caller
from tests.reliability.conftest import Server

pytestmark = pytest.mark.slow

EVENTS = "/api/v1/workshop/events"
WAIT_S = 60.0  # far below the stream's own limit, far above a keep-alive


def _headers(caller: Caller) -> dict[str, str]:
    return {**caller.headers, "Accept": "text/event-stream"}


async def _open(
    stack: contextlib.AsyncExitStack, http: httpx.AsyncClient, caller: Caller
) -> httpx.Response:
    return await stack.enter_async_context(http.stream("GET", EVENTS, headers=_headers(caller)))


async def test_one_member_cannot_take_every_event_stream(
    db: Database, shared_server: Server
) -> None:
    viewer = await make_caller(db, "sales", Role.VIEWER)
    other = await make_caller(db, "product")
    limits = httpx.Limits(max_connections=MAX_STREAMS_PER_MEMBER + 4)
    async with (
        httpx.AsyncClient(base_url=shared_server.url, timeout=60, limits=limits) as http,
        contextlib.AsyncExitStack() as held,
    ):
        for _ in range(MAX_STREAMS_PER_MEMBER):
            assert (await _open(held, http, viewer)).status_code == 200
        refused = await http.get(EVENTS, headers=_headers(viewer))
        assert refused.status_code == 429, refused.text
        assert "live workshop pages" in refused.json()["message"]
        assert refused.headers["retry-after"]
        async with http.stream("GET", EVENTS, headers=_headers(other)) as theirs:
            assert theirs.status_code == 200  # everyone else still gets theirs
        await held.aclose()  # the viewer closes their pages: their streams end with them

        async def reopened() -> int:
            while True:
                async with http.stream("GET", EVENTS, headers=_headers(viewer)) as again:
                    if again.status_code == 200:
                        return again.status_code
                await asyncio.sleep(0.2)

        assert await asyncio.wait_for(reopened(), WAIT_S) == 200


async def test_a_deactivated_members_stream_ends_soon_after(
    db: Database, shared_server: Server
) -> None:
    assert MAX_STREAM_S >= 10 * WAIT_S  # so ending within WAIT_S is not its time limit
    member = await make_caller(db, "design")
    async with (
        httpx.AsyncClient(base_url=shared_server.url, timeout=WAIT_S * 2) as http,
        http.stream("GET", EVENTS, headers=_headers(member)) as stream,
    ):
        assert stream.status_code == 200
        lines = stream.aiter_lines()
        assert (await anext(lines)).startswith("retry:")
        await db.write(members.deactivate, Actor.system(), member.member.id, datetime.now(UTC))

        async def until_the_end() -> list[str]:
            return [line async for line in lines]

        rest = await asyncio.wait_for(until_the_end(), WAIT_S)
    assert "event: signed-out" in rest
    async with httpx.AsyncClient(base_url=shared_server.url, timeout=60) as http:
        again = await http.get(EVENTS, headers=_headers(member))
        assert again.status_code == 401  # and EventSource's reconnect is refused
