"""Idempotency keys as stored: each belongs to a scope, and redaction replaces it by an HMAC.

A key a client sends belongs to the function the write is recorded for: sales' ``K`` and
product's ``K`` are two writes. It is stored as ``<scope>:<key>``, the scope being that
function's name (``""`` for writes recorded for no function, e.g. the system's). A function
name never holds ``:`` or ``*``, so ``*`` is free to name the global scope: keys the product
derives from an outside record (an import preset's record id) mean the same record whoever
imports it. Every keyed node also carries its ``key_scope``, which is what tells a scoped key
from one stored before keys had scopes (``schema/migrations.py`` scopes those).

Redaction replaces a stored key by ``redacted:`` and its HMAC under a secret kept in the
database (one per database, made on first use, so every replica agrees and a backup restores
it with the keys it made): the personal data a key may be (an e-mail) is gone from the item
and from every later snapshot, while a retry of the same client key still finds the item.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from neo4j import AsyncManagedTransaction

from graph.kit.connection import fetch_one

GLOBAL = "*"
REDACTED = "redacted:"

SECRET_NAME = "idempotency-key-hmac"
GET_SECRET = "MATCH (s:ServerSecret {name: $name}) RETURN s.value AS value"
MAKE_SECRET = """
MERGE (s:ServerSecret {name: $name})
ON CREATE SET s.value = $value
RETURN s.value AS value
"""


def scope_of(function: str | None) -> str:
    """The scope of the keys of a write recorded for ``function``."""
    return function or ""


def scoped(scope: str, key: str | None) -> str | None:
    return None if key is None else f"{scope}:{key}"


def redacted(secret: str, stored_key: str) -> str:
    """What redaction leaves of a stored key."""
    digest = hmac.new(secret.encode(), stored_key.encode(), hashlib.sha256).hexdigest()
    return REDACTED + digest


async def secret(tx: AsyncManagedTransaction) -> str | None:
    """The database's key secret, or None while nothing was ever redacted."""
    row = await fetch_one(tx, GET_SECRET, name=SECRET_NAME)
    return None if row is None else str(row["value"])


async def make_secret(tx: AsyncManagedTransaction) -> str:
    """The database's key secret, made now if it has none."""
    row = await fetch_one(tx, MAKE_SECRET, name=SECRET_NAME, value=secrets.token_hex(32))
    assert row is not None
    return str(row["value"])
