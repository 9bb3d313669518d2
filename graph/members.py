"""Members and their API tokens.

A token is shown once, when created, and stored only as its SHA-256: the database never
holds a usable secret. Deactivating a member stops all their tokens at once.

Every change that ends a credential (a token revoked, a member deactivated, a workshop
session ended) also bumps the *members version*, one counter node that each API process
reads with every token lookup: a process that caches token → member (``api/auth.py``) drops
its cache when the version moves, so the change reaches every replica.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime
from typing import Any, NamedTuple

from neo4j import AsyncManagedTransaction

from graph import audit, functions, model_version
from graph.kit import records
from graph.kit.connection import fetch_all, fetch_one, one_statement
from schema.members import (
    InvalidMemberName,
    MemberDeactivated,
    MemberExists,
    MemberNotFound,
    TokenNotFound,
)
from schema.models import Actor, Member
from schema.vocabulary import Role

TOKEN_PREFIX = "cg_"

MEMBER_PROJECTION = "m {.id, .name, .function, .role, .active, .created_at}"

ADD_MEMBER = """
MATCH (f:Function {name: $function})
CREATE (m:Member {id: $id, name: $name, function: $function, role: $role, active: true,
                  created_at: $now, created_by: $actor_id})
CREATE (m)-[:MEMBER_OF]->(f)
RETURN m.id AS id
"""

UPSERT_MEMBER = """
MATCH (f:Function {name: $function})
MERGE (m:Member {id: $id})
ON CREATE SET m.name = $name, m.function = $function, m.role = $role, m.active = true,
              m.created_at = $now, m.created_by = 'system'
MERGE (m)-[:MEMBER_OF]->(f)
"""

FIND_MEMBER = (
    "MATCH (m:Member) WHERE m.id = $ref OR m.name = $ref RETURN " + MEMBER_PROJECTION + " AS member"
)

GET_MEMBERS = (
    "UNWIND $ids AS wanted MATCH (m:Member {id: wanted}) RETURN " + MEMBER_PROJECTION + " AS member"
)

LIST_MEMBERS = (
    "MATCH (m:Member) RETURN " + MEMBER_PROJECTION + " AS member ORDER BY m.function, m.name"
)

# One node, keyed by the members_version_key constraint so that concurrent bumps converge.
BUMP_MEMBERS_VERSION = """
MERGE (v:MembersVersion {key: 'members'})
SET v.n = coalesce(v.n, 0) + 1
"""

DEACTIVATE_MEMBER = """
MATCH (m:Member {id: $id})
SET m.active = false, m.deactivated_at = $now
WITH m
OPTIONAL MATCH (t:ApiToken)-[:AUTHENTICATES]->(m) WHERE t.revoked_at IS NULL
SET t.revoked_at = $now
RETURN count(t) AS revoked
"""

CREATE_TOKEN = """
MATCH (m:Member {id: $member_id})
CREATE (t:ApiToken {id: $id, hash: $hash, member_id: $member_id, created_at: $now,
                    expires_at: $expires_at})
CREATE (t)-[:AUTHENTICATES]->(m)
"""

REVOKE_TOKEN = """
MATCH (t:ApiToken {id: $id})
SET t.revoked_at = coalesce(t.revoked_at, $now)
RETURN t.member_id AS member_id
"""

AUTHENTICATE = """
OPTIONAL MATCH (v:MembersVersion {key: 'members'})
WITH coalesce(v.n, 0) AS version
OPTIONAL MATCH (t:ApiToken {hash: $hash})-[:AUTHENTICATES]->(m:Member)
WHERE t.revoked_at IS NULL AND m.active AND (t.expires_at IS NULL OR t.expires_at > $now)
RETURN version, m {.id, .name, .function, .role} AS member, t.expires_at AS expires_at
"""


class Authentication(NamedTuple):
    """Who a credential belongs to (None: nobody, now), until when, and the members version
    read in the same transaction (a cache of this answer is good while the version stays)."""

    actor: Actor | None
    version: int
    expires_at: datetime | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def add(
    tx: AsyncManagedTransaction, actor: Actor, name: str, function: str, role: Role, now: datetime
) -> Member:
    if not name.strip() or len(name) > 200 or "\x00" in name:
        raise InvalidMemberName(name)
    function = await functions.require(tx, function)
    if await find(tx, name) is not None:
        raise MemberExists(name)
    member_id = f"mem-{uuid.uuid4().hex[:16]}"
    await tx.run(
        ADD_MEMBER,
        id=member_id,
        name=name.strip(),
        function=function,
        role=role.value,
        now=now,
        actor_id=actor.member_id,
    )
    await audit.record(
        tx,
        actor,
        "addMember",
        [member_id],
        now,
        f"{name} ({function}, {role.value})",
        change=model_version.NOTHING,
    )
    member = await find(tx, member_id)
    assert member is not None
    return member


async def upsert(
    tx: AsyncManagedTransaction, member_id: str, name: str, function: str, role: Role, now: datetime
) -> None:
    """Seed data: create the member with this id once."""
    await tx.run(
        UPSERT_MEMBER, id=member_id, name=name, function=function, role=role.value, now=now
    )


async def find(tx: AsyncManagedTransaction, ref: str) -> Member | None:
    """A member by id or by name."""
    row = await fetch_one(tx, FIND_MEMBER, ref=ref)
    return None if row is None else records.member(row["member"])


async def require(tx: AsyncManagedTransaction, ref: str) -> Member:
    """A member by id or by name, refused when there is none."""
    member = await find(tx, ref)
    if member is None:
        raise MemberNotFound(ref)
    return member


async def get_many(tx: AsyncManagedTransaction, ids: list[str]) -> dict[str, Member]:
    """Members by id (deactivated ones too: their past writes still name them)."""
    rows = await fetch_all(tx, GET_MEMBERS, ids=ids)
    return {r["member"]["id"]: records.member(r["member"]) for r in rows}


async def list_all(tx: AsyncManagedTransaction) -> list[Member]:
    return [records.member(r["member"]) for r in await fetch_all(tx, LIST_MEMBERS)]


async def deactivate(tx: AsyncManagedTransaction, actor: Actor, ref: str, now: datetime) -> int:
    member = await require(tx, ref)
    row = await fetch_one(tx, DEACTIVATE_MEMBER, id=member.id, now=now)
    await members_changed(tx)
    await audit.record(
        tx, actor, "deactivateMember", [member.id], now, change=model_version.NOTHING
    )
    return int(row["revoked"]) if row else 0


async def create_token(
    tx: AsyncManagedTransaction,
    actor: Actor,
    ref: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[str, str]:
    """Return (token id, token); only the token's hash is stored."""
    member = await require(tx, ref)
    if not member.active:
        raise MemberDeactivated(member.id, member.name)
    token_id = f"tok-{uuid.uuid4().hex[:12]}"
    token = f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
    await tx.run(
        CREATE_TOKEN,
        id=token_id,
        hash=hash_token(token),
        member_id=member.id,
        now=now,
        expires_at=expires_at,
    )
    await audit.record(
        tx, actor, "createToken", [member.id, token_id], now, change=model_version.NOTHING
    )
    return token_id, token


async def revoke_token(
    tx: AsyncManagedTransaction, actor: Actor, token_id: str, now: datetime
) -> None:
    row = await fetch_one(tx, REVOKE_TOKEN, id=token_id, now=now)
    if row is None:
        raise TokenNotFound(token_id)
    await members_changed(tx)
    await audit.record(tx, actor, "revokeToken", [token_id], now, change=model_version.NOTHING)


async def members_changed(tx: AsyncManagedTransaction) -> None:
    """Tell every API process's token cache that a credential ended (in this transaction)."""
    await tx.run(BUMP_MEMBERS_VERSION)


def actor_of(member: dict[str, Any]) -> Actor:
    """The Actor of a member row ``{id, name, function, role}``."""
    return Actor(
        member_id=member["id"],
        name=member["name"],
        function=member["function"],
        role=Role(member["role"]),
    )


@one_statement
async def authenticate(tx: AsyncManagedTransaction, token: str, now: datetime) -> Authentication:
    """The member a bearer token authenticates now, if any, with the members version."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        token = ""  # still read the version: a cache learns it from refusals too
    row = await fetch_one(tx, AUTHENTICATE, hash=hash_token(token), now=now)
    return authentication(row, bool(token))


def authentication(row: dict[str, Any] | None, looked_up: bool) -> Authentication:
    """An Authentication from a row ``{version, member, expires_at}`` (``looked_up``: False
    when the credential was malformed, so no member may be taken from the row)."""
    assert row is not None  # the queries OPTIONAL MATCH: always one row
    member = row["member"] if looked_up else None
    return Authentication(
        None if member is None else actor_of(member),
        int(row["version"]),
        None if member is None else records.to_datetime(row["expires_at"]),
    )
