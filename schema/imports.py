"""Evidence imports: the fields a file may give, the report of a refused file, what an import
wrote, and the typed errors of an import (each carries the objects it is about)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schema.errors import BadInput, Conflict, NotFound

# Our fields, in the order a report lists them, each with what it holds (the CLI's help and
# the REST description show these lines; docs/import.md says more); the first four are
# required.
FIELD_HELP: dict[str, str] = {
    "summary": "what it says: a ticket's subject, a quote",
    "source_type": "where it comes from: a source type, e.g. interview",
    "proposition_id": "the id of the proposition it bears on",
    "stance": "SUPPORTS or CONTRADICTS, in any case",
    "strength": "how strongly: 0.6, 1 or 60% (above 0, at most 1; default 1)",
    "magnitude": "how much it matters: a whole number 1-5",
    "source_ref": "where to find the source: a ticket number, a link",
    "observed_at": "when it was seen: ISO 8601 date or time, UTC unless it says",
    "account_id": "the account it comes from: its id or its name, any case",
    "source_key": "who it comes from where no account is known, e.g. an e-mail (stored hashed)",
    "idempotency_key": "the record's id in its tool: resent, it is not written again",
}
FIELDS: tuple[str, ...] = tuple(FIELD_HELP)
REQUIRED: frozenset[str] = frozenset({"summary", "source_type", "proposition_id", "stance"})


class ImportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


class ImportProblem(BaseModel):
    """One thing wrong with a file: its row, the source column and what is wrong."""

    model_config = ConfigDict(frozen=True)

    row: int | None = Field(
        description="The row (a CSV's header is row 1; a JSON Lines file's line number); "
        "null for the file as a whole."
    )
    column: str | None = Field(description="The source column, as the file names it.")
    message: str

    def as_json(self) -> dict[str, Any]:
        return self.model_dump()


class ImportOutcome(BaseModel):
    """What an import wrote."""

    import_id: str = Field(description="The import's id; its evidence counts from its completion.")
    status: str = Field(description="`complete` once every batch has committed.")
    rows: int = Field(description="Data rows read from the file.")
    created: int = Field(description="Evidence items written by this import.")
    already_present: int = Field(
        description="Rows whose item an earlier import (or an unfinished one) already wrote."
    )
    duplicates: int = Field(description="Rows repeating an earlier row of the file.")


# ---------------------------------------------------------------- errors


class ImportRejected(BadInput):
    """The file was refused whole; nothing was written. ``problems`` lists the first ones
    (by row), ``problem_count`` counts them all."""

    def __init__(self, problems: list[ImportProblem], problem_count: int) -> None:
        first = problems[0] if problems else None
        where = "" if first is None or first.row is None else f"row {first.row}: "
        summary = f"{where}{first.message}" if first else "the file is not valid"
        super().__init__(
            f"the file was rejected, nothing was written: {problem_count} problem(s); "
            f"first: {summary}"
        )
        self.problems = problems
        self.problem_count = problem_count


class ImportRejection(BaseModel):
    """The report of a refused file, as REST answers it and the CLI prints it."""

    error: str = "BAD_USER_INPUT"
    message: str
    problem_count: int = Field(description="All problems found; `problems` lists the first 100.")
    problems: list[ImportProblem]

    @classmethod
    def of(cls, rejected: ImportRejected) -> ImportRejection:
        return cls(
            error=rejected.code,
            message=rejected.message,
            problem_count=rejected.problem_count,
            problems=rejected.problems,
        )


class ImportMappingInvalid(BadInput):
    """The column mapping cannot be used. ``field`` is the field whose entry is wrong and
    ``entry`` that entry as given; both are None when the mapping as a whole is wrong."""

    def __init__(self, message: str, field: str | None = None, entry: Any = None) -> None:
        super().__init__(message)
        self.field = field
        self.entry = entry


class ImportFieldUnknown(ImportMappingInvalid):
    """The mapping names ``field``, which is not one of ours."""

    def __init__(self, field: str) -> None:
        super().__init__(
            f"the column mapping names {field!r}, which is not a field; the fields are "
            + ", ".join(FIELDS),
            field,
        )


class ImportMappingSentTwice(ImportMappingInvalid):
    """A request gave the mapping in two places."""

    def __init__(self) -> None:
        super().__init__("send the column mapping once: in the query or in X-Import-Mapping")


class ImportDelimiterInvalid(BadInput):
    """``delimiter`` cannot separate a CSV's cells."""

    def __init__(self, delimiter: str) -> None:
        super().__init__("the delimiter must be one character, not a quote or a line break")
        self.delimiter = delimiter


class ImportNotFound(NotFound):
    """No import has the id ``import_id``."""

    def __init__(self, import_id: str) -> None:
        super().__init__("import", import_id)
        self.import_id = import_id


class TooManyImports(Conflict):
    """``member_id`` already runs ``limit`` imports, the most a member may run at once."""

    def __init__(self, member_id: str, limit: int) -> None:
        super().__init__(
            f"you already run {limit} import(s) at once, the most a member may "
            "(COMMONGROUND_MAX_IMPORTS_PER_MEMBER); send this one when one of them has finished"
        )
        self.member_id = member_id
        self.limit = limit
