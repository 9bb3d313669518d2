"""What a person needs beside a decision check to read it: each proposition as a sentence and
the evidence items that moved it (the command line and the reports print these)."""

from __future__ import annotations

from dataclasses import dataclass

from neo4j import AsyncManagedTransaction

from graph import entities, evidence, propositions
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
