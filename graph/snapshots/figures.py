"""The figures a snapshot stores beside its content: what the divergence engine said then.

Computed once, at creation, from the divergence engine (``graph/divergence``) as of the
snapshot's time, and kept as JSON on the snapshot: the alignment index overall and per
segment, belief gaps per function, the top divergences with a few evidence quotes, the
structural gaps, and a function × proposition heatmap. Reports and diffs read only these
and the frozen content, so they never change once the snapshot exists.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction
from pydantic import BaseModel

from graph import calibration, evidence
from graph.decisions.reading import report_rows
from graph.divergence import (
    EngineSettings,
    Picture,
    alignment,
    belief_gaps,
    disagreements,
    load_picture,
    load_scope,
    structural_gaps,
    with_scope,
)
from graph.kit.connection import Database
from graph.snapshots.store import FiguresFn
from schema.divergence import Alignment, BeliefGap, Disagreement, PropositionView
from schema.models import Evidence
from schema.vocabulary import EntityKind

FIGURES_VERSION = 1
TOP_GAPS = 10
TOP_DISAGREEMENTS = 10
MAX_STRUCTURAL_GAPS = 50
MAX_SEGMENTS = 20
HEATMAP_ROWS = 40
QUOTES_PER_ROW = 2


def _copy(row: BaseModel, names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of an engine result, in the order given: the order the stored JSON
    keeps, so a report renders the same from one snapshot to the next."""
    return {name: getattr(row, name) for name in names}


ALIGNMENT_FIELDS = ("alpha", "alpha_low", "alpha_high", "mean_abs_difference", "units")
PAIR_FIELDS = ("a", "b", "alpha", "mean_abs_difference", "units")


def _alignment(a: Alignment) -> dict[str, Any]:
    return {
        **_copy(a, ALIGNMENT_FIELDS),
        "functions": list(a.functions),
        "pairwise": [_copy(p, PAIR_FIELDS) for p in a.pairwise],
    }


def _proposition(p: PropositionView) -> dict[str, Any]:
    return {
        "proposition_id": p.id,
        "text": p.text,
        "relation": p.relation.value,
        "subject": p.subject.name,
        "object": p.object.name,
    }


def _gap(row: BeliefGap) -> dict[str, Any]:
    return {
        **_proposition(row.proposition),
        **_copy(row, ("function", "p", "confidence", "gap")),
        "direction": row.direction.value,
        **_copy(row, ("significant", "opposes_evidence", "consensus_magnitude", "rank_score")),
        **_copy(row.evidence, ("status", "evidence_count", "distinct_accounts")),
        "rationale": row.belief.rationale,
        "evidence_ids": list(row.evidence.evidence_ids),
        # The quotes to show are those on the evidence's side of the gap.
        "quote_stance": "CONTRADICTS" if row.gap > 0 else "SUPPORTS",
    }


def _disagreement(row: Disagreement) -> dict[str, Any]:
    return {
        **_proposition(row.proposition),
        **_copy(row, ("spread", "standard_deviation", "mean_p", "contested")),
        "highest": _copy(row.highest, ("function", "p")),
        "lowest": _copy(row.lowest, ("function", "p")),
        "confidence": row.evidence.confidence,
        "evidence_mass": row.evidence.mass,
        "status": row.evidence.status,
        "beliefs": {b.function: b.p for b in row.beliefs},
        "evidence_ids": list(row.evidence.evidence_ids),
        "quote_stance": "SUPPORTS" if row.evidence.confidence >= 0.5 else "CONTRADICTS",
    }


def _gaps_by_function(picture: Picture, gaps: list[BeliefGap]) -> list[dict[str, Any]]:
    grouped: dict[str, list[BeliefGap]] = defaultdict(list)
    for row in gaps:
        grouped[row.function].append(row)
    rows = []
    for function in picture.functions:
        mine = grouped.get(function, [])
        significant = [g for g in mine if g.significant]
        rows.append(
            {
                "function": function,
                "beliefs_with_evidence": len(mine),
                "significant": len(significant),
                "over_confident": sum(1 for g in significant if g.gap > 0),
                "under_confident": sum(1 for g in significant if g.gap < 0),
                "mean_abs_gap": sum(abs(g.gap) for g in mine) / len(mine) if mine else None,
                "mean_gap": sum(g.gap for g in mine) / len(mine) if mine else None,
            }
        )
    return rows


def _heatmap(picture: Picture, gaps: list[BeliefGap]) -> dict[str, Any]:
    """The most divergent propositions (largest |gap| or spread) × every function's p."""
    worst_gap: dict[str, float] = defaultdict(float)
    for row in gaps:
        worst_gap[row.proposition.id] = max(worst_gap[row.proposition.id], abs(row.gap))
    scored = []
    for proposition in picture.in_scope():
        held = picture.beliefs_on(proposition.id)
        if not held:
            continue
        values = [b.p for b in held]
        spread = max(values) - min(values)
        scored.append((max(worst_gap.get(proposition.id, 0.0), spread), proposition, held))
    scored.sort(key=lambda s: (-s[0], s[1].id))
    functions = [
        f for f in picture.functions if any(f in {b.function for b in s[2]} for s in scored)
    ]
    rows = []
    for score, proposition, held in scored[:HEATMAP_ROWS]:
        view = picture.evidence(proposition.id)
        rows.append(
            {
                **_proposition(proposition),
                "divergence": score,
                "confidence": view.confidence,
                "mass": view.mass,
                "status": view.status,
                "cells": {b.function: b.p for b in held},
            }
        )
    return {"functions": functions, "rows": rows, "total_rows": len(scored)}


async def _evidence(tx: AsyncManagedTransaction, ids: list[str]) -> dict[str, Evidence]:
    return await evidence.get_many(tx, ids)


def _pick_quotes(row: dict[str, Any], found: dict[str, Evidence]) -> list[dict[str, Any]]:
    """Up to QUOTES_PER_ROW of the newest items that speak for the evidence's side."""
    picked = []
    for item_id in row.pop("evidence_ids"):
        item = found.get(item_id)
        if item is None or item.summary is None:
            continue
        stances = {b.stance.value for b in item.bears if b.proposition_id == row["proposition_id"]}
        if row["quote_stance"] not in stances:
            continue
        picked.append(
            {
                "id": item.id,
                "source_type": item.source_type,
                "observed_at": item.observed_at.date().isoformat(),
                "summary": item.summary,
            }
        )
        if len(picked) == QUOTES_PER_ROW:
            break
    row.pop("quote_stance")
    return picked


async def _scoped(tx: AsyncManagedTransaction, whole: Picture, segment_id: str) -> Picture:
    # What load_picture gives for the segment, without reading the whole model again.
    segment, scope = await load_scope(tx, segment_id, as_of=whole.as_of)
    return with_scope(whole, segment, scope)


async def compute(db: Database, settings: EngineSettings, as_of: datetime) -> dict[str, Any]:
    # The whole model is read once: each segment's picture is this one with the segment's
    # scope marked (what load_picture builds for a segment from a read of its own), and
    # calibration scores the same picture. Reading it again per segment took nine tenths of
    # the figures' time (docs/benchmarks.md, "Snapshot creation at M and L").
    picture = await db.read_model(None, load_picture, settings, as_of=as_of)
    gaps = belief_gaps(picture)
    divergent = disagreements(picture)
    structural = structural_gaps(picture)
    segments = sorted(
        {
            ref.id: ref
            for p in picture.propositions.values()
            for ref in (p.subject, p.object)
            if ref.kind is EntityKind.SEGMENT
        }.values(),
        key=lambda s: s.name,
    )
    by_segment = []
    for segment in segments[:MAX_SEGMENTS]:
        scoped = await db.read(_scoped, picture, segment.id)
        scoped_gaps = belief_gaps(scoped, significant_only=True)
        by_segment.append(
            {
                "id": segment.id,
                "name": segment.name,
                "alignment": _alignment(alignment(scoped)),
                "significant_gaps": len(scoped_gaps),
                "contested": len(disagreements(scoped, contested_only=True)),
                "propositions": len(scoped.scope),
            }
        )
    top_gaps = [_gap(g) for g in gaps if g.significant][:TOP_GAPS]
    top_disagreements = [_disagreement(d) for d in divergent if d.contested][:TOP_DISAGREEMENTS]
    wanted = sorted({i for row in top_gaps + top_disagreements for i in row["evidence_ids"]})
    found = await db.read(_evidence, wanted) if wanted else {}
    for row in top_gaps + top_disagreements:
        row["quotes"] = _pick_quotes(row, found)
    statuses: dict[str, int] = defaultdict(int)
    for proposition in picture.in_scope():
        statuses[picture.evidence(proposition.id).status.lower()] += 1
    current = sum(len(held) for held in picture.beliefs.values())
    decided = await report_rows(db, settings, as_of)
    return {
        "figures_version": FIGURES_VERSION,
        "thresholds": picture.thresholds.model_dump(mode="json"),
        "summary": {
            "propositions": len(picture.scope),
            "validated": statuses["validated"],
            "refuted": statuses["refuted"],
            "contested": statuses["contested"],
            "unknown": statuses["unknown"],
            "current_beliefs": current,
            "belief_gaps": len(gaps),
            "significant_gaps": sum(1 for g in gaps if g.significant),
            "contested_among_functions": sum(1 for d in divergent if d.contested),
            "structural_gaps": len(structural),
        },
        "functions": list(picture.functions),
        "alignment": _alignment(alignment(picture)),
        "segments": by_segment,
        "gaps_by_function": _gaps_by_function(picture, gaps),
        "top_gaps": top_gaps,
        "significant_gaps": [
            [g.function, g.proposition.id, g.gap, g.proposition.text] for g in gaps if g.significant
        ],
        "top_disagreements": top_disagreements,
        "contested": [
            [d.proposition.id, d.spread, d.proposition.text] for d in divergent if d.contested
        ],
        "structural_gaps": [
            {
                "kind": s.kind.value,
                "owners": list(s.owners),
                "entity": s.entity.name,
                "entity_id": s.entity.id,
                "segments": [seg.name for seg in s.segments],
                "explanation": s.explanation,
            }
            for s in structural[:MAX_STRUCTURAL_GAPS]
        ],
        "heatmap": _heatmap(picture, gaps),
        "calibration": await _calibration(db, picture),
        "decisions": decided,  # checked as of the snapshot's time, those at risk first
    }


async def _scored(tx: AsyncManagedTransaction, picture: Picture) -> list[calibration.Scored]:
    # calibration.calibration's reads over the whole model's picture, already read here.
    resolved = await calibration.resolutions(
        tx, picture.settings, sorted(picture.scope), picture.as_of
    )
    statements = await calibration.statements_on(
        tx, [r.proposition_id for r in resolved], picture.as_of
    )
    return calibration.score_forecasts(resolved, statements, 0.0)


async def _calibration(db: Database, picture: Picture) -> list[dict[str, Any]]:
    """Each function's calibration as of the snapshot (docs/design.md §2b), bins left out:
    what ``calibration.calibration`` answers for the whole model."""
    scored = await db.read_model(None, _scored, picture)
    found = [calibration.function_calibration(name, scored) for name in picture.functions]
    return [
        row.model_dump(
            mode="json",
            include={"function", "forecasts", "brier_score", "brier_skill_score", "by_quarter"},
        )
        for row in found
    ]


def figures_for(settings: EngineSettings) -> FiguresFn:
    """The figures function ``snapshots.create`` takes, with the configured thresholds."""

    async def run(db: Database, as_of: datetime) -> dict[str, Any]:
        return await compute(db, settings, as_of)

    return run
