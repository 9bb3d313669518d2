"""Who is calling: a bearer token, or the workshop's session cookie, resolved to an Actor.

Tools send ``Authorization: Bearer <token>``; the workshop page holds a session cookie
(``graph/sessions.py``), never the token. Both are looked up through a short-lived cache of
credential → member per API process, so a request usually needs no database round trip to
know its caller. The cache is emptied when the *members version* moves (a token revoked, a
member deactivated, a session signed out, anywhere): every lookup reads the version in the
same transaction, and a cached answer is trusted only while the version was confirmed less
than ``MEMBER_CACHE_CHECK_S`` ago. So an ended credential is refused at once by the process
that ended it and within that time by every other one.
"""

from __future__ import annotations

import hashlib
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from starlette.requests import HTTPConnection
from starlette.responses import Response

from api.origins import is_secure_context
from graph import members, sessions
from graph.kit.connection import Database
from schema.models import Actor
from schema.sessions import MEMBER_CACHE_CHECK_S

# Over HTTPS and on loopback the cookie is `__Host-` prefixed (Secure, host-only, path /:
# no other site or subdomain can set or shadow it); a phone on plain HTTP gets the bare name.
SESSION_COOKIE = "cg_session"
SECURE_SESSION_COOKIE = "__Host-cg_session"
SESSION_COOKIES = (SECURE_SESSION_COOKIE, SESSION_COOKIE)


@dataclass(frozen=True)
class Credential:
    """What a request authenticates with: a bearer token, or a workshop session's secret."""

    kind: Literal["token", "session"]
    secret: str

    @property
    def by_cookie(self) -> bool:
        return self.kind == "session"


def bearer_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def credential_from_request(connection: HTTPConnection) -> Credential | None:
    """The bearer token if one is sent, else the session cookie this site sets, else None."""
    token = bearer_token(connection)
    if token is not None:
        return Credential("token", token)
    secret = connection.cookies.get(session_cookie_name(connection))
    return Credential("session", secret) if secret else None


token_from_request = credential_from_request  # the name earlier callers use


# --- the session cookie ---------------------------------------------------------------------


def session_cookie_name(connection: HTTPConnection) -> str:
    return SECURE_SESSION_COOKIE if is_secure_context(connection) else SESSION_COOKIE


def set_session_cookie(
    response: Response, connection: HTTPConnection, secret: str, max_age_s: int
) -> None:
    """HttpOnly, SameSite=Strict, host-only (no Domain), path /; Secure where it can be."""
    name = session_cookie_name(connection)
    response.set_cookie(
        name,
        secret,
        max_age=max_age_s,
        path="/",
        httponly=True,
        samesite="strict",
        secure=name == SECURE_SESSION_COOKIE,
    )


def clear_session_cookie(response: Response, connection: HTTPConnection) -> None:
    name = session_cookie_name(connection)
    response.delete_cookie(
        name, path="/", httponly=True, samesite="strict", secure=name == SECURE_SESSION_COOKIE
    )


# --- the credential → member cache ----------------------------------------------------------


@dataclass
class _Entry:
    actor: Actor
    version: int
    expires_at: datetime | None
    stored_at: float


class MemberCache:
    """Credential hash → Actor for one process (one Database), bounded in size and age."""

    def __init__(
        self,
        check_every_s: float = MEMBER_CACHE_CHECK_S,
        max_age_s: float = 60.0,
        max_entries: int = 10_000,
    ) -> None:
        self.clock: Callable[[], float] = time.monotonic  # tests may turn it
        self.check_every_s = check_every_s
        self.max_age_s = max_age_s
        self.max_entries = max_entries
        self.version: int | None = None
        self.confirmed_at = float("-inf")  # when a lookup that read the version started
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str, now: datetime) -> Actor | None:
        clock = self.clock()
        if self.version is None or clock - self.confirmed_at > self.check_every_s:
            return None  # the version may have moved: look up (and so re-read it)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if (
            entry.version != self.version
            or clock - entry.stored_at > self.max_age_s
            or (entry.expires_at is not None and entry.expires_at <= now)
        ):
            del self._entries[key]
            return None
        return entry.actor

    def put(self, key: str, found: members.Authentication, started_at: float) -> None:
        """Learn from a lookup that started at ``started_at`` (monotonic)."""
        if started_at >= self.confirmed_at:
            if found.version != self.version:
                self._entries.clear()
                self.version = found.version
            self.confirmed_at = started_at
        elif found.version != self.version:
            return  # an older read, overtaken by a newer one: keep nothing from it
        if found.actor is None:
            self._entries.pop(key, None)
            return
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))  # the oldest
        self._entries[key] = _Entry(found.actor, found.version, found.expires_at, started_at)

    def clear(self) -> None:
        """Forget everything, now: this process just ended a credential."""
        self._entries.clear()
        self.version = None
        self.confirmed_at = float("-inf")


_caches: weakref.WeakKeyDictionary[Database, MemberCache] = weakref.WeakKeyDictionary()


def member_cache(db: Database) -> MemberCache:
    """The cache of the process's connection ``db`` (one per Database)."""
    cache = _caches.get(db)
    if cache is None:
        cache = _caches[db] = MemberCache()
    return cache


async def authenticate(db: Database, credential: Credential | None) -> Actor | None:
    """The member the credential authenticates now, or None."""
    if credential is None or not credential.secret:
        return None
    key = credential.kind + ":" + hashlib.sha256(credential.secret.encode("utf-8")).hexdigest()
    cache = member_cache(db)
    now = datetime.now(UTC)
    cached = cache.get(key, now)
    if cached is not None:
        return cached
    started_at = cache.clock()
    if credential.kind == "token":
        found = await db.read(members.authenticate, credential.secret, now)
    else:
        found = await db.read(sessions.authenticate, credential.secret, now)
    cache.put(key, found, started_at)
    return found.actor
