"""The roots of every expected failure, and the GraphQL code and HTTP status of each.

A concept's own errors subclass a root in that concept's schema module (``schema/entities.py``,
``schema/votes.py`` ...) and carry the objects involved. The code and status are the root's, so
the edge (``api/app.py`` for REST, ``api/graphql/schema.py`` for GraphQL) maps a whole family
at once and a new subclass needs no mapping of its own.
"""

from __future__ import annotations


class CommonGroundError(Exception):
    """The root of every expected failure; ``code`` becomes GraphQL ``extensions.code``."""

    code = "INTERNAL_SERVER_ERROR"
    http_status = 500

    def __init_subclass__(cls, *, code: str = "", http_status: int = 0, **kwargs: object) -> None:
        # Only the roots below name a code and status; a concept's subclass inherits its root's.
        super().__init_subclass__(**kwargs)
        if code:
            cls.code = code
        if http_status:
            cls.http_status = http_status

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadInput(CommonGroundError, code="BAD_USER_INPUT", http_status=400):
    """The request breaks a rule of the model: sending it again as it is will not help."""


class NotFound(CommonGroundError, code="NOT_FOUND", http_status=404):
    """Nothing of the kind ``what`` has the id ``ident``."""

    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"{what} {ident!r} does not exist", what=what, id=ident)


class Unauthenticated(CommonGroundError, code="UNAUTHENTICATED", http_status=401):
    """No valid token came with the request."""


class Forbidden(CommonGroundError, code="FORBIDDEN", http_status=403):
    """The caller's role or function may not do this."""


class Conflict(CommonGroundError, code="CONFLICT", http_status=409):
    """The request clashes with what the model holds now (a name taken, a vote closed)."""


class DatabaseUnavailable(CommonGroundError, code="SERVICE_UNAVAILABLE", http_status=503):
    """The database cannot answer now; the same request may succeed later."""


class InvalidInput(BadInput):
    """A mutation's input breaks its model's rules; ``problems`` lists each (path: message)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"invalid input: {'; '.join(problems)}")
        self.problems = problems


class InvalidCursor(BadInput):
    """An ``after`` cursor this API did not issue (forged, cut, or from another listing)."""

    def __init__(self, cursor: object) -> None:
        super().__init__("the `after` cursor is not one this API issued")
        self.cursor = cursor


class PageSizeOutOfRange(BadInput):
    """``first`` below 1 or above the listing's maximum page size."""

    def __init__(self, first: int, maximum: int) -> None:
        super().__init__(
            "`first` must be at least 1"
            if first < 1
            else f"`first` may be at most {maximum}; page through with `after`"
        )
        self.first = first
        self.maximum = maximum


class InvalidIdempotencyKey(BadInput):
    """An idempotency key must be 1-200 characters."""

    def __init__(self, idempotency_key: str) -> None:
        super().__init__("idempotencyKey must be 1-200 characters")
        self.idempotency_key = idempotency_key


class InvalidReason(BadInput):
    """A retirement, retraction or redaction reason that is blank, over 2000 characters or
    holds a NUL."""

    def __init__(self, reason: str) -> None:
        super().__init__("a reason of 1-2000 characters is needed")
        self.reason = reason


class ReasonRequired(BadInput):
    """Retiring, retracting or redacting needs a reason, kept in the audit log; ``action`` is
    what was asked (``retire an entity``), or None where the message names none."""

    def __init__(self, action: str | None = None) -> None:
        super().__init__(f"a reason is needed to {action}" if action else "a reason is needed")
        self.action = action


class CursorOrderMismatch(BadInput):
    """An ``after`` cursor made under one ``orderBy`` of a listing, sent with another: its
    sort key means nothing in the other order, so continuing would repeat or skip rows."""

    def __init__(self, made: str, asked: str) -> None:
        super().__init__(
            f"the `after` cursor was made for orderBy {made}, not {asked}: continue with "
            f"orderBy {made}, or start again without `after`"
        )
        self.made = made
        self.asked = asked


class InvalidSearch(BadInput):
    """A listing's ``search`` longer than ``maximum`` characters, or holding a NUL."""

    def __init__(self, search: str, maximum: int) -> None:
        super().__init__(f"`search` must be at most {maximum} characters, with no NUL")
        self.search = search
        self.maximum = maximum


class InvalidTimeRange(BadInput):
    """A half-open time range ``[from, before)`` whose end is not after its start."""

    def __init__(self, start: str, end: str) -> None:
        super().__init__(f"`{end}` must be later than `{start}`")
        self.start = start
        self.end = end
