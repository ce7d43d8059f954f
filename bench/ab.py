"""Interleaved A/B of ``simulate`` between this checkout and another one.

Single runs of ``python -m bench.engine`` move by 20-30% with the machine's own speed,
more than most changes do, so a change is compared side by side: each checkout times
``simulate(scenario, seed=1)`` in a process of its own (``--calls`` calls after three
warm-up calls, median CPU time of the process: what other processes do to the clock
counts less), the two checkouts alternate for ``--rounds`` rounds (the first
one of each round alternating too), and the medians of the rounds are compared. Such a
loop of plain calls pays page faults that ``bench.engine`` does not (glibc gives the
freed history arrays back), so its times are higher than that benchmark's.

Run: ``python -m bench.ab --base ../base-checkout --case balanced --case change+push``
(make the other checkout with ``git worktree add ../base-checkout <commit>``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
TIMER = """
import statistics, sys, time
from simulator import load_preset, simulate
case, calls = sys.argv[1], int(sys.argv[2])
if case == "change+push":
    from bench.engine import dynamic_scenario
    scenario = dynamic_scenario()
else:
    scenario = load_preset(case)
for _ in range(3):
    simulate(scenario, seed=1)
times = []
for _ in range(calls):
    start = time.process_time()
    simulate(scenario, seed=1)
    times.append(time.process_time() - start)
print(statistics.median(times) * 1000)
"""


def time_checkout(checkout: Path, case: str, *, calls: int) -> float:
    """Median ms of ``calls`` simulate calls of ``case`` in a fresh process of ``checkout``."""
    out = subprocess.run(
        [sys.executable, "-c", TIMER, case, str(calls)],
        cwd=checkout,
        env=dict(os.environ, PYTHONPATH="."),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def compare(base: Path, case: str, *, rounds: int, calls: int) -> tuple[float, float]:
    """(base, this checkout) medians over ``rounds`` alternating rounds, ms."""
    times: dict[Path, list[float]] = {base: [], HERE: []}
    for round_ in range(rounds):
        order = (base, HERE) if round_ % 2 == 0 else (HERE, base)
        for checkout in order:
            times[checkout].append(time_checkout(checkout, case, calls=calls))
    return statistics.median(times[base]), statistics.median(times[HERE])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__)
    parser.add_argument("--base", type=Path, required=True, help="the other checkout")
    parser.add_argument(
        "--case",
        action="append",
        help="a preset name or change+push (repeatable; default: balanced)",
    )
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds (10)")
    parser.add_argument("--calls", type=int, default=15, help="timed calls per process (15)")
    args = parser.parse_args(argv if argv is not None else [])
    if not (args.base / "simulator").is_dir():
        parser.error(f"--base: {args.base} is not a checkout of this project")
    print(f"base: {args.base.resolve()}; this checkout: {HERE}")
    print("\n| case | base (ms) | this checkout (ms) | change | load after |")
    print("|---|---:|---:|---:|---:|")
    for case in args.case or ["balanced"]:
        before, after = compare(
            args.base.resolve(), case, rounds=max(1, args.rounds), calls=max(1, args.calls)
        )
        print(
            f"| {case} | {before:.2f} | {after:.2f} | {100 * (after - before) / before:+.1f}% "
            f"| {os.getloadavg()[0]:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
