"""One proposition as the workshop's side panel shows it: its evidence items, each function's
belief and its history, and the outcomes of the blind votes on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from api.rest.workshop.shapes import (
    evidence_json,
    ordered_functions,
    proposition_view,
    statement,
)
from graph import beliefs, entities, evidence, functions, members, propositions, support, votes
from graph.divergence import EngineSettings, evidence_view
from schema.models import Entity, Evidence
from schema.propositions import PropositionNotFound
from schema.vocabulary import MAGNITUDE_MEANING

EVIDENCE_ITEMS = 200
LAST = 1 << 30  # where a function outside the known list sorts


def _item(ev: Evidence, proposition_id: str, account: Entity | None) -> dict[str, Any]:
    bearing = next(b for b in ev.bears if b.proposition_id == proposition_id)
    return {
        "id": ev.id,
        "source_type": ev.source_type,
        "summary": ev.summary,
        "redacted": ev.redacted_at is not None,
        "source_ref": ev.source_ref,
        "observed_at": ev.observed_at.isoformat(),
        "account": {"id": account.id, "name": account.name} if account else None,
        "stance": bearing.stance.value,
        "strength": bearing.strength,
        "magnitude": bearing.magnitude,
        "function": ev.function,
    }


async def load_proposition(
    tx: AsyncManagedTransaction, engine: EngineSettings, proposition_id: str, as_of: datetime
) -> dict[str, Any]:
    found = await propositions.get(tx, proposition_id)
    if found is None:
        raise PropositionNotFound(proposition_id)
    ends = await entities.get_many(tx, [found.subject_id, found.object_id])
    subject, obj = ends.get(found.subject_id), ends.get(found.object_id)
    if subject is None or obj is None:
        raise PropositionNotFound(proposition_id)
    view = proposition_view(found, subject, obj)
    figures = await support.support_for(tx, engine.support_settings, as_of=as_of, ids=[found.id])
    items = await evidence.for_proposition(tx, found.id, as_of, limit=EVIDENCE_ITEMS)
    accounts = await entities.get_many(tx, sorted({i.account_id for i in items if i.account_id}))
    current = await beliefs.current(tx, [found.id], as_of)
    history = await beliefs.history(tx, found.id, as_of)
    outcomes = await votes.results_for_proposition(tx, found.id)
    names = {m.id: m.name for m in await members.list_all(tx)}
    order = {
        name: n
        for n, name in enumerate(ordered_functions([f.name for f in await functions.list_all(tx)]))
    }

    by_vote: dict[str, dict[str, Any]] = {}
    for vote_id, label, revealed_at, result in outcomes:
        entry = by_vote.setdefault(
            vote_id,
            {
                "vote_id": vote_id,
                "label": label,
                "revealed_at": revealed_at.isoformat() if revealed_at else None,
                "results": [],
            },
        )
        entry["results"].append(result.model_dump(mode="json"))
    for entry in by_vote.values():
        entry["results"].sort(key=lambda r: order.get(r["function"], LAST))
    return {
        "as_of": as_of.isoformat(),
        "proposition": {
            "id": view.id,
            "relation": view.relation.value,
            "statement": statement(view),
            "magnitude_meaning": MAGNITUDE_MEANING[view.relation],
            "subject": {"id": subject.id, "kind": subject.kind.value, "name": subject.name},
            "object": {"id": obj.id, "kind": obj.kind.value, "name": obj.name},
            "retired": found.retired_at is not None,
        },
        "evidence": evidence_json(evidence_view(figures.get(found.id), engine)),
        "items": [
            _item(ev, found.id, accounts.get(ev.account_id) if ev.account_id else None)
            for ev in items
        ],
        "beliefs": [
            {
                "function": b.function,
                "p": b.p,
                "magnitude": b.magnitude,
                "rationale": b.rationale,
                "stated_at": b.stated_at.isoformat(),
                "stated_by": names.get(b.stated_by, b.stated_by),
                "vote_id": b.vote_id,
            }
            for b in sorted(current, key=lambda b: order.get(b.function, LAST))
        ],
        "history": [
            {
                "function": b.function,
                "p": b.p,
                "withdrawn": b.withdrawn,
                "stated_at": b.stated_at.isoformat(),
                "vote_id": b.vote_id,
            }
            for b in history
        ],
        "votes": list(by_vote.values()),
    }
