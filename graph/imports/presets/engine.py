"""The generic engine: a tool's export, read as its preset says, to evidence items.

Every record is read, checked and matched against the links; a record that matches a link
becomes one item bearing on each matched link's proposition, spooled as one JSON line (the
same line the plain import writes). A malformed record is a problem of its index (its place
in the export's list of records, from 0); any problem rejects the export before anything is
written. Reads no database."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from graph.imports.presets.links import Links, PatternTimedOut
from graph.imports.presets.paths import first_of
from graph.imports.presets.records import (
    Reader,
    TimeInvalid,
    customer_words,
    documents,
    lookups,
    parse_time,
)
from graph.imports.presets.text import has_personal_data, mask, mask_short, pseudonym
from graph.imports.validation import FileChecks
from schema.imports import ImportProblem
from schema.models import MAX_NAME
from schema.presets import ExportUnreadable

MAX_LISTED = 100


@dataclass(frozen=True)
class AccountRef:
    external_id: str | None
    name: str

    @property
    def ref(self) -> str:
        return f"{self.external_id or ''}\x1f{self.name}"


@dataclass
class Scan:
    """What the engine found: counts for the report, the accounts named, the problems."""

    checks: FileChecks = field(default_factory=FileChecks)
    records: int = 0
    matched: int = 0
    unmatched: int = 0
    unmatched_ids: list[str] = field(default_factory=list)
    repeated: int = 0
    link_records: list[int] = field(default_factory=list)
    accounts: dict[str, tuple[AccountRef, int]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # item key -> record id

    @property
    def items(self) -> int:
        return len(self.keys)


def item_key(preset: str, record_id: str, propositions: list[str]) -> str:
    """The item's idempotency key: the same record bearing on the same propositions is the
    same item, whoever imports it and however often."""
    basis = "\x1f".join(["preset", preset, record_id, *sorted(propositions)])
    return "preset-" + hashlib.sha256(basis.encode()).hexdigest()[:40]


def scan(
    reader: Reader,
    raw: bytes,
    links: Links,
    live_ids: dict[str, str],
    *,
    keep_pii: bool,
    clean: IO[bytes],
) -> Scan:
    """Read every record; spool the items of the matched ones to ``clean``."""
    preset = reader.preset
    docs = documents(raw)
    names = lookups(reader, docs)
    words = customer_words(reader, docs)
    found = Scan(link_records=[0] * len(links.links))
    for index, record in enumerate(reader.records_of(docs)):
        found.records += 1
        item = _item(reader, index, record, names, words, found, keep_pii)
        if item is None:
            continue
        record_id, text, unmasked, account, source_key = item.pop("_meta")
        try:
            hits = links.match(record, reader.tags_of(record), unmasked)
        except PatternTimedOut as timed_out:
            _problem(
                found,
                index,
                f"links[{timed_out.link}].text",
                f"record {record_id}: the pattern ran out of time on this record; simplify it",
            )
            continue
        if not hits:
            found.unmatched += 1
            if len(found.unmatched_ids) < MAX_LISTED:
                found.unmatched_ids.append(record_id)
            continue
        bears: dict[str, dict[str, Any]] = {}
        for hit in hits:
            link = links.links[hit]
            found.link_records[hit] += 1
            live = live_ids[link.proposition]
            bears.setdefault(
                live,
                {
                    "proposition_id": live,
                    "stance": link.stance.value,
                    "strength": link.strength,
                    "magnitude": None,
                },
            )
        key = item_key(preset.name, record_id, list(bears))
        if key in found.keys:
            found.repeated += 1
            continue
        found.keys[key] = record_id
        found.matched += 1
        if account is not None:
            _, count = found.accounts.get(account.ref, (account, 0))
            found.accounts[account.ref] = (account, count + 1)
        item.update(
            summary=text,
            account_id=account.ref if account else None,
            # A requester stands for the customer only where no organisation does.
            source_key=source_key if account is None else None,
            bears=list(bears.values()),
            idempotency_key=key,
        )
        clean.write(orjson.dumps(item) + b"\n")
    if found.records == 0 and not found.checks.problem_count:
        raise ExportUnreadable(
            f"the export holds no {preset.title} records: the preset looks for them at "
            f"{' or '.join(preset.records)} ({preset.export})"
        )
    return found


def _problem(found: Scan, index: int, column: str | None, message: str) -> None:
    found.checks.add(ImportProblem(row=index, column=column, message=message))


def _item(
    reader: Reader,
    index: int,
    record: Any,
    names: dict[str, str],
    words: dict[str, str],
    found: Scan,
    keep_pii: bool,
) -> dict[str, Any] | None:
    """The record's fields, or None when it is malformed (its problems noted)."""
    preset = reader.preset
    if not isinstance(record, dict):
        _problem(found, index, None, f"record {index} is not an object")
        return None
    ident = first_of(reader.id, record)
    if ident is None or isinstance(ident, dict | list | bool):
        _problem(found, index, preset.id[0], f"record {index} has no id")
        return None
    record_id = str(ident)
    problems = found.checks.problem_count
    unmasked = words.get(record_id) or reader.text_of(record)
    if not unmasked:
        _problem(found, index, None, f"record {record_id} has no text")
    observed_at = None
    moment = first_of(reader.time, record)
    if moment is not None:
        try:
            observed_at = parse_time(moment, preset.time_unit).isoformat()
        except TimeInvalid as error:
            _problem(found, index, preset.time[0], f"record {record_id}: {error}")
    if found.checks.problem_count > problems:
        return None
    text = unmasked if keep_pii else mask(unmasked)
    if len(text) > preset.max_text:
        text = text[: preset.max_text - 1].rstrip() + "…"
    given = first_of(reader.source_ref, record)
    source_ref = None
    if given is not None and not isinstance(given, dict | list):
        source_ref = str(given)[:2000] if keep_pii else mask(str(given)[:2000])
    elif preset.source_ref_template:  # built from the record's id: nothing personal
        source_ref = preset.source_ref_template.format(id=record_id)
    requester = first_of(reader.requester, record)
    source_key = None
    if requester is not None and not isinstance(requester, dict | list):
        who = str(requester)
        private = not keep_pii and has_personal_data(who)
        source_key = pseudonym(preset.name, who) if private else f"{preset.name}:{who}"[:200]
    return {
        "_meta": (record_id, text, unmasked, _account(reader, record, names, keep_pii), source_key),
        "source_type": preset.source_type,
        "source_ref": source_ref,
        "observed_at": observed_at,
    }


def _account(
    reader: Reader, record: Any, names: dict[str, str], keep_pii: bool
) -> AccountRef | None:
    if reader.preset.account is None:
        return None
    external = first_of(reader.account_id, record)
    external_id = None if external is None or isinstance(external, dict | list) else str(external)
    name = first_of(reader.account_name, record)
    if name is None and external_id is not None:
        name = names.get(external_id)
    if name is None or isinstance(name, dict | list) or not str(name).strip():
        if external_id is None:
            return None
        name = f"{reader.preset.title} organisation {external_id}"
    shown = str(name).strip()[:MAX_NAME]
    return AccountRef(external_id, shown if keep_pii else mask_short(shown))
