"""GraphQL object types shared across concepts: entities, propositions, functions, pages."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from schema import models
from schema.vocabulary import EntityKind as EntityKindEnum
from schema.vocabulary import Relation as RelationEnum
from schema.vocabulary import Stance as StanceEnum
from schema.vocabulary import SupportStatus as SupportStatusEnum

# Registering the domain enums gives them their GraphQL descriptions; the classes themselves
# are used in annotations, so resolvers receive the domain enums directly.
strawberry.enum(EntityKindEnum, description="The kinds of things in the model.")
strawberry.enum(
    RelationEnum, description="The fixed vocabulary of propositions: subject -RELATION-> object."
)
strawberry.enum(StanceEnum, description="Whether evidence supports or contradicts.")
strawberry.enum(
    SupportStatusEnum,
    description="VALIDATED: confidence >= 0.95; REFUTED: <= 0.05; CONTESTED: S >= 1 and C >= 1 "
    "and neither; UNKNOWN otherwise.",
)
EntityKind = EntityKindEnum
Relation = RelationEnum
Stance = StanceEnum
SupportStatus = SupportStatusEnum


@strawberry.type(description="Where a page ends, and the as-of time every page of it uses.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    as_of: datetime = strawberry.field(
        description="The time the whole listing is computed as of; pinned by the cursor."
    )


@strawberry.type(description="A team: product, marketing, sales, ... or a custom one.")
class TeamFunction:
    name: str
    builtin: bool = strawberry.field(description="One of the seven functions every model has.")
    created_at: datetime

    @classmethod
    def from_model(cls, f: models.TeamFunction) -> TeamFunction:
        return cls(name=f.name, builtin=f.builtin, created_at=f.created_at)


@strawberry.type(
    description="A segment, account, goal, pain, alternative, feature or claim. Nothing is "
    "deleted: entities are retired with a reason; a merged entity's id resolves to its survivor."
)
class Entity:
    id: strawberry.ID
    kind: EntityKind
    name: str = strawberry.field(description="The entity's name; for a CLAIM, its text.")
    description: str | None
    status: str | None = strawberry.field(
        description="FEATURE: idea|planned|building|shipped; CLAIM: draft|live."
    )
    alt_kind: str | None = strawberry.field(
        description="ALTERNATIVE: competitor|workaround|status_quo."
    )
    channel: str | None = strawberry.field(description="CLAIM: where the claim is used.")
    created_at: datetime
    created_by: str = strawberry.field(description="The id of the member who created it.")
    retired_at: datetime | None
    retired_reason: str | None
    segment_id: strawberry.Private[str | None]

    @strawberry.field(description="ACCOUNT: the segment it belongs to.")
    async def segment(self, info: Info[Context, None]) -> Entity | None:
        if self.segment_id is None:
            return None
        found = await info.context.entity_loader.load(self.segment_id)
        return None if found is None else Entity.from_model(found)

    @classmethod
    def from_model(cls, e: models.Entity) -> Entity:
        return cls(
            id=strawberry.ID(e.id),
            kind=e.kind,
            name=e.name,
            description=e.description,
            status=e.status,
            alt_kind=e.alt_kind,
            channel=e.channel,
            created_at=e.created_at,
            created_by=e.created_by,
            retired_at=e.retired_at,
            retired_reason=e.retired_reason,
            segment_id=e.segment_id,
        )


@strawberry.type(
    description="One statement about the customer or the product, (subject)-[relation]->"
    "(object). The same triple is always the same proposition."
)
class Proposition:
    id: strawberry.ID
    relation: Relation
    created_at: datetime
    created_by: str
    retired_at: datetime | None
    retired_reason: str | None
    subject_id: strawberry.Private[str]
    object_id: strawberry.Private[str]

    @strawberry.field(description="The subject entity.")
    async def subject(self, info: Info[Context, None]) -> Entity:
        found = await info.context.entity_loader.load(self.subject_id)
        assert found is not None
        return Entity.from_model(found)

    @strawberry.field(name="object", description="The object entity.")
    async def object_(self, info: Info[Context, None]) -> Entity:
        found = await info.context.entity_loader.load(self.object_id)
        assert found is not None
        return Entity.from_model(found)

    @strawberry.field(
        description="A readable sentence: 'Mid-market ops EXPERIENCES Manual reporting'."
    )
    async def text(self, info: Info[Context, None]) -> str:
        subject = await info.context.entity_loader.load(self.subject_id)
        obj = await info.context.entity_loader.load(self.object_id)
        return " ".join(
            [subject.name if subject else "?", self.relation.value, obj.name if obj else "?"]
        )

    @classmethod
    def from_model(cls, p: models.Proposition) -> Proposition:
        return cls(
            id=strawberry.ID(p.id),
            relation=p.relation,
            created_at=p.created_at,
            created_by=p.created_by,
            retired_at=p.retired_at,
            retired_reason=p.retired_reason,
            subject_id=p.subject_id,
            object_id=p.object_id,
        )


@strawberry.type
class EntityEdge:
    cursor: str
    node: Entity


@strawberry.type(description="A page of entities.")
class EntityConnection:
    edges: list[EntityEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many entities match, over all pages.")

    @strawberry.field(description="The entities of this page, without cursors.")
    def nodes(self) -> list[Entity]:
        return [edge.node for edge in self.edges]


@strawberry.type
class PropositionEdge:
    cursor: str
    node: Proposition


@strawberry.type(description="A page of propositions.")
class PropositionConnection:
    edges: list[PropositionEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many propositions match, over all pages.")

    @strawberry.field(description="The propositions of this page, without cursors.")
    def nodes(self) -> list[Proposition]:
        return [edge.node for edge in self.edges]
