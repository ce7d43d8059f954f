"""``[pipeline] open_deals``: the real open pipeline on day one, by line and age.

A scenario that gives its open deals starts every run from exactly those deals (no
random warm pipeline): deals mature and are decided on the dates their ages say, ages
too old to be decided count in the oldest age that still can be, and the engine agrees
with the reference (tests/reference_engine.py) run by run.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulator import ScenarioError, dump_scenario, parse_scenario, scenario_from_dict
from simulator.engine import run_engine
from simulator.models import MAX_OPEN_DEALS
from tests.test_reference_engine import assert_same


def _only_open_deals(open_deals: dict, **line: object) -> dict:
    """One line, no new leads, no referrals, every decided deal won, and closers with
    time to spare who never pull deals forward (capacity 20.8 decisions a month: the
    whole-number budget, at most 21, never exceeds the slack of 21): wins show when
    each open deal matures."""
    return {
        "simulation": {"months": 8, "runs": 5},
        "product_lines": {
            "subs": {
                "name": "Subscriptions",
                "sales_cycle_months": 3,
                "win_rate": 1.0,
                "leads_per_rep_month": 0.0,
                "close_effort_per_deal": 0.12,
                **line,
            }
        },
        "pipeline": {"open_deals": open_deals},
        "engagement": {"referral_rate_annual": 0.0, "pull_forward_slack": 1.0},
    }


def _wins(data: dict, *, runs: int = 5, seed: int = 1) -> np.ndarray:
    out = run_engine(scenario_from_dict(data), runs=runs, rng=np.random.default_rng(seed))
    return out.wins[:, :, 0]


def test_open_deals_are_won_when_their_age_reaches_the_cycle_in_every_run():
    # Opened 1, 2 and 3 months before the start: 1, 2 and 3 months old in month one.
    wins = _wins(_only_open_deals({"subs": [5, 0, 7]}))
    assert (wins == wins[0]).all()  # the same pipeline in every run
    assert wins[0].tolist() == [7, 0, 5, 0, 0, 0, 0, 0]


def test_the_pipeline_is_the_same_whatever_the_seed():
    data = _only_open_deals({"subs": [4, 4, 4]})
    assert (_wins(data, seed=1) == _wins(data, seed=99)).all()


def test_deals_older_than_the_expiry_window_are_decided_at_once():
    # Cycle 3: a deal is lost to "no decision" at age 6. Deals opened 6 and 9 months
    # before the start count as age 5 in month one, the oldest that can be decided.
    counts = [0, 0, 0, 0, 0, 2, 0, 0, 3]
    wins = _wins(_only_open_deals({"subs": counts}))
    assert wins[0].tolist() == [5, 0, 0, 0, 0, 0, 0, 0]


def test_a_line_left_out_starts_with_no_open_deals():
    data = _only_open_deals({"subs": [3]})
    data["product_lines"]["other"] = {"name": "Other", "leads_per_rep_month": 0.0}
    out = run_engine(scenario_from_dict(data), runs=3, rng=np.random.default_rng(2))
    assert out.pipeline_open[:, 0, 1].sum() == 0
    assert out.wins[:, :, 1].sum() == 0
    assert out.pipeline_open[:, 0, 0].tolist() == [3, 3, 3]


def test_open_deals_replace_the_warm_draw_but_keep_the_warm_book():
    warm = _only_open_deals({"subs": [2]})
    warm["product_lines"]["subs"]["leads_per_rep_month"] = 2.0
    out = run_engine(scenario_from_dict(warm), runs=4, rng=np.random.default_rng(3))
    assert out.revenue[:, 0, 0, 0].min() > 0  # the warm book's contracts earn
    assert out.pipeline_open[:, 0, 0].min() >= 2


@pytest.mark.parametrize("warm_start", [True, False])
def test_the_engine_matches_the_reference_with_open_deals(warm_start):
    data = {
        "simulation": {"months": 12, "runs": 3},
        "product_lines": {
            "subs": {"name": "Subscriptions", "sales_cycle_months": 4},
            "projects": {"name": "Projects", "sales_cycle_months": 1, "term_months": 0},
            "big": {"name": "Big deals", "sales_cycle_months": 9, "win_rate": 0.4},
        },
        "pipeline": {
            "warm_start": warm_start,
            "open_deals": {"subs": [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], "big": [1] * 30},
        },
    }
    assert_same(scenario_from_dict(data), runs=3, seed=7)


def test_a_line_at_the_limit_of_open_deals_is_counted_exactly():
    data = _only_open_deals({"subs": [MAX_OPEN_DEALS // 2, 0, MAX_OPEN_DEALS // 2]})
    data["product_lines"]["subs"].update(win_rate=0.5, leads_per_rep_month=1000.0)
    data["team"] = {"reps": 5000.0}
    data["simulation"].update(months=4, runs=2)
    assert_same(scenario_from_dict(data), runs=2, seed=4)


def test_open_deals_round_trip_through_toml():
    scenario = scenario_from_dict(_only_open_deals({"subs": [1, 0, 2]}))
    assert parse_scenario(dump_scenario(scenario)) == scenario


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{ hardware = [1] }", "pipeline.open_deals: 'hardware' is not a product line"),
        ("{ subs = [1.5] }", "pipeline.open_deals.subs.0: Input should be a valid integer"),
        ("{ subs = [-1] }", "pipeline.open_deals.subs.0: Input should be greater than or"),
        (f"{{ subs = [{MAX_OPEN_DEALS}, 1] }}", "pipeline.open_deals: 'subs' has 1,000,001"),
        (f"{{ subs = [{', '.join(['0'] * 121)}] }}", "pipeline.open_deals.subs: Tuple should"),
    ],
)
def test_bad_open_deals_name_the_field(value, message):
    text = f'[product_lines.subs]\nname = "Subscriptions"\n[pipeline]\nopen_deals = {value}\n'
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text)
    assert str(caught.value).startswith(message)
