"""Cycle-collector time per cold rerun, with and without ui/gc_pause.py's freeze.

Each mode runs in a fresh process: app.py under AppTest, then ``--moves`` cold moves of
the closing slider, timing every collection through ``gc.callbacks``. "Frozen" is the app
as it ships (every page's menu freezes the objects alive at the first run); "not frozen"
replaces the freeze with a no-op. After the moves, one full collection is timed: what a
rerun pays whenever Python's oldest generation comes due.

Run: ``python -m bench.gc_pause [--moves 40]`` (part of ``make bench``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def measure(*, frozen: bool, moves: int) -> dict[str, float]:
    """Collector milliseconds per rerun (mean, median), full passes, one full collect."""
    import gc
    import logging
    import warnings

    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    from streamlit.testing.v1 import AppTest

    from ui import controls, gc_pause

    if not frozen:
        gc_pause.freeze_long_lived_objects = lambda: None
    spent: list[float] = []
    full: list[float] = []
    started: list[float] = []

    def clock(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
            return
        ms = (time.perf_counter() - started.pop()) * 1000
        spent.append(ms)
        if info["generation"] == 2:
            full.append(ms)

    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    tracked = len(gc.get_objects())
    gc.callbacks.append(clock)
    per_rerun = []
    for move in range(moves):
        before = sum(spent)
        at.slider(key=controls.W_CLOSING).set_value(20.0 + move).run()
        per_rerun.append(sum(spent) - before)
    gc.callbacks.remove(clock)
    start = time.perf_counter()
    gc.collect()
    return {
        "tracked after the first run": tracked,
        "collector ms per rerun, mean": statistics.mean(per_rerun),
        "collector ms per rerun, median": statistics.median(per_rerun),
        "full passes during the moves": len(full),
        "ms per full pass during the moves": statistics.mean(full) if full else float("nan"),
        "one full collect after the moves, ms": (time.perf_counter() - start) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gc_pause", description=__doc__)
    parser.add_argument("--moves", type=int, default=40, help="cold moves per mode (default 40)")
    parser.add_argument("--mode", choices=("frozen", "not-frozen"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else [])
    moves = max(1, min(args.moves, 500))
    if args.mode:  # the child process: one mode, figures as JSON
        print(json.dumps(measure(frozen=args.mode == "frozen", moves=moves)))
        return 0
    rows: dict[str, dict[str, float]] = {}
    for mode in ("not-frozen", "frozen"):
        child = [sys.executable, "-m", "bench.gc_pause", "--mode", mode, "--moves", str(moves)]
        out = subprocess.run(child, check=True, capture_output=True, text=True).stdout
        rows[mode] = json.loads(out.strip().splitlines()[-1])
    print(f"Cycle collector during {moves} cold moves of the closing slider (AppTest).\n")
    print("| figure | not frozen | frozen |")
    print("|---|---:|---:|")
    for name in rows["frozen"]:
        digits = 1 if "ms" in name else 0
        cells = " | ".join(f"{rows[mode][name]:,.{digits}f}" for mode in rows)
        print(f"| {name} | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
