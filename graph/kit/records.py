"""Where Neo4j records become domain models (and nowhere else)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from neo4j.time import DateTime

from schema.models import (
    Bearing,
    Belief,
    Entity,
    Evidence,
    Member,
    PartialEvidence,
    Proposition,
    TeamFunction,
)


def to_datetime(value: Any) -> datetime | None:
    """Neo4j's DateTime as a timezone-aware Python datetime."""
    if value is None:
        return None
    if isinstance(value, DateTime):
        return value.to_native()
    if isinstance(value, datetime):
        return value
    raise TypeError(f"not a datetime: {value!r}")


def from_epoch(parts: list[int] | None) -> datetime | None:
    """A time sent as ``[t.epochSeconds, t.nanosecond, t.offsetSeconds]``: the instant, offset
    and microseconds ``to_datetime`` gives for the same value (as a fixed-offset zone).

    Big reads send times this way: the driver hydrates a ``neo4j.time.DateTime`` in pure
    Python, which costs far more than three integers (docs/benchmarks.md)."""
    if parts is None:
        return None
    seconds, nanosecond, offset = parts
    zone = timezone(timedelta(seconds=offset))
    return datetime.fromtimestamp(seconds, zone).replace(microsecond=nanosecond // 1000)


def from_text(text: str | None) -> datetime | None:
    """A time sent as ``split(toString(t), '[')[0]``: ISO 8601 with its offset (a zone name
    cut off), to the microsecond as ``to_datetime`` gives it. Twenty times cheaper to read
    than ``from_epoch``'s parts, for the biggest reads (benchmark b, docs/benchmarks.md)."""
    return None if text is None else datetime.fromisoformat(text)


def _times(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {**row, **{n: to_datetime(row.get(n)) for n in names}}


def entity(row: dict[str, Any]) -> Entity:
    return Entity.model_validate(_times(row, "created_at", "retired_at"))


def proposition(row: dict[str, Any]) -> Proposition:
    return Proposition.model_validate(_times(row, "created_at", "retired_at"))


def team_function(row: dict[str, Any]) -> TeamFunction:
    return TeamFunction.model_validate(_times(row, "created_at"))


def member(row: dict[str, Any]) -> Member:
    return Member.model_validate(_times(row, "created_at"))


def evidence(row: dict[str, Any]) -> Evidence:
    return Evidence.model_validate(
        _times(row, "observed_at", "recorded_at", "retracted_at", "redacted_at")
    )


def evidence_at_epoch(row: dict[str, Any]) -> Evidence:
    """An evidence item whose times came as epoch parts (see ``from_epoch``)."""
    times = ("observed_at", "recorded_at", "retracted_at", "redacted_at")
    return Evidence.model_validate({**row, **{n: from_epoch(row[n]) for n in times}})


def evidence_at_text(row: dict[str, Any]) -> Evidence:
    """An evidence item whose times came as text (see ``from_text``)."""
    times = ("observed_at", "recorded_at", "retracted_at", "redacted_at")
    return Evidence.model_validate({**row, **{n: from_text(row[n]) for n in times}})


_EVIDENCE_TIMES = ("observed_at", "recorded_at", "retracted_at", "redacted_at")


def partial_evidence_at_text(row: dict[str, Any]) -> PartialEvidence:
    """An evidence item read with only some fields (see ``PartialEvidence``), times as text.
    Plain values need no validation here: they are what a whole item's would be."""
    values = dict(row)
    for name in _EVIDENCE_TIMES:
        if name in values:
            values[name] = from_text(values[name])
    bears = values.get("bears")
    if bears:
        values["bears"] = [Bearing.model_validate(b) for b in bears]
    return PartialEvidence(values)


def entity_at_text(row: dict[str, Any]) -> Entity:
    """An entity whose times came as text (see ``from_text``)."""
    times = ("created_at", "retired_at")
    return Entity.model_validate({**row, **{n: from_text(row[n]) for n in times}})


def proposition_at_text(row: dict[str, Any]) -> Proposition:
    """A proposition whose times came as text (see ``from_text``)."""
    times = ("created_at", "retired_at")
    return Proposition.model_validate({**row, **{n: from_text(row[n]) for n in times}})


def belief(row: dict[str, Any]) -> Belief:
    return Belief.model_validate(_times(row, "stated_at"))


def belief_at_epoch(row: dict[str, Any]) -> Belief:
    """A belief whose ``stated_at`` came as epoch parts (see ``from_epoch``)."""
    return Belief.model_validate({**row, "stated_at": from_epoch(row["stated_at"])})
