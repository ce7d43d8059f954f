"""The 2012 client's outcome depends on when it reacts (too_late_to_react): a rebuild
takes a sales cycle to close and hires a ramp to sell, so reacting at the coverage
warning (July 2012) gives a shallower, shorter trough and more revenue than reacting
at the cliff (January 2013); every month later costs more."""

from __future__ import annotations

from functools import cache

import numpy as np

from simulator import load_preset, simulate
from simulator.engine import run_engine
from simulator.metrics import max_drawdown
from simulator.results import SimulationResult
from simulator.scenario_io import apply_overrides
from tests.test_reference_engine import assert_same

PRESET = "too_late_to_react"
LEVELS = np.linspace(0.05, 0.95, 19)
"""The futures compared: every 5th percentile from the 5th to the 95th."""


@cache
def reacting_in(month: str) -> SimulationResult:
    """The preset with its reaction in ``month``, at its own runs and seed."""
    return simulate(apply_overrides(load_preset(PRESET), [f'changes.0.from="{month}"']))


def drawdown(result: SimulationResult) -> np.ndarray:
    return max_drawdown(result.quarterly_revenue)


def trough(result: SimulationResult) -> np.ndarray:
    """The lowest quarter of 2013-14, per run."""
    return result.quarterly_revenue[:, 4:].min(axis=1)


def at_most_levels(better: np.ndarray, worse: np.ndarray, *, by: float) -> float:
    """Share of the percentiles at which ``better`` is at least ``by`` below ``worse``
    (the runs of two plans draw different luck, so futures are compared by rank)."""
    return float(np.mean(np.quantile(better, LEVELS) <= np.quantile(worse, LEVELS) - by))


def test_the_preset_reacts_at_the_coverage_warning() -> None:
    july = reacting_in("2012-07")
    assert july.scenario.changes[0].from_ == "2012-07"
    assert july.report.early_warning_months >= 3  # the coverage warned in 2012


def test_reacting_in_july_gives_a_shallower_drawdown_than_waiting_for_january() -> None:
    july, january = drawdown(reacting_in("2012-07")), drawdown(reacting_in("2013-01"))
    # measured (1000 runs, seed 2012): 22% against 40% in the middle future
    assert np.median(july) <= np.median(january) - 0.10
    assert at_most_levels(july, january, by=0.05) >= 0.6  # in most futures
    # Run by run too (same seed; measured 63%), though each plan's runs draw other luck.
    assert np.mean(july <= january - 0.05) > 0.55
    # A severe drawdown (30% or more) in far fewer futures: measured 37% against 71%.
    assert np.mean(july >= 0.3) <= np.mean(january >= 0.3) - 0.2


def test_reacting_in_july_brings_more_revenue_than_waiting_for_january() -> None:
    july, january = reacting_in("2012-07"), reacting_in("2013-01")
    total_july, total_january = july.total_revenue, january.total_revenue
    # measured: $23.7M against $22.0M over 2012-14, $15.6M against $14.0M over 2013-14
    assert np.median(total_july) >= 1.05 * np.median(total_january)
    assert at_most_levels(-total_july, -total_january, by=0.03 * np.median(total_january)) >= 0.6
    rebuilt_july = july.quarterly_revenue[:, 4:].sum(axis=1)
    rebuilt_january = january.quarterly_revenue[:, 4:].sum(axis=1)
    assert np.median(rebuilt_july) >= 1.08 * np.median(rebuilt_january)


def test_the_july_trough_is_shallower_and_shorter() -> None:
    july, january = reacting_in("2012-07"), reacting_in("2013-01")
    # measured: the lowest quarter of 2013-14 is $1.65M against $1.22M
    assert np.median(trough(july)) >= 1.2 * np.median(trough(january))
    # Quarters of 2013-14 below 85% of 2012Q3 (before either reaction lands).
    level = 0.85 * np.median(july.quarterly_revenue[:, 2])

    def quarters_below(result: SimulationResult) -> float:
        return float(np.median((result.quarterly_revenue[:, 4:] < level).sum(axis=1)))

    assert quarters_below(july) < quarters_below(january)


def test_every_quarter_later_the_trough_is_deeper_and_the_revenue_lower() -> None:
    months = ("2012-07", "2012-10", "2013-01", "2013-04")
    troughs = [float(np.median(trough(reacting_in(m)))) for m in months]
    revenue = [float(np.median(reacting_in(m).total_revenue)) for m in months]
    assert troughs == sorted(troughs, reverse=True) and troughs[0] > 1.2 * troughs[-1]
    assert revenue == sorted(revenue, reverse=True)


def test_a_change_in_the_first_month_hires_from_the_opening_team() -> None:
    """Reacting at once (the diagnosis' neutral timing) still hires: the change's extra
    reps join in the first month and ramp, as in any other month."""
    scenario = apply_overrides(load_preset(PRESET), ['changes.0.from="2012-01"'])
    out = run_engine(scenario, runs=4, rng=np.random.default_rng(3))
    ramp = scenario.team.ramp_months
    hires = scenario.changes[0].reps - scenario.team.reps
    assert np.allclose(out.headcount[:, 0], scenario.changes[0].reps)
    assert np.allclose(out.productive_reps[:, 0], scenario.team.reps + hires * 0.5 / ramp)
    assert np.allclose(out.productive_reps[:, ramp], scenario.changes[0].reps)
    assert_same(scenario, runs=4, seed=3)
