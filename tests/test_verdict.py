"""The verdict's separate answers (simulator/verdict.py, docs/model.md section 12):
whiplash told apart from decline, season and deal luck, on hand-made series, on
presets and on a generated plan, plus the bookings lens."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulator import verdict as V
from simulator.plan_verdict import bookings_lens, revenue_verdict, steady_bookings
from simulator.results import simulate
from simulator.scenario_io import apply_overrides, load_preset, scenario_from_dict
from simulator.verdict import DealNoise, judge, verdict_of

ROOT = Path(__file__).resolve().parent.parent


def path(*changes: float, start: float = 100.0) -> np.ndarray:
    """A quarterly series from its quarter-over-quarter changes."""
    return start * np.cumprod([1.0, *(1.0 + c for c in changes)])


FLAT = np.full(12, 100.0)
Q4_PEAK = np.tile([100.0, 100.0, 100.0, 130.0], 3)  # a fiscal year-end, every year


# --- Hand-made series, one answer each.


def test_flat_revenue_is_calm_flat_and_not_seasonal():
    v = verdict_of(FLAT)
    assert (v.verdict, v.trend, v.seasonal) == ("none", "flat", False)
    assert v.largest_fall == 0.0 and v.boom_bust_events == 0


def test_a_fiscal_year_end_every_year_is_a_season_not_whiplash():
    v = verdict_of(Q4_PEAK)
    assert (v.verdict, v.trend, v.seasonal) == ("none", "flat", True)
    assert v.season["Q4"] > 0.2 and all(v.season[q] < 0 for q in ("Q1", "Q2", "Q3"))


def test_the_season_is_named_by_calendar_quarter():
    """A series starting in Q3 has its peak in Q4 all the same."""
    v = verdict_of(np.roll(Q4_PEAK, 2), first_position=2)
    assert v.seasonal and max(v.season, key=v.season.get) == "Q4"


def test_seasonal_and_growing_is_both():
    v = verdict_of(Q4_PEAK * 1.025 ** np.arange(12))
    assert (v.verdict, v.trend, v.seasonal) == ("none", "growing", True)
    assert v.trend_rate == pytest.approx(1.025**4 - 1)


def test_a_one_year_series_cannot_show_a_season():
    v = verdict_of(Q4_PEAK[:7])
    assert not v.seasonal


def test_steady_growth_is_growing_and_calm():
    v = verdict_of(100 * 1.03 ** np.arange(12))
    assert (v.verdict, v.trend) == ("none", "growing")


def test_a_steady_decline_of_two_to_four_percent_is_declining_not_whiplash():
    series = path(-0.02, -0.04, -0.03, -0.02, -0.04, -0.03, -0.04, -0.02, -0.03, -0.04, -0.02)
    assert series[-1] / series[0] < 0.75  # over a quarter of revenue gone in three years
    v = verdict_of(series)
    assert (v.verdict, v.trend) == ("none", "declining")
    assert v.trend_rate < -0.05


def test_a_repeated_boom_bust_below_the_old_thresholds_is_whiplash():
    v = verdict_of(path(*[0.14, -0.09] * 5, 0.14))
    assert v.verdict == "mild" and not v.seasonal
    assert v.boom_bust_events >= 4


def test_a_boom_bust_every_third_quarter_is_whiplash_too():
    v = verdict_of(path(*[0.14, -0.09, 0.0] * 3, 0.14, -0.09))
    assert v.verdict == "mild" and v.boom_bust_events >= 3


def test_a_two_step_cliff_is_whiplash():
    v = verdict_of(path(0, 0, 0, 0, -0.07, -0.075, 0, 0, 0, 0, 0))
    assert v.verdict == "mild"
    assert v.largest_fall == pytest.approx(1 - 0.93 * 0.925)


def test_one_cliff_is_severe_and_found_where_it_happened():
    series = path(0, 0, 0, 0, 0, -0.3, 0, 0, 0, 0, 0)
    v = verdict_of(series)
    assert v.verdict == "severe" and v.largest_fall == pytest.approx(0.3)
    j = judge(series)
    assert (j.fall_start[0], j.fall_end[0]) == (5, 6)


def test_one_lumpy_deal_is_one_boom_bust_not_a_fall():
    series = FLAT.copy()
    series[5] = 140.0
    v = verdict_of(series)
    assert v.verdict == "mild"
    assert v.boom_bust_events == 1 and v.largest_fall == 0.0


def test_a_cliff_in_the_last_quarter_counts():
    v = verdict_of(path(*[0.0] * 10, -0.3))
    assert v.verdict == "severe"


def test_one_bad_quarter_that_recovers_at_once_is_not_a_fall():
    series = FLAT.copy()
    series[6] = 85.0
    assert verdict_of(series).verdict == "none"


def test_a_fall_after_steady_growth_is_not_forgiven_by_the_growth():
    series = np.concatenate([100 * 1.04 ** np.arange(6), 100 * 1.04**5 * 0.8 * np.ones(6)])
    assert verdict_of(series).verdict == "mild"


def test_a_fall_to_zero_is_severe():
    series = FLAT.copy()
    series[8:] = 0.0
    v = verdict_of(series)
    assert v.verdict == "severe" and v.largest_fall > 0.98


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="not negative"):
        verdict_of(np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="finite"):
        verdict_of(np.array([1.0, np.nan]))


def test_too_short_a_series_is_calm_and_flat():
    for series in (np.zeros((4, 0)), np.array([100.0]), np.array([100.0, 100.0])):
        v = verdict_of(series)
        assert (v.verdict, v.trend, v.seasonal) == ("none", "flat", False)


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        float,
        st.tuples(st.integers(1, 6), st.integers(0, 30)),
        elements=st.floats(0, 1e9, allow_nan=False),
    ),
    st.floats(0.5, 1e4),
)
def test_any_series_gets_answers_in_range_that_do_not_depend_on_the_currency(series, scale):
    v = verdict_of(series)
    assert v.verdict in V.SEVERITIES and v.trend in V.TRENDS
    assert 0.0 <= v.severe_probability <= v.probability <= 1.0
    assert 0.0 <= v.largest_fall <= v.largest_fall_p90 <= 1.0
    scaled = verdict_of(series * scale)
    assert (scaled.verdict, scaled.trend, scaled.seasonal) == (v.verdict, v.trend, v.seasonal)


# --- Risk across runs.


def test_a_severe_tail_is_flagged_even_when_the_middle_run_is_calm():
    calm = np.tile(FLAT, (7, 1))
    cliff = np.tile(path(0, 0, 0, 0, 0, -0.32, 0, 0, 0, 0, 0), (3, 1))
    v = verdict_of(np.vstack([calm, cliff]))
    assert v.verdict == "none"
    assert v.severe_probability == pytest.approx(0.3) and v.severe_risk
    assert v.probability == pytest.approx(0.3)


def test_the_verdict_follows_the_majority_and_probabilities_add_up():
    two_step = np.tile(path(0, 0, 0, 0, -0.07, -0.075, 0, 0, 0, 0, 0), (6, 1))
    cliff = np.tile(path(0, 0, 0, 0, 0, -0.3, 0, 0, 0, 0, 0), (4, 1))
    v = verdict_of(np.vstack([two_step, cliff]))
    assert v.verdict == "mild"
    assert (v.probability, v.severe_probability) == (1.0, 0.4)
    assert v.mild_probability == pytest.approx(0.6)
    assert v.severe_risk


def test_risk_counts_the_worst_three_years_not_the_whole_horizon():
    """Ten years of runs, each with one 12% fall in a different year: every run has
    whiplash over ten years, but in any three years only about three in ten do."""
    runs = np.ones((10, 40)) * 100.0
    for i in range(10):
        runs[i, 4 * i + 2 :] *= 0.88
    v = verdict_of(runs)
    assert v.verdict == "none"
    assert v.probability == pytest.approx(0.3)
    assert judge(runs).severity.min() == V.MILD  # each run on its own is whiplashed


def test_risk_windows_cover_the_horizon_in_three_year_stretches():
    assert V.risk_windows(8) == [(0, 8)]
    assert V.risk_windows(12) == [(0, 12)]
    assert V.risk_windows(14) == [(0, 12), (2, 14)]
    windows = V.risk_windows(40)
    assert windows[0] == (0, 12) and windows[-1] == (28, 40)
    assert all(hi - lo == 12 for lo, hi in windows)


# --- Luck of few, lumpy deals.


def test_deal_luck_raises_the_bars_so_lumpy_swings_are_not_whiplash():
    rng = np.random.default_rng(5)
    runs = 50_000.0 * rng.poisson(11.0, size=(200, 12))  # 11 deals of 50k a quarter
    noise = V.deal_noise(
        wins_per_quarter=np.array([11.0]),
        deal_size=np.array([50_000.0]),
        size_cv=np.array([0.0]),
        recurring=np.array([False]),
        average_quarter=550_000.0,
    )
    assert noise.swing == pytest.approx(np.sqrt(2 / 11))
    without = verdict_of(runs)
    with_luck = verdict_of(runs, noise=noise)
    assert without.verdict == "severe"
    assert with_luck.verdict == "none" and with_luck.judged
    assert with_luck.lumpy and with_luck.luck_share > 0.8


def test_a_real_cliff_still_shows_through_deal_luck():
    noise = DealNoise(deals_per_quarter=30.0, swing=0.05, fall_sd=0.05)
    v = verdict_of(path(0, 0, 0, 0, 0, -0.5, 0, 0, 0, 0, 0), noise=noise)
    assert v.verdict == "severe" and not v.lumpy


def test_luck_too_large_to_judge_says_so():
    noise = DealNoise(deals_per_quarter=0.5, swing=1.5, fall_sd=1.5)
    v = verdict_of(path(0, 0, 0, 0, 0, -0.9, 0, 0, 0, 0, 0), noise=noise)
    assert v.verdict == "none" and not v.judged and v.lumpy


def test_recurring_deals_move_a_quarter_by_a_quarter_of_their_value():
    noise = V.deal_noise(
        wins_per_quarter=np.array([4.0]),
        deal_size=np.array([40_000.0]),
        size_cv=np.array([0.5]),
        recurring=np.array([True]),
        average_quarter=100_000.0,
    )
    assert noise.swing == pytest.approx(10_000 * 2 * np.sqrt(1.25) / 100_000)
    assert noise.fall_sd == pytest.approx(noise.swing * 2)


# --- Plans: presets and a generated plan.


def _simulate(name: str, *, months: int | None = None, runs: int = 60):
    scenario = load_preset(name)
    if months is not None:
        scenario = apply_overrides(scenario, [f"simulation.months={months}"])
    return simulate(scenario, runs=runs, seed=11)


@pytest.mark.parametrize("months", [12, 36, 120])
def test_the_balanced_plan_is_calm_at_every_horizon(months):
    v = revenue_verdict(_simulate("balanced", months=months))
    assert v.verdict == "none" and not v.severe_risk
    assert v.probability < 0.2
    # Add-ons renew with their contract (NRR above GRR), so the balanced plan grows.
    assert v.trend != "declining" and not v.seasonal


def test_a_transactional_plan_of_eleven_deals_a_quarter_is_lumpy_not_whiplashed():
    scenario = scenario_from_dict(
        {
            "simulation": {"months": 36},
            "product_lines": {
                "deals": {
                    "name": "Deals",
                    "deal_size": 50_000,
                    "sales_cycle_months": 1,
                    "win_rate": 0.25,
                    "term_months": 0,
                    "renewal_rate": 0.0,
                    "leads_per_rep_month": 5.9,
                    "close_effort_per_deal": 0.15,
                }
            },
        }
    )
    result = simulate(scenario, runs=60, seed=4)
    v = revenue_verdict(result)
    assert result.report.verdict == "severe"  # the old verdict's false alarm
    assert v.verdict == "none" and v.lumpy
    assert 9 <= v.deals_per_quarter <= 13 and v.luck_swing > 0.3


def test_team_a_team_b_has_a_severe_tail():
    v = revenue_verdict(_simulate("team_a_team_b", runs=200))
    assert v.severe_risk and v.severe_probability >= 0.2
    assert v.probability >= 0.5


def test_close_close_close_booms_then_crashes_in_revenue_and_bookings():
    result = _simulate("close_close_close")
    revenue = revenue_verdict(result)
    lens = bookings_lens(result)
    assert revenue.verdict != "none" and revenue.boom_bust_events > 0.5
    assert lens.basis == "steady state"
    assert lens.verdict.verdict == "severe"
    # Balanced until March, closing from April: the boom, then the bust.
    assert lens.attainment_p50[1] > 1.5 * lens.attainment_p50[0]
    assert lens.attainment_p50[4] < 0.3 * lens.attainment_p50[0]


def test_the_balanced_plan_books_its_own_steady_state():
    result = _simulate("balanced", runs=200)
    lens = bookings_lens(result)
    assert lens.verdict.verdict == "none"
    assert np.mean(lens.attainment_p50[2:]) == pytest.approx(1.0, abs=0.08)
    assert steady_bookings(result.scenario) == pytest.approx(lens.target[0])


def test_the_bookings_lens_measures_against_the_quota_when_one_is_set():
    scenario = apply_overrides(load_preset("balanced"), ["targets.quarterly_bookings=200000"])
    lens = bookings_lens(simulate(scenario, runs=40, seed=2))
    assert lens.basis == "quota" and set(lens.target) == {200_000.0}
    assert 0.3 < lens.attainment_p50[5] < 0.8  # about 106k of a 200k quota
    data = lens.as_dict()
    for key in ("verdict", "probability", "severe_probability", "boom_bust_events", "trend"):
        assert key in data
    assert set(data["quarterly"][0]) == {"quarter", "target", "p10", "p50", "p90"}


# --- The docs define every constant with the code's value.


def test_the_constants_table_in_the_docs_is_the_code():
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    section = text.split("## 12. Verdict", 1)[1].split("\n## ", 1)[0]
    table = section.split("### Constants", 1)[1]
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| ([0-9.]+) \|", table, re.M))
    public = {
        name
        for name, value in vars(V).items()
        if name.isupper() and isinstance(value, int | float) and name not in ("NONE", "MILD")
    }
    public -= {"SEVERE", "DECLINING", "FLAT", "GROWING"}
    assert set(rows) == public
    for name, value in rows.items():
        assert float(value) == getattr(V, name), name
