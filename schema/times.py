"""Reading a time someone typed: ISO 8601, a date or a date-time, UTC when it names no zone.

One rule for every way in (docs/design.md §4): the CLI's ``--as-of``, the importer's
``observed_at`` and the GraphQL ``DateTime`` scalar all read ``2026-11-22`` as midnight UTC
and ``2026-11-22T09:30:00`` as 09:30 UTC. Without it a zone-less time could not be compared
with the stored times (all of them in UTC) and a query would silently find nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from schema.errors import BadInput

EXAMPLES = "2026-11-22, 2026-11-22T09:30:00Z or 2026-11-22T10:30:00+01:00"


class UnreadableTime(BadInput):
    """``value`` is not an ISO 8601 date or date-time."""

    def __init__(self, value: object) -> None:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        super().__init__(
            f"{shown} is not an ISO 8601 date or date-time (e.g. {EXAMPLES})", value=shown
        )
        self.value = value


# The times the product computes with, in UTC: a day inside what Python's datetime holds, so
# that moving a time to another zone cannot leave the range.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


class TimeOutOfRange(BadInput):
    """``value`` is a time, but one outside the years 1 to 9999 once moved to UTC."""

    def __init__(self, value: str) -> None:
        shown = value if len(value) <= 60 else value[:57] + "..."
        super().__init__(
            f"{shown!r} is outside the times the API can work with: between "
            f"{EARLIEST.date()} and {LATEST.date()} in UTC",
            value=shown,
        )


def read_time(value: object) -> datetime:
    """``value`` as an aware datetime; a date is its midnight, a time without a zone UTC.

    A time that names an offset is refused when it leaves the years 1 to 9999 in UTC
    (``0001-01-01T00:00:00+14:00`` is the last day of year 0)."""
    if not isinstance(value, str):
        raise UnreadableTime(value)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UnreadableTime(value) from None
    parsed = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    try:
        in_utc = parsed.astimezone(UTC)
    except OverflowError:
        raise TimeOutOfRange(value) from None
    if not EARLIEST <= in_utc <= LATEST:
        raise TimeOutOfRange(value)
    return parsed


def given_time(value: object) -> object:
    """For a pydantic or FastAPI field: text read by :func:`read_time`, anything else as is."""
    return read_time(value) if isinstance(value, str) else value
