"""FastAPI dependencies: the process's one Database, settings and the calling Actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.auth import authenticate, token_from_request
from graph.kit.connection import Database
from schema.models import Actor
from schema.settings import Settings


def get_database(request: Request) -> Database:
    db: Database | None = getattr(request.app.state, "db", None)
    if db is None or not request.app.state.ready:
        raise HTTPException(
            503, "the database is not ready yet; retry shortly", headers={"Retry-After": "2"}
        )
    return db


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def require_actor(request: Request, db: DatabaseDep) -> Actor:
    actor = await authenticate(db, token_from_request(request))
    if actor is None:
        raise HTTPException(
            401, "a valid API token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return actor


ActorDep = Annotated[Actor, Depends(require_actor)]
