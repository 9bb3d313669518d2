"""Live updates for open workshop pages: server-sent events fed by polling Neo4j, and the
``/api/v1/workshop/events`` endpoint that serves them.

Each API process runs at most one poller, shared by every page it serves: about once a second
it reads two index-backed stamps (the newest audit entry, the newest vote change) and tells
the subscribed pages when either moved; the pages then fetch what they show. Because the
stamps live in Neo4j, a write made through any replica reaches the pages of every replica.
The poller stops when its last page disconnects; each stream is bounded in time (the
browser's EventSource reconnects), in number per process and per member (one member's
hundred tabs cannot lock the others out), and lasts only while its caller is signed in: the
credential is checked again at every keep-alive, so a revoked token, a deactivated member or
a signed-out session ends the stream within ``KEEPALIVE_S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import StreamingResponse
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

from api.auth import authenticate, credential_from_request
from api.dependencies import DatabaseDep
from api.rest.workshop.page import WorkshopActor
from graph import votes
from graph.decisions.watch import AT_RISK, AtRiskWatch, newly_at_risk
from graph.divergence.settings import EngineSettings
from graph.kit.connection import Database

log = logging.getLogger("commonground.workshop")

router = APIRouter(tags=["workshop"])

Stamps = dict[str, str | None]

POLL_INTERVAL_S = 1.0
KEEPALIVE_S = 5.0  # and the caller's credential is checked again
MAX_STREAM_S = 600.0  # then the browser reconnects
MAX_STREAMS = 500  # per process
# Per member and process: a projector, a laptop, a phone and a few tabs. Browsers hold at most
# six connections to one server over HTTP/1.1, so a seventh tab would stall anyway.
MAX_STREAMS_PER_MEMBER = 8
RECONNECT_MS = 2000


class TooManyStreams(Exception):
    pass


class TooManyStreamsForMember(TooManyStreams):
    pass


class ChangeFeed:
    """One poller per process; each subscriber gets the latest stamps when they change."""

    def __init__(
        self, read_stamps: Callable[[], Awaitable[Stamps]], interval_s: float = POLL_INTERVAL_S
    ) -> None:
        self._read_stamps = read_stamps
        self._interval_s = interval_s
        self._subscribers: set[asyncio.Queue[Stamps | None]] = set()
        self._owners: dict[asyncio.Queue[Stamps | None], str] = {}
        self._per_member: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None
        self.latest: Stamps | None = None

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def streams_of(self, member_id: str) -> int:
        return self._per_member[member_id]

    def subscribe(self, member_id: str | None = None) -> asyncio.Queue[Stamps | None]:
        if member_id is not None and self._per_member[member_id] >= MAX_STREAMS_PER_MEMBER:
            raise TooManyStreamsForMember
        if len(self._subscribers) >= MAX_STREAMS:
            raise TooManyStreams
        queue: asyncio.Queue[Stamps | None] = asyncio.Queue(maxsize=1)
        self._subscribers.add(queue)
        if member_id is not None:
            self._owners[queue] = member_id
            self._per_member[member_id] += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Stamps | None]) -> None:
        self._subscribers.discard(queue)
        owner = self._owners.pop(queue, None)
        if owner is not None:
            self._per_member[owner] -= 1
            if self._per_member[owner] <= 0:
                del self._per_member[owner]
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
        self._owners.clear()
        self._per_member.clear()
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
    signed_in: Callable[[], Awaitable[bool]] | None = None,
) -> AsyncIterator[bytes]:
    """The event stream of one page: ``change`` events with the stamps, and keep-alives;
    a ``signed-out`` event, and the end, as soon as ``signed_in`` says the caller no longer
    is (checked at every keep-alive and change)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_stream_s
    try:
        yield f"retry: {RECONNECT_MS}\n\n".encode()
        last = feed.latest
        if last is not None:
            yield sse("change", last)
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0 or await is_disconnected():
                break
            try:
                stamps = await asyncio.wait_for(queue.get(), timeout=min(keepalive_s, remaining))
            except TimeoutError:
                stamps = None
                keep_alive = True
            else:
                keep_alive = False
                if stamps is None:  # end_streams: the server is shutting down
                    break
            if signed_in is not None and not await _still_signed_in(signed_in):
                yield sse("signed-out", {"reason": "the sign-in ended (revoked or expired)"})
                break
            yield b": keep-alive\n\n" if keep_alive else sse("change", stamps)
            if stamps is not None:
                fallen = newly_at_risk(last.get(AT_RISK) if last else None, stamps.get(AT_RISK))
                if fallen:  # a write put these decisions at risk
                    yield sse("decision-at-risk", {"decisions": fallen})
                last = stamps
    finally:
        feed.unsubscribe(queue)


async def _still_signed_in(signed_in: Callable[[], Awaitable[bool]]) -> bool:
    try:
        return await signed_in()
    except (ServiceUnavailable, SessionExpired, Neo4jError, OSError):
        return True  # the database cannot tell now: keep the page, check again later


def _feed(request: Request, db: Database) -> ChangeFeed:
    feed: ChangeFeed | None = getattr(request.app.state, "workshop_feed", None)
    if feed is None:
        watch = AtRiskWatch(EngineSettings.from_settings(request.app.state.settings))

        async def read_stamps() -> dict[str, str | None]:
            stamps = await db.read(votes.change_stamps)
            # Checked again only when the model changed: a decision falls at risk on a write.
            stamps[AT_RISK] = await watch.stamp(db, stamps.get("model"))
            return stamps

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
        429: {"description": "This member has the most event streams open one may have"},
        503: {"description": "This server has the most event streams open it serves"},
    },
)
async def events(request: Request, actor: WorkshopActor, db: DatabaseDep) -> Response:
    if "text/event-stream" not in request.headers.get("accept", ""):
        # A plain HTTP client would wait on an endless response; say what this is instead.
        raise HTTPException(
            406, "this is a server-sent event stream: send Accept: text/event-stream"
        )
    feed = _feed(request, db)
    try:
        queue = feed.subscribe(actor.member_id)
    except TooManyStreamsForMember:
        raise HTTPException(
            429,
            f"you already have {MAX_STREAMS_PER_MEMBER} live workshop pages open on this "
            "server, the most one member may: close one (a closed page's stream ends at once)",
            headers={"Retry-After": "10"},
        ) from None
    except TooManyStreams:
        raise HTTPException(
            503, "too many open workshop pages on this server", headers={"Retry-After": "10"}
        ) from None
    credential = credential_from_request(request)

    async def signed_in() -> bool:
        return await authenticate(db, credential) is not None

    return StreamingResponse(
        stream(feed, queue, request.is_disconnected, signed_in=signed_in),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
