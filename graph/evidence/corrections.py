"""Correcting evidence without deleting it: retraction (the item stays, excluded from support
from then on) and, for personal data, redaction (its text goes; weight, stance and audit stay)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from neo4j import AsyncManagedTransaction

from graph import audit, model_version
from graph.evidence.reading import get
from graph.kit import keys
from graph.kit.connection import fetch_one
from schema.errors import ReasonRequired
from schema.evidence import EvidenceNotFound, OtherFunctionsEvidence, RedactionNeedsAdmin
from schema.members import ViewerCannotWrite
from schema.models import Actor, Evidence
from schema.vocabulary import Role

# What ``retract`` and ``redact`` have in common: (tx, actor, evidence id, reason, now) in,
# the corrected item out.
Change = Callable[[AsyncManagedTransaction, Actor, str, str, datetime], Awaitable[Evidence]]

RETRACT = """
MATCH (ev:Evidence {id: $id})
SET ev.retracted_at = coalesce(ev.retracted_at, $now),
    ev.retract_reason = coalesce(ev.retract_reason, $reason),
    ev.retracted_by = coalesce(ev.retracted_by, $actor_id)
"""

REDACT = """
MATCH (ev:Evidence {id: $id})
SET ev.summary = null, ev.source_ref = null,
    ev.redacted_at = coalesce(ev.redacted_at, $now),
    ev.redact_reason = coalesce(ev.redact_reason, $reason),
    ev.redacted_by = coalesce(ev.redacted_by, $actor_id),
    ev.idempotency_key = CASE WHEN ev.idempotency_key STARTS WITH $redacted_prefix
                              THEN ev.idempotency_key ELSE $redacted_key END
"""

STORED_KEY = "MATCH (ev:Evidence {id: $id}) RETURN ev.idempotency_key AS key"


async def retract(
    tx: AsyncManagedTransaction, actor: Actor, evidence_id: str, reason: str, now: datetime
) -> Evidence:
    """Exclude an item from support from now on; it stays, with the reason."""
    return await _correct(tx, actor, evidence_id, reason, now, RETRACT, "retractEvidence")


async def redact(
    tx: AsyncManagedTransaction, actor: Actor, evidence_id: str, reason: str, now: datetime
) -> Evidence:
    """Admins remove an item's text (personal data); its weight, stance and audit stay."""
    if actor.role is not Role.ADMIN:
        raise RedactionNeedsAdmin(actor.member_id, evidence_id)
    return await _correct(tx, actor, evidence_id, reason, now, REDACT, "redactEvidence")


async def _correct(
    tx: AsyncManagedTransaction,
    actor: Actor,
    evidence_id: str,
    reason: str,
    now: datetime,
    query: str,
    action: str,
) -> Evidence:
    item = await _editable(tx, actor, evidence_id, reason)
    stored = await fetch_one(tx, STORED_KEY, id=item.id)
    key = None if stored is None else stored["key"]
    redacted_key = None
    if key is not None and query is REDACT:
        redacted_key = keys.redacted(await keys.make_secret(tx), str(key))
    await tx.run(
        query,
        id=item.id,
        now=now,
        reason=reason,
        actor_id=actor.member_id,
        redacted_key=redacted_key,
        redacted_prefix=keys.REDACTED,
    )
    await audit.record(
        tx, actor, action, [item.id], now, reason[:200], change=model_version.evidence([item.id])
    )
    corrected = await get(tx, item.id)
    assert corrected is not None
    return corrected


async def _editable(
    tx: AsyncManagedTransaction, actor: Actor, evidence_id: str, reason: str
) -> Evidence:
    if not actor.can_write:
        raise ViewerCannotWrite(actor.member_id)
    if not reason.strip():
        raise ReasonRequired()
    item = await get(tx, evidence_id)
    if item is None:
        raise EvidenceNotFound(evidence_id)
    if not actor.may_act_for_any_function and item.function != actor.function:
        raise OtherFunctionsEvidence(item.id, item.function)
    return item
