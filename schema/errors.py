"""Expected failures, typed: each carries a code that the API maps to an error response."""

from __future__ import annotations


class CommonGroundError(Exception):
    """The root of every expected failure; ``code`` becomes GraphQL ``extensions.code``."""

    code = "INTERNAL_SERVER_ERROR"
    http_status = 500

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadInput(CommonGroundError):
    code = "BAD_USER_INPUT"
    http_status = 400


class NotFound(CommonGroundError):
    code = "NOT_FOUND"
    http_status = 404

    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"{what} {ident!r} does not exist", what=what, id=ident)


class Unauthenticated(CommonGroundError):
    code = "UNAUTHENTICATED"
    http_status = 401


class Forbidden(CommonGroundError):
    code = "FORBIDDEN"
    http_status = 403


class Conflict(CommonGroundError):
    code = "CONFLICT"
    http_status = 409


class DatabaseUnavailable(CommonGroundError):
    code = "SERVICE_UNAVAILABLE"
    http_status = 503
