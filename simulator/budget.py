"""What a simulation costs, the bound on one request, and a memory budget for a server.

:func:`estimate` predicts the peak memory and the seconds of one
:func:`simulator.simulate` call (with the app's summaries) from the scenario's shape
alone, without running it. Every large array is counted: the engine's per-month
histories (runs x months x lines), the pipeline buffer and its cells x cells matrix
products each month, the look-ahead forecast (runs x months x look-ahead months),
the explicit contracts' histories (months x contracts x runs), the forward-coverage
work after the loop, and the summaries. The constants were measured with
``tracemalloc`` and a wall clock on the project's 2-core server (``docs/benchmarks.md``,
"Cost model"); ``tests/test_budget.py`` checks that the memory estimate is an upper
bound within :data:`ESTIMATE_FACTOR` of the real peak (plus a fixed slack).

:data:`MAX_REQUEST_BYTES` and :data:`MAX_REQUEST_SECONDS` bound one simulation. The
scenario model refuses a scenario above either (``Scenario._consistent`` calls
:func:`check`), so a link, an upload, the CLI and every widget get the same short
message naming ``simulation.runs`` and the largest number of runs that fits.
``simulate(runs=...)`` checks its override the same way.

:class:`MemoryBudget` is a semaphore counted in estimated bytes: the app server keeps
one (``ui/runtime.py``) so its simulations run side by side while their estimated peaks
add up to at most :data:`MAX_BYTES_IN_FLIGHT`; a larger request waits for room (or for
its caller to go away, see :meth:`MemoryBudget.hold`). Nothing here holds process-wide
state: :func:`simulator.simulate` checks one request's cost and nothing else.

Pure Python: no numpy needed to estimate, so every validation can afford it.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # models imports this module to validate scenarios
    from .models import Scenario

MAX_REQUEST_BYTES = 800_000_000
"""Peak memory one simulation may need (800 MB, estimated): the largest single-line
run, 20,000 runs x 120 months, is estimated at about 700 MB, and the engine
benchmark's large case (10,000 runs x 120 months x 4 lines) at about 785 MB (its
measured peak: 724 MB)."""
MAX_REQUEST_SECONDS = 10
"""Expected seconds one simulation may take on the 2-core server, so no request
stalls the others for long."""
MAX_BYTES_IN_FLIGHT = 2 * MAX_REQUEST_BYTES
"""Estimated bytes all simulations of the app's process may hold at once (1.6 GB): two of
the largest run side by side, the rest queue. On two cores, running more at once would
not finish them sooner anyway."""
ESTIMATE_FACTOR = 2.0
ESTIMATE_SLACK_BYTES = 20_000_000
"""The memory estimate is at least the measured peak and at most ESTIMATE_FACTOR times
it plus ESTIMATE_SLACK_BYTES (the fixed part, which dominates only small runs)."""

# --- Calibration (measured on the 2-core server; see docs/benchmarks.md, "Cost model").
_OVERHEAD_BYTES = 1_000_000
"""Fixed memory of a simulation besides the pipeline matrices (labels, small tables)."""
_MARGIN = 1.0
"""Headroom on the counted arrays for numpy temporaries the count does not name: none
since the early warning and the engine's whole-array steps work a block of runs at a
time. The count alone is 1.06 to 18 times the measured peak over the shapes of
docs/benchmarks.md, "Cost model", and tests/test_budget.py checks the worst cases."""
_BLOCK = 1 << 17
"""The engine's run-block size in elements (engine._BLOCK), for the whole-array steps."""
_SECONDS_FIXED = 0.01
# Seconds per run-month for each kind of work (see :func:`_time_terms`).
_SECONDS_PER = {
    "months": 1.7e-6,
    "lines": 0.1e-6,
    "look-ahead": 0.12e-6,
    "lines x look-ahead": 0.09e-6,
    "pipeline": 0.9e-9,
    "contracts": 0.045e-6,
    "contracts x look-ahead": 0.0045e-6,
    "team": 0.02e-6,
}


@dataclass(frozen=True)
class Cost:
    """Predicted peak memory and seconds of one simulation with its summaries."""

    runs: int
    bytes: int
    seconds: float
    memory_phases: tuple[tuple[float, float], ...]
    """(fixed bytes, bytes per run) of each phase; the peak is the largest phase."""
    fixed_seconds: float
    seconds_per_run: float
    largest_memory: str
    """What takes the most memory per run, in the user's words."""
    largest_time: str
    """What takes the most time per run, in the user's words."""

    @property
    def fits(self) -> bool:
        return self.bytes <= MAX_REQUEST_BYTES and self.seconds <= MAX_REQUEST_SECONDS

    def max_runs(self) -> int:
        """The most runs of this scenario within both per-request bounds (0 if none)."""
        by_time = (MAX_REQUEST_SECONDS - self.fixed_seconds) / self.seconds_per_run
        by_bytes = min(
            (MAX_REQUEST_BYTES - fixed) / per_run for fixed, per_run in self.memory_phases
        )
        return max(0, math.floor(min(by_bytes, by_time)))


@dataclass(frozen=True)
class _Shape:
    runs: int
    months: int
    lines: int
    look: int
    contracts: int
    cells: int  # pipeline cells: sum over lines of cycle + max(cycle, 3)
    ramp: int  # team.ramp_months
    attrition: bool  # leavers are drawn (and their backfills kept)
    contracts_due: int = 0  # contracts that come up for renewal within the horizon


def _shape(scenario: Scenario, runs: int | None) -> _Shape:
    lines = scenario.product_lines.values()
    return _Shape(
        runs=scenario.simulation.runs if runs is None else int(runs),
        months=scenario.simulation.months,
        lines=len(scenario.product_lines),
        look=scenario.thresholds.coverage_lookahead_months,
        contracts=len(scenario.contracts),
        cells=sum(ln.sales_cycle_months + max(ln.sales_cycle_months, 3) for ln in lines),
        ramp=scenario.team.ramp_months,
        attrition=scenario.team.attrition_annual > 0,
        contracts_due=sum(
            scenario.contract_end_offset(c) < scenario.simulation.months for c in scenario.contracts
        ),
    )


def _memory_terms(s: _Shape) -> dict[str, float]:
    """Bytes per run of the arrays the engine keeps from its first month to its end,
    where they meet the outputs (the summaries come later and need less), by what the
    user would reduce."""
    t, n, k, c, p = s.months, s.lines, s.look, s.contracts, s.cells
    f8, f4 = 8, 4
    return {
        # revenue by source (5), bookings, wins, renewals kept, opportunity rate and
        # open pipeline per line; value kept at renewals (base, first and later units);
        # the pooled contracts' end schedule; per-line state and the month's effort
        # (capacity, prospecting).
        "lines": f8 * (13 * t * n + (t + k + 1) * n + 30 * n),
        # coverage, care index, care factor, expansion, renewals due and kept,
        # onboarding, growth index, NRR, GRR, top accounts' share, headcount, productive
        # reps, bookings and the push flags; the summaries' per-run totals; the team by
        # month of the ramp, its backfills by month.
        "months": f8 * 18 * t + t + f8 * (s.ramp + 8) + f8 * (t + 1) * s.attrition,
        # the float32 pipeline buffer (months + cells + budget and slack rows) and its
        # per-month products.
        "pipeline": f4 * (t + p + 2 * n + 1) + f4 * 4 * p,
        # the float32 forecast for every look-ahead month.
        "look-ahead": f4 * t * k + f4 * (k + n),
        # in force and renewed flags per month, and the contracts' state.
        "contracts": 2 * t * c + 2 * c,
    }


def _loop_bytes_per_run(s: _Shape) -> float:
    """Temporaries of a month with contracts due: draws, chances and values per contract
    (none when no contract comes up for renewal within the horizon)."""
    return 24 * s.contracts if s.contracts_due else 0


def _end_bytes(s: _Shape) -> float:
    """Temporaries of the forward-coverage step after the loop, which works a block of
    runs at a time: a fixed size whatever the runs (the block is the engine's)."""
    t, n, k, c = s.months, s.lines, s.look, s.contracts
    block = max(1, _BLOCK // ((t + k) * (2 * k + n)))
    per_run = 8 * (6 * (t + k) * (2 * k + n) + 4 * t * n + 2 * t * k) + 10 * t * c
    # each contract's value ahead, for every month; renewal chances by month
    per_scenario = 8 * 4 * t * c * k + 8 * 3 * (t + k) * (c + n)
    return block * per_run + per_scenario


def _fixed_bytes(s: _Shape) -> float:
    """Pipeline matrices (cells x cells, built in float64) and small tables."""
    return _OVERHEAD_BYTES + 8 * 3 * (s.cells + 2 * s.lines + 1) * s.cells


def _time_terms(s: _Shape) -> dict[str, float]:
    """Seconds per run of each kind of work (per run-month rates x months)."""
    t, n, k, c, p = s.months, s.lines, s.look, s.contracts, s.cells
    rate = _SECONDS_PER
    return {
        "months": t * rate["months"],
        "lines": t * n * rate["lines"],
        "look-ahead": t * k * rate["look-ahead"],
        "lines x look-ahead": t * n * k * rate["lines x look-ahead"],
        "pipeline": t * p * (p + 4 * n + 1 + k) * rate["pipeline"],
        "contracts": t * c * rate["contracts"],
        "contracts x look-ahead": t * c * k * rate["contracts x look-ahead"],
        # leavers drawn for each month of the ramp (estimated, see docs/benchmarks.md)
        "team": t * (s.ramp + 1) * s.attrition * rate["team"],
    }


_WORDS = {
    "lines": "product lines",
    "months": "months",
    "pipeline": "product lines or shorter sales cycles",
    "look-ahead": "look-ahead months",
    "lines x look-ahead": "product lines or look-ahead months",
    "contracts": "contracts",
    "contracts x look-ahead": "contracts or look-ahead months",
    "team": "ramp months (with attrition)",
}


def estimate(scenario: Scenario, runs: int | None = None) -> Cost:
    """Predicted peak bytes and seconds of ``simulate(scenario, runs=runs)`` plus the
    summaries the app shows (``runs`` defaults to the scenario's)."""
    shape = _shape(scenario, runs)
    memory = _memory_terms(shape)
    timing = _time_terms(shape)
    kept = sum(memory.values())
    fixed = _fixed_bytes(shape)
    phases = (  # (fixed, per run) x the margin: during the loop, and at its end
        (_MARGIN * fixed, _MARGIN * (kept + _loop_bytes_per_run(shape))),
        (_MARGIN * (fixed + _end_bytes(shape)), _MARGIN * kept),
    )
    seconds_per_run = sum(timing.values())
    return Cost(
        runs=shape.runs,
        bytes=math.ceil(max(f + per_run * shape.runs for f, per_run in phases)),
        seconds=_SECONDS_FIXED + seconds_per_run * shape.runs,
        memory_phases=phases,
        fixed_seconds=_SECONDS_FIXED,
        seconds_per_run=seconds_per_run,
        largest_memory=_WORDS[max(memory, key=memory.__getitem__)],
        largest_time=_WORDS[max(timing, key=timing.__getitem__)],
    )


def summary_bytes(scenario: Scenario, runs: int | None = None) -> int:
    """Upper bound on a :class:`simulator.results.ResultSummary` (what the app caches):
    each run's first whiplash quarter, plus the percentile tables (a row per period and series)."""
    s = _shape(scenario, runs)
    quarters = s.months // 3 + 1
    rows = (s.months + quarters) * (12 + s.lines)
    return math.ceil(8 * s.runs + 200 * rows + 100_000)


def format_bytes(n: float) -> str:
    """Bytes in the units a user reads (MB below a GB), rounded up."""
    if n >= 1e9:
        return f"{math.ceil(n / 1e8) / 10:.1f} GB"
    return f"{math.ceil(max(n, 1e6) / 1e6):.0f} MB"


def _round_down(n: int) -> int:
    """Two significant figures, rounded down, so the suggested number surely fits."""
    if n < 100:
        return n
    scale = 10 ** (len(str(n)) - 2)
    return n // scale * scale


def refusal(scenario: Scenario, runs: int | None = None) -> str | None:
    """Why ``runs`` runs of ``scenario`` are above the per-request bound, naming what to
    reduce and by how much; None when they fit."""
    cost = estimate(scenario, runs)
    if cost.fits:
        return None
    most = _round_down(cost.max_runs())
    if cost.bytes > MAX_REQUEST_BYTES:
        need = f"need about {format_bytes(cost.bytes)}"
        limit = f"the limit per simulation is {format_bytes(MAX_REQUEST_BYTES)}"
        other = cost.largest_memory
    else:
        need = f"take about {cost.seconds:.0f} s"
        limit = f"the limit per simulation is {MAX_REQUEST_SECONDS} s"
        other = cost.largest_time
    head = f"simulation.runs: {cost.runs:,} runs of this scenario {need}; {limit}"
    if most < 1:
        return f"{head}: use fewer months or {other}"
    return f"{head}: use at most {most:,} runs, or fewer months or {other}"


def check(scenario: Scenario, runs: int | None = None) -> None:
    """Raise ``ValueError`` with :func:`refusal`'s message when the request is too big."""
    message = refusal(scenario, runs)
    if message:
        raise ValueError(message)


class MemoryBudget:
    """A counting semaphore measured in (estimated) bytes instead of slots."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.in_flight = 0
        self.peak = 0
        self._room = threading.Condition()

    @contextlib.contextmanager
    def hold(self, amount: int, *, should_stop: Callable[[], bool] | None = None) -> Iterator[None]:
        """Wait until ``amount`` fits in the budget, hold it for the block, then release.

        A request larger than the whole budget runs alone rather than never. While it
        waits, ``should_stop`` is asked twice a second; when it says so the wait ends
        with :class:`SimulationCancelled` (a caller that went away frees its place).
        """
        need = max(1, min(int(amount), self.capacity))
        with self._room:
            while not self._room.wait_for(
                lambda: self.in_flight + need <= self.capacity, timeout=0.5
            ):
                if should_stop is not None and should_stop():
                    raise SimulationCancelled("the simulation was cancelled while it waited")
            self.in_flight += need
            self.peak = max(self.peak, self.in_flight)
        try:
            yield
        finally:
            with self._room:
                self.in_flight -= need
                self._room.notify_all()


class SimulationCancelled(Exception):
    """Raised when a simulation's ``should_stop`` says its caller no longer wants it."""
