"""Evidence to collect next, in GraphQL (docs/design.md §2b): the research plan a head of
product research can work from."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.divergence.reading import AsOf, First, SegmentFilter, reading
from api.graphql.divergence.types import proposition_field, text_field
from api.graphql.nodes import Proposition
from api.graphql.shapes import Row, row_type
from graph import research
from schema import research as shapes


@row_type(shapes.EvidenceValue)
class EvidenceValue(Row):
    proposition: Proposition = proposition_field()
    text: str = text_field()
    value_of_information: strawberry.auto
    items_to_validate: strawberry.auto
    items_to_refute: strawberry.auto
    score: strawberry.auto
    consensus_magnitude: strawberry.auto
    far_functions: strawberry.auto
    evidence: strawberry.auto
    beliefs: strawberry.auto


@strawberry.type
class ResearchQuery:
    @strawberry.field(
        description="Evidence to collect next (docs/design.md §2b): the propositions in scope "
        "ranked by valueOfInformation × consensus magnitude × (1 + the number of functions "
        "whose |p − confidence| ≥ significantGap, whatever the evidence mass), each with the "
        "interviews all one way that would validate or refute it. With a function, only "
        "propositions it holds a belief on."
    )
    async def evidence_to_collect(
        self,
        info: Info[Context, None],
        segment_id: SegmentFilter = None,
        function: Annotated[
            str | None,
            strawberry.argument(description="Only propositions this function holds a belief on."),
        ] = None,
        as_of: AsOf = None,
        first: First = None,
    ) -> list[EvidenceValue]:
        read = reading(info, first)
        picture = await read.picture(segment_id, as_of)
        rows = research.evidence_to_collect(picture, function)
        return [EvidenceValue.from_model(r) for r in rows[: read.limit]]
