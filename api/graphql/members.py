"""Members and functions (teams) in GraphQL: who reads and writes the model, and as which team."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from api.graphql import loaders
from api.graphql.context import Context
from api.graphql.shapes import mirror
from graph import functions
from schema import models


@strawberry.type(description="A team: product, marketing, sales, ... or a custom one.")
class TeamFunction:
    name: str
    builtin: bool = strawberry.field(description="One of the seven functions every model has.")
    created_at: datetime

    @classmethod
    def from_model(cls, f: models.TeamFunction) -> TeamFunction:
        return mirror(cls, f)


@strawberry.type(description="A person who reads or writes the model, as a member of a function.")
class Member:
    id: strawberry.ID = strawberry.field(description="The member's stable id (mem-...).")
    name: str = strawberry.field(description="The member's name, unique in the company.")
    function: str = strawberry.field(description="The function (team) the member writes as.")
    role: str = strawberry.field(description="viewer, contributor, facilitator or admin.")
    active: bool = strawberry.field(description="False once deactivated (all tokens stopped).")

    @classmethod
    def from_model(cls, m: models.Member) -> Member:
        return mirror(cls, m, role=m.role.value)


async def member_by_id(ctx: Context, member_id: str) -> Member | None:
    """The member of an id, through the request's loader; None for 'system' or an unknown id."""
    found = await loaders.member_loader(ctx).load(member_id)
    return None if found is None else Member.from_model(found)


@strawberry.type
class FunctionQuery:
    @strawberry.field(description="Every function (team), the seven defaults first.")
    async def functions(self, info: Info[Context, None]) -> list[TeamFunction]:
        info.context.actor  # noqa: B018 - reading needs a token
        return [TeamFunction.from_model(f) for f in await info.context.read(functions.list_all)]
