"""The segment view data: one segment's whole model, its heatmap and its divergences, as the
workshop page reads them, and the shared read they are built from.

A segment's whole model is one Cypher-shaped ``Picture`` served as plain JSON, not through
GraphQL: it is the page's hot path (docs/design.md §6). Everything but ``load_segment`` is a pure
function of the picture.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from api.rest.workshop.shapes import (
    RELATION_ORDER,
    evidence_json,
    ordered_functions,
    rounded,
    statement,
)
from graph import entities, votes
from graph.divergence import (
    EngineSettings,
    Picture,
    alignment,
    belief_gaps,
    disagreements,
    kept_while_shaped,
    kept_with_copy,
    load_model,
    load_scope,
    shared_model,
    structural_gaps,
    with_scope,
    written_so_far,
)
from graph.entities import EntityNotes
from graph.kit import coalesce
from graph.kit.connection import Database
from schema.divergence import EntityRef, PropositionView
from schema.vocabulary import MAGNITUDE_MEANING


def _ordered(picture: Picture) -> list[PropositionView]:
    """The scope's propositions as the map lists them: once per model and scope."""
    key = ("workshop order", picture.scope)
    found: list[PropositionView] | None = picture.memo.get(key)
    if found is None:
        found = sorted(
            picture.in_scope(),
            key=lambda p: (RELATION_ORDER[p.relation], p.subject.name, p.object.name, p.id),
        )
        picture.memo[key] = found
    return found


@dataclass(frozen=True)
class _ModelRow:
    """What a proposition's row on the map says that depends on the proposition and its
    beliefs alone, not on T nor on the votes: kept for each proposition until a write
    changes it (``Picture.each_proposition``), so that a workshop's pages build it once."""

    head: dict[str, Any]  # id, relation, ends, sentence, what its magnitude means
    beliefs: dict[str, tuple[str, dict[str, Any]]]  # function: its belief's id and figures
    tail: dict[str, Any]  # the spread of the beliefs, and whether it is contested


def _model_row(picture: Picture, view: PropositionView) -> _ModelRow:
    contested_spread = picture.settings.contested_spread
    kept: dict[str, _ModelRow] = picture.each_proposition(("workshop rows", contested_spread))
    found = kept.get(view.id)
    if found is None:
        held = picture.beliefs_on(view.id)
        values = [b.p for b in held]
        spread = max(values) - min(values) if len(values) >= 2 else None
        found = _ModelRow(
            head={
                "id": view.id,
                "relation": view.relation.value,
                "subject_id": view.subject.id,
                "object_id": view.object.id,
                "statement": statement(view),
                "magnitude_meaning": MAGNITUDE_MEANING[view.relation],
            },
            beliefs={
                b.function: (
                    b.belief_id,
                    {"p": b.p, "magnitude": b.magnitude, "stated_at": b.stated_at.isoformat()},
                )
                for b in held
            },
            tail={
                "spread": rounded(spread),
                "contested_among_functions": spread is not None and spread >= contested_spread,
            },
        )
        kept[view.id] = found
    return found


def segment_json(
    picture: Picture,
    details: dict[str, EntityNotes],
    voted: AbstractSet[str],
    stamps: dict[str, Any],
) -> dict[str, Any]:
    """The map's data: the segment's entities and propositions, each with its evidence and
    every function's belief (marked when a vote stated it)."""
    ordered = _ordered(picture)
    nodes: dict[str, dict[str, Any]] = {}
    for view in ordered:
        for ref in (view.subject, view.object):
            if ref.id not in nodes:
                detail = details.get(ref.id)
                nodes[ref.id] = {
                    "id": ref.id,
                    "kind": ref.kind.value,
                    "name": ref.name,
                    "status": ref.status,
                    "alt_kind": detail["alt_kind"] if detail else None,
                    "description": detail["description"] if detail else None,
                }
    assert picture.segment is not None
    segment = details.get(picture.segment.id)
    return {
        "as_of": picture.as_of.isoformat(),
        "stamps": stamps,
        "segment": {
            "id": picture.segment.id,
            "name": picture.segment.name,
            "description": segment["description"] if segment else None,
        },
        "functions": ordered_functions(picture.functions),
        "thresholds": picture.thresholds.model_dump(mode="json"),
        "entities": sorted(nodes.values(), key=lambda n: (n["kind"], n["name"])),
        "propositions": _rows(picture, ordered, voted),
    }


def _rows(
    picture: Picture, ordered: list[PropositionView], voted: AbstractSet[str]
) -> list[dict[str, Any]]:
    """The map's proposition rows. They depend on the model, T and the votes alone: the pages
    of one segment opened at the same T (a workshop's, within a second) share them."""
    key = ("workshop rows", picture.scope, frozenset(voted))
    found: list[dict[str, Any]] | None = picture.at_t.get(key)
    if found is None:
        found = [
            {
                **(model := _model_row(picture, view)).head,
                "evidence": evidence_json(picture.evidence(view.id)),
                "beliefs": {
                    function: {**figures, "from_vote": belief_id in voted}
                    for function, (belief_id, figures) in model.beliefs.items()
                },
                **model.tail,
            }
            for view in ordered
        ]
        picture.at_t[key] = found
    return found


def heatmap_json(picture: Picture, voted: AbstractSet[str]) -> dict[str, Any]:
    """Function × proposition: each function's p and its gap to the evidence, where the
    evidence weighs enough to compare."""
    settings = picture.settings
    rows = []
    for view in _ordered(picture):
        ev = picture.evidence(view.id)
        comparable = ev.mass >= settings.min_evidence_mass
        cells = {}
        for b in picture.beliefs_on(view.id):
            gap = b.p - ev.confidence if comparable else None
            cells[b.function] = {
                "p": b.p,
                "gap": rounded(gap),
                "significant": gap is not None and abs(gap) >= settings.significant_gap,
                "from_vote": b.belief_id in voted,
            }
        rows.append(
            {
                "proposition_id": view.id,
                "statement": statement(view),
                "relation": view.relation.value,
                "status": ev.status.value,
                "confidence": rounded(ev.confidence),
                "mass": rounded(ev.mass),
                "comparable": comparable,
                "cells": cells,
            }
        )
    return {
        "functions": ordered_functions(picture.functions),
        "min_evidence_mass": settings.min_evidence_mass,
        "significant_gap": settings.significant_gap,
        "rows": rows,
    }


def divergences_json(picture: Picture, limit: int) -> dict[str, Any]:
    """The top belief gaps and disagreements as sentences, the structural gaps, the alignment
    index."""
    gaps = []
    for row in belief_gaps(picture, significant_only=True)[:limit]:
        text = statement(row.proposition)
        if row.gap > 0:
            sentence = (
                f"{row.function.capitalize()} is more sure than the evidence that {text}: "
                f"believes {row.p:.2f}, the evidence says {row.confidence:.2f}."
            )
        else:
            sentence = (
                f"{row.function.capitalize()} doubts that {text} more than the evidence does: "
                f"believes {row.p:.2f}, the evidence says {row.confidence:.2f}."
            )
        gaps.append(
            {
                "proposition_id": row.proposition.id,
                "function": row.function,
                "p": row.p,
                "confidence": rounded(row.confidence),
                "gap": rounded(row.gap),
                "direction": row.direction.value,
                "rank_score": rounded(row.rank_score),
                "text": sentence,
            }
        )
    spreads = []
    for d in disagreements(picture, contested_only=True)[:limit]:
        spreads.append(
            {
                "proposition_id": d.proposition.id,
                "spread": rounded(d.spread),
                "standard_deviation": rounded(d.standard_deviation),
                "highest": {"function": d.highest.function, "p": d.highest.p},
                "lowest": {"function": d.lowest.function, "p": d.lowest.p},
                "text": (
                    f"The functions disagree on whether {statement(d.proposition)}: "
                    f"{d.highest.function} {d.highest.p:.2f}, {d.lowest.function} "
                    f"{d.lowest.p:.2f} (evidence {d.evidence.confidence:.2f})."
                ),
            }
        )
    structural = [
        {
            "kind": g.kind.value,
            "owners": list(g.owners),
            "entity": {"id": g.entity.id, "kind": g.entity.kind.value, "name": g.entity.name},
            "proposition_ids": [p.proposition.id for p in g.propositions],
            "text": g.explanation,
        }
        for g in structural_gaps(picture)
    ]
    agreement = alignment(picture)
    return {
        "belief_gaps": gaps,
        "disagreements": spreads,
        "structural_gaps": structural,
        "alignment": {
            "alpha": rounded(agreement.alpha),
            "alpha_low": rounded(agreement.alpha_low),
            "alpha_high": rounded(agreement.alpha_high),
            "mean_abs_difference": rounded(agreement.mean_abs_difference),
            "units": agreement.units,
        },
    }


SegmentModel = tuple[Picture, dict[str, EntityNotes], AbstractSet[str], dict[str, Any]]


async def load_segment(
    db: Database, engine: EngineSettings, segment_id: str, as_of: datetime | None
) -> SegmentModel:
    """One segment's model, its entities' details, the beliefs set by votes, the stamps.

    Without ``as_of`` a request sees the model as of the moment its read began, from the
    process's shared model (``graph.divergence.shared``): only what changed since the last
    page is read again. The segment's scope and its entities' notes change only with a write
    that changes the model's shape, so they are read once per shape and segment, whatever
    evidence and beliefs come in meanwhile; the beliefs its reveals stated, once per copy of
    the model (each belief is a write that makes a new copy). The stamps and the model
    version are read once for the pages that ask together. A workshop's pages then cost the
    database almost nothing between writes, and little more while evidence streams in.

    With ``as_of`` each page needs the whole model at that time (structural gaps look beyond
    the segment): requests that queue together share one read of it
    (``Database.read_model_shared``) and add only their own segment's scope, details and
    votes in the same transaction.
    """

    async def whole(tx: AsyncManagedTransaction, started_at: datetime) -> tuple[Any, Picture]:
        stamps = await votes.change_stamps(tx)  # first: a change during the read shows later
        return stamps, await load_model(tx, engine, as_of=as_of or started_at)

    async def shape(
        tx: AsyncManagedTransaction, model: Picture, at: datetime
    ) -> tuple[EntityRef, frozenset[str], dict[str, EntityNotes]]:
        """The segment, its scope and its entities' notes."""
        segment, scope = await load_scope(tx, segment_id, as_of=at)
        in_scope = with_scope(model, segment, scope).in_scope()
        ids = sorted({segment.id} | {r.id for p in in_scope for r in (p.subject, p.object)})
        return segment, frozenset(scope), await entities.notes_of(tx, ids)

    async def voted_in(tx: AsyncManagedTransaction, picture: Picture) -> frozenset[str]:
        return frozenset(await votes.belief_ids_from_votes(tx, [p.id for p in picture.in_scope()]))

    async def own_of_common(
        tx: AsyncManagedTransaction, common: tuple[Any, Picture], started_at: datetime
    ) -> SegmentModel:
        stamps, model = common
        segment, scope, details = await shape(tx, model, as_of or started_at)
        picture = with_scope(model, segment, scope)
        return picture, details, await voted_in(tx, picture), stamps

    if as_of is None:
        # First: a change during the read shows later.
        stamps = await coalesce.read_now(db, votes.change_stamps)
        # Pages opened together share one T and one computation of the weights.
        model = await shared_model(db).picture(engine, as_of=None)
        # The scope and the notes, kept while no write changes the model's shape: the
        # evidence and beliefs a busy model takes in leave them (read as the copy was read).
        segment, scope, details = await kept_while_shaped(
            model,
            ("workshop segment", segment_id),
            lambda: db.read(shape, model, written_so_far()),
        )
        picture = with_scope(model, segment, scope)
        # The beliefs its reveals stated: a reveal states beliefs, each a write that makes a
        # new copy of the model, so they are kept with the copy.
        voted = await kept_with_copy(
            model, ("workshop votes", segment_id), lambda: db.read(voted_in, picture)
        )
        return picture, details, voted, stamps
    # The engine settings are part of the key: a frozen dataclass whose repr lists them all.
    key = ("workshop segment", repr(engine), as_of)
    return await db.read_model_shared(key, None, whole, own_of_common)
