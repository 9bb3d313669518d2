"""Who is calling: a bearer token (or the workshop's HttpOnly cookie) resolved to an Actor."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request

from graph import members
from graph.kit.connection import Database
from schema.models import Actor

SESSION_COOKIE = "cg_session"


def token_from_request(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = request.cookies.get(SESSION_COOKIE)
    return cookie or None


async def authenticate(db: Database, token: str | None) -> Actor | None:
    if not token:
        return None
    return await db.read(members.authenticate, token, datetime.now(UTC))
