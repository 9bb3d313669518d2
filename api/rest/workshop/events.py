"""Live updates for open workshop pages: server-sent events fed by polling Neo4j, and the
``/api/v1/workshop/events`` endpoint that serves them.

Each API process runs at most one poller, shared by every page it serves: about once a second
it reads two index-backed stamps (the newest audit entry, the newest vote change) and tells
the subscribed pages when either moved; the pages then fetch what they show. Because the
stamps live in Neo4j, a write made through any replica reaches the pages of every replica.
The poller stops when its last page disconnects; each stream is bounded in time (the
browser's EventSource reconnects, and so re-checks the token) and in number.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import StreamingResponse
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

from api.dependencies import DatabaseDep
from api.rest.workshop.page import WorkshopActor
from graph import votes
from graph.kit.connection import Database

log = logging.getLogger("commonground.workshop")

router = APIRouter(tags=["workshop"])

Stamps = dict[str, str | None]

POLL_INTERVAL_S = 1.0
KEEPALIVE_S = 10.0
MAX_STREAM_S = 600.0  # then the browser reconnects (and its token is checked again)
MAX_STREAMS = 500  # per process
RECONNECT_MS = 2000


class TooManyStreams(Exception):
    pass


class ChangeFeed:
    """One poller per process; each subscriber gets the latest stamps when they change."""

    def __init__(
        self, read_stamps: Callable[[], Awaitable[Stamps]], interval_s: float = POLL_INTERVAL_S
    ) -> None:
        self._read_stamps = read_stamps
        self._interval_s = interval_s
        self._subscribers: set[asyncio.Queue[Stamps | None]] = set()
        self._task: asyncio.Task[None] | None = None
        self.latest: Stamps | None = None

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def subscribe(self) -> asyncio.Queue[Stamps | None]:
        if len(self._subscribers) >= MAX_STREAMS:
            raise TooManyStreams
        queue: asyncio.Queue[Stamps | None] = asyncio.Queue(maxsize=1)
        self._subscribers.add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Stamps | None]) -> None:
        self._subscribers.discard(queue)
        if not self._subscribers and self._task is not None:
            self._task.cancel()
            self._task = None

    def end_streams(self) -> None:
        """Ask every open stream to end now: the server is shutting down, and would otherwise
        wait for each page's stream to run out (up to ``MAX_STREAM_S``)."""
        for queue in list(self._subscribers):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(None)

    async def close(self) -> None:
        self._subscribers.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _poll(self) -> None:
        while self._subscribers:
            try:
                stamps = await self._read_stamps()
            except (ServiceUnavailable, SessionExpired, Neo4jError, OSError) as error:
                log.warning("workshop change feed: database unreachable (%s)", error)
                stamps = None
            if stamps is not None and stamps != self.latest:
                self.latest = stamps
                for queue in list(self._subscribers):
                    # Only the newest stamps matter: replace anything not yet taken.
                    if queue.full():
                        queue.get_nowait()
                    queue.put_nowait(stamps)
            await asyncio.sleep(self._interval_s)


def sse(event: str, data: object) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


async def stream(
    feed: ChangeFeed,
    queue: asyncio.Queue[Stamps | None],
    is_disconnected: Callable[[], Awaitable[bool]],
    *,
    max_stream_s: float = MAX_STREAM_S,
    keepalive_s: float = KEEPALIVE_S,
) -> AsyncIterator[bytes]:
    """The event stream of one page: ``change`` events with the stamps, and keep-alives."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_stream_s
    try:
        yield f"retry: {RECONNECT_MS}\n\n".encode()
        if feed.latest is not None:
            yield sse("change", feed.latest)
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0 or await is_disconnected():
                break
            try:
                stamps = await asyncio.wait_for(queue.get(), timeout=min(keepalive_s, remaining))
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if stamps is None:  # end_streams: the server is shutting down
                break
            yield sse("change", stamps)
    finally:
        feed.unsubscribe(queue)


def _feed(request: Request, db: Database) -> ChangeFeed:
    feed: ChangeFeed | None = getattr(request.app.state, "workshop_feed", None)
    if feed is None:

        async def read_stamps() -> dict[str, str | None]:
            return await db.read(votes.change_stamps)

        feed = ChangeFeed(read_stamps)
        request.app.state.workshop_feed = feed
    return feed


def end_event_streams(app: FastAPI) -> None:
    """End the open pages' event streams, so that a shutting-down server need not wait for
    them (the pages' EventSource reconnects to whichever server answers next)."""
    feed: ChangeFeed | None = getattr(app.state, "workshop_feed", None)
    if feed is not None:
        feed.end_streams()


@router.get(
    "/api/v1/workshop/events",
    summary="Server-sent events: `change` with the newest model and vote stamps",
    description=(
        "A stream for open workshop pages (send `Accept: text/event-stream`, as EventSource "
        "does): a `change` event carries `{model, votes}`, the times of the newest model write "
        "and vote change; fetch what you show when one moves. Each stream ends after "
        f"{int(MAX_STREAM_S)} s (EventSource reconnects)."
    ),
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}},
        406: {"description": "The client does not accept text/event-stream"},
    },
)
async def events(request: Request, _: WorkshopActor, db: DatabaseDep) -> Response:
    if "text/event-stream" not in request.headers.get("accept", ""):
        # A plain HTTP client would wait on an endless response; say what this is instead.
        raise HTTPException(
            406, "this is a server-sent event stream: send Accept: text/event-stream"
        )
    feed = _feed(request, db)
    try:
        queue = feed.subscribe()
    except TooManyStreams:
        raise HTTPException(
            503, "too many open workshop pages on this server", headers={"Retry-After": "10"}
        ) from None
    return StreamingResponse(
        stream(feed, queue, request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
