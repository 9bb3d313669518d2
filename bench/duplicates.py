"""Benchmark: near-duplicate entities (the ``duplicates`` question) at a year's volume.

``python -m bench.duplicates [--sizes 1000 3000 10000] [--runs 3] [--output FILE]``

Times ``analytics.similarity.near_duplicate_pairs`` — the whole of the question after the one
query that loads the candidates — on entities of one kind, with two kinds of text:

- ``narrow``: names and descriptions drawn from the synthetic company's 32-word vocabulary, so
  nearly every pair shares words (the worst case: the score of every pair is non-zero);
- ``wide``: the same shapes drawn from 5,000 made-up words with a Zipf-like frequency, nearer
  to what teams write (few pairs share more than common words).

For each it reports the median seconds (wall clock, and the CPU time of this process, which a
busy machine inflates less), the pairs found at the default threshold, the load average when
the row started and the peak memory traced during one extra run. No database is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analytics.similarity import near_duplicate_pairs
from bench.generate import WORDS
from bench.harness import ROOT, machine, summary, timed
from schema.divergence import Thresholds

THRESHOLD = Thresholds().duplicate_min_similarity
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vi", "zo", "pa", "re", "di", "qu", "an"]


def wide_vocabulary(size: int = 5000) -> tuple[list[str], list[float]]:
    rng = random.Random(7)
    words = sorted({"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(size * 2)})
    words = words[:size]
    rng.shuffle(words)
    return words, [1.0 / (rank + 1) for rank in range(len(words))]


def texts(count: int, kind: str) -> list[tuple[str, str, str]]:
    """``count`` items of one kind, each "name. description", reproducibly."""
    rng = random.Random(count)
    if kind == "narrow":
        words, weights = list(WORDS), [1.0] * len(WORDS)
    else:
        words, weights = wide_vocabulary()

    def some(low: int, high: int) -> str:
        return " ".join(rng.choices(words, weights, k=rng.randint(low, high)))

    return [(f"feat-{i:06d}", "FEATURE", f"{some(2, 4)}. {some(6, 12)}") for i in range(count)]


def measure(items: list[tuple[str, str, str]], runs: int) -> dict[str, Any]:
    load = [round(x, 2) for x in os.getloadavg()]
    timings: list[float] = []
    cpu: list[float] = []
    found = 0
    for _ in range(runs):
        started = time.process_time()
        seconds, pairs = timed(lambda: near_duplicate_pairs(items, min_similarity=THRESHOLD))
        cpu.append(time.process_time() - started)
        timings.append(seconds)
        found = len(pairs)
    tracemalloc.start()
    near_duplicate_pairs(items, min_similarity=THRESHOLD)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        **summary(timings),
        "cpu_median_s": round(statistics.median(cpu), 6),
        "pairs": found,
        "peak_mib": round(peak / 2**20, 1),
        "load_average_at_start": load,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {
        "benchmark": "duplicates",
        "threshold": THRESHOLD,
        "machine": machine(),
        "started_at": datetime.now(UTC).isoformat(),
        "rows": [],
    }
    print(
        f"{'texts':8} {'entities':>9} {'median s':>9} {'CPU s':>7} {'pairs':>9} {'peak MiB':>9}",
        "load",
    )
    for kind in ("wide", "narrow"):
        for size in args.sizes:
            row = {"texts": kind, "entities": size, **measure(texts(size, kind), args.runs)}
            results["rows"].append(row)
            print(
                f"{kind:8} {size:>9} {row['median_s']:>9.2f} {row['cpu_median_s']:>7.2f} "
                f"{row['pairs']:>9} {row['peak_mib']:>9} {row['load_average_at_start'][0]}",
                flush=True,
            )
    output = (
        args.output or ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y-%m-%d}-duplicates.json"
    )
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
