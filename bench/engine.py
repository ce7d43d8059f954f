"""Engine benchmark: ``simulate`` against the floor of drawing the same random variates.

A Monte Carlo engine cannot be faster than the random numbers it needs. The floor is
measured exactly: a recording generator logs every draw the engine makes (method and
arguments), and the same calls are then replayed and timed on a fresh generator.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

import simulator.engine as engine_module
from simulator import (
    Scenario,
    load_preset,
    results,
    scenario_from_dict,
    scenario_to_dict,
    simulate,
)
from simulator.engine import run_engine
from simulator.models import ProductLine


class RecordingGenerator:
    """Delegates to a real Generator and records every call for replay."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._rng, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, tuple(np.copy(a) for a in args), dict(kwargs)))
            return method(*args, **kwargs)

        return call


def large_scenario() -> Scenario:
    """10,000 runs x 120 months x 4 product lines, with a contract book (estimated at
    about 785 MB of the 800 MB a simulation may use; measured peak 724 MB traced)."""
    base = load_preset("balanced")
    lines = {
        "enterprise": ProductLine(
            name="Enterprise",
            deal_size=250_000,
            sales_cycle_months=9,
            term_months=36,
            win_rate=0.2,
            leads_per_rep_month=0.4,
            close_effort_per_deal=1.0,
            focus=0.25,
        ),
        "midmarket": ProductLine(
            name="Mid-market",
            deal_size=40_000,
            sales_cycle_months=4,
            term_months=12,
            win_rate=0.25,
            leads_per_rep_month=2.0,
            focus=0.25,
        ),
        "smb": ProductLine(
            name="SMB",
            deal_size=6_000,
            sales_cycle_months=1,
            term_months=0,
            win_rate=0.3,
            leads_per_rep_month=10.0,
            close_effort_per_deal=0.1,
            focus=0.25,
        ),
        "services": ProductLine(
            name="Services",
            deal_size=20_000,
            sales_cycle_months=2,
            term_months=0,
            win_rate=0.3,
            leads_per_rep_month=3.0,
            close_effort_per_deal=0.3,
            focus=0.25,
        ),
    }
    contracts = [c.model_copy(update={"product_line": "midmarket"}) for c in base.contracts]
    return base.model_copy(
        update={
            "product_lines": lines,
            "contracts": tuple(contracts),
            "simulation": base.simulation.model_copy(update={"months": 120, "runs": 10_000}),
        }
    )


def dynamic_scenario() -> Scenario:
    """The default preset with a plan change (three hires in July, who ramp) and the
    quarter-end push against a quota near its steady bookings (about $104k a quarter)."""
    base = load_preset("balanced")
    return scenario_from_dict(
        {
            **scenario_to_dict(base),
            "targets": {"quarterly_bookings": 110_000},
            "policy": {"quarter_end_push": 0.5},
            "changes": [{"from": "2012-07", "reps": 15}],
        }
    )


@dataclass
class Timing:
    case: str
    shape: str
    engine_ms: float  # median of simulate
    floor_ms: float  # median
    engine_min_ms: float
    floor_min_ms: float
    run_engine_ms: float = 0.0  # median, run_engine inside simulate
    whole_array_ms: float = 0.0  # median, the engine's steps after the monthly loop

    @property
    def ratio(self) -> float:
        return self.engine_ms / self.floor_ms if self.floor_ms else float("inf")


def time_case(case: str, scenario: Scenario, *, repeats: int) -> Timing:
    """Median and best of ``repeats``; each repeat times ``simulate`` and then the floor,
    so that a burst of load from other processes hits both alike."""
    runs = scenario.simulation.runs
    simulate(scenario, seed=1)  # warm-up (imports, caches)
    recorder = RecordingGenerator(1)
    run_engine(scenario, runs=runs, rng=recorder)  # type: ignore[arg-type]
    calls = recorder.calls

    def replay() -> None:
        rng = np.random.default_rng(1)
        for name, args, kwargs in calls:
            getattr(rng, name)(*args, **kwargs)

    engine, floor, inner, whole = [], [], [], []
    with _timing(results, "run_engine", inner), _timing(engine_module, "_summarise", whole):
        for _ in range(repeats):
            start = time.perf_counter()
            simulate(scenario, seed=1)
            engine.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            replay()
            floor.append((time.perf_counter() - start) * 1000)
    shape = (
        f"{runs:,} runs x {scenario.simulation.months} months x {len(scenario.product_lines)} lines"
    )
    return Timing(
        case=case,
        shape=shape,
        engine_ms=statistics.median(engine),
        floor_ms=statistics.median(floor),
        engine_min_ms=min(engine),
        floor_min_ms=min(floor),
        run_engine_ms=statistics.median(inner),
        whole_array_ms=statistics.median(whole) if whole else float("nan"),
    )


@contextmanager
def _timing(module: Any, name: str, sink: list[float]) -> Iterator[None]:
    """Time every call of ``module.name`` (ms, appended to ``sink``) while inside; nothing
    if there is no such function (an engine without separate whole-array steps)."""
    original = getattr(module, name, None)
    if original is None:
        yield
        return

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            sink.append((time.perf_counter() - start) * 1000)

    setattr(module, name, timed)
    try:
        yield
    finally:
        setattr(module, name, original)


def _ms(value: float) -> str:
    return "n/a" if value != value else f"{value:,.1f}"  # NaN: not measured


def machine() -> str:
    """CPU, cores, Python and numpy versions, for the record next to the figures."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            model = next(ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main() -> list[Timing]:
    print(f"Machine: {machine()}; load average before: {load_average()}")
    timings = [
        time_case("default preset (balanced)", load_preset("balanced"), repeats=15),
        time_case("default preset + change + push", dynamic_scenario(), repeats=15),
        time_case("team_a_team_b", load_preset("team_a_team_b"), repeats=15),
        time_case("large", large_scenario(), repeats=5),
    ]
    print()
    print(
        "| case | size | simulate (ms, median / best) | random-draw floor (ms, median / best)"
        " | ratio (medians) |"
    )
    print("|---|---|---:|---:|---:|")
    for t in timings:
        print(
            f"| {t.case} | {t.shape} | {t.engine_ms:,.1f} / {t.engine_min_ms:,.1f} "
            f"| {t.floor_ms:,.1f} / {t.floor_min_ms:,.1f} | {t.ratio:.1f}x |"
        )
    print()
    print("Where the time of simulate goes (medians, ms):")
    print()
    print(
        "| case | random draws (floor) | rest of the monthly loop and set-up"
        " | revenue and coverage (after the loop) | summaries (simulator.results) |"
    )
    print("|---|---:|---:|---:|---:|")
    for t in timings:
        loop = t.run_engine_ms - t.whole_array_ms - t.floor_ms
        print(
            f"| {t.case} | {t.floor_ms:,.1f} | {_ms(loop)} | {_ms(t.whole_array_ms)} "
            f"| {t.engine_ms - t.run_engine_ms:,.1f} |"
        )
    print(f"\nLoad average after: {load_average()}")
    return timings


if __name__ == "__main__":
    main()
