"""Saying what a long command is doing, on stderr so stdout stays clean for scripts.

On a terminal: rich's bars and spinners, redrawn in place. Anywhere else (a pipe, a log, CI,
`make up | tee`) nothing can be redrawn, so each step and batch is a line of its own, and a
step that runs long without one gets a "still working" line every ``HEARTBEAT_S`` seconds:
a silent minute in a log reads as a hang.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

HEARTBEAT_S = 5.0
LINE_EVERY_S = 2.0  # within a step, batch lines no closer than this (a log, not a flood)

Report = Callable[[str, int, int], None]  # (step, done, total), as graph.seeding reports


class _Heartbeat:
    """A line every ``HEARTBEAT_S`` seconds in which nothing else was printed."""

    def __init__(self, console: Console, started: float) -> None:
        self.console = console
        self.started = started
        self.last = started
        self.doing = ""
        self.first = ""  # said instead of the first "still" line, when nothing was said yet
        self.spoke = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def say(self, line: str, doing: str) -> None:
        self.doing = doing
        self.last = time.monotonic()
        self.spoke = True
        self.console.print(line, highlight=False, soft_wrap=True)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            now = time.monotonic()
            if self.doing and now - self.last >= HEARTBEAT_S:
                if self.first and not self.spoke:
                    self.say(self.first, self.doing)
                else:
                    self.say(f"  … still {self.doing} ({now - self.started:.0f} s)", self.doing)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def steps(verb: str, console: Console) -> Iterator[Report]:
    """A ``Report`` that shows each step's progress: ``Loading evidence… 200/317``."""
    if console.is_terminal:
        bar = Progress(
            TextColumn(f"{verb} {{task.description}}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        tasks: dict[str, object] = {}

        def draw(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done)  # type: ignore[arg-type]

        with bar:
            yield draw
        return
    with _Heartbeat(console, time.monotonic()) as beat:
        current = [""]

        def write(step: str, done: int, total: int) -> None:
            doing = f"{verb.lower()} {step} ({done}/{total})"
            if step != current[0] or done >= total or time.monotonic() - beat.last >= LINE_EVERY_S:
                current[0] = step
                beat.say(f"{verb} {step}… {done}/{total}", doing)
            else:
                beat.doing = doing

        yield write


@contextmanager
def working(
    doing: str, console: Console, *, detail: str = "", after_s: float = 0.0
) -> Iterator[None]:
    """One opaque step (``doing``: e.g. "starting Neo4j"): a spinner, or a line and heartbeats.

    ``detail`` is said once, after ``doing``, in the first line. With ``after_s``, a step that
    is usually quick says nothing unless it lasts that long.
    """
    headline = doing[:1].upper() + doing[1:] + detail + "…"
    if console.is_terminal:
        with console.status(headline):
            yield
        return
    started = time.monotonic()
    with _Heartbeat(console, started) as beat:
        if after_s:
            beat.doing = doing
            beat.last = started - HEARTBEAT_S + after_s  # the first heartbeat is the headline
            beat.first = headline
        else:
            beat.say(headline, doing)
        yield
    if beat.spoke:
        console.print(f"  done in {time.monotonic() - started:.0f} s", highlight=False)
