"""What every benchmark shares: timing, medians, the API server subprocess, a bench token."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from graph import members
from graph.kit.connection import Database
from schema.models import Actor

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
WARMUP = 2


def median(values: list[float]) -> float:
    return statistics.median(values)


def summary(values: list[float]) -> dict[str, Any]:
    """Median, min and max of some timings (seconds), and how many there were."""
    return {
        "median_s": round(median(values), 6),
        "min_s": round(min(values), 6),
        "max_s": round(max(values), 6),
        "runs": len(values),
    }


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 3) if denominator > 0 else float("inf")


async def timed_async(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await work()
    return time.perf_counter() - started, result


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


async def interleaved(
    contenders: dict[str, Callable[[], Awaitable[Any]]], runs: int = RUNS, warmup: int = WARMUP
) -> dict[str, list[float]]:
    """Run each contender ``warmup`` times, then ``runs`` rounds taking turns, so a burst of
    load from elsewhere on the machine hits all of them alike."""
    for _ in range(warmup):
        for work in contenders.values():
            await work()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, work in contenders.items():
            elapsed, _ = await timed_async(work)
            times[name].append(elapsed)
    return times


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for_every_first_read(
    base: str, workers: int, deadline: float, process: subprocess.Popen[bytes]
) -> None:
    """Wait until each worker holds the shared model laid out for weighing: a new process
    reads it once as it starts (seconds at M), and a page reaching a worker still reading
    waits for it. The benchmarks measure pages, not a start (the first read is measured on
    its own: ``bench.shared_model``'s cold read). Each poll is a new connection, which any
    worker may accept (the kernel does not promise to spread them; the deadline ends a wait
    that never reaches one); the answers name the worker. A server told not to read the
    model at start is not waited for."""
    laid_out: set[int] = set()
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the API server exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
            answer = httpx.get(f"{base}/bench/worker", timeout=5.0).json()
            if not answer["reads_model_at_start"]:
                return
            if answer["model_laid_out"]:
                laid_out.add(int(answer["pid"]))
        if len(laid_out) >= workers:  # a worker restarted meanwhile counts anew
            return
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{workers - len(laid_out)} worker(s) did not read the model in time "
                "(the server's log says why a start-up read failed)"
            )
        time.sleep(0.05)


@contextlib.contextmanager
def api_server(data_dir: Path, *, timeout_s: float = 120.0, workers: int = 1) -> Iterator[str]:
    """The API (with the bench endpoints) under uvicorn on loopback; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.server",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the API server exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=5.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the API server did not become ready")
            time.sleep(0.5)
        _wait_for_every_first_read(base, workers, deadline, process)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def bench_token(db: Database, member_id: str = "mem-bench-product") -> str:
    """A fresh API token for one of the generated members."""
    _, token = await db.write(members.create_token, Actor.system(), member_id, datetime.now(UTC))
    return token


def count_objects(value: Any) -> int:
    """How many JSON objects a decoded value holds, itself included."""
    if isinstance(value, dict):
        return 1 + sum(count_objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_objects(v) for v in value)
    return 0


def machine() -> dict[str, Any]:
    """Cores, CPU model, RAM and Python of this machine."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    load = None
    with contextlib.suppress(OSError):
        load = os.getloadavg()
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": ram_gib,
        "python": sys.version.split()[0],
        "load_average_at_start": [round(x, 2) for x in load] if load else None,
    }


def report(name: str, output: Path | None, run: Callable[[], dict[str, Any]], **header: Any) -> int:
    """Run ``run``; print its results after the machine line (its load taken before the run)
    and the time, and write them to ``output`` or ``bench/results/DATE-NAME.json``."""
    results = {"machine": machine(), "at": datetime.now(UTC).isoformat(), **header}
    results.update(run())
    text = json.dumps(results, indent=2)
    print(text)
    path = output or ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y-%m-%d}-{name}.json"
    path.write_text(text + "\n")
    return 0
