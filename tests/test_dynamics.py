"""Plans that change over time, the team as a stock, seasons and a past of its own: each
mechanism of docs/model.md moves the results the way a user would expect."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import load_preset, scenario_from_dict, scenario_to_dict, simulate
from simulator.results import SimulationResult

SUBSCRIPTIONS = {
    "name": "Subscriptions",
    "deal_size": 12_000,
    "sales_cycle_months": 3,
    "win_rate": 0.25,
    "term_months": 12,
    "leads_per_rep_month": 2.0,
}


def company(**sections: object) -> dict:
    """A one-line subscription company, 24 months, 300 runs; ``sections`` replace or
    extend the file's sections."""
    data: dict = {
        "simulation": {"start": "2012-01", "months": 24, "runs": 300, "seed": 4},
        "team": {"reps": 20},
        "product_lines": {"subscriptions": dict(SUBSCRIPTIONS)},
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def run(data: dict) -> SimulationResult:
    return simulate(scenario_from_dict(data))


def monthly_bookings(result: SimulationResult) -> np.ndarray:
    return result.output.bookings.sum(axis=2).mean(axis=0)


# --- Plan changes over time.
def test_a_change_acts_from_its_month_and_not_before():
    starved = {"attract": 0.05, "close": 0.45, "engage": 0.15, "retain": 0.20, "leverage": 0.15}
    plain = run(company())
    changed = run(company(changes=[{"from": "2012-07", "effort": starved}]))
    # Same seed, same plan until June: every month before the change is identical.
    np.testing.assert_array_equal(plain.output.wins[:, :6], changed.output.wins[:, :6])
    np.testing.assert_array_equal(plain.output.revenue[:, :6], changed.output.revenue[:, :6])
    # Prospecting starved from July: the pipeline thins and bookings fall a cycle later.
    thin, full = changed.output.pipeline_open[:, 8:], plain.output.pipeline_open[:, 8:]
    assert thin.mean() < 0.5 * full.mean()
    assert monthly_bookings(changed)[10:].sum() < 0.5 * monthly_bookings(plain)[10:].sum()


def test_a_focus_change_moves_new_business_to_the_favoured_line():
    lines = {
        "subscriptions": dict(SUBSCRIPTIONS),
        "projects": {**SUBSCRIPTIONS, "name": "Projects", "term_months": 0, "deal_size": 8_000},
    }
    data = company(product_lines=lines, changes=[{"from": "2012-07", "focus": {"projects": 9}}])
    wins = run(data).output.wins
    before, after = wins[:, 3:6].sum(axis=(0, 1)), wins[:, 12:].sum(axis=(0, 1)) / 4
    assert before[1] < 1.5 * before[0]  # equal focus before
    assert after[1] > 3 * after[0]  # nine to one after


def test_a_revenue_target_from_a_month_on_is_the_yardstick_of_coverage_from_then():
    high = 10 * run(company()).monthly_revenue.mean() * 3  # far above what the book brings
    base = run(company())
    targeted = run(company(changes=[{"from": "2013-01", "targets": {"quarterly_revenue": high}}]))
    np.testing.assert_array_equal(base.output.coverage[:, :12], targeted.output.coverage[:, :12])
    assert targeted.output.coverage[:, 12:].max() < 0.2 < base.output.coverage[:, 12:].min()


def test_contacts_changed_mid_year_act_on_contracts_won_or_renewed_after_the_change():
    """One contact from July: renewals of terms begun before July are as before; those of
    terms begun after it (due from July 2013) are lower."""
    data = company(
        simulation={"months": 30},
        relationships={"champion_turnover": 0.6},
        changes=[{"from": "2012-07", "contacts_per_account": 1}],
    )
    base = run(company(simulation={"months": 30}, relationships={"champion_turnover": 0.6}))
    thin = run(data)

    def kept(result: SimulationResult, months: slice) -> float:
        out = result.output
        return out.renewals_kept[:, months].sum() / out.renewals_due[:, months].sum()

    assert kept(thin, slice(0, 6)) == kept(base, slice(0, 6))
    assert kept(thin, slice(18, 30)) < kept(base, slice(18, 30)) - 0.1


# --- Headcount as a stock.
def test_hires_ramp_linearly_and_cuts_take_effect_at_once():
    data = company(
        team={"reps": 10, "ramp_months": 4},
        changes=[{"from": "2012-04", "reps": 14}, {"from": "2012-10", "reps": 6}],
    )
    out = run(data).output
    np.testing.assert_array_equal(out.headcount[0], [10] * 3 + [14] * 6 + [6] * 15)
    # Four hires at 12.5%, 37.5%, 62.5%, 87.5%, then 100% of a ramped rep.
    np.testing.assert_allclose(out.productive_reps[0, 2:9], [10, 10.5, 11.5, 12.5, 13.5, 14, 14])
    # The cut lets the newest go first: the six who stay are ramped.
    assert np.all(out.productive_reps[:, 9:] == 6)


def test_more_ramp_months_delay_the_bookings_of_new_hires():
    def bookings(ramp: int) -> float:
        hires = [{"from": "2012-03", "reps": 25}]
        data = company(team={"reps": 5, "ramp_months": ramp}, changes=hires)
        return float(monthly_bookings(run(data))[4:12].sum())

    assert bookings(1) > bookings(5) > bookings(10)


def test_higher_attrition_lowers_productive_capacity_and_bookings():
    def result(attrition: float) -> SimulationResult:
        return run(company(team={"attrition_annual": attrition, "backfill_months": 3}))

    calm, churning = result(0.0), result(0.6)
    assert calm.output.productive_reps.mean() == 20
    assert churning.output.headcount.mean() < 20  # seats wait for their backfill
    assert churning.output.productive_reps.mean() < churning.output.headcount.mean()
    assert monthly_bookings(churning)[6:].sum() < monthly_bookings(calm)[6:].sum()
    assert (churning.output.headcount <= 20 + 1e-9).all()  # replacements fill seats only


def test_a_slower_backfill_leaves_seats_empty_for_longer():
    def headcount(backfill: int) -> float:
        data = company(team={"attrition_annual": 0.6, "backfill_months": backfill})
        return float(run(data).output.headcount.mean())

    assert headcount(0) > headcount(3) > headcount(9)
    assert headcount(0) == 20  # replaced the same month (the replacement still ramps)


def test_firing_after_a_bust_and_rebuilding_takes_a_year():
    """Cut to 4 reps in January 2013, back to 20 in January 2014: bookings stay low for
    the year, and the rebuilt team needs its ramp before it books as before."""
    data = company(
        simulation={"months": 48},
        team={"reps": 20, "ramp_months": 5},
        changes=[{"from": "2013-01", "reps": 4}, {"from": "2014-01", "reps": 20}],
    )
    out = run(data).output
    assert np.all(out.headcount[:, 12:24] == 4)
    assert np.all(out.headcount[:, 24:] == 20)
    assert out.productive_reps[0, 24] < 6 and out.productive_reps[0, 29] == 20
    booked = out.bookings.sum(axis=2).mean(axis=0)
    before, cut, rebuilding, rebuilt = booked[6:12], booked[16:24], booked[24:28], booked[36:48]
    assert cut.mean() < 0.35 * before.mean()
    assert rebuilding.mean() < 0.6 * before.mean()
    assert rebuilt.mean() > 0.85 * before.mean()


# --- Seasonality.
def test_lead_seasonality_moves_new_business_by_calendar_month():
    season = [0.5] * 6 + [1.5] * 6  # a quiet first half, a busy second
    line = {**SUBSCRIPTIONS, "close_effort_per_deal": 0.1}  # closers keep up
    data = company(simulation={"months": 36}, product_lines={"subscriptions": line})
    out = run({**data, "seasonality": {"leads": season}}).output
    wins = out.wins[:, :, 0].mean(axis=0)
    quiet = wins[[t for t in range(12, 36) if 3 <= t % 12 < 9]].mean()  # 3-month cycle
    busy = wins[[t for t in range(12, 36) if t % 12 >= 9 or t % 12 < 3]].mean()
    assert busy > 2 * quiet


def test_decision_seasonality_moves_decisions_where_closing_is_the_bottleneck():
    line = {**SUBSCRIPTIONS, "close_effort_per_deal": 2.0}  # closers decide 2.5 deals a month
    season = [0.6, 0.6, 0.6] + [1.0] * 6 + [1.4, 1.4, 1.4]
    data = company(simulation={"months": 36}, product_lines={"subscriptions": line})
    flat = run(data).output.wins[:, :, 0].mean(axis=0)
    seasonal = run({**data, "seasonality": {"decisions": season}}).output.wins[:, :, 0]
    seasonal = seasonal.mean(axis=0)
    q1, q4 = [t for t in range(36) if t % 12 < 3], [t for t in range(36) if t % 12 >= 9]
    assert seasonal[q4].mean() > 1.8 * seasonal[q1].mean()
    assert flat[q4].mean() < 1.2 * flat[q1].mean()


# --- The starting state from [history].
PAST = {"attract": 0.25, "close": 0.25, "engage": 0.15, "retain": 0.20, "leverage": 0.15}
STAGES = tuple(PAST)


def past(*shares: float) -> dict:
    """The five past effort shares, attract, close, engage, retain, leverage."""
    return dict(zip(STAGES, shares, strict=True))


def test_a_past_without_prospecting_leaves_a_thin_pipeline():
    steady = run(company(history={"effort": PAST}))
    closers = run(company(history={"effort": past(0.05, 0.45, 0.15, 0.2, 0.15)}))
    thin, full = closers.output.pipeline_open[:, 0], steady.output.pipeline_open[:, 0]
    assert thin.mean() < 0.5 * full.mean()
    assert monthly_bookings(closers)[:3].sum() < 0.4 * monthly_bookings(steady)[:3].sum()


def test_a_past_that_closed_too_little_leaves_a_backlog_of_older_deals():
    steady = run(company(history={"effort": PAST}))
    slow = run(company(history={"effort": past(0.25, 0.05, 0.15, 0.2, 0.35)}))
    # Mature deals wait in the pipeline on day one: more open deals, and today's closers
    # decide more in the first month than the steady past leaves them.
    assert slow.output.pipeline_open[:, 0].mean() > 1.2 * steady.output.pipeline_open[:, 0].mean()
    assert slow.output.wins[:, 0].mean() > 1.1 * steady.output.wins[:, 0].mean()


def test_a_past_of_little_care_or_few_contacts_leaves_a_smaller_book_and_less_care():
    steady = run(company(history={"effort": PAST}))
    neglect = run(company(history={"effort": past(0.25, 0.25, 0.0, 0.0, 0.5)}))
    single = run(company(history={"effort": PAST, "contacts_per_account": 1}))
    book = steady.output.revenue[:, 0].sum(axis=(1, 2)).mean()
    assert neglect.output.revenue[:, 0].sum(axis=(1, 2)).mean() < 0.8 * book
    assert single.output.revenue[:, 0].sum(axis=(1, 2)).mean() < 0.95 * book
    assert neglect.output.care_index[:, 0].mean() < 0.5 < steady.output.care_index[:, 0].mean()


def test_history_tells_a_chronic_habit_from_a_change_of_habit():
    """Closing-heavy effort from January: a team that switched keeps its pipeline for a
    cycle; one that always worked that way has none to harvest."""
    closing = past(0.05, 0.45, 0.15, 0.2, 0.15)
    switched = run(company(effort=closing))
    always = run(company(effort=closing, history={"effort": closing}))
    assert monthly_bookings(always)[:4].sum() < 0.5 * monthly_bookings(switched)[:4].sum()


def test_without_history_the_steady_past_is_kept():
    data = scenario_to_dict(load_preset("balanced"))
    out = simulate(scenario_from_dict(data), runs=50, seed=3).output
    assert np.all(out.care_index[:, 0] > 0.99)  # starts from full care
    assert np.all(out.headcount == 12) and np.all(out.productive_reps == 12)
    assert not out.pushing.any()


# --- Outputs.
def test_the_monthly_table_has_headcount_capacity_and_the_share_pushing():
    data = company(
        team={"attrition_annual": 0.3},
        targets={"quarterly_bookings": 1e9},
        policy={"quarter_end_push": 0.5},
    )
    result = run(data)
    monthly = result.monthly.set_index(["month", "series"])
    out = result.output
    for series, values in (("headcount", out.headcount), ("productive_reps", out.productive_reps)):
        rows = monthly.xs(series, level="series")
        np.testing.assert_allclose(rows["mean"], values.mean(axis=0))
        np.testing.assert_allclose(rows["p50"], np.percentile(values, 50, axis=0))
    pushing = monthly.xs("pushing", level="series")
    np.testing.assert_allclose(pushing["mean"], out.pushing.mean(axis=0))
    assert list(pushing["mean"][:3]) == [0.0, 1.0, 1.0]  # a quota far out of reach
    assert (pushing["p10"] == pushing["mean"]).all()
    assert "bookings" in set(result.quarterly["series"])


@pytest.mark.parametrize("reps", [0.5, 10.5])
def test_a_fraction_of_a_rep_never_leaves(reps: float):
    data = company(team={"reps": reps, "attrition_annual": 3.0, "backfill_months": 120})
    out = run(data).output
    assert out.headcount.min() == pytest.approx(reps % 1)
