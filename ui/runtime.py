"""The app server's memory budget: every simulation the pages start waits here for room.

One Streamlit process serves every browser session, so how many simulations may run at
once is a server concern, not the engine's: :func:`simulator.simulate` checks the cost
of one request (``simulator.budget.check``) and holds no process-wide state. The pages
simulate through the functions below, which hold :data:`SIMULATION_BUDGET` (estimated
bytes, :class:`simulator.budget.MemoryBudget`) for as long as the work keeps its arrays.

When the app is served (``ui/streamlit_runtime.py``), :func:`simulate_summary` runs in
worker processes (``ui/workers.py``) under the same budget; under AppTest and in the
tests it runs in this process, where a test can replace the engine.

No Streamlit here, so the pages, ``ui/diagnosis.py`` and the tests share one budget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from simulator import ResultSummary, Scenario, simulate
from simulator.assumptions import AssumptionsReport, assess_assumptions, assumption_runs
from simulator.budget import MAX_BYTES_IN_FLIGHT, MemoryBudget, estimate
from simulator.diagnose import Diagnosis, diagnose, diagnosis_runs
from simulator.optimize import Limits, Suggestion, suggest_fix

from .workers import SimulationWorkers

SIMULATION_BUDGET = MemoryBudget(MAX_BYTES_IN_FLIGHT)
"""Shared by every simulation the app runs in this process: their estimated peaks add up
to at most ``MAX_BYTES_IN_FLIGHT``; the rest wait (or stop when their session goes)."""

StopCheck = Callable[[], bool] | None

_WORKERS: SimulationWorkers | None = None
_WORKERS_DECIDED = False
_WORKERS_LOCK = threading.Lock()


def workers_decided() -> bool:
    """Whether :func:`use_workers` has been called in this process."""
    return _WORKERS_DECIDED


def use_workers(processes: int) -> None:
    """From now on :func:`simulate_summary` simulates in ``processes`` worker processes
    (0: in this process). The first call decides; later calls change nothing."""
    global _WORKERS, _WORKERS_DECIDED
    with _WORKERS_LOCK:
        if not _WORKERS_DECIDED and processes > 0:
            _WORKERS = SimulationWorkers(processes, budget=SIMULATION_BUDGET)
            _WORKERS.start_processes()
        _WORKERS_DECIDED = True


def simulate_summary(scenario: Scenario, *, should_stop: StopCheck = None) -> ResultSummary:
    """Simulate ``scenario`` once memory allows and keep only what a page shows.

    ``should_stop`` is asked while the run waits for memory and every month of it; True
    ends it with ``SimulationCancelled``.
    """
    if _WORKERS is not None:
        return _WORKERS.simulate(scenario, should_stop=should_stop)
    with SIMULATION_BUDGET.hold(estimate(scenario).bytes, should_stop=should_stop):
        return simulate(scenario, should_stop=should_stop).summary_only()


def diagnose_in_budget(
    scenario: Scenario, *, runs: int | None = None, should_stop: StopCheck = None
) -> Diagnosis:
    """:func:`simulator.diagnose.diagnose` once memory allows: its simulations run one
    after the other and keep only a few numbers each, so it holds one simulation's worth."""
    used, _ = diagnosis_runs(scenario, runs)
    with SIMULATION_BUDGET.hold(estimate(scenario, used).bytes, should_stop=should_stop):
        return diagnose(scenario, runs=runs)


def suggest_fix_in_budget(
    scenario: Scenario,
    *,
    limits: Limits,
    progress: Callable[[float, str], None] | None = None,
    should_stop: StopCheck = None,
) -> Suggestion:
    """:func:`simulator.optimize.suggest_fix` once memory allows: its confirmation keeps
    the current plan's result while it simulates a candidate, so it holds two
    simulations at (at most) the scenario's runs."""
    need = 2 * estimate(scenario).bytes
    with SIMULATION_BUDGET.hold(need, should_stop=should_stop):
        return suggest_fix(scenario, limits=limits, progress=progress)


def assumptions_in_budget(
    scenario: Scenario, *, should_stop: StopCheck = None
) -> AssumptionsReport:
    """:func:`simulator.assumptions.assess_assumptions` once memory allows: its
    simulations run one after the other and keep only a few numbers each, so it holds
    one simulation's worth (at the runs it chooses)."""
    used, _ = assumption_runs(scenario, None)
    with SIMULATION_BUDGET.hold(estimate(scenario, used).bytes, should_stop=should_stop):
        return assess_assumptions(scenario, should_stop=should_stop)
