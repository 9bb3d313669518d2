"""Import presets: the shape of a preset (how one tool's export maps to evidence), of a links
file (which records bear on which propositions), of a preset import's report, and their typed
errors.

A preset is data, one file per tool under ``graph/imports/presets/data/``: where the records
are, which fields give the record's id, text, time, tags, organisation and requester. Paths
are dotted (``metaData.id``); ``a[].b`` takes ``b`` of every element of the list ``a``, and
``a[k=v].b`` only of the elements whose ``k`` is ``v`` (``answers[field.ref=why].text``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schema.errors import BadInput
from schema.vocabulary import SOURCE_TYPES, Stance

# One path, or several tried in turn (the first that gives a value wins): exports of one tool
# spell a field differently over the years (``created_at`` / ``createdAt``).
Paths = list[str]

MAX_LINKS = 1000
# An export is read whole (its records may sit anywhere in one JSON document): larger ones are
# split by the tool's own paging (JSON Lines of pages) into several files.
MAX_EXPORT_BYTES = 64 * 1024 * 1024


def _as_paths(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class TimeUnit(StrEnum):
    """How a record's time is written: ISO 8601 text, unix seconds, unix milliseconds, or
    ``auto`` (numbers above 10^11 are milliseconds, other numbers seconds, text ISO)."""

    AUTO = "auto"
    ISO = "iso"
    SECONDS = "seconds"
    MILLISECONDS = "milliseconds"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextPart(_Strict):
    """One piece of a record's text: the values at ``path`` (every value, when the path goes
    through lists), read as HTML when ``html``, each prefixed by ``label`` when given."""

    path: Paths
    html: bool = False
    label: str | None = None

    _paths = field_validator("path", mode="before")(_as_paths)


class Lookup(_Strict):
    """A list the export carries beside its records (Zendesk's sideloaded ``organizations``):
    the element whose ``key`` equals the record's value gives ``value``."""

    source: str  # where the list is, in the export document
    key: str
    value: str


class AccountSpec(_Strict):
    """Where a record names its organisation: its id in the tool, and its name (directly or
    through a lookup by that id)."""

    external_id: Paths = Field(default_factory=list)
    name: Paths = Field(default_factory=list)
    name_lookup: Lookup | None = None

    _paths = field_validator("external_id", "name", mode="before")(_as_paths)


class Transcripts(_Strict):
    """Transcripts the export may carry beside its records (Gong's ``callTranscripts``): when
    a record has one, its text is the words of the parties whose affiliation is in ``keep``
    (the customer's), not the tool's summary."""

    source: str  # where the transcripts are, in the export document
    record_key: str  # the transcript's record id (``callId``)
    monologues: str  # the transcript's monologues (``transcript``)
    speaker: str  # a monologue's speaker id (``speakerId``)
    sentences: str  # a monologue's sentences' text (``sentences[].text``)
    parties: str  # the record's parties (``parties``)
    party_speaker: str  # a party's speaker id (``speakerId``)
    party_affiliation: str  # a party's affiliation (``affiliation``)
    keep: list[str] = Field(default_factory=lambda: ["External"])


class Preset(_Strict):
    """How one tool's export becomes evidence."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    export: str = Field(description="Which export or API answer the preset reads.")
    records: Paths = Field(description="Where the list of records is in an export document.")
    id: Paths
    text: list[TextPart] = Field(min_length=1)
    time: Paths = Field(default_factory=list)
    time_unit: TimeUnit = TimeUnit.AUTO
    tags: Paths = Field(default_factory=list)
    account: AccountSpec | None = None
    source_type: str
    source_ref: Paths = Field(default_factory=list)
    source_ref_template: str | None = Field(
        None, description="A link built from the record's id when it has no url: '{id}'."
    )
    requester: Paths = Field(default_factory=list)
    transcripts: Transcripts | None = None
    max_text: int = Field(4000, ge=100, le=10_000)

    _paths = field_validator(
        "records", "id", "time", "tags", "source_ref", "requester", mode="before"
    )(_as_paths)

    @field_validator("source_type")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value not in SOURCE_TYPES:
            raise ValueError(f"source_type must be one of {', '.join(SOURCE_TYPES)}")
        return value


class Link(_Strict):
    """One entry of a links file: records carrying ``tag``, or whose text matches the regular
    expression ``text``, or whose ``field`` equals ``equals``, bear on ``proposition``."""

    tag: str | None = Field(None, min_length=1, max_length=200)
    text: str | None = Field(None, min_length=1, max_length=1000)
    field: str | None = Field(None, min_length=1, max_length=300)
    equals: str | int | float | bool | None = None
    proposition: str = Field(min_length=1, max_length=200)
    stance: Stance = Stance.SUPPORTS
    strength: float = Field(1.0, gt=0, le=1)

    @field_validator("stance", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_test(self) -> Link:
        given = [name for name in ("tag", "text", "field") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("a link needs exactly one of tag, text or field")
        if self.field is not None and self.equals is None:
            raise ValueError("a field link needs equals: the value the field must have")
        if self.field is None and self.equals is not None:
            raise ValueError("equals goes with field")
        return self

    def describe(self) -> str:
        if self.tag is not None:
            return f"tag {self.tag}"
        if self.text is not None:
            return f"text /{self.text}/"
        return f"{self.field} = {self.equals}"


class LinksFile(_Strict):
    links: list[Link] = Field(min_length=1, max_length=MAX_LINKS)


# ---------------------------------------------------------------- the report


class LinkCount(BaseModel):
    link: int = Field(description="The link's place in the links file, from 0.")
    test: str = Field(description="What the link looks for: a tag, a pattern, a field's value.")
    proposition_id: str
    stance: Stance
    records: int = Field(description="Records this link matched.")


class AccountToCreate(BaseModel):
    external_id: str | None
    name: str
    records: int


class PresetReport(BaseModel):
    """What a preset import found in the export; written only when it is not a dry run."""

    preset: str
    records: int = Field(description="Records in the export.")
    matched: int = Field(description="Records that matched at least one link.")
    unmatched: int = Field(description="Records that matched no link: not written.")
    unmatched_ids: list[str] = Field(description="The first 100 unmatched records' ids.")
    repeated: int = Field(description="Records the export holds more than once: read once.")
    links: list[LinkCount]
    accounts_matched: int = Field(description="Organisations found among the accounts.")
    accounts_to_create: list[AccountToCreate]
    items: int = Field(description="Evidence items to write (one per matched record).")
    dry_run: bool


# ---------------------------------------------------------------- errors


class PresetUnknown(BadInput):
    """No preset has this name."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no preset is called {name[:60]!r}; the presets are {', '.join(known)}")
        self.name = name
        self.known = known


class PresetInvalid(BadInput):
    """A preset file shipped with the product does not fit the preset shape."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"the preset {name!r} is not valid: {problem}")
        self.name = name
        self.problem = problem


class LinksFileInvalid(BadInput):
    """The links file cannot be used; ``link`` is the entry at fault (from 0), if one is."""

    def __init__(self, message: str, link: int | None = None) -> None:
        where = "" if link is None else f"links[{link}]: "
        super().__init__(f"the links file is not valid: {where}{message}")
        self.link = link


class ExportUnreadable(BadInput):
    """The export is not JSON, JSON Lines or CSV, or holds no records where the preset looks."""


class ExportTooLarge(BadInput):
    """The export is larger than a preset import reads at once."""

    def __init__(self, size: int, limit: int = MAX_EXPORT_BYTES) -> None:
        super().__init__(
            f"the export is {size / 2**20:.0f} MiB; a preset import reads at most "
            f"{limit // 2**20} MiB at once: import its pages in several files"
        )
        self.size = size
        self.limit = limit


class AccountsNeedSegment(BadInput):
    """The export names organisations no account matches, and no segment was given to create
    them in."""

    def __init__(self, names: list[str]) -> None:
        shown = ", ".join(repr(n) for n in names[:5]) + (" …" if len(names) > 5 else "")
        super().__init__(
            f"{len(names)} organisation(s) match no account ({shown}): give a segment to "
            "create them in (--segment, or ?segment=), or create the accounts first"
        )
        self.names = names
