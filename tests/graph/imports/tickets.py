"""What the import tests share: a small model with propositions and an account, and a
support-ticket export (CSV) of rows bearing on its propositions, with its column mapping."""

from __future__ import annotations

from datetime import UTC, datetime

from graph import evidence
from graph.kit.connection import Database
from graph.support import SupportSettings, support_for
from schema.vocabulary import DEFAULT_RELIABILITY
from tests.factories import small_model

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
    model = await small_model(db, segment="Mid-market ops", account="Northwind", pains=pains)
    assert model.account_id is not None
    return model.experiences, model.account_id


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
