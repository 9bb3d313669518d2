"""One body for every REST error: ``{"error": CODE, "message": text}``, plus ``details``
where there are any.

``error`` is the code GraphQL puts in ``extensions.code`` (BAD_USER_INPUT, NOT_FOUND ...),
so a client branches on the same words over both. The body is built here and nowhere else:
the domain's typed errors, FastAPI's and Starlette's own refusals (an unknown route, a method
not allowed, a request that fails validation, a missing token), the limits' 413, 503 and 504
and an unexpected failure's 500 all answer it.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from schema.errors import CommonGroundError

CODES = {
    400: "BAD_USER_INPUT",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "BAD_USER_INPUT",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
    504: "TIMEOUT",
}


def code_for(status: int) -> str:
    """The error code of an HTTP status."""
    if status in CODES:
        return CODES[status]
    return "BAD_REQUEST" if status < 500 else "INTERNAL_SERVER_ERROR"


def error_body(code: str, message: str, details: Any = None, **extra: Any) -> dict[str, Any]:
    """The body of an error answer; ``extra`` are fields of one kind of error (an import's
    ``problems``, the ``detail`` earlier clients read)."""
    body: dict[str, Any] = {"error": code, "message": message}
    if details:
        body["details"] = details
    body.update(extra)
    return body


def error_response(
    http_status: int,
    message: str,
    details: Any = None,
    *,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """An error answer: the body, its status and any headers (Retry-After, Allow)."""
    return JSONResponse(
        error_body(code or code_for(http_status), message, details, **extra),
        status_code=http_status,
        headers=headers,
    )


async def _domain_error(_: Request, error: Exception) -> JSONResponse:
    # Every expected failure, whatever its concept, answers with its root's code and status.
    assert isinstance(error, CommonGroundError)
    details = {key: str(value) for key, value in error.details.items()}
    return error_response(error.http_status, error.message, details, code=error.code)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's and Starlette's HTTPException, raised by a route or by the router itself."""
    assert isinstance(error, HTTPException)
    status = error.status_code
    detail = error.detail
    message = detail if isinstance(detail, str) else HTTPStatus(status).phrase
    if status == 404 and detail == HTTPStatus.NOT_FOUND.phrase:
        message = f"nothing at {request.url.path}; /docs lists the API"
    elif status == 405 and detail == HTTPStatus.METHOD_NOT_ALLOWED.phrase:
        message = f"{request.method} is not allowed on {request.url.path}"
    # `detail` is what these answers carried before; kept so that no client breaks.
    return error_response(
        status,
        message,
        None if isinstance(detail, str) else detail,
        headers=error.headers,
        detail=detail,
    )


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    """A request whose parameters or body do not fit the route: 422, each problem by place."""
    assert isinstance(error, RequestValidationError)
    problems = error.errors()
    details: dict[str, str] = {}
    for problem in problems:
        place = ".".join(str(part) for part in problem.get("loc", ())) or "request"
        details[place] = "; ".join(filter(None, (details.get(place), problem.get("msg", ""))))
    message = "the request is not valid: " + "; ".join(f"{k}: {v}" for k, v in details.items())
    return error_response(422, message, details, detail=jsonable_encoder(problems))


async def _unexpected_error(_: Request, __: Exception) -> JSONResponse:
    # Starlette raises the error on after this answer, so the server logs its traceback;
    # the client learns nothing of the bug.
    return error_response(500, "Unexpected error.")


def install(app: FastAPI) -> None:
    """Answer every REST error with the one body."""
    app.add_exception_handler(CommonGroundError, _domain_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
