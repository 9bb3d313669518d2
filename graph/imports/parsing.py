"""One record of an import file to one evidence item: each field parsed and checked, and the
row's idempotency key (from its idempotency column, or a hash of its content)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from pydantic import ValidationError

from graph.imports.mapping import FieldSource
from schema.imports import FIELDS, REQUIRED
from schema.models import MAX_NAME, EvidenceCreate
from schema.vocabulary import SOURCE_TYPES, Stance

_STANCES = {
    "supports": Stance.SUPPORTS,
    "support": Stance.SUPPORTS,
    "contradicts": Stance.CONTRADICTS,
    "contradict": Stance.CONTRADICTS,
}


class FieldError(Exception):
    """One field of a record is bad; the file's report turns it into a problem of that row."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


def _text(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise FieldError(name, "expected text, not true/false")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    raise FieldError(name, "expected text, not a list or an object")


def _number(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError(name, f"expected a number, got {str(value)[:40]!r}")
    try:
        number = float(value)
    except ValueError:
        raise FieldError(name, f"expected a number, got {str(value)[:40]!r}") from None
    if not math.isfinite(number):
        raise FieldError(name, "expected a finite number")
    return number


def _strength(value: Any) -> float | None:
    """A share in (0, 1] as ``0.6`` or ``1``, or a percentage as ``60%``: spreadsheets and
    survey tools write strengths either way."""
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else None
    percent = text is not None and text.endswith("%")
    try:
        number = _number("strength", text[:-1].strip() if percent and text else value)
    except FieldError:
        number = None
    if number is not None and percent:
        number /= 100
    if number is None or not 0 < number <= 1:
        raise FieldError(
            "strength",
            f"strength must be a share above 0 and at most 1 (0.6, 1) or a percentage (60%), "
            f"got {str(value)[:40]!r}",
        )
    return number


def _account(value: Any) -> str | None:
    """An account's id or its name: validation looks either up and the item gets the id."""
    text = _text("account_id", value)
    if text is not None and len(text) > MAX_NAME:
        raise FieldError("account_id", f"an account id or name is at most {MAX_NAME} characters")
    return text


def _magnitude(value: Any) -> int | None:
    number = _number("magnitude", value)
    if number is None:
        return None
    if not number.is_integer():
        raise FieldError("magnitude", f"magnitude must be a whole number 1-5, got {value!r}")
    return int(number)


def _source_type(value: Any) -> str | None:
    text = _text("source_type", value)
    if text is None:
        return None
    normal = text.strip().lower().replace("-", "_").replace(" ", "_")
    if normal not in SOURCE_TYPES:
        raise FieldError(
            "source_type", f"unknown source type {text[:40]!r}; one of {', '.join(SOURCE_TYPES)}"
        )
    return normal


def _stance(value: Any) -> Stance | None:
    text = _text("stance", value)
    if text is None:
        return None
    stance = _STANCES.get(text.lower())
    if stance is None:
        raise FieldError(
            "stance",
            f"stance must be SUPPORTS or CONTRADICTS, got {text[:40]!r} (a mapping's "
            '"values" can translate other words)',
        )
    return stance


def _observed_at(value: Any, fmt: str | None) -> datetime | None:
    text = _text("observed_at", value)
    if text is None:
        return None
    try:
        parsed = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        expected = f"the format {fmt!r}" if fmt else "an ISO 8601 date or time"
        raise FieldError("observed_at", f"{text[:40]!r} is not {expected}") from None
    if fmt is None and len(text) == 10:
        parsed = datetime.combine(parsed.date(), time(0))
    # Exports rarely say their time zone; a time without one is read as UTC.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    """A record that parsed: its idempotency key, a hash of its content, the item."""

    key: str
    digest: str
    item: dict[str, Any]  # an EvidenceCreate that validated, as JSON


class RowErrors(Exception):
    """Every bad field of one record, so the report names them all at once."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


def parse_row(record: Mapping[str, Any], sources: Mapping[str, FieldSource]) -> Row:
    """Map one record to an evidence item; raise RowErrors naming every bad field."""
    errors: list[FieldError] = []

    def parsed(name: str, parse: Callable[[Any], Any]) -> Any:
        source = sources.get(name)
        value = None if source is None else source.value(record)
        try:
            result = parse(value)
        except FieldError as error:
            errors.append(error)
            return None
        if result is None and name in REQUIRED:
            errors.append(FieldError(name, f"{name} is required but empty"))
        return result

    observed_source = sources.get("observed_at")
    observed_format = observed_source.format if observed_source else None
    summary = parsed("summary", lambda v: _text("summary", v))
    source_type = parsed("source_type", _source_type)
    proposition_id = parsed("proposition_id", lambda v: _text("proposition_id", v))
    stance = parsed("stance", _stance)
    strength = parsed("strength", _strength)
    magnitude = parsed("magnitude", _magnitude)
    source_ref = parsed("source_ref", lambda v: _text("source_ref", v))
    observed_at = parsed("observed_at", lambda v: _observed_at(v, observed_format))
    account_id = parsed("account_id", _account)
    source_key = parsed("source_key", lambda v: _text("source_key", v))
    given_key = parsed("idempotency_key", lambda v: _text("idempotency_key", v))
    bearing = {
        "proposition_id": proposition_id or "-",
        "stance": (stance or Stance.SUPPORTS).value,
        "strength": 1.0 if strength is None else strength,
        "magnitude": magnitude,
    }
    fields: dict[str, Any] = {
        "source_type": source_type or SOURCE_TYPES[0],
        "summary": summary or "-",
        "source_ref": source_ref,
        "observed_at": observed_at,
        "account_id": account_id,
        "source_key": source_key,
        "bears": [bearing],
    }
    try:
        # The account may be a name, longer than an id may be: checked above, resolved later.
        EvidenceCreate.model_validate({**fields, "account_id": None})
    except ValidationError as error:
        for problem in error.errors():
            loc = [str(part) for part in problem["loc"]]
            name = next((part for part in reversed(loc) if part in FIELDS), "summary")
            errors.append(FieldError(name, f"{name}: {problem['msg']}"))
    if errors:
        raise RowErrors(errors)
    content = "\x1f".join(
        [
            source_type,
            summary,
            source_ref or "",
            observed_at.isoformat() if observed_at else "",
            account_id or "",
            proposition_id,
            stance.value,
            repr(float(bearing["strength"])),
            str(magnitude or ""),
        ]
    )
    digest = hashlib.sha256(content.encode()).hexdigest()
    if given_key is not None:
        basis = "\x1f".join(["key", source_type, given_key, proposition_id])
        key = "import-" + hashlib.sha256(basis.encode()).hexdigest()[:40]
    else:
        key = "import-" + digest[:40]
    fields["idempotency_key"] = key
    fields["key_given"] = given_key is not None
    fields["observed_at"] = observed_at.isoformat() if observed_at else None
    return Row(key, digest, fields)
