"""``mergeEntities``: folding a duplicate the divergence queries found into its survivor."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.entities import Entity
from graph.merge import merge_entities


@strawberry.type
class DivergenceMutation:
    @strawberry.mutation(
        description="Merge mergeId into keepId (facilitators and admins; same kind): its "
        "propositions move to the survivor, those that become the same triple fold into one "
        "(evidence and belief histories united), and the merged ids keep resolving to the "
        "survivor. Audited."
    )
    async def merge_entities(
        self,
        info: Info[Context, None],
        keep_id: Annotated[strawberry.ID, strawberry.argument(description="The survivor.")],
        merge_id: Annotated[
            strawberry.ID, strawberry.argument(description="The entity merged into the survivor.")
        ],
    ) -> Entity:
        ctx = info.context
        actor = ctx.writer()
        survivor, _ = await ctx.write(merge_entities, actor, str(keep_id), str(merge_id), ctx.now)
        return Entity.from_model(survivor)
