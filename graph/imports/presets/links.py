"""The links file of a preset import: which records bear on which propositions, by tag, by a
regular expression over the record's text, or by a field's value.

Regular expressions run on the third-party ``regex`` engine, whose searches take a
``timeout``: a pattern that backtracks without end on some record (``(a+)+$``) is stopped after
``REGEX_BUDGET`` seconds for that record and reported with the record's index (the export is
refused; the pattern is not tried again on later records), instead of holding a worker for
good. Cutting the text short or vetting patterns would not bound the
time of every pattern; a time limit does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import regex
import yaml
from pydantic import ValidationError

from graph.imports.presets.paths import Path, PathInvalid, compile_path
from schema.presets import MAX_LINKS, Link, LinksFile, LinksFileInvalid

# Seconds of matching per record, over all of a file's patterns. The engine checks its clock
# every so often, not at every step: on a busy machine a search stops within a few times this.
REGEX_BUDGET = 0.05


class PatternTimedOut(Exception):
    """A link's pattern ran out of time on one record."""

    def __init__(self, link: int) -> None:
        super().__init__(f"links[{link}]")
        self.link = link


def parse_links(raw: bytes | str) -> LinksFile:
    """Read a links file (YAML, or JSON, which YAML reads too)."""
    try:
        loaded = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise LinksFileInvalid(f"not YAML or JSON: {str(error)[:300]}") from None
    if not isinstance(loaded, dict) or "links" not in loaded:
        raise LinksFileInvalid(
            "it must hold a list 'links:', each entry with tag, text or field, and proposition"
        )
    listed = loaded["links"]
    if isinstance(listed, list) and len(listed) > MAX_LINKS:
        raise LinksFileInvalid(f"it has {len(listed)} links; at most {MAX_LINKS}")
    try:
        return LinksFile.model_validate(loaded)
    except ValidationError as error:
        problem = error.errors()[0]
        loc = list(problem["loc"])
        index = loc[1] if len(loc) > 1 and loc[0] == "links" and isinstance(loc[1], int) else None
        field = ".".join(str(p) for p in loc[2:]) if index is not None else ""
        message = problem["msg"].removeprefix("Value error, ")
        raise LinksFileInvalid(f"{field}: {message}" if field else message, index) from None


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(value, bool):
        return str(value).lower() == str(wanted).lower()
    if isinstance(wanted, int | float) and isinstance(value, int | float):
        return float(value) == float(wanted)
    return str(value).strip().casefold() == str(wanted).strip().casefold()


@dataclass(frozen=True)
class Links:
    """A links file made ready to match many records."""

    links: tuple[Link, ...]
    by_tag: Mapping[str, tuple[int, ...]]
    patterns: tuple[tuple[int, Any], ...]  # (link, compiled pattern)
    fields: tuple[tuple[int, Path, Any], ...]  # (link, path, wanted value)
    timed_out: set[int] = field(default_factory=set)  # patterns that ran out of time once

    @classmethod
    def of(cls, parsed: LinksFile) -> Links:
        by_tag: dict[str, list[int]] = {}
        patterns: list[tuple[int, Any]] = []
        fields: list[tuple[int, Path, Any]] = []
        for index, link in enumerate(parsed.links):
            if link.tag is not None:
                by_tag.setdefault(link.tag.strip().casefold(), []).append(index)
            elif link.text is not None:
                try:
                    patterns.append((index, regex.compile(link.text)))
                except regex.error as error:
                    raise LinksFileInvalid(
                        f"text: {link.text[:80]!r} is not a regular expression: {error}", index
                    ) from None
            else:
                assert link.field is not None
                try:
                    fields.append((index, compile_path(link.field), link.equals))
                except PathInvalid as error:
                    raise LinksFileInvalid(f"field: {error}", index) from None
        return cls(
            tuple(parsed.links),
            {tag: tuple(found) for tag, found in by_tag.items()},
            tuple(patterns),
            tuple(fields),
        )

    def match(self, record: Any, tags: list[str], text: str) -> list[int]:
        """The links ``record`` matches, in the file's order; raise PatternTimedOut."""
        hits: set[int] = set()
        for tag in tags:
            hits.update(self.by_tag.get(tag.strip().casefold(), ()))
        for index, path, wanted in self.fields:
            if any(_same(value, wanted) for value in path.values(record)):
                hits.add(index)
        if self.patterns:
            deadline = perf_counter() + REGEX_BUDGET
            for index, pattern in self.patterns:
                if index in self.timed_out:
                    continue
                left = max(deadline - perf_counter(), 0.001)
                try:
                    if pattern.search(text, timeout=left) is not None:
                        hits.add(index)
                except TimeoutError:
                    self.timed_out.add(index)
                    raise PatternTimedOut(index) from None
        return sorted(hits)
