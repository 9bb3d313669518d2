"""The model version: how every API process (and every replica) knows its copy of the shared
model is stale, and which propositions to read again (docs/design.md, "The shared model").

Every write that changes the model ends with ``bump``: it increments one of ``SLOTS`` counter
nodes, picked at random so that concurrent writers rarely wait on the same node, and stamps
the propositions it changed with ``(slot, value)``. A reader keeps the counters it last saw;
when they moved, it reads again only the propositions stamped above what it holds. A write
that cannot say what it changed (a merge, a restore, the demo load) moves the *structure*
counter instead, and readers read everything again.

Most writes change only what weighs on propositions (evidence added, retracted or imported,
beliefs stated): those say so (``weighing``), and every other write also moves a *shape*
count on the counter it increments. While the counters' shapes add up to what a reader
last saw, which propositions there are, what they connect and what is said of their
entities are as it read them: it keeps what it worked out from that shape (a segment's
scope, its entities' notes) across copies of the model.

The counters live in ``ModelVersion`` nodes keyed by ``slot`` (the ``model_version_slot``
constraint makes concurrent ``MERGE``s converge). The structure node also carries an *epoch*,
a random id given when it is first created: a database emptied and filled again starts a
new epoch, so a process never mistakes new counters for ones it has seen.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from neo4j import AsyncManagedTransaction

from graph.kit.connection import fetch_collected, one_statement

SLOTS = 16
STRUCTURE_SLOT = -1


@dataclass(frozen=True)
class ModelChange:
    """What one write changed in the shared model, named as precisely as the write knows it."""

    propositions: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()  # the propositions these items bear on
    entities: tuple[str, ...] = ()  # the propositions about these entities
    import_id: str | None = None  # the propositions its items bear on
    everything: bool = False
    weighing_only: bool = False
    """Whether the write changed only what weighs on the propositions (their evidence, their
    beliefs), not which propositions there are, what they connect or what is said of their
    entities: then it leaves the shape counts alone."""

    @property
    def is_nothing(self) -> bool:
        return not (
            self.propositions or self.evidence or self.entities or self.import_id or self.everything
        )

    @property
    def changes_shape(self) -> bool:
        return not self.is_nothing and (self.everything or not self.weighing_only)


NOTHING = ModelChange()
EVERYTHING = ModelChange(everything=True)


def propositions(ids: Iterable[str]) -> ModelChange:
    """These propositions changed: made, edited or retired (their shape)."""
    return ModelChange(propositions=tuple(ids))


def weighing(ids: Iterable[str]) -> ModelChange:
    """What weighs on these propositions changed: new evidence on them, a belief stated."""
    return ModelChange(propositions=tuple(ids), weighing_only=True)


def evidence(ids: Iterable[str]) -> ModelChange:
    """These items changed (retracted, redacted): what weighs on their propositions."""
    return ModelChange(evidence=tuple(ids), weighing_only=True)


def entities(ids: Iterable[str]) -> ModelChange:
    return ModelChange(entities=tuple(ids))


def from_import(import_id: str) -> ModelChange:
    """An import's items count from now on: what weighs on their propositions."""
    return ModelChange(import_id=import_id, weighing_only=True)


# The structure node is merged by every bump, so a database emptied since holds a new epoch
# as soon as anything is written; its value moves only with a write that changed everything.
BUMP = """
MERGE (structure:ModelVersion {slot: $structure_slot})
ON CREATE SET structure.value = 0, structure.epoch = randomUUID()
FOREACH (_ IN CASE WHEN $everything THEN [1] ELSE [] END |
  SET structure.value = structure.value + 1)
MERGE (v:ModelVersion {slot: $slot})
ON CREATE SET v.value = 0
SET v.value = v.value + 1
FOREACH (_ IN CASE WHEN $shape THEN [1] ELSE [] END |
  SET v.shape = coalesce(v.shape, 0) + 1)
WITH v
CALL () {
  UNWIND $proposition_ids AS id
  MATCH (p:Proposition {id: id})
  RETURN p
  UNION
  UNWIND $evidence_ids AS id
  MATCH (:Evidence {id: id})-[:BEARS_ON]->(p:Proposition)
  RETURN p
  UNION
  UNWIND $entity_ids AS id
  MATCH (:Entity {id: id})<-[:SUBJECT|OBJECT]-(p:Proposition)
  RETURN p
  UNION
  MATCH (ev:Evidence {import_id: $import_id})-[:BEARS_ON]->(p:Proposition)
  RETURN p
}
WITH DISTINCT v, p
SET p.changed_slot = v.slot, p.changed_value = v.value
"""

# Start-up creates every counter, so that a write only ever updates one (and gives the
# database its epoch, so that a model filled by other means, a benchmark's generator, is
# kept from the first read on).
ENSURE_COUNTERS = """
MERGE (structure:ModelVersion {slot: $structure_slot})
ON CREATE SET structure.value = 0, structure.epoch = randomUUID()
WITH structure
UNWIND range(0, $slots - 1) AS slot
MERGE (v:ModelVersion {slot: slot})
ON CREATE SET v.value = 0
"""

COUNTERS = """
MATCH (v:ModelVersion)
RETURN collect({slot: v.slot, value: v.value, epoch: v.epoch, shape: v.shape}) AS counters
"""

# Every proposition with its stamp: what a reader compares with the counters it holds.
STAMPS = """
MATCH (p:Proposition)
RETURN collect([p.id, p.changed_slot, p.changed_value]) AS stamps
"""


# The stamps above what a reader holds, slot by slot (the ``proposition_changed`` index), and
# how many propositions there are (from the count store): a reader whose copy, with these
# stamps, does not come to that many propositions reads every stamp instead. Every slot is
# asked, not only those whose counter moved: a proposition keeps only its latest stamp, and
# a write landing meanwhile may have stamped it again on a slot that had not moved.
MOVED_STAMPS = """
CALL {
  UNWIND $held AS slot
  MATCH (p:Proposition)
  WHERE p.changed_slot = slot.slot AND p.changed_value > slot.value
  RETURN collect([p.id, p.changed_slot, p.changed_value]) AS stamps
}
CALL {
  MATCH (p:Proposition)
  RETURN count(p) AS propositions
}
RETURN stamps, propositions
"""


def bump_parameters(change: ModelChange) -> dict[str, Any]:
    """``BUMP``'s parameters for ``change`` (a new slot picked at random each call)."""
    return {
        "structure_slot": STRUCTURE_SLOT,
        "everything": change.everything,
        "shape": change.changes_shape,
        "slot": random.randrange(SLOTS),
        "proposition_ids": list(change.propositions),
        "evidence_ids": list(change.evidence),
        "entity_ids": list(change.entities),
        "import_id": change.import_id,
    }


async def bump(tx: AsyncManagedTransaction, change: ModelChange) -> None:
    """Tell every reader of the shared model what this transaction changed (nothing: no-op)."""
    if change.is_nothing:
        return
    await tx.run(BUMP, bump_parameters(change))


async def ensure_counters(tx: AsyncManagedTransaction) -> None:
    await tx.run(ENSURE_COUNTERS, structure_slot=STRUCTURE_SLOT, slots=SLOTS)


@dataclass(frozen=True)
class Counters:
    """The counters as one read saw them."""

    epoch: str | None
    structure: int
    slots: dict[int, int]
    shape: int = 0  # the slots' shape counts added up: moved by all but weighing writes

    def covers(self, other: Counters) -> bool:
        """Whether a copy read at these counters has seen every write ``other`` has."""
        return (
            self.epoch == other.epoch
            and self.structure >= other.structure
            and all(self.slots.get(slot, 0) >= value for slot, value in other.slots.items())
        )

    def every_slot(self) -> dict[int, int]:
        """Every slot's value as these counters saw it (0 for one never written)."""
        return {slot: self.slots.get(slot, 0) for slot in range(SLOTS)} | self.slots

    def saw(self, slot: int | None, value: int | None) -> bool:
        """Whether a proposition stamped ``(slot, value)`` was read at or after its stamp."""
        return slot is None or value is None or self.slots.get(int(slot), 0) >= int(value)


@one_statement
async def counters(tx: AsyncManagedTransaction) -> Counters:
    rows: list[dict[str, Any]] = await fetch_collected(tx, COUNTERS, "counters")
    epoch: str | None = None
    structure = shape = 0
    slots: dict[int, int] = {}
    for row in rows:
        if int(row["slot"]) == STRUCTURE_SLOT:
            epoch, structure = row["epoch"], int(row["value"])
        else:
            slots[int(row["slot"])] = int(row["value"])
            # Each slot's count only grows, and a write moves one slot's: the sum moves
            # exactly when a shape write lands, with no node every such write must lock.
            shape += int(row["shape"] or 0)
    return Counters(epoch=epoch, structure=structure, slots=slots, shape=shape)


async def stamps(tx: AsyncManagedTransaction) -> list[tuple[str, int | None, int | None]]:
    """Every proposition's id and stamp (slot, value), None for one never stamped."""
    rows = await fetch_collected(tx, STAMPS, "stamps")
    return [(str(pid), slot, value) for pid, slot, value in rows]


async def moved_stamps(
    tx: AsyncManagedTransaction, held: dict[int, int]
) -> tuple[list[tuple[str, int | None, int | None]], int]:
    """The propositions stamped above ``held`` (slot: value), and how many propositions exist."""
    result = await tx.run(
        MOVED_STAMPS, held=[{"slot": slot, "value": value} for slot, value in held.items()]
    )
    record = await result.single(strict=True)
    found = [(str(pid), slot, value) for pid, slot, value in record["stamps"]]
    return found, int(record["propositions"])
