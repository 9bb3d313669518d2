"""Support: what the evidence says about each proposition, as of a time (docs/design.md §2).

One Cypher query aggregates the evidence of every proposition in scope on the server:
each item's weight ``reliability × strength × 0.5^(age/half-life)``, items of one account
(per proposition and stance) combined by noisy-OR, then summed into S and C. Python only
turns S and C into the Beta posterior figures (``analytics.support.beta_support``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from analytics.support import BetaSupport, beta_supports
from graph.evidence.reading import COUNTED_AS_OF
from graph.kit.connection import fetch_collected
from graph.kit.records import from_text
from graph.kit.scope import PROPOSITIONS_OF_IDS, SEGMENT_SCOPE, VISIBLE_AS_OF


@dataclass(frozen=True)
class SupportSettings:
    reliability: dict[str, float]
    half_life_days: float = 365.0


@dataclass(frozen=True)
class Support:
    """The evidence behind one proposition, and the posterior it gives."""

    proposition_id: str
    supporting: float  # S: per-account combined weights of supporting items, summed
    contradicting: float  # C
    evidence_count: int
    supporting_count: int
    contradicting_count: int
    distinct_accounts: int
    newest_evidence_at: datetime | None
    evidence_ids: tuple[str, ...]  # the newest first, at most EVIDENCE_IDS_LIMIT
    mean_magnitude: float  # weighted mean magnitude reported by supporting items; 1 if none
    posterior: BetaSupport
    distinct_sources: int = 0  # accounts, source keys, and items with neither

    @property
    def mass(self) -> float:
        return self.supporting + self.contradicting

    @property
    def support(self) -> float:
        return self.posterior.mean

    @property
    def confidence(self) -> float:
        return self.posterior.confidence


EVIDENCE_IDS_LIMIT = 20

# The evidence on ``p`` that counts as of $as_of.
VISIBLE_EVIDENCE = "\nOPTIONAL MATCH (ev:Evidence)-[bear:BEARS_ON]->(p)\nWHERE " + COUNTED_AS_OF

# S, C and the counts of each proposition ``p`` from its rows of counted evidence ``ev`` and
# bearing ``bear`` (null for none), the weights aged to $as_of: one collected record.
WEIGHED_SUPPORT = """
WITH p, ev, bear,
     CASE WHEN ev IS NULL THEN null ELSE
       $reliability[ev.source_type] * bear.strength
       * 0.5 ^ (CASE WHEN ev.observed_at > $as_of THEN 0.0
                // The age to the microsecond: whole seconds as integers, then the rest.
                ELSE (toFloat($as_of.epochSeconds - ev.observed_at.epochSeconds)
                      + ($as_of.nanosecond - ev.observed_at.nanosecond) / 1.0e9) / 86400.0 END
                / $half_life_days)
     END AS w
// One source: an account, else a source key, else the item alone.
WITH p, bear.stance AS stance,
     coalesce(ev.account_id, 'key:' + ev.source_key, ev.id) AS source,
     collect(w) AS weights, collect(ev) AS items,
     sum(CASE WHEN bear.magnitude IS NULL THEN 0.0 ELSE w * bear.magnitude END) AS wm,
     sum(CASE WHEN bear.magnitude IS NULL THEN 0.0 ELSE w END) AS wm_weight
WITH p, stance, source, items, wm, wm_weight,
     CASE WHEN source IS NULL THEN 0.0
          ELSE 1.0 - reduce(q = 1.0, x IN weights | q * (1.0 - x)) END AS combined
// The combined weights themselves travel, summed in Python with compensated summation.
WITH p,
     collect(CASE WHEN stance = 'SUPPORTS' THEN combined END) AS s,
     collect(CASE WHEN stance = 'CONTRADICTS' THEN combined END) AS c,
     count(DISTINCT source) AS distinct_sources,
     sum(CASE WHEN stance = 'SUPPORTS' THEN wm ELSE 0.0 END) AS wm,
     sum(CASE WHEN stance = 'SUPPORTS' THEN wm_weight ELSE 0.0 END) AS wm_weight,
     sum(CASE WHEN stance = 'SUPPORTS' THEN size(items) ELSE 0 END) AS supporting_count,
     sum(CASE WHEN stance = 'CONTRADICTS' THEN size(items) ELSE 0 END) AS contradicting_count,
     reduce(flat = [], xs IN collect(items) | flat + xs) AS all_items
// The item ids, newest observation first (instants to the microsecond, then id), each once:
// ordered here rather than in Python, so no per-item datetime travels to the client.
CALL {
  WITH all_items
  UNWIND all_items AS x
  WITH DISTINCT x.id AS id, x.observed_at AS at
  ORDER BY at.epochSeconds DESC, at.nanosecond / 1000 DESC, id DESC
  RETURN collect(id) AS ordered_ids
}
WITH p, s, c, distinct_sources, supporting_count, contradicting_count, wm, wm_weight,
     all_items, ordered_ids,
     reduce(newest = null, x IN all_items |
            CASE WHEN newest IS NULL OR x.observed_at > newest THEN x.observed_at
                 ELSE newest END) AS newest
// One record for all propositions, the newest time as ISO text (a zone name cut off): a
// record per proposition with a hydrated DateTime costs the driver several times more.
RETURN collect({
  proposition_id: p.id, s: s, c: c, distinct_sources: distinct_sources,
  supporting_count: supporting_count, contradicting_count: contradicting_count,
  mean_magnitude: CASE WHEN wm_weight > 0 THEN wm / wm_weight ELSE 1.0 END,
  distinct_accounts: size(reduce(acc = [], x IN all_items |
                                 CASE WHEN x.account_id IS NULL OR x.account_id IN acc THEN acc
                                      ELSE acc + x.account_id END)),
  newest: split(toString(newest), '[')[0],
  newest_ids: ordered_ids[..$ids_limit], evidence_count: size(ordered_ids)
}) AS rows
"""

SUPPORT_BY_PROPOSITION = (
    SEGMENT_SCOPE + "WITH DISTINCT p" + VISIBLE_AS_OF + VISIBLE_EVIDENCE + WEIGHED_SUPPORT
)
SUPPORT_OF_IDS = PROPOSITIONS_OF_IDS + VISIBLE_AS_OF + VISIBLE_EVIDENCE + WEIGHED_SUPPORT


async def support_for(
    tx: AsyncManagedTransaction,
    settings: SupportSettings,
    *,
    as_of: datetime,
    segment_id: str | None = None,
    ids: list[str] | None = None,
) -> dict[str, Support]:
    """Support of every proposition in a segment's scope (or all), or of the given ids."""
    if ids is not None and segment_id is not None:
        raise ValueError("support_for takes a segment or ids, not both")
    found = await fetch_collected(
        tx,
        SUPPORT_BY_PROPOSITION if ids is None else SUPPORT_OF_IDS,
        "rows",
        segment_id=segment_id,
        ids=ids,
        as_of=as_of,
        reliability=settings.reliability,
        half_life_days=settings.half_life_days,
        ids_limit=EVIDENCE_IDS_LIMIT,
    )
    return from_rows(found)


def from_rows(found: list[dict[str, Any]]) -> dict[str, Support]:
    """The Support of each row of ``WEIGHED_SUPPORT``, by its ``proposition_id``."""
    posteriors = beta_supports([_total(r["s"]) for r in found], [_total(r["c"]) for r in found])
    result: dict[str, Support] = {}
    for row, posterior in zip(found, posteriors, strict=True):
        result[row["proposition_id"]] = Support(
            proposition_id=row["proposition_id"],
            supporting=posterior.supporting,
            contradicting=posterior.contradicting,
            evidence_count=int(row["evidence_count"]),
            supporting_count=int(row["supporting_count"]),
            contradicting_count=int(row["contradicting_count"]),
            distinct_accounts=int(row["distinct_accounts"]),
            distinct_sources=int(row["distinct_sources"]),
            newest_evidence_at=from_text(row["newest"]),
            evidence_ids=tuple(row["newest_ids"]),
            mean_magnitude=float(row["mean_magnitude"]),
            posterior=posterior,
        )
    return result


def _total(weights: list[float]) -> float:
    """The sources' combined weights, summed with compensated (exactly rounded) summation."""
    return math.fsum(float(w) for w in weights)
