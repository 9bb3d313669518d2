"""What the import tests share: a small model with propositions and an account, and a
support-ticket export (CSV) of rows bearing on its propositions, with its column mapping."""

from __future__ import annotations

from datetime import UTC, datetime

from neo4j import AsyncManagedTransaction

from graph import entities, evidence, propositions
from graph.kit.connection import Database
from graph.support import SupportSettings, support_for
from schema.models import Actor, EntityCreate, PropositionCreate
from schema.vocabulary import DEFAULT_RELIABILITY, EntityKind, Relation

TICKET_MAPPING = {
    "summary": "Ticket subject",
    "observed_at": "Created",
    "source_ref": "Ticket ID",
    "account_id": "Org ID",
    "proposition_id": "Proposition",
    "stance": "Stance",
    "strength": "Strength",
    "magnitude": "Score",
    "source_type": {"const": "support_ticket"},
    "idempotency_key": "Ticket ID",
}
TICKET_HEADER = "Ticket ID,Ticket subject,Created,Org ID,Proposition,Stance,Strength,Score\n"


async def ticket_model(db: Database, pains: int = 3) -> tuple[list[str], str]:
    """A segment with an account and ``pains`` EXPERIENCES propositions."""
    now = datetime.now(UTC)
    actor = Actor.system()

    async def build(tx: AsyncManagedTransaction) -> tuple[list[str], str]:
        segment, _ = await entities.create(
            tx, actor, EntityCreate(kind=EntityKind.SEGMENT, name="Mid-market ops"), now
        )
        account, _ = await entities.create(
            tx,
            actor,
            EntityCreate(kind=EntityKind.ACCOUNT, name="Northwind", segment_id=segment.id),
            now,
        )
        ids = []
        for n in range(pains):
            pain, _ = await entities.create(
                tx, actor, EntityCreate(kind=EntityKind.PAIN, name=f"Pain {n}"), now
            )
            prop, _ = await propositions.create(
                tx,
                actor,
                PropositionCreate(
                    subject_id=segment.id, relation=Relation.EXPERIENCES, object_id=pain.id
                ),
                now,
            )
            ids.append(prop.id)
        return ids, account.id

    return await db.write(build)


async def evidence_count(db: Database) -> int:
    return await db.read(evidence.count)


async def visible_supporting(db: Database, proposition_id: str) -> int:
    found = await db.read(
        support_for,
        SupportSettings(dict(DEFAULT_RELIABILITY)),
        as_of=datetime.now(UTC),
        ids=[proposition_id],
    )
    return found[proposition_id].supporting_count if proposition_id in found else 0


def tickets_csv(props: list[str], account: str, rows: int, start: int = 0) -> str:
    lines = [TICKET_HEADER]
    for n in range(start, start + rows):
        stance = "supports" if n % 3 else "Contradicts"
        lines.append(
            f'{10000 + n},"Ticket {n}: setup, again",2026-03-{1 + n % 28:02d} 10:22,{account},'
            f"{props[n % len(props)]},{stance},0.{1 + n % 9},{1 + n % 5}\n"
        )
    return "".join(lines)
