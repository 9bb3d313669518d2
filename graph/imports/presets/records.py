"""One tool's export read as a preset says: its documents (one JSON document, JSON Lines of
pages or records, or a CSV), the records in them, and each record's fields."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

import orjson

from graph.imports.presets.paths import Path, all_of, compile_all, compile_path, first_of
from graph.imports.presets.text import html_to_text, tidy
from schema.presets import ExportUnreadable, Preset, TimeUnit

MILLISECONDS_ABOVE = 100_000_000_000  # 1973 in milliseconds, 5138 in seconds


def documents(raw: bytes) -> list[Any]:
    """The export's documents: a JSON document, each line of JSON Lines, or a CSV's rows."""
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    head = raw.lstrip()[:1]
    if not head:
        raise ExportUnreadable("the export is empty")
    if head in (b"{", b"["):
        try:
            return [orjson.loads(raw)]
        except orjson.JSONDecodeError:
            pass
        docs: list[Any] = []
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                docs.append(orjson.loads(line))
            except orjson.JSONDecodeError as error:
                raise ExportUnreadable(
                    f"the export is neither JSON nor JSON Lines: line {number}: {error}"
                ) from None
        return docs
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ExportUnreadable("the export is not UTF-8 text") from None
    try:
        return [list(csv.DictReader(io.StringIO(text, newline=""), strict=True))]
    except csv.Error as error:
        raise ExportUnreadable(f"the export is not JSON, JSON Lines or CSV: {error}") from None


@dataclass(frozen=True)
class Reader:
    """A preset's paths, compiled once."""

    preset: Preset
    records: tuple[Path, ...]
    id: tuple[Path, ...]
    text: tuple[tuple[tuple[Path, ...], bool, str | None], ...]
    time: tuple[Path, ...]
    tags: tuple[Path, ...]
    source_ref: tuple[Path, ...]
    requester: tuple[Path, ...]
    account_id: tuple[Path, ...]
    account_name: tuple[Path, ...]

    @classmethod
    def of(cls, preset: Preset) -> Reader:
        account = preset.account
        return cls(
            preset,
            compile_all(preset.records),
            compile_all(preset.id),
            tuple((compile_all(p.path), p.html, p.label) for p in preset.text),
            compile_all(preset.time),
            compile_all(preset.tags),
            compile_all(preset.source_ref),
            compile_all(preset.requester),
            compile_all(account.external_id) if account else (),
            compile_all(account.name) if account else (),
        )

    def records_of(self, docs: list[Any]) -> Iterator[Any]:
        for doc in docs:
            if isinstance(doc, list):
                yield from doc
            elif isinstance(doc, dict):
                found = all_of(self.records, doc)
                if found:
                    yield from found
                elif first_of(self.id, doc) is not None:  # JSON Lines of records
                    yield doc

    def text_of(self, record: Any) -> str:
        parts: list[str] = []
        for paths, is_html, label in self.text:
            for value in all_of(paths, record):
                if isinstance(value, dict | list) or isinstance(value, bool):
                    continue
                text = html_to_text(str(value)) if is_html else tidy(str(value))
                if text:
                    parts.append(f"{label}: {text}" if label else text)
        return "\n".join(parts)

    def tags_of(self, record: Any) -> list[str]:
        # Tags come from every path (Gong's trackers and its topics), not the first only.
        return [
            str(tag)
            for path in self.tags
            for tag in path.values(record)
            if not isinstance(tag, dict | list | bool)
        ]


def lookups(reader: Reader, docs: list[Any]) -> dict[str, str]:
    """The names a sideloaded list gives each organisation id (Zendesk's organizations)."""
    account = reader.preset.account
    if account is None or account.name_lookup is None:
        return {}
    spec = account.name_lookup
    listed, key, value = compile_path(spec.source), compile_path(spec.key), compile_path(spec.value)
    names: dict[str, str] = {}
    for doc in docs:
        for element in listed.values(doc) if isinstance(doc, dict) else []:
            ident, name = key.first(element), value.first(element)
            if ident is not None and isinstance(name, str | int | float):
                names[str(ident)] = str(name)
    return names


def customer_words(reader: Reader, docs: list[Any]) -> dict[str, str]:
    """Per record id, the words its transcript gives to the customer's parties only."""
    spec = reader.preset.transcripts
    if spec is None:
        return {}
    listed = compile_path(spec.source)
    record_key, monologues = compile_path(spec.record_key), compile_path(spec.monologues)
    speaker, sentences = compile_path(spec.speaker), compile_path(spec.sentences)
    found: dict[str, list[Any]] = {}
    for doc in docs:
        for transcript in listed.values(doc) if isinstance(doc, dict) else []:
            ident = record_key.first(transcript)
            if ident is not None:
                found.setdefault(str(ident), []).extend(monologues.values(transcript))
    if not found:
        return {}
    parties, party_speaker = compile_path(spec.parties), compile_path(spec.party_speaker)
    affiliation = compile_path(spec.party_affiliation)
    keep: set[str] = set(spec.keep)
    words: dict[str, str] = {}
    for record in reader.records_of(docs):
        ident = first_of(reader.id, record)
        if ident is None or str(ident) not in found:
            continue
        customers = {
            str(party_speaker.first(p))
            for p in parties.values(record)
            if affiliation.first(p) in keep and party_speaker.first(p) is not None
        }
        said = [
            tidy(str(sentence))
            for monologue in found[str(ident)]
            if str(speaker.first(monologue)) in customers
            for sentence in sentences.values(monologue)
        ]
        words[str(ident)] = " ".join(s for s in said if s)
    return words


class TimeInvalid(ValueError):
    pass


def parse_time(value: Any, unit: TimeUnit) -> datetime:
    """A record's time as its tool writes it: unix seconds or milliseconds, or ISO 8601."""
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = float(value.strip())
    if number is not None and unit is not TimeUnit.ISO:
        millis = unit is TimeUnit.MILLISECONDS or (
            unit is TimeUnit.AUTO and number > MILLISECONDS_ABOVE
        )
        try:
            return datetime.fromtimestamp(number / 1000 if millis else number, UTC)
        except (OverflowError, OSError, ValueError):
            raise TimeInvalid(f"{value!r} is not a time") from None
    if not isinstance(value, str) or unit in (TimeUnit.SECONDS, TimeUnit.MILLISECONDS):
        raise TimeInvalid(f"{str(value)[:40]!r} is not a time in {unit.value}")
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise TimeInvalid(f"{text[:40]!r} is not an ISO 8601 date or time") from None
    if len(text) == 10:
        parsed = datetime.combine(parsed.date(), time(0))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
