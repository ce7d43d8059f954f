"""``python -m bench.cost``: the cost model (``simulator/budget.py``) against real runs.

Two tables for docs/benchmarks.md, "Cost model":
- peak memory: tracemalloc's peak of ``simulate(scenario).summary_only()`` (numpy
  reports its arrays to tracemalloc) beside the model's estimate, for the shapes that
  stress each term of the model;
- seconds: the wall clock of the same call at the most runs each shape may have under
  the per-request bound, beside the model's expected seconds.

To measure a shape the bound refuses (to show why it is refused), the bound is lifted
inside this process only; the app and the CLI never do this.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Iterator

from simulator import budget, simulate
from simulator.models import MAX_RUNS
from tests.support.shapes import shape

MEMORY_CASES: list[dict[str, int]] = [
    dict(runs=20_000, months=120),
    dict(runs=20_000, months=120, look=24),
    dict(runs=2_000, months=120, contracts=200, look=24),
    dict(runs=1_000, months=120, lines=8, cycle=36, look=24),
    dict(runs=3_000, months=120, lines=8, cycle=1, look=24),
    dict(runs=20_000, months=3, contracts=200, look=1),
]
TIME_SHAPES: list[dict[str, int]] = [
    dict(months=120, contracts=200, look=24),
    dict(months=120, lines=8, cycle=36, look=24),
    dict(months=120, lines=8, cycle=1, look=24),
    dict(months=120, look=6),
]


@contextlib.contextmanager
def bound_lifted() -> Iterator[None]:
    """Let this process build and run a scenario above the per-request bound."""
    saved = budget.MAX_REQUEST_BYTES, budget.MAX_REQUEST_SECONDS
    budget.MAX_REQUEST_BYTES, budget.MAX_REQUEST_SECONDS = 10**13, 10**6
    try:
        yield
    finally:
        budget.MAX_REQUEST_BYTES, budget.MAX_REQUEST_SECONDS = saved


def _describe(case: dict[str, int]) -> str:
    lines, cycle = case.get("lines", 1), case.get("cycle", 3)
    return (
        f"| {case.get('runs', 0):,} x {case['months']} | {lines} ({cycle}) "
        f"| {case.get('contracts', 0)} | {case.get('look', 6)} "
    )


def memory_table() -> list[str]:
    rows = [
        "| runs x months | lines (cycle) | contracts | look-ahead | peak (MB) | estimate (MB)"
        " | estimate / peak | accepted |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    print("\n".join(rows), flush=True)
    for case in MEMORY_CASES:
        with bound_lifted():
            scenario = shape(**case)
        accepted = budget.refusal(scenario) is None
        estimate = budget.estimate(scenario).bytes
        with bound_lifted():
            gc.collect()
            tracemalloc.start()
            try:
                simulate(scenario).summary_only()
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        rows.append(
            _describe(case) + f"| {peak / 1e6:,.0f} | {estimate / 1e6:,.0f} "
            f"| {estimate / peak:.2f} | {'yes' if accepted else 'refused'} |"
        )
        print(rows[-1], flush=True)
    return rows


def time_table() -> list[str]:
    rows = [
        "| shape | runs allowed | expected (s) | measured (s) |",
        "|---|---:|---:|---:|",
    ]
    print("\n".join(rows), flush=True)
    for case in TIME_SHAPES:
        most = min(MAX_RUNS, budget.estimate(shape(runs=1, **case)).max_runs())
        scenario = shape(runs=most, **case)
        expected = budget.estimate(scenario).seconds
        gc.collect()
        started = time.perf_counter()
        simulate(scenario).summary_only()
        seconds = time.perf_counter() - started
        label = (
            f"{case.get('lines', 1)} line(s), cycle {case.get('cycle', 3)}, "
            f"{case.get('contracts', 0)} contracts, {case['months']} months, "
            f"look-ahead {case.get('look', 6)}"
        )
        rows.append(f"| {label} | {most:,} | {expected:.1f} | {seconds:.1f} |")
        print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__)
    parser.add_argument("--only", choices=("memory", "time"), help="one table only")
    args = parser.parse_args(argv)
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"load average before: {os.getloadavg()[0]:.1f}"
    )
    if args.only != "time":
        print("\nPeak memory of one simulation with its summaries:\n")
        memory_table()
    if args.only != "memory":
        print("\nSeconds at the most runs the per-request bound allows:\n")
        time_table()
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
