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


def read_time(value: object) -> datetime:
    """``value`` as an aware datetime; a date is its midnight, a time without a zone UTC."""
    if not isinstance(value, str):
        raise UnreadableTime(value)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UnreadableTime(value) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
