"""The audit log in GraphQL: every write's member, function, role, action and time.

Only facilitators and admins may read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.members import Member, member_by_id
from api.graphql.pagination import Edge, Page, described, time_position, window
from graph import audit
from graph.kit.records import to_datetime
from schema.members import NotAFacilitator

DEFAULT_PAGE = 50
SYSTEM = "system"


@strawberry.type(description="One write: who made it, as which function and role, what and when.")
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="The entry's id.")
    at: datetime = strawberry.field(description="When the write happened.")
    member_id: strawberry.ID = strawberry.field(
        description="The member who wrote ('system' for seeding and the CLI)."
    )
    function: str | None = strawberry.field(description="The function the member wrote as.")
    role: str = strawberry.field(description="The member's role at the time of the write.")
    action: str = strawberry.field(
        description="The mutation, e.g. addEvidence, stateBelief, redactEvidence."
    )
    target_ids: list[str] = strawberry.field(description="The ids of what was written.")
    detail: str | None = strawberry.field(description="A short description (a reason, a p).")

    @strawberry.field(description="The member's name; 'system' for seeding and the CLI.")
    async def member_name(self, info: Info[Context, None]) -> str | None:
        if self.member_id == SYSTEM:
            return SYSTEM
        found = await member_by_id(info.context, str(self.member_id))
        return None if found is None else found.name

    @strawberry.field(description="The member who wrote; null for system writes.")
    async def member(self, info: Info[Context, None]) -> Member | None:
        return await member_by_id(info.context, str(self.member_id))

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AuditEntry:
        at = to_datetime(row["at"])
        assert at is not None
        return cls(
            id=strawberry.ID(row["id"]),
            at=at,
            member_id=strawberry.ID(row["member_id"]),
            function=row.get("function"),
            role=row["role"],
            action=row["action"],
            target_ids=list(row.get("target_ids") or []),
            detail=row.get("detail"),
        )


@described(
    "One entry of a page of the audit log.",
    cursor="Pass as `after` to continue after this entry.",
    node="The entry.",
)
class AuditEntryEdge(Edge[AuditEntry]):
    pass


# A Page, not a Connection: the log is not counted, it only grows.
@described(
    "A page of the audit log, newest first. Later pages continue from the first page's end: "
    "writes made meanwhile appear only in a new listing.",
    edges="The entries, with cursors.",
    page_info="Where this page ends.",
    nodes="The entries of this page, without cursors.",
)
class AuditEntryConnection(Page[AuditEntry]):
    edges: Sequence[AuditEntryEdge]


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Facilitators and admins: the audit log, newest first, by member and action."
    )
    async def audit_log(
        self,
        info: Info[Context, None],
        member_id: strawberry.ID | None = None,
        action: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AuditEntryConnection:
        ctx = info.context
        if not ctx.actor.may_act_for_any_function:
            raise NotAFacilitator(ctx.actor.member_id, "read the audit log")
        limit, pinned, key = window(ctx, first, DEFAULT_PAGE, None, after)
        before, before_id = time_position(key) or (None, None)
        rows = await ctx.read(
            audit.list_entries,
            member_id=str(member_id) if member_id else None,
            action=action,
            before=before,
            before_id=before_id,
            limit=limit + 1,
        )
        return AuditEntryConnection.of(
            [AuditEntry.from_row(r) for r in rows],
            limit,
            pinned,
            key=lambda e: [e.at.isoformat(), str(e.id)],
            node=lambda e: e,
        )
