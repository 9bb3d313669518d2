"""Accounts as an import file gives them: by id or, as exports from a CRM do, by name; each
resolved to its id for the whole file at once, before anything is written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from neo4j import AsyncManagedTransaction

from graph.kit.connection import Database, fetch_all
from schema.imports import ImportProblem

ACCOUNTS_FOUND = """
UNWIND $ids AS wanted
OPTIONAL MATCH (a:Entity {id: wanted}) WHERE a:Account
RETURN wanted, a IS NOT NULL AS found
"""

# Exports name accounts as their CRM does: by name. No index holds names, so every name of
# the file is looked up in one pass over the accounts rather than one query per row; merged
# accounts are left out (their survivor carries on under its own name).
ACCOUNTS_NAMED = """
MATCH (a:Account)
WHERE a.merged_into IS NULL AND toLower(trim(a.name)) IN $names
RETURN toLower(trim(a.name)) AS name, a.id AS id, a.name AS shown,
       a.retired_at IS NOT NULL AS retired
ORDER BY a.id
"""


async def resolve(
    db: Database,
    rows: Mapping[str, list[int]],
    counts: Mapping[str, int],
    label: str,
    bookmarks: list[str] | None,
    chunk_size: int,
) -> tuple[dict[str, str], list[tuple[int, ImportProblem]]]:
    """Each account as the file gives it (``rows``: the rows giving it; ``counts``: how many
    rows in all) to its id: by id, else by name (any case, trimmed). A name that fits no
    account or several is a problem of each of its rows, in the column ``label``; each comes
    with the count of rows it stands for. Ids are checked ``chunk_size`` at a time, through
    the Entity.id constraint's index; names in one pass over the accounts."""
    resolved: dict[str, str] = {}
    wanted = sorted(rows)
    for start in range(0, len(wanted), chunk_size):
        chunk = wanted[start : start + chunk_size]
        found = await db.read_after(bookmarks, _accounts_found, chunk)
        resolved.update((ref, ref) for ref in chunk if found.get(ref, False))
    by_name = [ref for ref in wanted if ref not in resolved]
    named = (
        await db.read_after(bookmarks, _accounts_named, sorted({_name_key(r) for r in by_name}))
        if by_name
        else {}
    )
    problems: list[tuple[int, ImportProblem]] = []
    for ref in by_name:
        fits = named.get(_name_key(ref), [])
        # A retired account keeps its name; a live one of the same name is the one meant.
        live = [account for account in fits if not account.retired] or fits
        if len(live) == 1:
            resolved[ref] = live[0].id
            continue
        if live:
            listed = ", ".join(f"{a.id} ({a.name!r})" for a in live)
            message = (
                f"account name {ref[:80]!r} fits {len(live)} accounts: {listed}; "
                "give the id of the one meant"
            )
        else:
            message = f"account {ref[:80]!r} does not exist: no account has this id or name"
        for row in rows[ref]:
            problems.append((counts[ref], ImportProblem(row=row, column=label, message=message)))
    return resolved, problems


@dataclass(frozen=True)
class _NamedAccount:
    id: str
    name: str
    retired: bool


def _name_key(ref: str) -> str:
    return ref.strip().lower()


async def _accounts_found(tx: AsyncManagedTransaction, ids: list[str]) -> dict[str, bool]:
    return {r["wanted"]: bool(r["found"]) for r in await fetch_all(tx, ACCOUNTS_FOUND, ids=ids)}


async def _accounts_named(
    tx: AsyncManagedTransaction, names: list[str]
) -> dict[str, list[_NamedAccount]]:
    found: dict[str, list[_NamedAccount]] = {}
    for r in await fetch_all(tx, ACCOUNTS_NAMED, names=names):
        found.setdefault(r["name"], []).append(_NamedAccount(r["id"], r["shown"], r["retired"]))
    return found
