"""CSV tables of a snapshot: the report's figures, and its content streamed from the chunks.

A text cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) is written with a leading ``'``, so it is shown as text
(OWASP's CSV injection guidance); numbers the product wrote (``-0.43``) stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import orjson

from graph.kit.connection import Database
from graph.snapshots.chunks import iter_chunks
from graph.snapshots.export.words import proposition
from graph.snapshots.file import strip_figure_quotes, without_quotes
from schema.snapshots import (
    BELIEF_FIELDS,
    ENTITY_FIELDS,
    EVIDENCE_FIELDS,
    PROPOSITION_FIELDS,
    SnapshotInfo,
    UnknownTable,
)

FIGURE_TABLES = (
    "heatmap",
    "gaps_by_function",
    "top_gaps",
    "disagreements",
    "structural_gaps",
    "alignment",
    "history",
)
CONTENT_TABLES = ("entities", "propositions", "evidence", "beliefs")
TABLES = FIGURE_TABLES + CONTENT_TABLES
DEFAULT_TABLE = "heatmap"


# What a spreadsheet reads as the start of a formula (or strips before one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as a CSV cell: empty for None, numbers as they are, formula-like text escaped."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _line(values: Iterable[Any]) -> str:
    # Lines end in CRLF (RFC 4180), which also makes the writer quote a cell holding a lone
    # carriage return, so it cannot end a row early.
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([cell(v) for v in values])
    return buffer.getvalue()


def _figure_rows(name: str, figures: dict[str, Any]) -> Iterator[list[Any]]:
    if name == "heatmap":
        heat = figures.get("heatmap") or {}
        functions = heat.get("functions") or []
        yield ["proposition_id", "proposition", "evidence_confidence", "status", *functions]
        for row in heat.get("rows") or []:
            cells = [row["cells"].get(f) for f in functions]
            yield [
                row["proposition_id"],
                proposition(row),
                row["confidence"],
                row["status"],
                *cells,
            ]
    elif name == "gaps_by_function":
        keys = [
            "function",
            "beliefs_with_evidence",
            "significant",
            "over_confident",
            "under_confident",
            "mean_abs_gap",
            "mean_gap",
        ]
        yield keys
        for row in figures.get("gaps_by_function") or []:
            yield [row.get(k) for k in keys]
    elif name == "top_gaps":
        keys = [
            "function",
            "proposition_id",
            "text",
            "p",
            "confidence",
            "gap",
            "direction",
            "consensus_magnitude",
            "status",
            "evidence_count",
            "distinct_accounts",
        ]
        yield keys
        for row in figures.get("top_gaps") or []:
            # The proposition as the reports word it, not with its relation's database name.
            yield [proposition(row) if k == "text" else row.get(k) for k in keys]
    elif name == "disagreements":
        yield [
            "proposition_id",
            "text",
            "spread",
            "standard_deviation",
            "mean_p",
            "highest",
            "lowest",
            "evidence_confidence",
        ]
        for row in figures.get("top_disagreements") or []:
            yield [
                row["proposition_id"],
                proposition(row),
                row["spread"],
                row["standard_deviation"],
                row["mean_p"],
                f"{row['highest']['function']} {row['highest']['p']}",
                f"{row['lowest']['function']} {row['lowest']['p']}",
                row["confidence"],
            ]
    elif name == "structural_gaps":
        yield ["kind", "owners", "entity_id", "entity", "segments", "explanation"]
        for row in figures.get("structural_gaps") or []:
            yield [
                row["kind"],
                " ".join(row["owners"]),
                row["entity_id"],
                row["entity"],
                "; ".join(row["segments"]),
                row["explanation"],
            ]
    elif name == "alignment":
        yield [
            "scope",
            "a",
            "b",
            "alpha",
            "alpha_low",
            "alpha_high",
            "mean_abs_difference",
            "units",
        ]
        a = figures.get("alignment") or {}
        if a:
            yield [
                "all",
                "",
                "",
                a.get("alpha"),
                a.get("alpha_low"),
                a.get("alpha_high"),
                a.get("mean_abs_difference"),
                a.get("units"),
            ]
        for seg in figures.get("segments") or []:
            al = seg["alignment"]
            yield [
                seg["id"],
                "",
                "",
                al["alpha"],
                al["alpha_low"],
                al["alpha_high"],
                al["mean_abs_difference"],
                al["units"],
            ]
        for pair in a.get("pairwise") or []:
            yield [
                "pair",
                pair["a"],
                pair["b"],
                pair["alpha"],
                "",
                "",
                pair["mean_abs_difference"],
                pair["units"],
            ]
    elif name == "history":
        yield ["snapshot_id", "label", "as_of", "alpha", "mean_abs_difference", "units"]
        for point in figures.get("history") or []:
            yield [
                point["id"],
                point.get("label"),
                point["as_of"],
                point["alpha"],
                point["mean_abs_difference"],
                point["units"],
            ]


# A content table is the file's records without what a spreadsheet has no use for: who
# retired, redacted or recorded them, retry keys, votes, and the nested bearings of evidence,
# which become a row each instead.
LEFT_OUT: frozenset[str] = frozenset(
    {
        "retired_by",
        "merged_at",
        "recorded_by",
        "import_id",
        "retracted_by",
        "redact_reason",
        "redacted_by",
        "vote_id",
        "idempotency_key",
        "bears",
    }
)
BEARING_COLUMNS = ("proposition_id", "stance", "strength", "magnitude")


def _columns(fields: tuple[str, ...], *extra: str) -> list[str]:
    return [name for name in fields if name not in LEFT_OUT] + list(extra)


CONTENT_COLUMNS = {
    "entities": _columns(ENTITY_FIELDS),
    "propositions": _columns(PROPOSITION_FIELDS),
    "evidence": _columns(EVIDENCE_FIELDS, *BEARING_COLUMNS),
    "beliefs": _columns(BELIEF_FIELDS),
}


async def render(
    db: Database,
    info: SnapshotInfo,
    figures: dict[str, Any],
    table: str,
    *,
    quotes: bool,
) -> AsyncIterator[str]:
    """One table as CSV text, piece by piece (content tables stream from the chunks)."""
    if table not in TABLES:
        raise UnknownTable(table, TABLES)
    if table in FIGURE_TABLES:
        if not quotes:
            figures = strip_figure_quotes(figures)
        yield "".join(_line(row) for row in _figure_rows(table, figures))
        return
    columns = CONTENT_COLUMNS[table]
    yield _line(columns)
    async for _, lines in iter_chunks(db, info.id, [table]):
        pieces = []
        for raw in lines:
            record = orjson.loads(raw)
            if table == "evidence":
                if not quotes:
                    record = without_quotes(record)
                # One row per bearing: a spreadsheet reads it without nested lists.
                for bearing in record.get("bears") or [{}]:
                    pieces.append(_line([{**record, **bearing}.get(c) for c in columns]))
            else:
                pieces.append(_line([record.get(c) for c in columns]))
        yield "".join(pieces)
