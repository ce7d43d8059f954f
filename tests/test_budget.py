"""The cost model bounds what one simulation really needs, and the bound is enforced.

Peaks are measured with tracemalloc (numpy reports its arrays to it); no test times
anything. Figures and the calibration commands: docs/benchmarks.md, "Cost model".
"""

from __future__ import annotations

import gc
import threading
import tracemalloc

import numpy as np
import pytest
import streamlit as st

from simulator import (
    ScenarioError,
    apply_overrides,
    budget,
    load_preset,
    simulate,
)
from simulator.budget import SimulationCancelled
from simulator.models import Scenario
from tests.support.shapes import shape as _scenario

WORST_CASES = {
    "200 contracts renewing monthly, look-ahead 24": dict(
        runs=400, months=120, contracts=200, look=24
    ),
    "8 lines with 36-month cycles": dict(runs=100, months=60, lines=8, cycle=36, look=24),
    "many runs": dict(runs=10_000, months=60, look=24),
    "many runs, few months, many contracts": dict(runs=20_000, months=3, contracts=200, look=1),
}


def _peak(scenario: Scenario) -> int:
    """Peak traced bytes of simulate() and every summary the app shows."""
    gc.collect()
    tracemalloc.start()
    try:
        simulate(scenario).summary_only()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("shape", WORST_CASES.values(), ids=WORST_CASES.keys())
def test_the_memory_estimate_is_an_upper_bound_within_the_stated_factor(shape: dict) -> None:
    scenario = _scenario(**shape)
    predicted = budget.estimate(scenario).bytes
    peak = _peak(scenario)
    slack = budget.ESTIMATE_SLACK_BYTES
    assert peak <= predicted <= budget.ESTIMATE_FACTOR * peak + slack, (peak, predicted)


def test_a_scenario_above_the_bound_is_refused_with_a_number_that_is_then_accepted() -> None:
    data = {"runs": 20_000, "months": 120, "contracts": 200, "look": 24}
    with pytest.raises(ScenarioError) as refused:
        _scenario(**data)
    message = str(refused.value)
    assert message.startswith("simulation.runs: 20,000 runs of this scenario")
    assert "the limit per simulation is" in message
    most = int(message.split("use at most ")[1].split(" runs")[0].replace(",", ""))
    assert 1 <= most < 20_000
    accepted = _scenario(**{**data, "runs": most})
    assert budget.estimate(accepted).fits
    assert budget.estimate(accepted).bytes <= budget.MAX_REQUEST_BYTES


def test_a_runs_override_above_the_bound_is_refused_by_simulate() -> None:
    scenario = _scenario(runs=100, months=120, contracts=200, look=24)
    with pytest.raises(ValueError, match=r"simulation\.runs: 20,000 runs .* use at most"):
        simulate(scenario, runs=20_000)


def test_every_preset_fits_with_room() -> None:
    from simulator import list_presets

    for name in list_presets():
        cost = budget.estimate(load_preset(name))
        assert cost.fits and cost.max_runs() >= 5 * cost.runs, name


def test_huge_counts_run_to_finite_non_negative_results() -> None:
    """10,000 reps with 10,000 leads each, sure wins and renewals: pooled contracts
    ending in one month pass 2**31, which used to wrap around in int32."""
    base = load_preset("new_product_splash")
    overrides = ["team.reps=10000", "pipeline.prior_attract=1", "simulation.runs=30"]
    for line in base.product_lines:
        overrides += [
            f"product_lines.{line}.leads_per_rep_month=10000",
            f"product_lines.{line}.win_rate=1",
            f"product_lines.{line}.renewal_rate=1",
        ]
    result = simulate(apply_overrides(base, overrides))
    out = result.output
    assert out.renewals_due.max() > 2**31  # the case really reaches the old overflow
    for name in ("revenue", "bookings", "wins", "renewals_due", "renewals_kept", "coverage"):
        values = getattr(out, name)
        assert np.isfinite(values).all() and (values >= 0).all(), name
    assert np.isfinite(result.monthly[["mean", "p10", "p50", "p90"]].to_numpy()).all()


class _StopAfter:
    def __init__(self, calls: int) -> None:
        self.left = calls
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        self.left -= 1
        return self.left < 0


def test_should_stop_ends_the_run_within_a_month_and_nothing_is_cached() -> None:
    scenario = load_preset("balanced")
    computed = []

    @st.cache_data(max_entries=2, show_spinner=False)
    def cached(scenario_json: str, _should_stop=None):
        computed.append(scenario_json)
        return simulate(Scenario.model_validate_json(scenario_json), should_stop=_should_stop)

    stop = _StopAfter(5)
    key = scenario.model_dump_json()
    try:
        with pytest.raises(SimulationCancelled):
            cached(key, stop)
        assert stop.calls == 6  # asked once a month: it stopped at the first True
        result = cached(key)  # not cached: the next call simulates again
        assert len(computed) == 2
        assert result.report.verdict == simulate(scenario).report.verdict
    finally:
        cached.clear()


def test_a_cancelled_caller_stops_waiting_for_memory() -> None:
    small = budget.MemoryBudget(10)
    held = threading.Event()
    release = threading.Event()

    def occupy() -> None:
        with small.hold(10):
            held.set()
            release.wait(30)

    worker = threading.Thread(target=occupy)
    worker.start()
    try:
        assert held.wait(30)
        with pytest.raises(SimulationCancelled), small.hold(5, should_stop=lambda: True):
            pass
        assert small.in_flight == 10
    finally:
        release.set()
        worker.join()
    assert small.in_flight == 0


def test_summaries_are_all_a_cached_result_keeps() -> None:
    scenario = _scenario(runs=2000, months=120, lines=3, contracts=50, look=12)
    summary = simulate(scenario).summary_only()
    tables = (summary.monthly, summary.quarterly, summary.quarter_table)
    kept = summary.first_whiplash.nbytes + sum(t.memory_usage(deep=True).sum() for t in tables)
    assert kept <= budget.summary_bytes(scenario)
    assert budget.summary_bytes(scenario) < budget.estimate(scenario).bytes / 10
