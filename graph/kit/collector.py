"""The cyclic garbage collector held off while a report builds its rows.

A whole model's report builds tens of thousands of rows, and every one of them stays alive
until the report is returned: the collector's passes that these allocations set off find
nothing to free, yet each walks every young object, and the full ones everything the process
holds (a fifth of a whole-model report's CPU at 100,000 evidence items, with the kept model
frozen out of them already: ``graph.divergence.shared``). Reference counting frees
everything as usual meanwhile; only cycles wait, for the length of the report.

Reports run in several threads at once, so the pause is counted: the collector runs again
when the last report that paused it is done, and a collector that was off already (by a
caller's choice) stays off.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")

_lock = threading.Lock()
_pauses = 0
_resume = False  # whether the last pause to end turns the collector back on


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection while the block runs (in any thread)."""
    global _pauses, _resume
    with _lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


def pausing(function: Callable[P, T]) -> Callable[P, T]:
    """``function`` run with the collector paused."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with paused():
            return function(*args, **kwargs)

    return wrapper


def keep_out_of_collections() -> None:
    """Everything alive now, kept out of the collector's passes from here on (``gc.freeze``).

    For what a process holds for its life (its modules, the GraphQL schema, the driver, a
    kept model): each full pass of the collector would walk it all again, and a big answer
    allocates enough to set off several (a typed read of 1,700 objects spent ~10 ms of its
    CPU there, docs/benchmarks.md). Frozen objects are still freed by reference counting.
    A full collection first, so that no garbage of the moment is frozen with them.
    """
    gc.collect()
    gc.freeze()


def return_to_collections() -> None:
    """Undo ``keep_out_of_collections``: when what start-up made is done with (an app shut
    down, in a process that goes on, as tests do), its cycles may be collected again."""
    gc.unfreeze()
