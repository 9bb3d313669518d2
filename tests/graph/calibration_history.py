"""A hand-built history for calibration tests: two propositions the evidence resolved, and
beliefs stated before and at the resolving events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graph import beliefs, evidence
from graph.kit.connection import Database
from schema.models import Actor, BearingCreate, BeliefCreate, EvidenceCreate
from schema.vocabulary import Stance
from tests.factories import small_model

T0 = datetime(2026, 4, 1, tzinfo=UTC)
DAY = timedelta(days=1)


async def resolved_history(db: Database) -> tuple[str, str]:
    """Two pains: the evidence validates the first on day 10 and refutes the second on day
    20. Success believed both right early, marketing both wrong; sales changed its mind only
    on day 10, at the resolving batch itself (too late to count)."""
    model = await small_model(db, account=None, pains=2, at=T0 - 30 * DAY)
    holds, fails = model.experiences
    system = Actor.system()

    async def believe(function: str, pid: str, p: float, at: datetime) -> None:
        await db.write(
            beliefs.state, system, BeliefCreate(proposition_id=pid, p=p, function=function), at
        )

    for pid, (success, marketing) in ((holds, (0.9, 0.2)), (fails, (0.1, 0.8))):
        await believe("success", pid, success, T0)
        await believe("marketing", pid, marketing, T0)
    await believe("sales", holds, 0.3, T0)
    await believe("sales", holds, 0.95, T0 + 10 * DAY)

    def batch(pid: str, stance: Stance, n: int) -> list[EvidenceCreate]:
        return [
            EvidenceCreate(
                source_type="interview",
                summary=f"interview {k}",
                bears=[BearingCreate(proposition_id=pid, stance=stance)],
            )
            for k in range(n)
        ]

    await db.write(evidence.add, system, batch(holds, Stance.SUPPORTS, 2), T0 + 5 * DAY)
    await db.write(evidence.add, system, batch(holds, Stance.SUPPORTS, 3), T0 + 10 * DAY)
    await db.write(evidence.add, system, batch(fails, Stance.CONTRADICTS, 6), T0 + 20 * DAY)
    return holds, fails
