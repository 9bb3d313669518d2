"""``EvidenceInput`` is built by its own ``from_input`` hook (api/graphql/evidence.py): it must
give what strawberry's own conversion gives for every shape of input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from strawberry.types.arguments import convert_argument
from strawberry.types.base import get_object_definition

from api.graphql.evidence import BearingInput, EvidenceInput
from api.graphql.schema import build_schema
from schema.settings import Settings
from schema.vocabulary import Stance

# Input values as graphql-core hands them over: GraphQL names, enums and times converted,
# the defaults the schema publishes filled in for omitted fields.
SHAPES: list[dict[str, Any]] = [
    {
        "sourceType": "interview",
        "summary": "Reporting takes a day",
        "sourceRef": None,
        "observedAt": None,
        "accountId": None,
        "idempotencyKey": None,
        "sourceKey": None,
        "bears": [{"propositionId": "p-1", "stance": Stance.SUPPORTS, "strength": 1.0}],
    },
    {
        "sourceType": "sales_call",
        "summary": "Two teams export by hand",
        "sourceRef": "crm-42",
        "observedAt": datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC),
        "accountId": "acc-1",
        "idempotencyKey": "call-8",
        "sourceKey": "ada@example.com",
        "bears": [
            {"propositionId": "p-2", "stance": Stance.CONTRADICTS, "strength": 0.4, "magnitude": 3},
            {"propositionId": "p-1", "stance": Stance.SUPPORTS, "strength": 1.0, "magnitude": None},
        ],
    },
    {"sourceType": "survey", "summary": "s", "bears": []},  # omitted fields: their defaults
]


@pytest.mark.parametrize("value", SHAPES)
def test_the_fast_conversion_equals_strawberrys_own(value: dict[str, Any]) -> None:
    schema = build_schema(Settings(_env_file=None))  # type: ignore[call-arg]
    registry, config = schema.schema_converter.scalar_registry, schema.config
    definition = get_object_definition(EvidenceInput, strict=True)
    hook = definition.from_input
    assert hook is not None

    def convert() -> Any:
        return convert_argument(value, EvidenceInput, registry, config)

    ours = convert()
    definition.from_input = None
    try:
        theirs = convert()
    finally:
        definition.from_input = hook
    assert ours == theirs
    assert all(isinstance(b, BearingInput) for b in ours.bears)
