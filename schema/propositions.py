"""Expected failures of propositions, each carrying the proposition or entities involved.

The proposition shapes (``Proposition``, ``PropositionCreate``) are in ``schema/models.py``.
"""

from __future__ import annotations

from schema.errors import BadInput, NotFound
from schema.vocabulary import EntityKind, Relation


class PropositionNotFound(NotFound):
    """No proposition has this id (a merged one's id resolves to its survivor, so it counts)."""

    def __init__(self, proposition_id: str) -> None:
        super().__init__("proposition", proposition_id)
        self.proposition_id = proposition_id


class PropositionRetired(BadInput):
    """The proposition is retired; ``consequence`` says what that refuses, when the message
    names it (``evidence cannot bear on it``)."""

    def __init__(self, proposition_id: str, consequence: str | None = None) -> None:
        tail = f"; {consequence}" if consequence else ""
        super().__init__(f"proposition {proposition_id!r} is retired{tail}")
        self.proposition_id = proposition_id


class SameEndpoints(BadInput):
    """A proposition's subject and object are one entity (perhaps through a merge)."""

    def __init__(self, entity_id: str) -> None:
        super().__init__("a proposition needs two different entities")
        self.entity_id = entity_id


class EndpointKindsNotAllowed(BadInput):
    """The relation does not join entities of these kinds (``vocabulary.RELATION_ENDPOINTS``);
    ``problem`` is ``vocabulary.endpoint_error``'s explanation."""

    def __init__(
        self, relation: Relation, subject_kind: EntityKind, object_kind: EntityKind, problem: str
    ) -> None:
        super().__init__(problem)
        self.relation = relation
        self.subject_kind = subject_kind
        self.object_kind = object_kind


class EvidencePerPropositionOutOfRange(BadInput):
    """``propositionGraph`` asks for more evidence per proposition than it serves (or fewer
    than none)."""

    def __init__(self, asked: int, maximum: int) -> None:
        super().__init__(f"evidencePerProposition must be between 0 and {maximum}")
        self.asked = asked
        self.maximum = maximum
