"""Relay-style cursors: opaque, and pinned to the as-of time of their first page."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schema.errors import InvalidCursor, PageSizeOutOfRange


@dataclass(frozen=True)
class Cursor:
    as_of: datetime
    after: list[Any]  # the sort key of the last row of the previous page


def encode_cursor(as_of: datetime, sort_key: list[Any]) -> str:
    payload = json.dumps({"t": as_of.isoformat(), "k": sort_key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Cursor:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return Cursor(datetime.fromisoformat(payload["t"]), list(payload["k"]))
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidCursor(cursor) from error


def time_and_id(key: list[Any]) -> list[str]:
    """The (ISO time, id) sort key a listing's cursor continues after.

    A forged cursor whose key has another shape is bad input, not a server error.
    """
    try:
        at, last_id = key
        datetime.fromisoformat(str(at))
    except (ValueError, TypeError) as error:
        raise InvalidCursor(key) from error
    return [str(at), str(last_id)]


def check_page_size(first: int | None, default: int, maximum: int) -> int:
    if first is None:
        return min(default, maximum)
    if not 1 <= first <= maximum:
        raise PageSizeOutOfRange(first, maximum)
    return first
