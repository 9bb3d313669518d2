"""The per-request GraphQL context: database, caller, DataLoaders and bookmarks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from neo4j import AsyncManagedTransaction
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from api.auth import authenticate, token_from_request
from api.graphql.errors import check_reason
from api.limits import BAD_BOOKMARK
from graph import entities, propositions
from graph.kit.connection import Database
from schema.errors import BadInput, Unauthenticated
from schema.members import ViewerCannotWrite
from schema.models import Actor, Entity, Proposition
from schema.settings import Settings

T = TypeVar("T")
V = TypeVar("V")


class Context(BaseContext):
    def __init__(self, db: Database, settings: Settings, actor: Actor | None, bookmarks: list[str]):
        super().__init__()
        self.db = db
        self.settings = settings
        self.actor_or_none = actor
        self.bookmarks = bookmarks  # sent by the client: read after these writes
        self.new_bookmarks: list[str] = []  # returned in the response's extensions
        self.now = datetime.now(UTC)
        self.loaders: dict[str, DataLoader[Any, Any]] = {}
        self.entity_loader: DataLoader[str, Entity | None] = self.by_id("entity", entities.get_many)
        self.proposition_loader: DataLoader[str, Proposition | None] = self.by_id(
            "proposition", propositions.get_many
        )

    @property
    def actor(self) -> Actor:
        if self.actor_or_none is None:
            raise Unauthenticated("a valid API token is required")
        return self.actor_or_none

    def writer(self) -> Actor:
        actor = self.actor
        if not actor.can_write:
            raise ViewerCannotWrite(actor.member_id)
        return actor

    async def read(self, work: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        return await self.db.read_after(self.bookmarks or None, work, *args, **kwargs)

    async def write(self, work: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        result, bookmarks = await self.db.write_with_bookmark(work, *args, **kwargs)
        self.new_bookmarks = bookmarks
        # Later reads in this request see this write.
        self.bookmarks = bookmarks
        return result

    async def write_with_reason(
        self, change: Callable[..., Awaitable[T]], target_id: str, reason: str
    ) -> T:
        """Retire, retract or redact one thing: a writer's change, with a reason for the log."""
        actor = self.writer()
        check_reason(reason)
        return await self.write(change, actor, target_id, reason, self.now)

    def loader(
        self, name: str, load: Callable[[list[Any]], Awaitable[list[Any]]]
    ) -> DataLoader[Any, Any]:
        """A named per-request DataLoader, created on first use."""
        if name not in self.loaders:
            self.loaders[name] = DataLoader(load)
        return self.loaders[name]

    def by_id(
        self,
        name: str,
        get_many: Callable[[AsyncManagedTransaction, list[str]], Awaitable[dict[str, V]]],
    ) -> DataLoader[str, V | None]:
        """A named per-request loader of records by id: one read per batch of ids."""

        async def load(ids: list[str]) -> list[V | None]:
            found = await self.read(get_many, sorted(set(ids)))
            return [found.get(i) for i in ids]

        return self.loader(name, load)


async def get_context(request: Request) -> Context:
    db: Database | None = getattr(request.app.state, "db", None)
    if db is None or not request.app.state.ready:
        raise HTTPException(503, "the database is not ready yet", headers={"Retry-After": "2"})
    actor = await authenticate(db, token_from_request(request))
    is_ide_page = request.method == "GET" and "query" not in request.query_params
    if actor is None and not is_ide_page:
        raise HTTPException(
            401, "a valid API token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return Context(db, request.app.state.settings, actor, read_bookmarks(request))


MAX_BOOKMARKS = 100
MAX_BOOKMARK_CHARS = 1000


class BadBookmark(BadInput):
    """An ``X-Bookmark`` that no write of this product could have returned."""

    def __init__(self) -> None:
        super().__init__(BAD_BOOKMARK)


def read_bookmarks(request: Request) -> list[str]:
    """The bookmarks of ``X-Bookmark``: printable ASCII, at most 100 of 1,000 characters."""
    header = request.headers.get("x-bookmark", "")
    bookmarks = [b.strip() for b in header.split(",") if b.strip()]
    if len(bookmarks) > MAX_BOOKMARKS or any(
        len(b) > MAX_BOOKMARK_CHARS or not (b.isascii() and b.isprintable()) for b in bookmarks
    ):
        raise BadBookmark()
    return bookmarks
