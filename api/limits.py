"""Limits at the edge: request body size (413), a per-request timeout (504), and database
outages answered with 503 and ``Retry-After`` at once.

All three are plain ASGI middleware or handlers, so they act before any route or resolver
runs. During an outage the app marks itself not ready (``/readyz`` and every data request
answer 503 immediately instead of waiting for driver timeouts) and a probe restores readiness
as soon as the database answers again: recovery needs no restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import anyio
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from graphql import GraphQLError
from neo4j.exceptions import (
    ClientError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import MaskErrors, SchemaExtension

from api.errors import error_body, error_response
from schema.errors import DatabaseUnavailable
from schema.settings import Settings

log = logging.getLogger("commonground.api")

RETRY_AFTER_S = "2"
PROBE_INTERVAL_S = 0.5
PROBE_TIMEOUT_S = 3.0

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    ServiceUnavailable,
    SessionExpired,
    DatabaseUnavailable,
)


def is_timeout(error: BaseException | None) -> bool:
    """Whether the database killed a transaction for running past the transaction timeout."""
    return isinstance(error, Neo4jError) and "TransactionTimedOut" in (error.code or "")


def is_busy(error: BaseException | None) -> bool:
    """Whether the database refused the work for now, after the driver's retries (out of
    transaction memory under a burst, a deadlock that kept recurring): the client should
    retry, and the database is up."""
    return isinstance(error, TransientError)


def is_bad_bookmark(error: BaseException | None) -> bool:
    """Whether the database refused an ``X-Bookmark`` the client sent as malformed."""
    return isinstance(error, Neo4jError) and "InvalidBookmark" in (error.code or "")


BAD_BOOKMARK = (
    "X-Bookmark is not a bookmark of this database: send back the value a write returned "
    "(the GraphQL response's extensions.bookmark, or an import's bookmark)"
)


def is_outage(error: BaseException | None) -> bool:
    """Whether an error means the database cannot be reached (not a bad query)."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, OUTAGE_ERRORS):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


# ---------------------------------------------------------------- body size


class BodyTooLarge(Exception):
    """Raised from ``receive`` once a body passes its limit; answered 413 by the middleware.

    Not an HTTPException, so no route's handler turns it into another shape of answer."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than the limit of {limit} bytes")
        self.limit = limit


class BodySizeLimit:
    """Refuse a body over the limit: at once from Content-Length, else while it streams in.

    ``limits`` gives some paths their own limit (the bulk import takes bigger files).
    """

    def __init__(self, app: ASGIApp, *, default_limit: int, limits: dict[str, int]) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default_limit)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    await _send_json(
        send,
        413,
        error_body(
            "PAYLOAD_TOO_LARGE", f"the request body is larger than the limit of {limit} bytes"
        ),
        [(b"connection", b"close")],
    )


# ---------------------------------------------------------------- request timeout


class RequestTimeout:
    """Answer 504 when a request has not started its response within ``timeout_s``.

    Once the response has started (a stream, server-sent events) the clock stops. Paths in
    ``exempt`` (the bulk import, whose batches each have the transaction timeout) are not
    timed.
    """

    def __init__(self, app: ASGIApp, *, timeout_s: float, exempt: Iterable[str] = ()) -> None:
        self.app = app
        self.timeout_s = timeout_s
        self.exempt = frozenset(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        started = False
        with anyio.CancelScope() as scope_:
            scope_.deadline = anyio.current_time() + self.timeout_s

            async def tracking_send(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                    scope_.deadline = math.inf
                await send(message)

            await self.app(scope, receive, tracking_send)
        if scope_.cancelled_caught and not started:
            log.warning("request timed out after %s s: %s", self.timeout_s, scope["path"])
            await _send_json(
                send,
                504,
                error_body(
                    "TIMEOUT",
                    f"the request took longer than {self.timeout_s:g} s and was stopped; "
                    "nothing it had not committed was written",
                ),
            )


# ---------------------------------------------------------------- outages


def note_outage(app: FastAPI) -> None:
    """Answer 503 at once from now on, until a probe finds the database again."""
    state = app.state
    if getattr(state, "db", None) is None:
        return
    if state.ready:
        log.warning("database unreachable: answering 503 until it is back")
    state.ready = False
    state.startup_error = "the database became unreachable"
    probe = getattr(state, "outage_probe", None)
    if probe is None or probe.done():
        state.outage_probe = asyncio.get_running_loop().create_task(_probe(app))


async def _probe(app: FastAPI) -> None:
    while True:
        await asyncio.sleep(PROBE_INTERVAL_S)
        db = app.state.db
        if db is None:
            return
        try:
            await asyncio.wait_for(db.ping(), timeout=PROBE_TIMEOUT_S)
        except asyncio.CancelledError:
            raise
        except Exception:  # any failure means: not back yet
            continue
        app.state.ready = True
        log.info("database reachable again")
        return


OUTAGE_MESSAGE = "the database is unreachable; nothing was written; retry"


def outage_response(request: Request) -> JSONResponse:
    note_outage(request.app)
    return error_response(503, OUTAGE_MESSAGE, headers={"Retry-After": RETRY_AFTER_S})


async def _outage_handler(request: Request, _: Exception) -> JSONResponse:
    return outage_response(request)


BUSY_MESSAGE = "the database is busy right now; nothing was written; retry"


async def _busy_handler(request: Request, error: Exception) -> JSONResponse:
    log.warning("database busy: %s", getattr(error, "code", type(error).__name__))
    return error_response(503, BUSY_MESSAGE, headers={"Retry-After": RETRY_AFTER_S})


async def _database_client_error(request: Request, error: Exception) -> JSONResponse:
    """The database refused the work: a timeout or a bad bookmark is the client's to fix."""
    if is_bad_bookmark(error):
        return error_response(400, BAD_BOOKMARK)
    if not is_timeout(error):
        raise error  # a genuine bug: the server error handler logs it and answers 500
    return error_response(
        504,
        "the database stopped the work after the transaction timeout; nothing it had not "
        "committed was written",
    )


class OutageStatus(SchemaExtension):
    """A GraphQL request that failed because the database is unreachable, or busy after the
    driver's retries, answers HTTP 503 with ``Retry-After`` (its errors carry
    ``extensions.code`` SERVICE_UNAVAILABLE)."""

    def on_operation(self) -> Any:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        outage = any(is_outage(error.original_error) for error in result.errors)
        if not outage and not any(is_busy(error.original_error) for error in result.errors):
            return
        context = self.execution_context.context
        response = getattr(context, "response", None)
        if response is not None:
            response.status_code = 503
            response.headers["Retry-After"] = RETRY_AFTER_S
        request = getattr(context, "request", None)
        if outage and request is not None:
            note_outage(request.app)


class MaskUnexpectedErrors(MaskErrors):
    """Production: an unexpected error reaches the client as "Unexpected error." with the
    code INTERNAL_SERVER_ERROR, and nothing of its message, type or stack."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked


class _StopProbeOnShutdown:
    """Cancel the outage probe when the app shuts down."""

    def __init__(self, app: ASGIApp, owner: FastAPI) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def watching_receive() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                probe = getattr(self.owner.state, "outage_probe", None)
                if probe is not None:
                    probe.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await probe
            return message

        await self.app(scope, watching_receive, send)


# ---------------------------------------------------------------- installing


def install(app: FastAPI, settings: Settings, *, large_body_paths: Iterable[str] = ()) -> None:
    """Add the limits to an app: body size, request timeout, outage handling."""
    large = list(large_body_paths)
    app.add_middleware(
        RequestTimeout,
        timeout_s=settings.request_timeout_s,
        exempt=large,
    )
    app.add_middleware(
        BodySizeLimit,
        default_limit=settings.max_body_bytes,
        limits={path: settings.max_import_bytes for path in large},
    )
    app.add_middleware(_StopProbeOnShutdown, owner=app)
    handler: Callable[[Request, Exception], Awaitable[JSONResponse]] = _outage_handler
    for error in OUTAGE_ERRORS:
        app.add_exception_handler(error, handler)  # type: ignore[arg-type]
    app.add_exception_handler(ClientError, _database_client_error)
    app.add_exception_handler(TransientError, _busy_handler)
