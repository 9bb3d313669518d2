"""Evidence sources (docs/design.md §1 Evidence): a ``sourceKey`` — a requester's e-mail, a
call's customer contact — makes the items of one source without an Account combine like one
account's items, so one loud customer stays one source even where the exporting tool knows
no organisation.

The key is never stored as given: only its HMAC-SHA-256 under a secret kept in the database
(one per installation, made on first use, so every replica agrees and a backup restores it
with the keys it made), so a stored key cannot be guessed back. Keys are compared without
regard to case or surrounding space (``Ada@Example.com`` is ``ada@example.com``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from neo4j import AsyncManagedTransaction

from graph.kit.connection import fetch_one

SECRET_NAME = "source-key-hmac"
MAKE_SECRET = """
MERGE (s:ServerSecret {name: $name})
ON CREATE SET s.value = $value
RETURN s.value AS value
"""


def digest(secret: str, key: str) -> str:
    """What is stored of a source key."""
    normal = key.strip().casefold()
    return hmac.new(secret.encode(), normal.encode(), hashlib.sha256).hexdigest()


async def hash_source_keys(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    """Replace each prepared row's given ``source_key`` by its HMAC, in ``props``."""
    given = [row for row in rows if row.get("source_key")]
    for row in rows:
        row["props"]["source_key"] = None
    if not given:
        return
    found = await fetch_one(tx, MAKE_SECRET, name=SECRET_NAME, value=secrets.token_hex(32))
    assert found is not None
    secret = str(found["value"])
    for row in given:
        row["props"]["source_key"] = digest(secret, str(row.pop("source_key")))
