"""Calibration of each function (docs/design.md §2b): the propositions the evidence resolved,
and how well each function's beliefs before that forecast the outcome.

A proposition's status is evaluated only at its *events*: the times items bearing on it
started to count (a batch recorded, an import completed) and the times items were retracted,
each as of that time; decay between events neither resolves nor reopens anything. The first
event that finds it VALIDATED or REFUTED resolves it (outcome 1 or 0); a later event finding
the opposite status or CONTESTED marks it reopened, and the resolution stands.

The history is read in two queries (the evidence bearing on the propositions in scope, the
belief statements on those resolved); everything else is pure and tested on hand-built
histories.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from neo4j import AsyncManagedTransaction

from analytics.calibration import calibration_figures, utc_quarter
from analytics.support import SupportStatus, support_statuses
from analytics.weights import evidence_weight, noisy_or
from graph.divergence import EngineSettings, load_picture
from graph.kit.connection import fetch_collected
from graph.kit.records import from_epoch
from schema.calibration import (
    CalibrationBin,
    FunctionCalibration,
    QuarterCalibration,
    Resolution,
    check_lead_days,
)

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Item:
    """One evidence item's bearing on a proposition, with the times that matter."""

    supports: bool
    base_weight: float  # reliability × strength, before decay
    observed_at: datetime
    counted_from: datetime  # recorded, or its import completed, whichever is later
    retracted_at: datetime | None
    source: str  # an account, a source key, or the item itself

    def counts_at(self, at: datetime) -> bool:
        return self.counted_from <= at and (self.retracted_at is None or self.retracted_at > at)


@dataclass(frozen=True, slots=True)
class Statement:
    """One appended belief statement (or withdrawal) of a function on a proposition."""

    function: str
    seq: int
    p: float | None  # None for a withdrawal
    stated_at: datetime


def event_times(items: Iterable[Item], as_of: datetime) -> list[datetime]:
    """When the proposition's status is evaluated: items starting to count, items retracted."""
    times: set[datetime] = set()
    for item in items:
        if item.counted_from <= as_of:
            times.add(item.counted_from)
        if item.retracted_at is not None and item.retracted_at <= as_of:
            times.add(item.retracted_at)
    return sorted(times)


def masses(items: Iterable[Item], at: datetime, half_life_days: float) -> tuple[float, float]:
    """S and C as of ``at``: each counting item's weight aged to ``at`` (to the microsecond),
    one source's items per stance combined by noisy-OR, the sources summed exactly."""
    by_source: dict[tuple[bool, str], list[float]] = defaultdict(list)
    for item in items:
        if not item.counts_at(at):
            continue
        age = (at - item.observed_at) / DAY
        weight = evidence_weight(item.base_weight, 1.0, age, half_life_days)
        by_source[(item.supports, item.source)].append(weight)
    s = math.fsum(noisy_or(ws) for (supports, _), ws in by_source.items() if supports)
    c = math.fsum(noisy_or(ws) for (supports, _), ws in by_source.items() if not supports)
    return s, c


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
DAY_US = 86_400_000_000
NEVER = np.iinfo(np.int64).max
# A weight of exactly 1 (reliability 1, strength 1, age 0) makes its source certain; kept a
# hair below 1 so the logarithms stay finite through the matrix product.
ALMOST_ONE = 1.0 - 2.0**-52


def _us(at: datetime) -> int:
    """An aware time as whole microseconds since the epoch (exact integers)."""
    return (at - EPOCH) // MICROSECOND


def masses_at(
    items: Sequence[Item], times: Sequence[datetime], half_life_days: float
) -> tuple[list[float], list[float]]:
    """``masses`` at every time of ``times`` at once: the events × items weights in one
    array, each source's items per stance combined by noisy-OR through one matrix product,
    then summed per stance exactly (``math.fsum``)."""
    if not items:
        return [0.0] * len(times), [0.0] * len(times)
    at = np.array([_us(t) for t in times], dtype=np.int64)[:, np.newaxis]
    observed = np.array([_us(i.observed_at) for i in items], dtype=np.int64)
    counted = np.array([_us(i.counted_from) for i in items], dtype=np.int64)
    retracted = np.array(
        [NEVER if i.retracted_at is None else _us(i.retracted_at) for i in items], dtype=np.int64
    )
    base = np.array([i.base_weight for i in items], dtype=np.float64)
    age_days = np.maximum(at - observed, 0).astype(np.float64) / DAY_US
    weights = base * np.power(0.5, age_days / half_life_days)
    counts = (counted <= at) & (retracted > at)
    logs = np.log1p(-np.minimum(np.where(counts, weights, 0.0), ALMOST_ONE))
    groups: dict[tuple[bool, str], int] = {}
    column = [groups.setdefault((i.supports, i.source), len(groups)) for i in items]
    member = np.zeros((len(items), len(groups)), dtype=np.float64)
    member[np.arange(len(items)), column] = 1.0
    combined = -np.expm1(logs @ member)  # events × sources
    supporting = [g for (supports, _), g in groups.items() if supports]
    contradicting = [g for (supports, _), g in groups.items() if not supports]
    s = [math.fsum(row) for row in combined[:, supporting].tolist()]
    c = [math.fsum(row) for row in combined[:, contradicting].tolist()]
    return s, c


def resolve(
    proposition_id: str, items: Sequence[Item], settings: EngineSettings, as_of: datetime
) -> Resolution | None:
    """The first event whose status is VALIDATED or REFUTED, and whether a later one reopened
    it; None while no event has resolved the proposition."""
    return resolve_all({proposition_id: items}, settings, as_of).get(proposition_id)


def resolve_all(
    items: Mapping[str, Sequence[Item]], settings: EngineSettings, as_of: datetime
) -> dict[str, Resolution]:
    """``resolve`` for many propositions, every event's status computed in one call."""
    timelines = []
    s_all: list[float] = []
    c_all: list[float] = []
    for pid in sorted(items):
        times = event_times(items[pid], as_of)
        if not times:
            continue
        s_at, c_at = masses_at(items[pid], times, settings.half_life_days)
        timelines.append((pid, times, len(s_all)))
        s_all += s_at
        c_all += c_at
    statuses = support_statuses(
        s_all,
        c_all,
        validated_at=settings.validated_confidence,
        refuted_at=settings.refuted_confidence,
    )
    found: dict[str, Resolution] = {}
    for pid, times, start in timelines:
        resolution = _first_resolution(pid, times, statuses[start : start + len(times)])
        if resolution is not None:
            found[pid] = resolution
    return found


def _first_resolution(
    proposition_id: str, times: list[datetime], statuses: list[SupportStatus]
) -> Resolution | None:
    for n, status in enumerate(statuses):
        if status not in ("VALIDATED", "REFUTED"):
            continue
        opposite = "REFUTED" if status == "VALIDATED" else "VALIDATED"
        reopened = any(later in (opposite, "CONTESTED") for later in statuses[n + 1 :])
        return Resolution(
            proposition_id=proposition_id,
            resolved_at=times[n],
            outcome=1 if status == "VALIDATED" else 0,
            reopened=reopened,
        )
    return None


def forecasts(statements: Iterable[Statement], cutoff: datetime) -> dict[str, float]:
    """Each function's standing belief just before ``cutoff``: its latest statement stated
    strictly before it; a function whose latest is a withdrawal has no forecast."""
    latest: dict[str, Statement] = {}
    for said in statements:
        if said.stated_at >= cutoff:
            continue
        held = latest.get(said.function)
        if held is None or said.seq > held.seq:
            latest[said.function] = said
    return {f: said.p for f, said in latest.items() if said.p is not None}


@dataclass(frozen=True, slots=True)
class Scored:
    function: str
    p: float
    resolution: Resolution


def score_forecasts(
    resolutions: Iterable[Resolution],
    statements: dict[str, list[Statement]],
    min_lead_days: float,
) -> list[Scored]:
    """Every function's forecast on every resolved proposition, ``min_lead_days`` ahead."""
    scored: list[Scored] = []
    lead = timedelta(days=min_lead_days)
    for resolution in resolutions:
        cutoff = resolution.resolved_at - lead
        held = forecasts(statements.get(resolution.proposition_id, []), cutoff)
        scored.extend(Scored(f, p, resolution) for f, p in sorted(held.items()))
    return scored


def function_calibration(function: str, scored: Sequence[Scored]) -> FunctionCalibration:
    """The figures of one function over its scored forecasts."""
    mine = [s for s in scored if s.function == function]
    figures = calibration_figures([s.p for s in mine], [s.resolution.outcome for s in mine])
    quarters: dict[str, list[Scored]] = defaultdict(list)
    for s in mine:
        quarters[utc_quarter(s.resolution.resolved_at)].append(s)
    by_quarter = []
    for quarter in sorted(quarters):
        inside = quarters[quarter]
        figures_q = calibration_figures(
            [s.p for s in inside], [s.resolution.outcome for s in inside]
        )
        by_quarter.append(
            QuarterCalibration(
                quarter=quarter, forecasts=len(inside), brier_score=figures_q.brier_score
            )
        )
    return FunctionCalibration(
        function=function,
        forecasts=figures.forecasts,
        brier_score=figures.brier_score,
        brier_skill_score=figures.brier_skill_score,
        outcomes_validated=sum(s.resolution.outcome for s in mine),
        reopened=sum(s.resolution.reopened for s in mine),
        bins=tuple(
            CalibrationBin(
                low=b.low,
                high=b.high,
                count=b.count,
                mean_forecast=b.mean_forecast,
                observed_frequency=b.observed_frequency,
            )
            for b in figures.bins
        ),
        by_quarter=tuple(by_quarter),
    )


# The evidence bearing on the propositions asked for, recorded by $as_of; the import's
# completion time with each imported item. Times as epoch parts (records.from_epoch).
EVIDENCE_HISTORY = """
MATCH (ev:Evidence)-[bear:BEARS_ON]->(p:Proposition)
WHERE p.id IN $ids AND ev.recorded_at <= $as_of
OPTIONAL MATCH (i:Import {id: ev.import_id})
RETURN collect({
  pid: p.id, stance: bear.stance, strength: bear.strength, source_type: ev.source_type,
  source: coalesce(ev.account_id, 'key:' + ev.source_key, ev.id),
  imported: ev.import_id IS NOT NULL,
  observed: [ev.observed_at.epochSeconds, ev.observed_at.nanosecond, 0],
  recorded: [ev.recorded_at.epochSeconds, ev.recorded_at.nanosecond, 0],
  completed: CASE WHEN i.completed_at IS NULL THEN null
             ELSE [i.completed_at.epochSeconds, i.completed_at.nanosecond, 0] END,
  retracted: CASE WHEN ev.retracted_at IS NULL THEN null
             ELSE [ev.retracted_at.epochSeconds, ev.retracted_at.nanosecond, 0] END
}) AS rows
"""

# Every belief statement on the propositions asked for, stated by $as_of.
BELIEF_HISTORY = """
MATCH (b:Belief)-[:ON]->(p:Proposition)
WHERE p.id IN $ids AND b.stated_at <= $as_of
RETURN collect({
  pid: p.id, function: b.function, seq: b.seq, p: b.p, withdrawn: b.withdrawn,
  stated: [b.stated_at.epochSeconds, b.stated_at.nanosecond, 0]
}) AS rows
"""


# Propositions whose history one query collects: the whole model's evidence in one list
# (a million items at a year's volume) passed Neo4j's transaction memory limit on a 2 GiB
# heap; a thousand propositions' items are some tens of megabytes.
HISTORY_CHUNK = 1_000


async def _histories(
    tx: AsyncManagedTransaction, query: str, ids: list[str], as_of: datetime
) -> list[dict[str, Any]]:
    """``query``'s collected rows for ``ids``, a chunk of propositions at a time."""
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), HISTORY_CHUNK):
        chunk = ids[start : start + HISTORY_CHUNK]
        rows.extend(await fetch_collected(tx, query, "rows", ids=chunk, as_of=as_of))
    return rows


def _time(parts: list[int] | None) -> datetime | None:
    return from_epoch(parts)


async def resolutions(
    tx: AsyncManagedTransaction, settings: EngineSettings, ids: list[str], as_of: datetime
) -> list[Resolution]:
    """The resolution of each of the propositions ``ids`` that has resolved by ``as_of``."""
    rows = await _histories(tx, EVIDENCE_HISTORY, ids, as_of)
    items: dict[str, list[Item]] = defaultdict(list)
    for row in rows:
        recorded = _time(row["recorded"])
        assert recorded is not None
        counted_from = recorded
        if row["imported"]:
            completed = _time(row["completed"])
            if completed is None:
                continue  # an import still in flight counts for nothing
            counted_from = max(recorded, completed)
        if counted_from > as_of:
            continue
        observed = _time(row["observed"])
        assert observed is not None
        retracted = _time(row["retracted"])
        items[row["pid"]].append(
            Item(
                supports=row["stance"] == "SUPPORTS",
                base_weight=settings.reliability.get(row["source_type"], 0.0)
                * float(row["strength"]),
                observed_at=observed,
                counted_from=counted_from,
                retracted_at=retracted if retracted is not None and retracted <= as_of else None,
                source=str(row["source"]),
            )
        )
    return list(resolve_all(items, settings, as_of).values())


async def statements_on(
    tx: AsyncManagedTransaction, ids: list[str], as_of: datetime
) -> dict[str, list[Statement]]:
    rows = await _histories(tx, BELIEF_HISTORY, ids, as_of)
    found: dict[str, list[Statement]] = defaultdict(list)
    for row in rows:
        stated = _time(row["stated"])
        assert stated is not None
        p = None if row["withdrawn"] or row["p"] is None else float(row["p"])
        found[row["pid"]].append(Statement(row["function"], int(row["seq"]), p, stated))
    return found


async def calibration(
    tx: AsyncManagedTransaction,
    settings: EngineSettings,
    *,
    as_of: datetime,
    segment_id: str | None = None,
    function: str | None = None,
    min_lead_days: float = 0.0,
) -> list[FunctionCalibration]:
    """Every function's calibration (or one's) over the propositions in scope resolved by
    ``as_of``, in the order of the functions."""
    check_lead_days(min_lead_days)
    picture = await load_picture(tx, settings, as_of=as_of, segment_id=segment_id)
    wanted = picture.check_function(function)
    resolved = await resolutions(tx, settings, sorted(picture.scope), as_of)
    statements = await statements_on(tx, [r.proposition_id for r in resolved], as_of)
    scored = score_forecasts(resolved, statements, min_lead_days)
    names = [f for f in picture.functions if wanted is None or f == wanted]
    return [function_calibration(name, scored) for name in names]
