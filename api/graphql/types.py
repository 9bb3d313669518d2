"""GraphQL object types shared across concepts: entities, propositions, functions, pages."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from api.graphql import loaders
from api.graphql.context import Context
from graph.support import Support as SupportFigures
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
if TYPE_CHECKING:
    from api.graphql.beliefs import Belief
    from api.graphql.evidence import EvidenceConnection, Support

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


@strawberry.type(description="A person who reads or writes the model, as a member of a function.")
class Member:
    id: strawberry.ID = strawberry.field(description="The member's stable id (mem-...).")
    name: str = strawberry.field(description="The member's name, unique in the company.")
    function: str = strawberry.field(description="The function (team) the member writes as.")
    role: str = strawberry.field(description="viewer, contributor, facilitator or admin.")
    active: bool = strawberry.field(description="False once deactivated (all tokens stopped).")

    @classmethod
    def from_model(cls, m: models.Member) -> Member:
        return cls(
            id=strawberry.ID(m.id),
            name=m.name,
            function=m.function,
            role=m.role.value,
            active=m.active,
        )


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
    # The as-of time of the listing this proposition came from; its figures use it too.
    as_of: strawberry.Private[datetime | None] = None

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
        # Both in one batch: loading them one after the other would cost a second query.
        subject, obj = await info.context.entity_loader.load_many([self.subject_id, self.object_id])
        return " ".join(
            [subject.name if subject else "?", self.relation.value, obj.name if obj else "?"]
        )

    @strawberry.field(
        description="The evidence's posterior mean, (1 + S) / (2 + S + C): the share of "
        "evidence in favour. As of the listing's asOf, else now; see evidenceSupport."
    )
    async def support(self, info: Info[Context, None]) -> float:
        return (await self._support(info, None)).support

    @strawberry.field(
        description="P(theta > 0.5) under Beta(1 + S, 1 + C): the evidence's confidence that "
        "the proposition holds. As of the listing's asOf, else now."
    )
    async def confidence(self, info: Info[Context, None]) -> float:
        return (await self._support(info, None)).confidence

    @strawberry.field(description="What the evidence says, as of the listing's asOf, else now.")
    async def status(self, info: Info[Context, None]) -> SupportStatus:
        return SupportStatus((await self._support(info, None)).posterior.status)

    @strawberry.field(
        description="Every support figure: S, C, the 90% credible interval, counts, accounts "
        "and the newest evidence, as of asOf (default: the listing's asOf, else now)."
    )
    async def evidence_support(
        self, info: Info[Context, None], as_of: datetime | None = None
    ) -> Annotated[Support, strawberry.lazy("api.graphql.evidence")]:
        from api.graphql.evidence import Support

        when = as_of or self.as_of or info.context.now
        return Support.from_figures(await self._support(info, when), when, info.context.settings)

    @strawberry.field(
        description="The evidence bearing on this proposition, newest observation first, as "
        "of asOf (default: the listing's asOf, else now); retracted items only when asked."
    )
    async def evidence(
        self,
        info: Info[Context, None],
        as_of: datetime | None = None,
        include_retracted: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Annotated[EvidenceConnection, strawberry.lazy("api.graphql.evidence")]:
        from api.graphql.evidence import evidence_of_proposition

        return await evidence_of_proposition(
            info, str(self.id), as_of or self.as_of, include_retracted, first, after
        )

    @strawberry.field(
        description="Each function's current belief (withdrawn ones left out), as of asOf "
        "(default: the listing's asOf, else now), ordered by function."
    )
    async def beliefs(
        self, info: Info[Context, None], as_of: datetime | None = None
    ) -> list[Annotated[Belief, strawberry.lazy("api.graphql.beliefs")]]:
        from api.graphql.beliefs import current_beliefs_of

        return await current_beliefs_of(info, str(self.id), as_of or self.as_of)

    @strawberry.field(
        description="Every statement and withdrawal made on this proposition up to asOf, by "
        "function then sequence number; one function's only when named."
    )
    async def belief_history(
        self,
        info: Info[Context, None],
        function: str | None = None,
        as_of: datetime | None = None,
    ) -> list[Annotated[Belief, strawberry.lazy("api.graphql.beliefs")]]:
        from api.graphql.beliefs import belief_history_of

        return await belief_history_of(info, str(self.id), function, as_of or self.as_of)

    async def _support(self, info: Info[Context, None], as_of: datetime | None) -> SupportFigures:
        when = as_of or self.as_of or info.context.now
        return await loaders.support_of(info.context, str(self.id), when)

    @classmethod
    def from_model(cls, p: models.Proposition, as_of: datetime | None = None) -> Proposition:
        return cls(
            id=strawberry.ID(p.id),
            relation=p.relation,
            created_at=p.created_at,
            created_by=p.created_by,
            retired_at=p.retired_at,
            retired_reason=p.retired_reason,
            subject_id=p.subject_id,
            object_id=p.object_id,
            as_of=as_of,
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
