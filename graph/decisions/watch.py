"""Which decisions are at risk now, for open workshop pages to hear of one falling at risk.

The pages' change feed polls a stamp of the newest model write about once a second; only when
it moves are the decisions checked again (whether a decision is at risk changes with a write:
evidence recorded or retracted, an import completed, a proposition retired or merged). The
stamp is a short JSON list of the decisions at risk, ``[{"id", "title"}]`` in id order.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from graph.decisions.risk import checked_as_of
from graph.divergence.settings import EngineSettings
from graph.kit.connection import Database

AT_RISK = "decisionsAtRisk"  # the stamp's key in the feed's stamps


class AtRiskWatch:
    """The decisions at risk as of the newest model write, checked once per write."""

    def __init__(self, settings: EngineSettings) -> None:
        self._settings = settings
        self._model: str | None = None
        self._stamp: str | None = None
        self._checked = False

    async def stamp(self, db: Database, model_stamp: str | None) -> str | None:
        """The decisions at risk now, as JSON text (null for none)."""
        if self._checked and model_stamp == self._model:
            return self._stamp
        checks = await db.read(checked_as_of, self._settings, as_of=datetime.now(UTC), at_risk=True)
        at_risk = sorted(
            ({"id": c.decision.id, "title": c.decision.title} for c in checks),
            key=lambda d: d["id"],
        )
        self._model, self._checked = model_stamp, True
        self._stamp = json.dumps(at_risk) if at_risk else None
        return self._stamp


def newly_at_risk(before: str | None, after: str | None) -> list[dict[str, str]]:
    """The decisions of the ``after`` stamp that the ``before`` stamp did not hold at risk."""
    known = {d["id"] for d in json.loads(before)} if before else set()
    return [d for d in (json.loads(after) if after else []) if d["id"] not in known]
