"""The quarter-end push shows where the user looks: in the quarter_end_push preset about
half the revenue is one-off (licences and projects, revenue when signed), so the boom and
bust the push makes in bookings reaches the revenue fan and the verdict's headline; the
same company without the push is calm. Subscriptions spread each deal over its term and
smooth their part, as a sales leader expects (docs/model.md, "Management pressure")."""

from __future__ import annotations

from functools import cache

import numpy as np

from simulator import load_preset, simulate
from simulator.engine import SOURCES
from simulator.metrics import quarter_over_quarter
from simulator.plan_verdict import bookings_lens, revenue_verdict
from simulator.results import SimulationResult, _to_quarters
from simulator.scenario_io import apply_overrides
from simulator.verdict_text import headline
from tests.test_preset_lessons import boom_bust_share

PRESET = "quarter_end_push"


@cache
def run(push: float) -> SimulationResult:
    """The preset with the push at ``push``, at its own runs and seed (what the app shows)."""
    return simulate(apply_overrides(load_preset(PRESET), [f"policy.quarter_end_push={push}"]))


def line_revenue(result: SimulationResult, line: str) -> np.ndarray:
    """One product line's quarterly revenue per run."""
    at = result.scenario.line_ids.index(line)
    monthly = result.output.revenue[:, :, at, :].sum(axis=2)
    return _to_quarters(monthly, result.quarter_first_month)


def swing(quarterly: np.ndarray) -> float:
    """Median over runs of the spread of the quarter-over-quarter changes."""
    return float(np.median(quarter_over_quarter(quarterly).std(axis=1)))


def test_about_half_the_revenue_is_one_off() -> None:
    revenue = run(0.5).output.revenue
    one_off = revenue[..., SOURCES.index("one_off")].sum() / revenue.sum()
    assert 0.35 <= one_off <= 0.65  # measured: 48%


def test_the_push_makes_revenue_whiplash_on_the_verdict() -> None:
    pushed, calm = revenue_verdict(run(0.5)), revenue_verdict(run(0.0))
    # measured (1000 runs, seed 2012): mild, whiplash in 62% of futures; calm: 1%
    assert pushed.verdict != "none" and pushed.probability > 0.5
    assert calm.verdict == "none" and calm.probability < 0.1
    assert headline(pushed).startswith("Mild whiplash") or headline(pushed).startswith("Severe")
    assert headline(calm).startswith("No whiplash")
    # Booms followed by busts in most futures (measured 58%), in almost none without.
    assert boom_bust_share(run(0.5)) > 0.5 and boom_bust_share(run(0.0)) < 0.05


def test_the_one_off_line_carries_the_swing_and_the_subscriptions_smooth_it() -> None:
    result = run(0.5)
    one_off = swing(line_revenue(result, "services"))
    subscriptions = swing(line_revenue(result, "subscriptions"))
    assert one_off > 3 * subscriptions
    assert one_off > 2 * swing(line_revenue(run(0.0), "services"))


def test_the_bookings_swing_at_least_as_much_as_the_revenue() -> None:
    lens = bookings_lens(run(0.5)).verdict
    assert lens.verdict != "none" and lens.probability >= revenue_verdict(run(0.5)).probability


def test_the_push_costs_revenue() -> None:
    # measured: $745M against $811M over the three years in the middle future
    assert np.median(run(0.5).total_revenue) < 0.95 * np.median(run(0.0).total_revenue)
