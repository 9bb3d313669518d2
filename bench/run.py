"""Run every benchmark: ``python -m bench.run`` (see docs/benchmarks.md).

Starts a dedicated local Neo4j (``--data-dir``, default ``/tmp/cg-bench``) unless it runs
already, grows the synthetic company through the sizes (S, then M, then L when its
generation fits the time budget), runs the benchmarks planned for each size, writes
``bench/results/<date>.json`` and prints the table. With ``--rust-off-venv DIR`` it also
reruns the read benchmarks at the first size under a throwaway copy of the virtualenv
with ``neo4j-rust-ext`` uninstalled (the project's own venv is never touched).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import importlib.util
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import neo4j

from bench import (
    divergence_report,
    generate,
    harness,
    import_bulk,
    nested_read,
    snapshot_export,
    workshop_load,
)
from graph.kit import local_neo4j

RESULTS = harness.ROOT / "bench" / "results"
PLAN = {"S": "abcde", "M": "bcde", "L": "be"}  # e at L: the export alone (docs/benchmarks.md)
WORKSHOP_REQUESTS = {"S": 8, "M": 8}
L_BUDGET_S = 20 * 60
RUST_OFF_BENCHMARKS = "bc"  # the reads whose records the driver decodes in bulk


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def start_database(data_dir: Path) -> bool:
    """Start the benchmark database unless it runs; True when this call started it."""
    found = local_neo4j.status(data_dir)
    if found is not None and found.running:
        return False
    command = [
        str(Path(sys.executable).with_name("commonground")),
        "db",
        "start",
        "--data-dir",
        str(data_dir),
        "--bolt-port",
        str(harness.free_port()),
        "--heap",
        "2g",
        "--pagecache",
        "1g",
    ]
    subprocess.run(command, check=True)
    return True


def stop_database(data_dir: Path) -> None:
    command = [str(Path(sys.executable).with_name("commonground")), "db", "stop"]
    subprocess.run([*command, "--data-dir", str(data_dir)], check=True)


def versions(db_version: str) -> dict[str, Any]:
    try:
        rust = importlib.metadata.version("neo4j-rust-ext")
    except importlib.metadata.PackageNotFoundError:
        rust = None
    if importlib.util.find_spec("neo4j._rust") is None:
        rust = None  # the driver runs its pure-Python codec
    return {
        "neo4j": db_version,
        "driver": neo4j.__version__,
        "neo4j_rust_ext": rust,
        "strawberry": importlib.metadata.version("strawberry-graphql"),
        "fastapi": importlib.metadata.version("fastapi"),
    }


async def _server_version(db: Any) -> str:
    records, _, _ = await db.driver.execute_query(
        "CALL dbms.components() YIELD versions RETURN versions[0] AS version",
        database_=db.name,
    )
    return str(records[0]["version"])


async def run_size(
    db: Any,
    data_dir: Path,
    size: str,
    benchmarks: str,
    runs: int,
    workers: int = 1,
    raw_reference: bool = True,
    pages: int | None = None,
) -> dict[str, Any]:
    """The benchmarks planned for one size, on a database already grown to it."""
    results: dict[str, Any] = {}
    spec = generate.SIZES[size]
    if "b" in benchmarks:
        log(f"{size}: b. divergence report")
        results["b"] = await divergence_report.run(db, runs, evidence=spec.evidence)
    if "e" in benchmarks and size == "L":
        log(f"{size}: e. snapshot export, once for its rate and once for its memory")
        results["e"] = await snapshot_export.run_export_only(db)
    elif "e" in benchmarks:
        log(f"{size}: e. snapshot export")
        results["e"] = await snapshot_export.run(db, runs)
    if set(benchmarks) & set("acd"):
        token = await harness.bench_token(db)
        with harness.api_server(data_dir, workers=workers) as base_url:
            if "c" in benchmarks:
                log(f"{size}: c. nested GraphQL read")
                results["c"] = await nested_read.run(base_url, token, runs)
            if "a" in benchmarks:
                log(f"{size}: a. bulk import")
                results["a"] = await import_bulk.run(db, base_url, token, size, runs)
            if "d" in benchmarks:
                log(f"{size}: d. 32 clients on the workshop query")
                results["d"] = await workshop_load.run(
                    db,
                    base_url,
                    token,
                    spec.segments,
                    per_client=pages or WORKSHOP_REQUESTS.get(size, 2),
                    writer=size == "M",
                    raw_reference=raw_reference,
                )
    return results


def rust_off(venv: Path, data_dir: Path, size: str, runs: int) -> dict[str, Any]:
    """Rerun the read benchmarks under a copy of the venv without neo4j-rust-ext."""
    source = Path(sys.prefix)
    if not (venv / "bin" / "python").exists():
        log(f"copying the virtualenv to {venv} (throwaway) and removing neo4j-rust-ext there")
        shutil.copytree(source, venv, symlinks=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "uninstall", "--yes", "--quiet", "neo4j-rust-ext"],
        check=False,
    )
    check = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('neo4j._rust'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    if check.stdout.strip() != "None":
        raise RuntimeError("neo4j-rust-ext is still importable in the throwaway venv")
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        output = Path(handle.name)
    subprocess.run(
        [
            str(python),
            "-m",
            "bench.run",
            "--data-dir",
            str(data_dir),
            "--sizes",
            size,
            "--only",
            RUST_OFF_BENCHMARKS,
            "--runs",
            str(runs),
            "--output",
            str(output),
            "--keep-database",
        ],
        cwd=harness.ROOT,
        check=True,
    )
    result: dict[str, Any] = json.loads(output.read_text())
    output.unlink()
    return result


def growth(results: dict[str, Any]) -> dict[str, Any]:
    """How the divergence report's time grows with evidence: log-log slope between sizes."""
    sizes = [s for s in ("S", "M", "L") if "b" in results["sizes"].get(s, {})]
    out: dict[str, Any] = {}
    for label in ("one segment", "all segments"):
        points = [
            (
                results["sizes"][s]["b"]["evidence"],
                results["sizes"][s]["b"][label]["product"]["median_s"],
            )
            for s in sizes
        ]
        steps = []
        for (e1, t1), (e2, t2) in zip(points, points[1:], strict=False):
            steps.append(
                {
                    "evidence": [e1, e2],
                    "time_ratio": round(t2 / t1, 2),
                    "evidence_ratio": round(e2 / e1, 2),
                    "exponent": round(math.log(t2 / t1) / math.log(e2 / e1), 2),
                }
            )
        out[label] = steps
    return out


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, ...]] = [("benchmark", "size", "product", "raw", "ratio", "target")]

    def add(name: str, size: str, product: str, raw: str, value: Any, target: str) -> None:
        rows.append((name, size, product, raw, str(value), target))

    for size, found in results["sizes"].items():
        a = found.get("a")
        if a:
            raw = f"{a['raw']['items_per_s']} items/s"
            for name in ("rest", "graphql", "graphql_file"):
                if name not in a:
                    continue
                add(
                    f"a. import {a['items']} via {name}",
                    size,
                    f"{a[name]['items_per_s']} items/s",
                    raw,
                    a[f"{name}_ratio"],
                    ">= 0.8",
                )
        b = found.get("b")
        if b:
            for label in ("one segment", "all segments"):
                add(
                    f"b. divergence report, {label}",
                    size,
                    f"{b[label]['product']['median_s']:.3f} s",
                    f"{b[label]['raw']['median_s']:.3f} s",
                    b[label]["ratio"],
                    "<= 1.2",
                )
        c = found.get("c")
        if c:
            for label, row in c.items():
                for way in ("typed", "bulk"):
                    add(
                        f"c. {label} ({row['objects']}) {way}, trips "
                        f"{row['round_trips'][way]}/{row['round_trips'][way + '_depth_plus_1']}",
                        size,
                        f"{row[way]['median_s']:.3f} s",
                        f"{row['plain']['median_s']:.3f} s",
                        row[f"{way}_ratio"],
                        "<= 2",
                    )
        d = found.get("d")
        if d:
            http = d["http"]
            add(
                f"d. {d['clients']} clients, {http['ok']}/{http['requests']} ok, "
                f"{http['throughput_per_s']}/s",
                size,
                f"p50 {http['p50_s']:.3f} s p99 {http['p99_s']:.3f} s",
                f"raw {d['raw']['throughput_per_s']}/s" if "raw" in d else "raw not run",
                http["p99_over_p50"],
                "p99/p50 <= 3, 0 errors",
            )
        e = found.get("e")
        if e and "raw" not in e:
            add(
                f"e. snapshot export ({e['records']} records), once",
                size,
                f"{e['export']['records_per_s']} rec/s",
                "-",
                f"peak {e['peak_python_bytes']['export'] / 1e6:.2f} MB",
                "memory flat",
            )
        elif e:
            add(
                f"e. snapshot export ({e['records']} records)",
                size,
                f"{e['export']['records_per_s']} rec/s",
                f"{e['raw']['records_per_s']} rec/s",
                e["ratio"],
                ">= 0.5",
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows
    )


def save(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")


async def main(args: argparse.Namespace) -> dict[str, Any]:
    data_dir: Path = args.data_dir
    started_db = start_database(data_dir)
    db = generate.connect(data_dir)
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(),
        "machine": harness.machine(),
        "versions": versions(await _server_version(db)),
        "runs": args.runs,
        "workers": args.workers,
        "pages_per_client": args.pages,
        "generation": {},
        "sizes": {},
    }
    try:
        for size in args.sizes.split(","):
            target = generate.SIZES[size]
            if size == "L" and not args.force_l and not args.no_generate:
                have_segments, have_per_segment = await generate.current_size(db)
                rate = (results["generation"].get("M") or {}).get("evidence_per_s")
                missing = target.evidence - have_segments * have_per_segment
                if missing > 0 and (not rate or missing / rate > L_BUDGET_S):
                    estimate = f"{missing / rate / 60:.0f} min" if rate else "unknown"
                    results["generation"]["L"] = {
                        "skipped": f"writing {missing} more evidence items would take about "
                        f"{estimate} at the rate measured for M; the budget is "
                        f"{L_BUDGET_S // 60} min"
                    }
                    log(f"L skipped: {results['generation']['L']['skipped']}")
                    continue
            if not args.no_generate:
                log(f"generating {size}")
                results["generation"][size] = await generate.generate(db, target)
                log(f"generated: {results['generation'][size]}")
            benchmarks = "".join(b for b in PLAN[size] if b in args.only)
            results["sizes"][size] = await run_size(
                db,
                data_dir,
                size,
                benchmarks,
                args.runs,
                args.workers,
                not args.no_raw_d,
                args.pages,
            )
            save(args.output, {**results, "partial": True})  # an L that fails keeps S and M
            if args.rust_off_venv and "rust_off" not in results:
                log(f"{size}: the read benchmarks again without neo4j-rust-ext")
                results["rust_off"] = {
                    "size": size,
                    **rust_off(args.rust_off_venv, data_dir, size, args.runs),
                }
                save(args.output, {**results, "partial": True})
        if any("b" in found for found in results["sizes"].values()):
            results["growth"] = growth(results)
    finally:
        await db.close()
        if started_db and not args.keep_database:
            stop_database(data_dir)
    results["finished_at"] = datetime.now(UTC).isoformat()
    return results


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run the benchmarks of issue 7.")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/cg-bench"))
    parser.add_argument("--sizes", default="S,M,L", help="comma-separated, in order: S,M,L")
    parser.add_argument("--only", default="abcde", help="benchmarks to run, e.g. bc")
    parser.add_argument("--runs", type=int, default=harness.RUNS)
    parser.add_argument("--output", type=Path, help="default bench/results/<date>.json")
    parser.add_argument("--rust-off-venv", type=Path, help="throwaway venv for the rust-off runs")
    parser.add_argument("--force-l", action="store_true", help="generate L whatever it takes")
    parser.add_argument("--no-generate", action="store_true", help="use the data as it is")
    parser.add_argument("--keep-database", action="store_true", help="leave Neo4j running")
    parser.add_argument(
        "--workers", type=int, default=1, help="API worker processes for a, c and d (default 1)"
    )
    parser.add_argument(
        "--pages",
        type=int,
        help="d: pages per client (default 8 at S and M); more for a longer, steadier run",
    )
    parser.add_argument(
        "--no-raw-d",
        action="store_true",
        help="d without its raw reference (minutes at M; it does not change with the API)",
    )
    args = parser.parse_args()
    if args.runs < 5 and args.output is None:
        parser.error("published results need at least 5 runs")
    if args.output is None:
        args.output = RESULTS / f"{datetime.now(UTC).date().isoformat()}.json"
    return args


if __name__ == "__main__":
    arguments = parse()
    began = time.perf_counter()
    outcome = asyncio.run(main(arguments))
    outcome["seconds"] = round(time.perf_counter() - began, 1)
    path = arguments.output
    save(path, outcome)
    if "sizes" in outcome:
        print(table(outcome))
        if "rust_off" in outcome:
            print("\nwithout neo4j-rust-ext:")
            print(
                table(
                    {
                        "sizes": {
                            outcome["rust_off"]["size"]: outcome["rust_off"]["sizes"][
                                outcome["rust_off"]["size"]
                            ]
                        }
                    }
                )
            )
    print(f"\nresults: {path}")
