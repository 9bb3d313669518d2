"""Prometheus metrics at ``GET /metrics``: HTTP requests by route and status, their latency,
GraphQL operations by type and outcome, and whether the database answers.

Each app has its own registry (tests build many apps in one process). Routes are labelled by
their template (``/api/v1/imports/{import_id}``), never by the raw path, so a client cannot
blow up the number of series.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

PING_TIMEOUT_S = 2.0


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "commonground_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "commonground_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )
        self.graphql = Counter(
            "commonground_graphql_operations",
            "GraphQL operations executed, by type (query, mutation) and outcome (ok, error).",
            ["operation_type", "outcome"],
            registry=self.registry,
        )
        self.database_up = Gauge(
            "commonground_database_up",
            "1 when the database answered a trivial read at the last scrape, else 0.",
            registry=self.registry,
        )
        self.ready = Gauge(
            "commonground_ready",
            "1 when the API serves data (database reachable, schema applied), else 0.",
            registry=self.registry,
        )


def metrics_of(app: Any) -> Metrics | None:
    metrics = getattr(app.state, "metrics", None)
    return metrics if isinstance(metrics, Metrics) else None


def route_template(scope: Scope) -> str:
    """The matched route's path template, prefixes included; "unmatched" when none."""
    # An included router's route knows only its own path; the effective context that
    # FastAPI records has the full one.
    context = scope.get("fastapi", {}).get("effective_route_context")
    full = getattr(context, "path_format", None)
    if isinstance(full, str) and full:
        return full
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class MetricsMiddleware:
    """Count every HTTP request and time it until its response has been sent."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        began = time.perf_counter()

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            template = route_template(scope)
            method = scope.get("method", "GET")
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - began)


class GraphQLMetrics(SchemaExtension):
    """Count GraphQL operations by type and outcome."""

    def on_operation(self) -> Any:
        yield
        context = self.execution_context.context
        request = getattr(context, "request", None)
        metrics = metrics_of(request.app) if request is not None else None
        if metrics is None:
            return
        result = self.execution_context.result
        try:
            operation_type = self.execution_context.operation_type.value
        except RuntimeError:  # the document did not parse: there is no operation
            operation_type = "unknown"
        outcome = "error" if result is None or result.errors else "ok"
        metrics.graphql.labels(operation_type, outcome).inc()


router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (public)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Text exposition"}},
)
async def metrics_endpoint(request: Request) -> Response:
    metrics = metrics_of(request.app)
    if metrics is None:
        return Response("metrics are not enabled\n", status_code=404, media_type="text/plain")
    db = getattr(request.app.state, "db", None)
    up = 0
    if db is not None:
        try:
            await asyncio.wait_for(db.ping(), timeout=PING_TIMEOUT_S)
            up = 1
        except Exception:  # any failure: it does not answer
            up = 0
    metrics.database_up.set(up)
    metrics.ready.set(1 if getattr(request.app.state, "ready", False) else 0)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> Metrics:
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.include_router(router)
    return metrics
