"""Management pressure, the quarter-end push (docs/model.md, section 2): when it starts
and ends, what it moves, where pull-forward now comes from, and the self-inflicted loop
it makes: recurring boom and bust in a company that is smooth without it."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from simulator import scenario_from_dict, simulate
from simulator.metrics import boom_bust_events, quarter_over_quarter
from simulator.results import SimulationResult, _to_quarters


def line(name: str, **fields: object) -> dict:
    return {
        "name": name,
        "deal_size": 12_000,
        "sales_cycle_months": 5,
        "win_rate": 0.25,
        "term_months": 12,
        "leads_per_rep_month": 2.0,
        "close_effort_per_deal": 0.35,
        "focus": 0.5,
        **fields,
    }


def balanced(*, push: float = 0.0, quota: float | None = None, **sections: object) -> dict:
    """A balanced company of 2,500 reps (so that luck alone rarely moves a quarter by
    10%): a subscription line and a services line (one-off), 5-month cycles."""
    data: dict = {
        "simulation": {"start": "2012-01", "months": 48, "runs": 200, "seed": 11},
        "team": {"reps": 2_500},
        "product_lines": {
            "subscriptions": line("Subscriptions"),
            "services": line("Services", deal_size=5_000, term_months=0, renewal_rate=0.0),
        },
    }
    if push:
        data["targets"] = {"quarterly_bookings": quota}
        data["policy"] = {"quarter_end_push": push}
    return {**data, **sections}


def quarterly(result: SimulationResult, monthly: np.ndarray) -> np.ndarray:
    return _to_quarters(monthly, result.quarter_first_month)


def events(result: SimulationResult, monthly: np.ndarray) -> np.ndarray:
    """Boom-bust events per run (simulator.metrics) of a monthly series's quarters."""
    qoq = quarter_over_quarter(quarterly(result, monthly))
    return boom_bust_events(qoq, result.scenario.thresholds)


@cache
def loop() -> tuple[SimulationResult, SimulationResult]:
    """The same company without and with the push; the quota is 5% above the bookings
    it makes without the push (its steady bookings)."""
    calm = simulate(scenario_from_dict(balanced()))
    steady = float(np.median(quarterly(calm, calm.output.bookings.sum(axis=2))))
    pushed = simulate(scenario_from_dict(balanced(push=0.5, quota=1.05 * steady)))
    return calm, pushed


# --- The self-inflicted loop.
def test_the_push_makes_recurring_boom_and_bust_in_a_smooth_company():
    calm, pushed = loop()
    for result, smooth in ((calm, True), (pushed, False)):
        out = result.output
        bookings = events(result, out.bookings.sum(axis=2))
        services = events(result, out.revenue[:, :, 1].sum(axis=2))  # revenue = bookings
        subscriptions = events(result, out.revenue[:, :, 0].sum(axis=2))  # 12-month terms
        if smooth:  # measured: 0% and 6% of runs
            assert (bookings > 0).mean() <= 0.05
            assert (services > 0).mean() <= 0.15
            assert result.report.verdict == "none"
        else:  # measured: 76% of runs, 2.6 per run (2+ in 62%); services 80%, 2.8 per run
            assert (bookings > 0).mean() >= 0.6
            assert bookings.mean() >= 1.5, "booms and busts recur, not once"
            assert (bookings >= 2).mean() >= 0.5
            assert (services > 0).mean() >= 0.6
        assert (subscriptions > 0).mean() <= 0.05  # recurring revenue smooths bookings


def test_pushed_quarters_bust_and_the_quarters_between_recover():
    _, pushed = loop()
    booked = quarterly(pushed, pushed.output.bookings.sum(axis=2))
    pushing = quarterly(pushed, pushed.output.pushing.astype(float)) > 0
    cycling = pushing[:, 4:].mean(axis=1) > 0.3
    assert cycling.mean() > 0.5
    in_push = np.where(pushing, booked, np.nan)[cycling]
    between = np.where(~pushing, booked, np.nan)[cycling]
    assert np.nanmean(in_push) < 0.85 * np.nanmean(between)


# --- When the push starts and ends.
def always_behind(**sections: object) -> SimulationResult:
    """A quota far out of reach: management pushes whenever it can."""
    data = balanced(push=0.5, quota=1e12, **sections)
    data["simulation"] = {**data["simulation"], "months": 12, "runs": 20}
    return simulate(scenario_from_dict(data))


def test_the_push_starts_when_the_quarter_is_seen_behind_and_ends_with_it():
    pushing = always_behind().output.pushing
    # January, April, July, October: nothing of the quarter is seen yet.
    assert pushing.all(axis=0).tolist() == [False, True, True] * 4
    assert not pushing[:, ::3].any()


def test_a_longer_perception_delay_starts_the_push_later():
    pushing = always_behind(policy={"quarter_end_push": 0.5, "perception_delay_months": 2})
    assert pushing.output.pushing.all(axis=0).tolist() == [False, False, True] * 4


def test_the_push_reacts_to_the_quota_in_force():
    calm, _ = loop()
    steady = float(np.median(quarterly(calm, calm.output.bookings.sum(axis=2))))
    data = balanced(push=0.5, quota=0.5 * steady)
    data["changes"] = [{"from": "2013-01", "targets": {"quarterly_bookings": 1e12}}]
    data["simulation"] = {**data["simulation"], "months": 24, "runs": 20}
    pushing = simulate(scenario_from_dict(data)).output.pushing
    assert not pushing[:, :12].any()  # half the steady bookings: never behind
    assert pushing[:, 12:].all(axis=0).tolist() == [False, True, True] * 4


# --- What the push moves.
def test_the_push_moves_prospecting_to_closing():
    calm = simulate(scenario_from_dict(balanced()), runs=20)
    pushed = always_behind()
    # Less prospecting: the pipeline is thinner while pushing and new business falls.
    open_calm, open_pushed = calm.output.pipeline_open[:, :12], pushed.output.pipeline_open
    assert open_pushed[:, 2].sum() < open_calm[:, 2].sum()
    assert pushed.output.bookings[:, 6:].sum() < 0.9 * calm.output.bookings[:, 6:12].sum()


def cold(**sections: object) -> SimulationResult:
    """An empty pipeline, far more closers than deals, every decided deal won: a win
    before the sales cycle is over can only be a deal pulled forward."""
    data: dict = {
        "simulation": {"months": 5, "runs": 20, "seed": 2},
        "effort": {"attract": 0.5, "close": 0.5, "engage": 0.0, "retain": 0.0, "leverage": 0.0},
        "product_lines": {
            "slow": {
                "name": "Slow",
                "sales_cycle_months": 5,
                "win_rate": 1.0,
                "leads_per_rep_month": 10.0,
                "close_effort_per_deal": 0.01,
            }
        },
        "pipeline": {"warm_start": False},
        "engagement": {"pull_forward_win_factor": 1.0},
        **sections,
    }
    return simulate(scenario_from_dict(data))


def test_idle_closers_pull_nothing_forward_unless_pressed_or_told():
    assert cold().output.wins.sum() == 0  # a balanced plan's idle time pulls no deals
    pressed = cold(
        targets={"quarterly_bookings": 1e9}, policy={"quarter_end_push": 0.5}
    ).output.wins
    assert pressed[:, 0].sum() == 0 and pressed[:, 1:].sum() > 0  # from the push on
    told = cold(engagement={"pull_forward_slack": 0.0, "pull_forward_win_factor": 1.0})
    assert told.output.wins[:, 1:].sum() > 0  # "a plan that says so"


@pytest.mark.parametrize("factor", [0.0, 0.5])
def test_deals_pulled_under_pressure_win_at_the_pull_forward_factor(factor: float):
    policy = {"targets": {"quarterly_bookings": 1e9}, "policy": {"quarter_end_push": 0.5}}
    out = cold(engagement={"pull_forward_win_factor": factor}, **policy).output
    if factor == 0.0:
        assert out.wins.sum() == 0  # pulled, decided and lost
        assert out.pipeline_open[:, 2:].sum() < cold().output.pipeline_open[:, 2:].sum()
    else:
        assert out.wins.sum() > 0
