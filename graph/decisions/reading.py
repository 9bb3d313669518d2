"""What a person needs beside a decision check to read it: each proposition as a sentence and
the evidence items that moved it (the command line prints these), and the rows a snapshot's
figures keep for its reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import entities, evidence, propositions
from graph.decisions.risk import checked_as_of
from graph.divergence.settings import EngineSettings
from graph.kit.connection import Database
from schema.decisions import DecisionCheck
from schema.models import Evidence
from schema.sentences import sentence


@dataclass(frozen=True)
class Readable:
    sentences: dict[str, str]  # by proposition id (as recorded, and current)
    evidence: dict[str, Evidence]  # the items that moved a basis, by id


async def readable(tx: AsyncManagedTransaction, checks: list[DecisionCheck]) -> Readable:
    """The sentences and moving items of these checks: three queries."""
    ids = sorted({pid for c in checks for b in c.basis for pid in (b.proposition_id, b.current_id)})
    found = await propositions.get_many(tx, ids)
    names = await entities.get_many(
        tx, sorted({e for p in found.values() for e in (p.subject_id, p.object_id)})
    )

    def name(entity_id: str) -> str:
        entity = names.get(entity_id)
        return entity.name if entity else entity_id

    sentences = {
        pid: sentence(name(p.subject_id), p.relation, name(p.object_id)) for pid, p in found.items()
    }
    moved = sorted({item for c in checks for b in c.basis for item in b.moved_by})
    return Readable(sentences, await evidence.get_many(tx, moved) if moved else {})


async def report_rows(
    db: Database, settings: EngineSettings, as_of: datetime, *, items_shown: int = 3
) -> list[dict[str, Any]]:
    """The decisions made by ``as_of``, checked then, as plain rows for a snapshot's figures:
    those at risk first, then the others, newest first within each."""
    checks = await db.read(checked_as_of, settings, as_of=as_of)
    words = await db.read(readable, checks)

    def item(item_id: str) -> dict[str, Any]:
        found = words.evidence.get(item_id)
        if found is None:
            return {"id": item_id}
        return {
            "id": found.id,
            "source_type": found.source_type,
            "summary": found.summary,
            "recorded_at": found.recorded_at.isoformat(),
            "retracted": found.retracted_at is not None and found.retracted_at <= as_of,
        }

    rows = [
        {
            **c.decision.model_dump(mode="json", exclude={"basis"}),
            "at_risk": c.at_risk,
            "basis": [
                {
                    **b.model_dump(mode="json", exclude={"moved_by"}),
                    "text": words.sentences.get(b.current_id, b.current_id),
                    "at_risk": b.at_risk,
                    "moved_by": [item(i) for i in b.moved_by[:items_shown]],
                }
                for b in c.basis
            ],
        }
        for c in checks
    ]
    return sorted(rows, key=lambda r: not r["at_risk"])
