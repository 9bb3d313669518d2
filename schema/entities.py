"""Expected failures of entities and of merging them, each carrying the entities involved.

The entity shapes (``Entity``, ``EntityCreate``, ``EntityUpdate``) are in ``schema/models.py``.
"""

from __future__ import annotations

from schema.errors import BadInput, NotFound
from schema.models import Entity


class EntityNotFound(NotFound):
    """No entity has this id (a merged entity's id resolves to its survivor, so it counts)."""

    what = "entity"

    def __init__(self, entity_id: str) -> None:
        super().__init__(self.what, entity_id)
        self.entity_id = entity_id


class SegmentNotFound(EntityNotFound):
    """An account is created in a segment that does not exist or is retired."""

    what = "segment"


class AmbiguousSegment(BadInput):
    """A segment named by the starts of the words of its name (the CLI's ``--segment``) that
    fits several segments; ``matches`` holds each one's (id, name)."""

    def __init__(self, ref: str, matches: list[tuple[str, str]]) -> None:
        names = ", ".join(f"{name} ({segment_id})" for segment_id, name in matches)
        super().__init__(f"--segment {ref!r} matches several segments: {names}")
        self.ref = ref
        self.matches = matches


class AccountNotFound(EntityNotFound):
    """Evidence names an account that does not exist."""

    what = "account"


class EntityRetired(BadInput):
    """The entity is retired: it cannot change, be merged, or gain propositions.

    ``cannot_be`` names what was refused (``changed``, ``merged``); without it the message
    gives the entity's retirement ``reason`` instead.
    """

    def __init__(
        self, entity_id: str, *, cannot_be: str | None = None, reason: str | None = None
    ) -> None:
        why = f" and cannot be {cannot_be}" if cannot_be else f": {reason}"
        super().__init__(f"entity {entity_id!r} is retired{why}")
        self.entity_id = entity_id
        self.reason = reason


class IdempotencyKeyTaken(BadInput):
    """An entity creation repeats an idempotency key already used for another kind."""

    def __init__(self, idempotency_key: str | None, existing: Entity) -> None:
        super().__init__(
            f"idempotencyKey {idempotency_key!r} was already used for a {existing.kind.value}"
        )
        self.idempotency_key = idempotency_key
        self.existing = existing


class FieldNotForKind(BadInput):
    """An update sets a field this entity's kind does not have, or a value it does not allow
    (``field`` is the API's name: ``status``, ``altKind``, ``channel``)."""

    def __init__(self, entity: Entity, field: str, problem: str) -> None:
        super().__init__(problem)
        self.entity = entity
        self.field = field


class SameEntity(BadInput):
    """A merge names one entity twice (directly, or through an earlier merge's survivor)."""

    def __init__(self, keep_id: str, merge_id: str, entity_id: str) -> None:
        super().__init__(f"{keep_id!r} and {merge_id!r} are the same entity ({entity_id!r})")
        self.keep_id = keep_id
        self.merge_id = merge_id
        self.entity_id = entity_id


class DifferentKinds(BadInput):
    """A merge names two entities of different kinds."""

    def __init__(self, keep: Entity, merged: Entity) -> None:
        super().__init__(
            f"only entities of one kind can be merged: {keep.id!r} is a {keep.kind.value}, "
            f"{merged.id!r} a {merged.kind.value}"
        )
        self.keep = keep
        self.merged = merged
