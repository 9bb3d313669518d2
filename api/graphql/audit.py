"""The audit log in GraphQL: every write's member, function, role, action and time.

Only facilitators and admins may read it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql import loaders
from api.graphql.context import Context
from api.graphql.evidence import pin_listing
from api.graphql.types import Member, PageInfo
from graph import audit
from graph.kit.cursors import check_page_size, encode_cursor
from graph.kit.records import to_datetime
from schema.errors import BadInput, Forbidden

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
        found = await loaders.member_loader(info.context).load(str(self.member_id))
        return None if found is None else found.name

    @strawberry.field(description="The member who wrote; null for system writes.")
    async def member(self, info: Info[Context, None]) -> Member | None:
        found = await loaders.member_loader(info.context).load(str(self.member_id))
        return None if found is None else Member.from_model(found)

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


@strawberry.type(description="One entry of a page of the audit log.")
class AuditEntryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this entry.")
    node: AuditEntry = strawberry.field(description="The entry.")


@strawberry.type(
    description="A page of the audit log, newest first. Later pages continue from the first "
    "page's end: writes made meanwhile appear only in a new listing."
)
class AuditEntryConnection:
    edges: list[AuditEntryEdge] = strawberry.field(description="The entries, with cursors.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")

    @strawberry.field(description="The entries of this page, without cursors.")
    def nodes(self) -> list[AuditEntry]:
        return [edge.node for edge in self.edges]


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
            raise Forbidden("only facilitators and admins may read the audit log")
        limit = check_page_size(first, DEFAULT_PAGE, ctx.settings.max_page_size)
        pinned, key = pin_listing(None, after, ctx.now)
        before, before_id = _position(key)
        rows = await ctx.read(
            audit.list_entries,
            member_id=str(member_id) if member_id else None,
            action=action,
            before=before,
            before_id=before_id,
            limit=limit + 1,
        )
        entries = [AuditEntry.from_row(r) for r in rows]
        page = entries[:limit]
        edges = [
            AuditEntryEdge(cursor=encode_cursor(pinned, [e.at.isoformat(), str(e.id)]), node=e)
            for e in page
        ]
        return AuditEntryConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(entries) > limit,
                end_cursor=edges[-1].cursor if edges else None,
                as_of=pinned,
            ),
        )


def _position(key: list[Any] | None) -> tuple[datetime | None, str | None]:
    if key is None:
        return None, None
    try:
        at, entry_id = key
        return datetime.fromisoformat(str(at)), str(entry_id)
    except (ValueError, TypeError) as error:
        raise BadInput("the `after` cursor is not one this API issued") from error
