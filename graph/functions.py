"""Functions (teams): the seven defaults, created with the schema, plus custom ones."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from neo4j import AsyncManagedTransaction

from graph import audit, model_version
from graph.kit import records
from graph.kit.connection import fetch_all, fetch_one
from schema.functions import FunctionExists, InvalidFunctionName, UnknownFunction
from schema.models import Actor, TeamFunction
from schema.vocabulary import DEFAULT_FUNCTIONS

FUNCTION_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")

ENSURE_DEFAULT_FUNCTIONS = """
UNWIND $names AS name
MERGE (f:Function {name: name})
ON CREATE SET f.builtin = true, f.created_at = $now, f.created_by = 'system'
"""

ADD_FUNCTION = """
MERGE (f:Function {name: $name})
ON CREATE SET f.builtin = false, f.created_at = $now, f.created_by = $actor_id,
              f.creation_marker = $marker
WITH f, coalesce(f.creation_marker = $marker, false) AS created
REMOVE f.creation_marker
RETURN created
"""

LIST_FUNCTIONS = """
MATCH (f:Function)
RETURN f {.name, .builtin, .created_at} AS function
ORDER BY f.builtin DESC, f.name
"""

FUNCTION_EXISTS = "MATCH (f:Function {name: $name}) RETURN f.name AS name"


async def ensure_defaults(tx: AsyncManagedTransaction, now: datetime) -> None:
    await tx.run(ENSURE_DEFAULT_FUNCTIONS, names=list(DEFAULT_FUNCTIONS), now=now)


def check_name(name: str) -> str:
    if not FUNCTION_NAME.match(name):
        raise InvalidFunctionName(name)
    return name


async def add(tx: AsyncManagedTransaction, actor: Actor, name: str, now: datetime) -> TeamFunction:
    check_name(name)
    row = await fetch_one(
        tx,
        ADD_FUNCTION,
        name=name,
        now=now,
        actor_id=actor.member_id,
        marker=f"{now.isoformat()}-{name}",
    )
    if not row or not row["created"]:
        raise FunctionExists(name)
    await audit.record(tx, actor, "addFunction", [name], now, change=model_version.EVERYTHING)
    return next(f for f in await list_all(tx) if f.name == name)


async def list_all(tx: AsyncManagedTransaction) -> list[TeamFunction]:
    return [records.team_function(r["function"]) for r in await fetch_all(tx, LIST_FUNCTIONS)]


async def exists(tx: AsyncManagedTransaction, name: str) -> bool:
    return await fetch_one(tx, FUNCTION_EXISTS, name=name) is not None


def named(name: str, names: Sequence[str]) -> str:
    """The function of ``names`` that ``name`` means: people write "Sales" for ``sales`` and
    paste names with spaces around them. Refuse any other, naming those that exist."""
    wanted = name.strip().casefold()
    for known in names:
        if known.casefold() == wanted:
            return known
    raise UnknownFunction(name, tuple(names))


async def require(tx: AsyncManagedTransaction, name: str) -> str:
    """The function's name as stored, for ``name`` in any case; refuse a name that is none,
    naming those that are."""
    return named(name, [f.name for f in await list_all(tx)])
