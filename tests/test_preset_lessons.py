"""Every preset and every workshop step shows the behaviour its lesson names, on the
chart the room sees (the quarterly revenue, or the bookings where the lesson says so),
judged by the verdict (simulator/verdict.py) and the metrics, in most futures."""

from __future__ import annotations

from functools import cache
from itertools import pairwise

import numpy as np
import pytest

from simulator import load_preset, simulate
from simulator.plan_verdict import bookings_lens, first_position, revenue_noise, revenue_verdict
from simulator.results import SimulationResult, _to_quarters
from simulator.scenario_io import apply_overrides
from simulator.verdict import judge, typical_path
from simulator.workshop import load_workshop, resolve

RUNS = 300
SEED = 7


@cache
def run(name: str, *overrides: str) -> SimulationResult:
    scenario = load_preset(name)
    if overrides:
        scenario = apply_overrides(scenario, list(overrides))
    return simulate(scenario, runs=RUNS, seed=SEED)


def median_revenue(result: SimulationResult) -> dict[str, float]:
    """The middle future's revenue by quarter label (what the fan's median line shows)."""
    return dict(
        zip(result.quarter_labels, np.median(result.quarterly_revenue, axis=0), strict=True)
    )


def boom_bust_share(result: SimulationResult) -> float:
    """Share of runs whose revenue has a boom followed by a bust within two quarters,
    by the verdict's rules (beyond trend, season and deal luck)."""
    quarterly = result.quarterly_revenue
    at = first_position(result.quarter_labels)
    typical = judge(typical_path(quarterly)[None, :], first_position=at)
    season = typical.season[0] if typical.seasonal[0] else None
    runs = judge(quarterly, first_position=at, noise=revenue_noise(result), season=season)
    return float((runs.boom_bust_events > 0).mean())


def bookings(result: SimulationResult) -> np.ndarray:
    return _to_quarters(result.output.bookings.sum(axis=2), result.quarter_first_month)


# --- Presets.
def test_balanced_is_calm_and_does_not_decline():
    v = revenue_verdict(run("balanced"))
    assert v.verdict == "none" and v.trend != "declining"
    assert boom_bust_share(run("balanced")) < 0.05


def test_the_2012_client_breaks_in_2013q1_when_the_giants_do_not_renew():
    result = run("team_a_team_b")
    rev = median_revenue(result)
    assert rev["2013Q1"] < 0.8 * rev["2012Q4"]  # measured: -34%
    assert result.report.bust_quarter == "2013Q1"
    assert result.report.early_warning_months >= 3  # the coverage warned in 2012
    v = revenue_verdict(result)
    assert v.verdict != "none" and v.severe_risk


def test_team_b_has_about_a_tenth_of_the_pipeline_it_needs():
    lens = bookings_lens(run("team_a_team_b"))
    assert lens.basis == "quota"
    assert 0.05 <= float(np.median(lens.attainment_p50)) <= 0.15


def test_close_close_close_booms_then_busts_within_two_quarters_in_most_runs():
    result = run("close_close_close")
    q = result.quarterly_revenue
    boom = q[:, 1] >= 1.15 * q[:, 0]  # 2012Q2, the first quarter of closing
    bust = np.minimum(q[:, 2], q[:, 3]) <= 0.9 * q[:, 1]  # within the two after
    assert (boom & bust).mean() > 0.5  # measured: most runs
    b = bookings(result)
    assert (b[:, 1] > b[:, 0]).mean() > 0.8 and (b[:, 3] < 0.5 * b[:, 1]).mean() > 0.8
    assert boom_bust_share(result) > 0.5
    assert boom_bust_share(run("balanced")) < 0.05


def test_hand_off_after_close_slides_as_renewals_come_due():
    result = run("hand_off_after_close")
    assert revenue_verdict(result).trend == "declining"
    rev = list(median_revenue(result).values())
    assert all(b < a for a, b in pairwise(rev))  # a slide...
    first_year, second_year = rev[0] - rev[4], rev[4] - rev[8]
    assert first_year > 0 and second_year > 0  # ...that keeps falling once renewals come due


def test_single_threaded_drops_at_the_renewal_dates_and_three_contacts_hold_them():
    single = run("single_threaded")
    fixed = run("single_threaded", *resolve_step("single_threaded").step.fix)
    kept = single.output.renewals_kept.sum() / single.output.renewals_due.sum()
    kept_fixed = fixed.output.renewals_kept.sum() / fixed.output.renewals_due.sum()
    assert kept < kept_fixed - 0.1
    assert revenue_verdict(single).probability > 2 * revenue_verdict(fixed).probability


def test_product_favouritism_comes_in_waves_and_both_lines_are_smooth():
    swinging = run("new_product_splash")
    steady = run("new_product_splash", *resolve_step("new_product_splash").step.fix)
    assert boom_bust_share(swinging) > 0.5  # measured: nearly every run
    assert boom_bust_share(steady) < 0.1
    assert revenue_verdict(swinging).verdict == "mild"


def test_the_quarter_end_push_alone_makes_bookings_whiplash():
    pushed = bookings_lens(run("quarter_end_push")).verdict
    calm = bookings_lens(run("quarter_end_push", "policy.quarter_end_push=0")).verdict
    assert pushed.verdict != "none" and pushed.probability > 0.5
    assert pushed.boom_bust_events > 0.5
    assert calm.verdict == "none" and calm.probability < 0.1
    # The one-off licences and projects carry it into revenue (tests/test_push_in_revenue.py).
    assert revenue_verdict(run("quarter_end_push")).verdict != "none"


def test_reacting_in_july_instead_of_january_softens_and_shortens_the_trough():
    july = run("too_late_to_react")
    january = run("too_late_to_react", 'changes.0.from="2013-01"')
    assert july.scenario.changes[0].from_ == "2012-07"
    rev_july, rev_january = median_revenue(july), median_revenue(january)
    assert rev_january["2013Q1"] < 0.7 * rev_january["2012Q4"]  # waiting: the full cliff
    assert rev_july["2013Q1"] > 1.2 * rev_january["2013Q1"]  # July's deals land by then

    def rebuilt(result: SimulationResult) -> float:
        return float(np.median(result.quarterly_revenue[:, 4:].sum(axis=1)))

    # measured (1000 runs): $15.6M against $14.0M over 2013-14
    assert rebuilt(july) > 1.05 * rebuilt(january)
    # tests/test_reaction_timing.py: the drawdown, the trough and later months


# --- Workshop steps.
WORKSHOP = load_workshop()


def resolve_step(preset: str):
    [index] = [i for i, s in enumerate(WORKSHOP.steps) if s.preset == preset]
    return resolve(WORKSHOP, index)


@pytest.mark.parametrize("index", range(len(WORKSHOP.steps)))
def test_each_workshop_step_shows_what_its_lesson_names(index):
    content = resolve(WORKSHOP, index)
    result = run(content.step.preset)
    lesson = content.lesson.lower()
    v = revenue_verdict(result)
    if "boom" in lesson or "waves" in lesson:
        assert boom_bust_share(result) > 0.5, "the boom (or the waves) is in most runs"
    if any(f"notice the {w}" in lesson for w in ("cliff", "drops", "slow slide")):
        assert v.verdict != "none" or v.trend == "declining"
    if "smooth band" in lesson:
        assert v.verdict == "none"
    if content.step.fix:
        fixed = run(content.step.preset, *content.step.fix)
        assert revenue_verdict(fixed).probability < v.probability, "the fix calms it"


def test_the_workshop_questions_match_the_charts():
    """A question that says a quarter beats the plan is asked about a plan whose median
    path does beat it there."""
    for index in range(len(WORKSHOP.steps)):
        content = resolve(WORKSHOP, index)
        if "beats the plan" in content.question:
            quarter = next(q for q in ("2012Q1", "2012Q2", "2012Q3") if q in content.question)
            rev = median_revenue(run(content.step.preset))
            balanced = median_revenue(run("balanced"))
            assert rev[quarter] > balanced[quarter]
