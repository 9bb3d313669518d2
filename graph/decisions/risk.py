"""Whether the evidence still backs a decision, as of a time T (docs/design.md §2b).

For each proposition a decision rests on (a merged one followed to its survivor), the
evidence visible when the decision was made and the evidence visible at T are both weighed
at T. The proposition puts the decision at risk when the two give different statuses, when
their confidences are at least the configured shift apart, or when it was retired or merged
by T; each reason is named, with the items recorded or retracted since the decision.
Checking a page of decisions costs three queries, whatever their number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph.decisions.recording import list_as_of
from graph.decisions.weighing import Seen, moved_between, weigh_as_seen
from graph.divergence.settings import EngineSettings
from graph.entities import FOLLOW_MERGES
from graph.kit.connection import fetch_all
from graph.kit.records import to_datetime
from schema.decisions import BasisCheck, BasisRecord, Decision, DecisionCheck
from schema.divergence import EvidenceView

TOLERANCE = 1e-9  # a shift of exactly the threshold counts, whatever the rounding

# Each proposition named, its survivor (itself unless merged) and what retired either.
RESOLVE = (
    "UNWIND $ids AS wanted\nMATCH (found:Proposition {id: wanted})"
    + FOLLOW_MERGES
    + """WITH wanted, found, coalesce(survivor, found) AS p
RETURN wanted, p.id AS current_id, found.merged_at AS merged_at,
       p.retired_at AS retired_at, p.retired_reason AS retired_reason
"""
)


class _Resolved:
    def __init__(self, row: dict[str, Any], as_of: datetime) -> None:
        merged_at = to_datetime(row.get("merged_at"))
        retired_at = to_datetime(row.get("retired_at"))
        self.current_id: str = row["current_id"]
        self.merged = merged_at is not None and merged_at <= as_of
        self.merged_on = merged_at
        self.retired = retired_at is not None and retired_at <= as_of
        self.retired_on = retired_at
        self.retired_reason: str | None = row.get("retired_reason") if self.retired else None


def _reasons(
    then: EvidenceView,
    now: EvidenceView,
    resolved: _Resolved,
    shift: float,
) -> list[str]:
    reasons: list[str] = []
    if resolved.merged and resolved.merged_on is not None:
        reasons.append(f"merged into {resolved.current_id} on {resolved.merged_on:%Y-%m-%d}")
    if resolved.retired and resolved.retired_on is not None:
        why = f": {resolved.retired_reason}" if resolved.retired_reason else ""
        reasons.append(f"retired on {resolved.retired_on:%Y-%m-%d}{why}")
    if then.status != now.status:
        reasons.append(
            f"the evidence said {then.status.lower()} when the decision was made; "
            f"it now says {now.status.lower()}"
        )
    moved = now.confidence - then.confidence
    if abs(moved) >= shift - TOLERANCE:
        way = "rose" if moved > 0 else "fell"
        reasons.append(
            f"confidence {way} from {then.confidence:.2f} to {now.confidence:.2f} "
            f"(a shift of {abs(moved):.2f}; at risk from {shift:.2f})"
        )
    return reasons


async def check(
    tx: AsyncManagedTransaction,
    settings: EngineSettings,
    decisions: list[Decision],
    *,
    as_of: datetime,
) -> list[DecisionCheck]:
    """Each decision (made by ``as_of``) checked as of ``as_of``, in the order given."""
    named = sorted({b.proposition_id for d in decisions for b in d.basis})
    resolved = {r["wanted"]: _Resolved(r, as_of) for r in await fetch_all(tx, RESOLVE, ids=named)}

    def current(record: BasisRecord) -> str:
        found = resolved.get(record.proposition_id)
        return record.proposition_id if found is None else found.current_id

    def then_key(n: int, record: BasisRecord) -> str:
        return f"then|{n}|{record.proposition_id}"

    seen_now = {
        current(b): Seen(f"now|{current(b)}", current(b), as_of) for d in decisions for b in d.basis
    }
    seen_then = [
        Seen(then_key(n, b), current(b), d.decided_at)
        for n, d in enumerate(decisions)
        for b in d.basis
    ]
    figures = await weigh_as_seen(tx, settings, [*seen_now.values(), *seen_then], as_of=as_of)
    moved = await moved_between(tx, seen_then, as_of=as_of)
    shift = settings.decision_confidence_shift
    checks: list[DecisionCheck] = []
    for n, decision in enumerate(decisions):
        basis: list[BasisCheck] = []
        for record in decision.basis:
            found = resolved.get(record.proposition_id)
            if found is None:  # cannot happen: propositions are never deleted
                found = _Resolved({"current_id": record.proposition_id}, as_of)
            then = figures[then_key(n, record)]
            now = figures[f"now|{found.current_id}"]
            items = moved.get(then_key(n, record))
            basis.append(
                BasisCheck(
                    proposition_id=record.proposition_id,
                    current_id=found.current_id,
                    status_when_decided=record.status,
                    confidence_when_decided=record.confidence,
                    status_then=then.status,
                    confidence_then=then.confidence,
                    status_now=now.status,
                    confidence_now=now.confidence,
                    retired=found.retired or found.merged,
                    retired_reason=found.retired_reason,
                    merged_into=found.current_id if found.merged else None,
                    reasons=tuple(_reasons(then, now, found, shift)),
                    moved_by=items.ids if items else (),
                    moved_by_count=items.count if items else 0,
                )
            )
        checks.append(
            DecisionCheck(
                decision=decision, as_of=as_of, confidence_shift=shift, basis=tuple(basis)
            )
        )
    return checks


async def checked_as_of(
    tx: AsyncManagedTransaction,
    settings: EngineSettings,
    *,
    as_of: datetime,
    at_risk: bool | None = None,
) -> list[DecisionCheck]:
    """The decisions made by ``as_of``, newest first, checked as of then; only those at risk
    (``at_risk=True``) or only those not (``False``) when asked."""
    checks = await check(tx, settings, await list_as_of(tx, as_of), as_of=as_of)
    if at_risk is None:
        return checks
    return [c for c in checks if c.at_risk is at_risk]
