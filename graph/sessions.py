"""Workshop sign-in sessions: what the page's cookie stands for.

Signing in with an API token opens a session: a random secret for the cookie, stored here
only as its SHA-256, tied to the token it was opened with. A session is good until it
expires (``SESSION_LIFETIME_S``, or the token's own expiry if sooner), its token is revoked,
its member deactivated, or it is signed out (deleted). Sessions live in Neo4j, so every API
replica honours the same ones.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from neo4j import AsyncManagedTransaction

from graph import members
from graph.kit import records
from graph.kit.connection import fetch_one
from schema.models import Actor
from schema.sessions import SESSION_LIFETIME_S, SESSION_PREFIX

OPEN_SESSION = """
MATCH (t:ApiToken {hash: $token_hash})-[:AUTHENTICATES]->(m:Member)
WHERE t.revoked_at IS NULL AND m.active AND (t.expires_at IS NULL OR t.expires_at > $now)
CREATE (s:WorkshopSession {hash: $hash, member_id: m.id, token_id: t.id, created_at: $now,
  expires_at: CASE WHEN t.expires_at IS NOT NULL AND t.expires_at < $until
                   THEN t.expires_at ELSE $until END})
CREATE (s)-[:OPENED_WITH]->(t)
RETURN m {.id, .name, .function, .role} AS member, s.expires_at AS expires_at
"""

AUTHENTICATE_SESSION = """
OPTIONAL MATCH (v:MembersVersion {key: 'members'})
WITH coalesce(v.n, 0) AS version
OPTIONAL MATCH (s:WorkshopSession {hash: $hash})-[:OPENED_WITH]->(t:ApiToken)
      -[:AUTHENTICATES]->(m:Member)
WHERE s.expires_at > $now AND t.revoked_at IS NULL AND m.active
  AND (t.expires_at IS NULL OR t.expires_at > $now)
RETURN version, m {.id, .name, .function, .role} AS member, s.expires_at AS expires_at
"""

END_SESSION = """
MATCH (s:WorkshopSession {hash: $hash})
DETACH DELETE s
RETURN count(*) AS ended
"""

# Expired sessions are deleted a batch at a time whenever someone signs in.
PURGE_EXPIRED = """
MATCH (s:WorkshopSession) WHERE s.expires_at <= $now
WITH s LIMIT $limit
DETACH DELETE s
"""
PURGE_BATCH = 1000


def new_secret() -> str:
    return f"{SESSION_PREFIX}{secrets.token_urlsafe(32)}"


async def open_session(
    tx: AsyncManagedTransaction, token: str, secret: str, now: datetime
) -> tuple[Actor, datetime] | None:
    """Open a session for ``secret`` as the member ``token`` authenticates: (who, until when),
    or None when the token is unknown, revoked or expired (and nothing is written)."""
    if not token.startswith(members.TOKEN_PREFIX) or len(token) > 200:
        return None
    await tx.run(PURGE_EXPIRED, now=now, limit=PURGE_BATCH)
    row = await fetch_one(
        tx,
        OPEN_SESSION,
        token_hash=members.hash_token(token),
        hash=members.hash_token(secret),
        now=now,
        until=now + timedelta(seconds=SESSION_LIFETIME_S),
    )
    if row is None:
        return None
    expires_at = records.to_datetime(row["expires_at"])
    assert expires_at is not None
    return members.actor_of(row["member"]), expires_at


async def authenticate(
    tx: AsyncManagedTransaction, secret: str, now: datetime
) -> members.Authentication:
    """The member a session authenticates now, if any, with the members version."""
    if not secret.startswith(SESSION_PREFIX) or len(secret) > 200:
        secret = ""  # matches no session; the version is still read
    row = await fetch_one(tx, AUTHENTICATE_SESSION, hash=members.hash_token(secret), now=now)
    return members.authentication(row, bool(secret))


async def end_session(tx: AsyncManagedTransaction, secret: str) -> bool:
    """Sign out: delete the session, and tell every process's cache. True if there was one."""
    row = await fetch_one(tx, END_SESSION, hash=members.hash_token(secret))
    ended = bool(row and row["ended"])
    if ended:
        await members.members_changed(tx)
    return ended
