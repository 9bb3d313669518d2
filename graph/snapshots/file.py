"""The snapshot file (``schema/snapshot.schema.json``): written from the stored chunks a line
at a time, and read back the same way for restore, with the checks that come before a write.

The layout, a header line, a line per section start and per record, is still plain JSON;
a file reformatted by another tool is still accepted, read whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from graph.kit.connection import Database
from graph.snapshots import store
from graph.snapshots.chunks import iter_chunks
from graph.snapshots.content import Fingerprinter, from_iso, to_iso
from schema.snapshots import (
    QUOTE_FIELDS,
    SECTIONS,
    SNAPSHOT_FORMAT,
    SNAPSHOT_SCHEMA_VERSION,
    TIME_FIELDS,
    FingerprintMismatch,
    MalformedSnapshotLine,
    MalformedSnapshotRecord,
    NotASnapshotFile,
    RestoreNeedsQuotes,
    SnapshotInfo,
    UnsupportedSnapshotVersion,
)
from schema.vocabulary import EntityKind, Relation, Stance, SupportStatus

# The first line of the streaming layout ends by opening the content object.
CONTENT_OPENS = b'"content":{'

# ---------------------------------------------------------------- quotes


def without_quotes(record: dict[str, Any]) -> dict[str, Any]:
    """An evidence record without its quote fields (for outside audiences)."""
    return {**record, **dict.fromkeys(QUOTE_FIELDS)}


def strip_figure_quotes(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures without the evidence quotes they carry (for outside audiences)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (None if k in QUOTE_FIELDS else strip(v))
                for k, v in value.items()
                if k != "quotes"
            }
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    stripped: dict[str, Any] = strip(figures)
    return stripped


# ---------------------------------------------------------------- writing


def header(info: SnapshotInfo, figures: dict[str, Any], *, quotes: bool) -> dict[str, Any]:
    """Everything in the file but the content."""
    if not quotes:
        figures = strip_figure_quotes(figures)
    return {
        "format": SNAPSHOT_FORMAT,
        "schema_version": SNAPSHOT_SCHEMA_VERSION,
        "snapshot": {
            "id": info.id,
            "label": info.label,
            "as_of": _iso(info.as_of),
            "created_at": _iso(info.created_at),
            "created_by": info.created_by,
            "fingerprint": info.fingerprint,
        },
        "quotes": quotes,
        "figures": figures,
    }


def _iso(value: datetime) -> str:
    text = to_iso(value)
    assert text is not None
    return text


async def iter_json(db: Database, snapshot_id: str, *, quotes: bool = True) -> AsyncIterator[bytes]:
    """The snapshot file, piece by piece: one record per line, memory flat in its size."""
    info = await store.get(db, snapshot_id)
    top = header(info, await store.figures(db, snapshot_id), quotes=quotes)
    head = orjson.dumps({**top, "content": {}})
    yield head[: -len(b"{}}")] + b"{\n"
    current: str | None = None
    wrote_record = False
    opened: list[str] = []

    def open_section(name: str) -> bytes:
        prefix = b"" if not opened else b"\n],\n"
        opened.append(name)
        return prefix + orjson.dumps(name) + b":[\n"

    async for section, lines in iter_chunks(db, snapshot_id):
        pieces: list[bytes] = []
        while current != section:
            current = SECTIONS[len(opened)]
            pieces.append(open_section(current))
            wrote_record = False
        for line in lines:
            if not quotes and section == "evidence":
                line = orjson.dumps(without_quotes(orjson.loads(line)))
            pieces.append((b",\n" if wrote_record else b"") + line)
            wrote_record = True
        yield b"".join(pieces)
    tail: list[bytes] = []
    while len(opened) < len(SECTIONS):
        tail.append(open_section(SECTIONS[len(opened)]))
    tail.append(b"\n]}}\n")
    yield b"".join(tail)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class FileHeader:
    snapshot: dict[str, Any]
    quotes: bool
    figures: dict[str, Any]
    schema_version: int


def _header_from(path: Path, data: Any) -> FileHeader:
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        raise NotASnapshotFile(path, "this is not a Common Ground snapshot file")
    version = data.get("schema_version")
    if version != SNAPSHOT_SCHEMA_VERSION:
        raise UnsupportedSnapshotVersion(path, version)
    snapshot = data.get("snapshot")
    if not isinstance(snapshot, dict) or not isinstance(snapshot.get("fingerprint"), str):
        raise NotASnapshotFile(path, "the snapshot file has no fingerprint")
    return FileHeader(
        snapshot=snapshot,
        quotes=bool(data.get("quotes", True)),
        figures=data.get("figures") or {},
        schema_version=int(version),
    )


class SnapshotFile:
    """A snapshot file on disk, read in the streaming layout or, failing that, whole."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._whole: dict[str, Any] | None = None
        try:
            with path.open("rb") as handle:
                first = handle.readline()
            if not first.rstrip().endswith(CONTENT_OPENS):
                raise ValueError("not the streaming layout")
            self.header = _header_from(path, orjson.loads(first.rstrip() + b"}}"))
        except (ValueError, orjson.JSONDecodeError):
            try:
                self._whole = orjson.loads(path.read_bytes())
            except orjson.JSONDecodeError as error:
                raise NotASnapshotFile(
                    path, f"the snapshot file is not valid JSON: {error}"
                ) from None
            self.header = _header_from(path, self._whole)

    def records(self, only: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """(section, record) in file order; with ``only``, the records of that section."""
        if self._whole is not None:
            content = self._whole.get("content") or {}
            for section in SECTIONS:
                if only is not None and section != only:
                    continue
                for record in content.get(section) or []:
                    yield section, record
            return
        yield from self._stream(only)

    def _stream(self, only: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
        with self.path.open("rb") as handle:
            handle.readline()
            section: str | None = None
            for number, raw in enumerate(handle, start=2):
                line = raw.strip()
                if not line:
                    continue
                if line.endswith(b":["):
                    section = orjson.loads(line[:-2])
                    if section not in SECTIONS:
                        raise MalformedSnapshotLine(
                            self.path, number, f"unknown section {section!r}"
                        )
                    continue
                if line in (b"],", b"]}}"):
                    section = None
                    continue
                if section is None:
                    raise MalformedSnapshotLine(self.path, number, "a record outside any section")
                if only is not None and section != only:
                    continue
                try:
                    record = orjson.loads(line[:-1] if line.endswith(b",") else line)
                except orjson.JSONDecodeError as error:
                    raise MalformedSnapshotLine(self.path, number, str(error)) from None
                yield section, record

    def fingerprint(self, *, validate: bool = False) -> str:
        hasher = Fingerprinter()
        for section, record in self.records():
            try:
                if validate:
                    check_record(section, record)
                hasher.add(section, record)
            except (ValueError, TypeError, KeyError) as error:
                what = record.get("id") or record.get("name") if isinstance(record, dict) else None
                raise MalformedSnapshotRecord(section, what, str(error)) from None
        return hasher.hexdigest()

    def check(self) -> None:
        """Refuse an export without quotes and a file whose content was changed."""
        if not self.header.quotes:
            raise RestoreNeedsQuotes(self.path)
        recorded = self.header.snapshot["fingerprint"]
        actual = self.fingerprint(validate=True)
        if actual != recorded:
            raise FingerprintMismatch(self.path, recorded, actual)


REQUIRED: dict[str, tuple[str, ...]] = {
    "functions": ("name", "builtin"),
    "entities": ("id", "kind", "name", "created_at", "created_by"),
    "propositions": ("id", "relation", "subject_id", "object_id", "created_at", "created_by"),
    "imports": ("id", "completed_at"),
    "evidence": ("id", "source_type", "observed_at", "recorded_at", "recorded_by", "bears"),
    "beliefs": ("id", "function", "proposition_id", "seq", "stated_at", "stated_by"),
    "decisions": ("id", "title", "decided_at", "decided_by", "basis"),
}


def check_record(section: str, record: Any) -> None:
    """Refuse a record restore could not write faithfully (before anything is written)."""
    if not isinstance(record, dict):
        raise ValueError("not an object")
    missing = [name for name in REQUIRED[section] if record.get(name) is None]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    for name in TIME_FIELDS[section]:
        if record.get(name) is not None:
            from_iso(str(record[name]))
    if section == "entities":
        EntityKind(record["kind"])
    elif section == "propositions":
        Relation(record["relation"])
    elif section == "evidence":
        for bearing in record["bears"]:
            Stance(bearing["stance"])
            as_number(bearing["strength"])
    elif section == "decisions":
        for basis in record["basis"]:
            SupportStatus(basis["status"])
            as_number(basis["confidence"])
            if not isinstance(basis.get("proposition_id"), str):
                raise ValueError("a basis without a proposition_id")
    elif section == "beliefs":
        int(record["seq"])
        if record.get("p") is not None:
            as_number(record["p"])


def as_number(value: Any) -> float:
    """A JSON number as a float; anything else (a boolean, a string) is refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number: {value!r}")
    return float(value)
