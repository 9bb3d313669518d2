"""Expected failures of evidence, each carrying the items involved.

The evidence shapes (``Evidence``, ``EvidenceCreate``, ``Bearing``) are in ``schema/models.py``.
"""

from __future__ import annotations

from schema.errors import BadInput, Forbidden, NotFound


class EvidenceNotFound(NotFound):
    """No evidence item has this id."""

    def __init__(self, evidence_id: str) -> None:
        super().__init__("evidence", evidence_id)
        self.evidence_id = evidence_id


class RepeatedIdempotencyKey(BadInput):
    """Two items of one batch carry the same idempotency key."""

    def __init__(self, idempotency_key: str) -> None:
        super().__init__("two items in one batch share an idempotencyKey")
        self.idempotency_key = idempotency_key


class OtherFunctionsEvidence(Forbidden):
    """A contributor may change only the evidence their own function recorded."""

    def __init__(self, evidence_id: str, recorded_by_function: str | None) -> None:
        super().__init__(
            f"this evidence was recorded by {recorded_by_function}; only its own function, a "
            "facilitator or an admin may change it"
        )
        self.evidence_id = evidence_id
        self.recorded_by_function = recorded_by_function


class RedactionNeedsAdmin(Forbidden):
    """Only an admin removes an item's text (personal data)."""

    def __init__(self, member_id: str, evidence_id: str) -> None:
        super().__init__("only an admin may redact evidence")
        self.member_id = member_id
        self.evidence_id = evidence_id


class InvalidEvidenceItem(BadInput):
    """One item of an ``addEvidence`` batch is invalid; ``index`` counts from 0 and ``cause``
    is what was wrong with it."""

    def __init__(self, index: int, cause: BadInput) -> None:
        super().__init__(f"item {index}: {cause.message}", item=index)
        self.index = index
        self.cause = cause


class EvidenceBatchTooLarge(BadInput):
    """An ``addEvidence`` batch holds more items than the configured limit."""

    def __init__(self, limit: int, size: int) -> None:
        super().__init__(
            f"a batch may hold at most {limit} items, this one has {size}; split it "
            "or use the bulk import",
            limit=limit,
            size=size,
        )
        self.limit = limit
        self.size = size


class UnknownSourceType(BadInput):
    """A source type outside the vocabulary (interview, support_ticket, ...)."""

    def __init__(self, source_type: str, valid: tuple[str, ...]) -> None:
        super().__init__(f"sourceType must be one of {', '.join(valid)}")
        self.source_type = source_type
        self.valid = valid
