"""The decisions section of the reports: each decision as of the snapshot, those at risk first,
with the reasons and the first items that moved it (figures key ``decisions``).

Both formats word it alike; each passes its own escaping (``cell`` for Markdown, HTML escape
for HTML) so that text people wrote is always shown as itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graph.snapshots.export.words import day, number, quoted

TITLE = "Decisions and whether the evidence still backs them"
EMPTY = "No decision had been recorded by then."
INTRO = (
    "A decision is at risk when, weighed at the snapshot's time, the evidence seen when it "
    "was made and the evidence since give another status, confidences {shift} or more apart, "
    "or a proposition it rests on was retired or merged. Age alone never puts one at risk."
)


def decision_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = figures.get("decisions") or []
    return rows


def intro(figures: dict[str, Any]) -> str:
    shift = (figures.get("thresholds") or {}).get("decision_confidence_shift", 0.25)
    return INTRO.format(shift=f"{shift:g}")


def headline(row: dict[str, Any]) -> str:
    who = f" by {row['function']}" if row.get("function") else ""
    state = "AT RISK" if row["at_risk"] else "standing"
    return f"{state}: {row['title']} (decided {day(row['decided_at'])}{who})"


def basis_sentence(basis: dict[str, Any]) -> str:
    then, now = basis["status_then"].lower(), basis["status_now"].lower()
    return (
        f"{basis['text']}: then {then} {number(basis['confidence_then'])}, "
        f"now {now} {number(basis['confidence_now'])}"
    )


def moved_lines(basis: dict[str, Any], quotes: bool) -> Iterator[str]:
    """The first items recorded or retracted since, quoted only when the copy keeps quotes."""
    for item in basis.get("moved_by") or []:
        state = "retracted" if item.get("retracted") else "recorded"
        what = f"{item.get('source_type', 'item').replace('_', ' ')} {state}"
        text = f" — {quoted(str(item['summary']))}" if quotes and item.get("summary") else ""
        yield f"moved by {item['id']} ({what}){text}"
    more = basis.get("moved_by_count", 0) - len(basis.get("moved_by") or [])
    if more > 0:
        yield f"and {more} more items recorded or retracted since"


Outline = list[tuple[str, list[tuple[str, list[str]]]]]


def outline(figures: dict[str, Any], quotes: bool) -> Outline:
    """Each decision's headline, and per proposition its sentence and the lines under it (the
    reasons, then for one at risk the items that moved it): what both formats print."""
    return [
        (
            headline(row),
            [
                (
                    basis_sentence(basis),
                    [
                        *(basis.get("reasons") or []),
                        *(moved_lines(basis, quotes) if basis.get("at_risk") else []),
                    ],
                )
                for basis in row["basis"]
            ],
        )
        for row in decision_rows(figures)
    ]


def markdown(figures: dict[str, Any], quotes: bool, cell: Callable[[object], str]) -> Iterator[str]:
    yield f"\n## {TITLE}\n\n"
    decisions = outline(figures, quotes)
    if not decisions:
        yield f"{EMPTY}\n"
        return
    yield f"{intro(figures)}\n\n"
    for head, bases in decisions:
        yield f"- **{cell(head)}**\n"
        for sentence, details in bases:
            yield f"  - {cell(sentence)}\n"
            yield from (f"    - {cell(d)}\n" for d in details)


def html(figures: dict[str, Any], quotes: bool, escape: Callable[[object], str]) -> Iterator[str]:
    yield f"<section><h2>{TITLE}</h2>"
    decisions = outline(figures, quotes)
    if not decisions:
        yield f'<p class="empty">{EMPTY}</p></section>'
        return
    yield f"<p>{escape(intro(figures))}</p><ul>"
    for head, bases in decisions:
        yield f"<li><b>{escape(head)}</b><ul>"
        for sentence, details in bases:
            listed = "".join(f"<li>{escape(d)}</li>" for d in details)
            yield f"<li>{escape(sentence)}" + (f"<ul>{listed}</ul>" if listed else "") + "</li>"
        yield "</ul></li>"
    yield "</ul></section>"
