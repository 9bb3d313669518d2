"""Heavy work off the event loop, stopped when its request gives up (docs/design.md §8).

The API serves every request from one event loop: while it computes, nothing else is
answered, not even ``/healthz``. Work that needs more than a few milliseconds of CPU runs
elsewhere, by one of two means:

- :func:`in_thread` runs a plain function (the divergence maths) in a worker thread;
- :func:`in_worker_loop` runs a coroutine (the execution of a costly GraphQL query, with its
  database reads) on a second event loop in a thread of its own. ``Database`` gives each
  event loop its own driver, so the coroutine's reads run there too.

Python switches threads every few milliseconds, so the API's loop keeps answering while the
work runs. When the caller is cancelled (the request timeout, a client that hung up) the
work's :class:`Token` is cancelled: a coroutine is cancelled at its next ``await``, and a
function stops at its next :func:`checkpoint`, which long loops call. Each piece of work
also stops by itself once its ``timeout_s`` has passed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")

THREADS = 4  # the machine's cores are few; more threads would only queue for the GIL


class WorkCancelled(Exception):
    """Raised at a checkpoint of work whose caller gave up or whose time ran out."""


class Token:
    """Says when a piece of work should stop: cancelled, or past its deadline."""

    def __init__(self, timeout_s: float | None = None, parent: Token | None = None) -> None:
        self.deadline = None if timeout_s is None else time.monotonic() + timeout_s
        self.parent = parent
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        if self._cancelled.is_set():
            return True
        if self.deadline is not None and time.monotonic() > self.deadline:
            return True
        return self.parent is not None and self.parent.cancelled

    def check(self) -> None:
        if self.cancelled:
            raise WorkCancelled("the work was stopped: its request gave up or ran out of time")


_token: contextvars.ContextVar[Token | None] = contextvars.ContextVar("offload_token", default=None)


def current_token() -> Token | None:
    """The token of the offloaded work running here, if any."""
    return _token.get()


def checkpoint() -> None:
    """Stop here (raise :class:`WorkCancelled`) if the work running here should stop.

    Cheap enough for every few hundred iterations of a loop; outside offloaded work it does
    nothing."""
    token = _token.get()
    if token is not None:
        token.check()


_pool: concurrent.futures.ThreadPoolExecutor | None = None
_worker: _WorkerLoop | None = None
_lock = threading.Lock()
_running = 0


def running() -> int:
    """How many pieces of offloaded work have not finished (for tests and metrics)."""
    return _running


def _track(delta: int) -> None:
    global _running
    with _lock:
        _running += delta


def _threads() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(THREADS, thread_name_prefix="offload")
        return _pool


async def in_thread(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``work(*args, **kwargs)`` in a worker thread; its checkpoints stop it once the caller
    is cancelled (the thread cannot be interrupted anywhere else)."""
    token = Token(parent=_token.get())
    context = contextvars.copy_context()
    context.run(_token.set, token)

    def run() -> T:
        _track(1)
        try:
            return context.run(work, *args, **kwargs)
        finally:
            _track(-1)

    try:
        return await asyncio.get_running_loop().run_in_executor(_threads(), run)
    except asyncio.CancelledError:
        token.cancel()
        raise


WORKER_LOOP = "offload-loop"


class _WorkerLoop:
    """A second event loop, in a daemon thread, for coroutines that compute a lot."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.call_soon(started.set)
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name=WORKER_LOOP, daemon=True)
        self.thread.start()
        started.wait()


def worker_loop() -> asyncio.AbstractEventLoop:
    """The event loop heavy coroutines run on (started on first use)."""
    global _worker
    with _lock:
        if _worker is None or not _worker.thread.is_alive():
            _worker = _WorkerLoop()
        return _worker.loop


async def in_worker_loop(
    work: Callable[..., Awaitable[T]], *args: Any, timeout_s: float | None = None
) -> T:
    """``await work(*args)`` on the worker loop; cancelled there when the caller is cancelled
    here, or when ``timeout_s`` has passed. Already on the worker loop, it runs in place."""
    loop = worker_loop()
    if asyncio.get_running_loop() is loop:
        return await work(*args)
    token = Token(timeout_s, parent=_token.get())

    async def run() -> T:
        _token.set(token)
        _track(1)
        try:
            if timeout_s is None:
                return await work(*args)
            return await asyncio.wait_for(work(*args), timeout_s)
        finally:
            _track(-1)

    future = asyncio.run_coroutine_threadsafe(run(), loop)
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        token.cancel()
        future.cancel()  # cancels the task on the worker loop at its next await
        raise
