"""Tables that fit the terminal without cutting ids.

A listing names each column's kind: an ``id`` or a ``short`` value (a figure, a date, a
function's name) is printed whole on one line, always, since a cut id cannot be pasted into the
next command; a ``text`` column wraps to whatever width is left. A column shown only when there
is ``"room"`` appears when the whole table fits the terminal without wrapping; a ``"wide"`` one
only with ``--wide``. When even the narrowest table is wider than the terminal, it is printed
wider (the terminal wraps the line) rather than cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from commonground.console import out

Cell = str | Text
Kind = Literal["id", "short", "text"]
Show = Literal["always", "room", "wide"]

GAP = 2  # spaces between columns, as in most command-line listings
TEXT_MIN = 20  # a text column is squeezed no narrower than this

WideOption = Annotated[
    bool, typer.Option("--wide", help="Every column, however wide (the terminal may wrap).")
]


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"
    show: Show = "always"
    justify: Literal["left", "right"] = "left"
    narrowest: int = TEXT_MIN  # text columns only


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else cell


def _longest_line(cells: list[str]) -> int:
    return max((cell_len(line) for c in cells for line in c.splitlines() or [""]), default=0)


def _widths(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell]], gap: int = GAP
) -> tuple[int, int]:
    """The table's width with nothing wrapped, and the narrowest it may be squeezed to."""
    natural = squeezed = gap * (len(columns) - 1)
    for index, column in enumerate(columns):
        cells = [_plain(row[index]) for row in rows] + [column.header]
        full = _longest_line(cells)
        natural += full
        if column.kind == "text":
            squeezed += min(full, column.narrowest)  # a longer word is folded
        else:
            squeezed += full
    return natural, squeezed


def fits(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], gap: int = GAP) -> bool:
    """Whether these columns fit the terminal with nothing wrapped."""
    return _widths(columns, rows, gap)[0] <= out.width


def print_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    wide: bool = False,
    title: str | None = None,
    caption: str | None = None,
    gap: int = GAP,
) -> None:
    """Print ``rows`` with the columns that fit the terminal (all of them with ``wide``).

    ``gap=1`` is for a table whose text column needs every character it can get.
    """
    shown = [i for i, c in enumerate(columns) if c.show == "always" or wide]
    if not wide:
        for index, column in enumerate(columns):
            if column.show != "room":
                continue
            trial = sorted([*shown, index])
            if fits([columns[i] for i in trial], [[r[i] for i in trial] for r in rows], gap):
                shown = trial
    chosen = [columns[i] for i in shown]
    cells = [[row[i] for i in shown] for row in rows]
    table = Table(
        box=None,
        padding=(0, gap, 0, 0),
        pad_edge=False,
        header_style="bold",
        title=title,
        title_justify="left",
        caption=caption,
        caption_justify="left",
    )
    for column in chosen:
        table.add_column(
            column.header,
            justify=column.justify,
            no_wrap=column.kind != "text",
            overflow="fold",
        )
    for row in cells:
        table.add_row(*(c if isinstance(c, Text) else Text(c) for c in row))
    _, squeezed = _widths(chosen, cells, gap)
    # A console prints no wider than itself, so a table that cannot be squeezed into the
    # terminal gets a console of its own width.
    console = out if squeezed <= out.width else Console(width=squeezed)
    console.print(table, highlight=False)
