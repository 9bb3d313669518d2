"""The evidence as it was seen at one time, weighed as of another (docs/design.md §2b).

A decision is checked by weighing, at one time T, two sets of evidence on each proposition it
rests on: the items that counted when it was made, and the items that count at T. Both use
the support engine's rule for which items count (``COUNTED_AS_OF``: recorded by then, not yet
retracted, their import complete) and its weighing (``WEIGHED_SUPPORT``: reliability ×
strength × decay to T, noisy-OR per account), so the two sides differ only by the items
recorded or retracted in between, never by their age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph.divergence.picture import evidence_view
from graph.divergence.settings import EngineSettings
from graph.evidence.reading import COUNTED_AS_OF
from graph.kit.connection import fetch_collected
from graph.support import EVIDENCE_IDS_LIMIT, WEIGHED_SUPPORT, from_rows
from schema.decisions import MOVED_BY_LIMIT
from schema.divergence import EvidenceView

# The counting rule with the time each row asks about in place of $as_of.
_COUNTED_WHEN_SEEN = COUNTED_AS_OF.replace("$as_of", "row.seen_at")
assert "$as_of" not in _COUNTED_WHEN_SEEN

# One row per (key, proposition, time seen): the proposition's evidence that counted at
# ``seen_at``, weighed as of $as_of. The key stands in for the proposition in the weighing,
# so one proposition seen at several times is weighed once per time, in one query.
WEIGH_AS_SEEN = (
    """
UNWIND $rows AS row
MATCH (node:Proposition {id: row.proposition_id})
OPTIONAL MATCH (ev:Evidence)-[bear:BEARS_ON]->(node)
WHERE """
    + _COUNTED_WHEN_SEEN
    + "WITH {id: row.key} AS p, ev, bear"
    + WEIGHED_SUPPORT
)

# The items that count at $as_of but did not at ``seen_at``, or the other way round: what was
# recorded, retracted or completed (imports) in between. Newest change first.
MOVED_BETWEEN = (
    """
UNWIND $rows AS row
MATCH (node:Proposition {id: row.proposition_id})
OPTIONAL MATCH (ev:Evidence)-[:BEARS_ON]->(node)
WHERE ("""
    + COUNTED_AS_OF
    + ") <> ("
    + _COUNTED_WHEN_SEEN
    + """)
WITH row, ev,
     CASE WHEN ev.retracted_at IS NOT NULL AND ev.retracted_at <= $as_of
          THEN ev.retracted_at ELSE ev.recorded_at END AS changed_at
ORDER BY changed_at DESC, ev.id DESC
WITH row.key AS key, collect(ev.id) AS ids
RETURN collect({key: key, ids: ids[..$limit], count: size(ids)}) AS rows
"""
)


@dataclass(frozen=True)
class Seen:
    """A proposition's evidence as counted at ``seen_at``; ``key`` names the result."""

    key: str
    proposition_id: str
    seen_at: datetime

    def as_row(self) -> dict[str, Any]:
        return {"key": self.key, "proposition_id": self.proposition_id, "seen_at": self.seen_at}


@dataclass(frozen=True)
class Moved:
    ids: tuple[str, ...]
    count: int


async def weigh_as_seen(
    tx: AsyncManagedTransaction, settings: EngineSettings, seen: list[Seen], *, as_of: datetime
) -> dict[str, EvidenceView]:
    """The evidence figures of each ``seen`` row, by key, weighed as of ``as_of``."""
    if not seen:
        return {}
    support = settings.support_settings
    found = await fetch_collected(
        tx,
        WEIGH_AS_SEEN,
        "rows",
        rows=[s.as_row() for s in seen],
        as_of=as_of,
        reliability=support.reliability,
        half_life_days=support.half_life_days,
        ids_limit=EVIDENCE_IDS_LIMIT,
    )
    figures = from_rows(found)
    return {s.key: evidence_view(figures.get(s.key), settings) for s in seen}


async def moved_between(
    tx: AsyncManagedTransaction, seen: list[Seen], *, as_of: datetime
) -> dict[str, Moved]:
    """The items of each ``seen`` row's proposition counted at ``as_of`` xor at its time."""
    if not seen:
        return {}
    found = await fetch_collected(
        tx,
        MOVED_BETWEEN,
        "rows",
        rows=[s.as_row() for s in seen],
        as_of=as_of,
        limit=MOVED_BY_LIMIT,
    )
    return {r["key"]: Moved(ids=tuple(r["ids"]), count=int(r["count"])) for r in found}
