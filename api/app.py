"""The FastAPI application: lifespan (one driver per process), health, GraphQL, REST."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from neo4j.exceptions import AuthError, ServiceUnavailable, SessionExpired
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from api import cross_site, docs, errors, limits, logs, metrics
from api.graphql.context import Context, get_context
from api.graphql.schema import build_schema
from api.rest.imports import IMPORT_PATH
from api.rest.imports import router as imports_router
from api.rest.snapshots import router as snapshots_router
from api.rest.workshop.routes import router as workshop_router
from graph import startup
from graph.divergence import shared_model
from graph.kit import collector
from graph.kit.connection import Database, Timeouts, target_for
from schema import __version__
from schema.settings import Settings, get_settings

log = logging.getLogger("commonground.api")

RETRY_AFTER_S = "2"


class CommonGroundGraphQLRouter(GraphQLRouter[Context, None]):
    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        context = getattr(request.state, "graphql_context", None)
        if context is not None and context.new_bookmarks:
            extensions = dict(response.get("extensions") or {})
            extensions["bookmark"] = ",".join(context.new_bookmarks)
            response["extensions"] = extensions
        return response

    def parse_json(self, data: str | bytes) -> object:
        # orjson reads a batch of 500 evidence items' JSON several times faster than the
        # standard parser. What it refuses (a lone surrogate's escape, NaN, integers past 64
        # bits, UTF-16) goes to the standard parser, which reads all of it as before, so that
        # the product's own checks answer it.
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
        # Bad JSON, also JSON nested deeper than the parser's recursion limit, is the client's
        # to fix: 400 with the one error body (api/errors.py), not a crash.
        try:
            return json.loads(data)
        except json.JSONDecodeError as error:
            raise HTTPException(400, f"the request body is not valid JSON: {error}") from None
        except RecursionError:
            raise HTTPException(400, "the request body is JSON nested too deeply") from None

    def encode_json(self, data: object) -> str | bytes:
        # The answer's JSON, as the workshop's is written: several times faster than the
        # standard encoder on a typed read of a thousand objects. What orjson cannot write
        # (a lone surrogate an error message quotes back) the standard encoder escapes.
        try:
            return orjson.dumps(data)
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        # strawberry's own page loads React and GraphiQL from a CDN; this one, from us.
        return docs.graphiql_page()


async def _context(request: Request) -> Context:
    context = await get_context(request)
    request.state.graphql_context = context
    return context


async def _connect_and_migrate(app: FastAPI, settings: Settings) -> None:
    """Keep trying until the database answers and the schema is applied; then mark ready,
    and read the shared model (``COMMONGROUND_READ_MODEL_AT_START``)."""
    delay = 0.5
    while True:
        try:
            if app.state.db is None:
                app.state.db = Database.connect(
                    target_for(settings),
                    Timeouts(
                        connection_s=settings.connection_timeout_s,
                        acquisition_s=settings.acquisition_timeout_s,
                        retry_s=settings.retry_time_s,
                        transaction_s=settings.transaction_timeout_s,
                        outage_s=settings.outage_retry_s,
                    ),
                )
            await startup.apply_schema(app.state.db)
            # What start-up made lives as long as the process: out of the collector's way.
            collector.keep_out_of_collections()
            app.state.ready = True
            log.info("database ready and schema applied")
            break
        except asyncio.CancelledError:
            raise
        except Exception as error:
            app.state.startup_error = f"{type(error).__name__}: {error}"
            log.warning("database not ready: %s", app.state.startup_error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
    if settings.read_model_at_start:
        await _read_the_model(app.state.db)


async def _read_the_model(db: Database) -> None:
    """Read the shared model once and lay it out for weighing, while the server already
    answers: otherwise the first divergence question or workshop page after a start waits
    for it (two seconds at 100,000 evidence items, seven at a million), and with
    ``--workers N`` the first to reach each worker. Requests that need it meanwhile wait for
    this read, not start their own."""
    started = time.perf_counter()
    try:
        await shared_model(db).prepare()
    except asyncio.CancelledError:
        raise
    except Exception as error:  # the first request that needs the model reads it then
        log.warning("the shared model was not read at start: %s: %s", type(error).__name__, error)
        return
    log.info("shared model read in %.1f s", time.perf_counter() - started)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.install()  # again: the server configured its logging after create_app
        app.state.db = database
        app.state.ready = False
        app.state.startup_error = None
        task = asyncio.create_task(_connect_and_migrate(app, settings))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if app.state.db is not None and database is None:
                await app.state.db.close()
            collector.return_to_collections()

    app = FastAPI(
        title="Common Ground",
        version=__version__,
        description=(
            "A shared customer mental-model knowledge graph: one evidence-backed model of the "
            "customer, and where each team's beliefs diverge from it. The GraphQL API at "
            "`/graphql` is the main interface; REST serves health, bulk import, snapshot files "
            "and metrics. Send `Authorization: Bearer <token>` (`commonground token create`)."
        ),
        lifespan=lifespan,
        docs_url=None,  # api/docs.py serves /docs from vendored files; no ReDoc
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.ready = False

    errors.install(app)  # one error body for every REST answer
    logs.install()  # no token in any log line

    @app.get("/healthz", tags=["health"], summary="The process is up")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="The database is reachable and the schema applied (503 otherwise)",
        responses={503: {"description": "Not ready; retry after the Retry-After seconds"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        db: Database | None = request.app.state.db
        if db is None or not request.app.state.ready:
            reason = request.app.state.startup_error or "starting"
            return _not_ready(f"schema not applied yet: {reason}")
        try:
            await asyncio.wait_for(db.ping(), timeout=3.0)
        except (ServiceUnavailable, SessionExpired, AuthError, OSError, TimeoutError) as error:
            return _not_ready(f"database unreachable: {type(error).__name__}")
        return JSONResponse({"status": "ready", "database": db.name})

    graphql = CommonGroundGraphQLRouter(
        build_schema(settings),
        context_getter=_context,
        graphql_ide=None if settings.production else "graphiql",
        allow_queries_via_get=not settings.production,
    )
    app.include_router(graphql, prefix="/graphql", tags=["graphql"])
    app.include_router(docs.router)
    app.include_router(workshop_router)
    app.include_router(imports_router)
    app.include_router(snapshots_router)
    cross_site.install(app)  # changes made with the workshop cookie come from its pages
    # Outermost last: metrics see every answer, including the limits' 413, 504 and 503.
    limits.install(app, settings, large_body_paths=[IMPORT_PATH])
    metrics.install(app)
    return app


def _not_ready(reason: str) -> JSONResponse:
    # The error body, and the probe's own `status` and `reason` beside it.
    return errors.error_response(
        503,
        f"not ready: {reason}",
        headers={"Retry-After": RETRY_AFTER_S},
        status="unavailable",
        reason=reason,
    )
