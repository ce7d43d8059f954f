"""``python -m bench.calibrate``: calibration on a 100,000-row CRM export.

Target from issue 12: ``calibrate`` on a 100,000-row opportunities export in under
5 s with bounded memory. The export is generated (tests/support/crm.py: 8 product
lines, 120 reps, 36 months, Salesforce headers, ';' and comma decimals, so every
amount and date goes through the robust readers); a 10,000-row subscriptions export
is added in a second case. Each case is timed end to end (bytes in, validated
scenario and backtest out; the median of 3) and its peak traced memory measured with
tracemalloc (Python objects and numpy arrays), beside the size of the file itself.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
import tracemalloc

from simulator.calibrate import BACKTEST_RUNS, calibrate
from tests.support.crm import LineTruth, Truth, generate, generate_book, write_book, write_csv

TARGET_S = 5.0
ROWS = 100_000

LINES = tuple(
    LineTruth(f"Product line {i + 1}", rate, win, cycle, size, cv)
    for i, (rate, win, cycle, size, cv) in enumerate(
        [
            (6.0, 0.30, 2, 12_000.0, 0.5),
            (4.5, 0.25, 3, 30_000.0, 0.4),
            (3.0, 0.22, 4, 60_000.0, 0.4),
            (2.5, 0.35, 1, 4_000.0, 0.6),
            (2.0, 0.20, 6, 150_000.0, 0.3),
            (1.5, 0.28, 3, 20_000.0, 0.5),
            (1.2, 0.18, 9, 400_000.0, 0.3),
            (1.0, 0.40, 2, 8_000.0, 0.5),
        ]
    )
)


def export_of(rows: int) -> Truth:
    """A truth whose export has about ``rows`` opportunities over 36 months."""
    per_rep_month = sum(line.created_per_rep_month for line in LINES)
    reps = max(1, round(rows / (36.5 * per_rep_month)))
    return Truth(lines=LINES, reps=reps, months=36)


def _measure(raw: bytes, contracts: bytes | None, *, repeats: int) -> tuple[float, float, object]:
    def once():
        return calibrate(raw, source="bench.csv", contracts=contracts)

    result = once()  # warm-up (imports, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    try:
        once()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return statistics.median(times), peak / 1e6, result


def main() -> None:
    truth = export_of(ROWS)
    export = generate(truth, seed=1)
    raw = write_csv(export, style="salesforce", delimiter=";", decimal=",", currency="kr.").encode()
    book_rows, _ = generate_book(truth, seed=2, accounts=7_000)
    book = write_book(book_rows).encode()
    load = os.getloadavg()[0]
    print(
        f"Export: {len(export.deals):,} opportunities, {len(truth.lines)} lines, {truth.reps} "
        f"reps, 36 months ({len(raw) / 1e6:.1f} MB); backtest {BACKTEST_RUNS} runs. Load "
        f"average before: {load:.1f}. Target: under {TARGET_S:.0f} s."
    )
    print()
    print(
        "| case | seconds (median of 3) | peak traced memory (MB) | file (MB) | backtest months |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, contracts in (
        ("opportunities", None),
        (f"opportunities + {len(book_rows):,} subscription rows", book),
    ):
        seconds, peak, result = _measure(raw, contracts, repeats=3)
        size = (len(raw) + len(contracts or b"")) / 1e6
        months = len(result.backtest.months) if result.backtest else 0
        flag = "" if seconds < TARGET_S else " (over target)"
        print(f"| {name} | {seconds:.2f}{flag} | {peak:.0f} | {size:.1f} | {months} |", flush=True)
    print()
    print(f"Load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
