"""Typed errors: each concept's errors answer as their root does, with the messages users know."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schema import (
    beliefs,
    divergence,
    entities,
    evidence,
    functions,
    imports,
    members,
    propositions,
    snapshots,
    votes,
)
from schema.errors import (
    BadInput,
    CommonGroundError,
    Conflict,
    DatabaseUnavailable,
    Forbidden,
    NotFound,
    PageSizeOutOfRange,
    ReasonRequired,
    Unauthenticated,
)
from schema.models import Entity
from schema.vocabulary import EntityKind

ROOTS: dict[type[CommonGroundError], tuple[str, int]] = {
    BadInput: ("BAD_USER_INPUT", 400),
    NotFound: ("NOT_FOUND", 404),
    Unauthenticated: ("UNAUTHENTICATED", 401),
    Forbidden: ("FORBIDDEN", 403),
    Conflict: ("CONFLICT", 409),
    DatabaseUnavailable: ("SERVICE_UNAVAILABLE", 503),
}
CONCEPTS = (
    beliefs,
    divergence,
    entities,
    evidence,
    functions,
    imports,
    members,
    propositions,
    snapshots,
    votes,
)


def _concept_errors() -> list[type[CommonGroundError]]:
    return [
        value
        for module in CONCEPTS
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, CommonGroundError)
        and value.__module__ == module.__name__
    ]


def test_the_roots_keep_their_codes_and_statuses() -> None:
    for root, (code, status) in ROOTS.items():
        assert (root.code, root.http_status) == (code, status), root


@pytest.mark.parametrize("error", _concept_errors(), ids=lambda e: e.__name__)
def test_a_concept_error_answers_with_its_roots_code_and_status(
    error: type[CommonGroundError],
) -> None:
    root = next(r for r in error.__mro__ if r in ROOTS)
    assert (error.code, error.http_status) == ROOTS[root]


def _entity(entity_id: str, kind: EntityKind) -> Entity:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Entity(id=entity_id, kind=kind, name=entity_id, created_at=at, created_by="system")


def test_messages_and_details_are_those_users_already_read() -> None:
    missing = entities.SegmentNotFound("seg-1")
    assert isinstance(missing, entities.EntityNotFound) and missing.entity_id == "seg-1"
    assert missing.message == "segment 'seg-1' does not exist"
    assert missing.details == {"what": "segment", "id": "seg-1"}
    unknown = functions.UnknownFunction("legal", ("product", "sales"))
    assert unknown.message == "function 'legal' does not exist; the functions are product, sales"
    assert unknown.valid_names == ("product", "sales")
    pairs = [
        (
            entities.EntityRetired("g-1", cannot_be="merged"),
            "entity 'g-1' is retired and cannot be merged",
        ),
        (entities.EntityRetired("g-1", reason="dup"), "entity 'g-1' is retired: dup"),
        (
            entities.DifferentKinds(
                _entity("g-1", EntityKind.GOAL), _entity("p-1", EntityKind.PAIN)
            ),
            "only entities of one kind can be merged: 'g-1' is a GOAL, 'p-1' a PAIN",
        ),
        (propositions.PropositionRetired("prop-1"), "proposition 'prop-1' is retired"),
        (
            propositions.PropositionRetired("prop-1", "evidence cannot bear on it"),
            "proposition 'prop-1' is retired; evidence cannot bear on it",
        ),
        (ReasonRequired("retire an entity"), "a reason is needed to retire an entity"),
        (ReasonRequired(), "a reason is needed"),
        (members.ViewerCannotWrite("mem-1"), "viewers may read but not write"),
        (
            beliefs.NothingToWithdraw("sales", "prop-1"),
            "sales holds no current belief on 'prop-1' to withdraw",
        ),
    ]
    for error, message in pairs:
        assert error.message == message == str(error)
        # Beyond NotFound's, no details: GraphQL would show them as extensions.details.
        assert error.details == {}


def test_request_errors_carry_what_was_sent_and_keep_their_words() -> None:
    assert PageSizeOutOfRange(0, 100).message == "`first` must be at least 1"
    too_many = PageSizeOutOfRange(101, 100)
    assert too_many.message == "`first` may be at most 100; page through with `after`"
    assert (too_many.first, too_many.maximum) == (101, 100)
    item = evidence.InvalidEvidenceItem(3, BadInput("summary: too long"))
    assert item.message == "item 3: summary: too long" and item.details == {"item": 3}
    batch = evidence.EvidenceBatchTooLarge(5000, 5001)
    assert batch.details == {"limit": 5000, "size": 5001}
    assert batch.message.startswith("a batch may hold at most 5000 items, this one has 5001")
    several = entities.AmbiguousSegment("mid", [("seg-1", "Mid-market"), ("seg-2", "Midsize")])
    assert several.message == (
        "--segment 'mid' matches several segments: Mid-market (seg-1), Midsize (seg-2)"
    )
