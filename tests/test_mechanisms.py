"""Each mechanism of the engine on a small scenario whose outcome can be reasoned out."""

import numpy as np
import pytest

from simulator import Scenario, apply_overrides, scenario_from_dict, simulate
from simulator.engine import SOURCES, orphan_probability

SRC = {name: i for i, name in enumerate(SOURCES)}


def bare(**sections) -> Scenario:
    """A scenario with no warm start, no expansion and one recurring line, plus overrides."""
    data = {
        "simulation": {"start": "2012-01", "months": 24, "runs": 200, "seed": 1},
        "pipeline": {"warm_start": False},
        "engagement": {"expansion_rate_annual": 0.0, "referral_rate_annual": 0.0},
        "relationships": {"contacts_per_account": 3, "champion_turnover": 0.0},
        "product_lines": {
            "core": {
                "name": "Core",
                "leads_per_rep_month": 0.0,
                "term_months": 12,
                "renewal_rate": 1.0,
            }
        },
    }
    for key, value in sections.items():
        merge = isinstance(value, dict) and key != "product_lines"
        data[key] = {**data.get(key, {}), **value} if merge else value
    return scenario_from_dict(data)


def test_orphan_probability_formula():
    one = orphan_probability(1, 0.25, 1.0)
    assert one == pytest.approx(1 - np.exp(-0.25))
    assert orphan_probability(4, 0.25, 1.0) == pytest.approx(one**4)


def test_a_contract_that_always_renews_keeps_paying():
    s = bare(
        contracts=[
            {"name": "A", "product_line": "core", "annual_value": 120_000, "ends": "2012-06"}
        ]
    )
    r = simulate(s, seed=1)
    monthly = r.output.revenue.sum(axis=2)  # (runs, months, sources)
    assert np.all(monthly.sum(axis=2) == pytest.approx(10_000.0))
    # Before the end month it is the existing book; from the renewal on, renewal revenue.
    assert np.all(monthly[:, :5, SRC["existing"]] == 10_000.0)
    assert np.all(monthly[:, 5:, SRC["renewal"]] == 10_000.0)
    assert np.all(r.output.renewals_kept[:, 5] == 1)


def test_a_contract_that_never_renews_stops_in_its_end_month():
    s = bare(
        product_lines={"core": {"name": "Core", "leads_per_rep_month": 0.0, "renewal_rate": 0.0}},
        contracts=[
            {"name": "A", "product_line": "core", "annual_value": 120_000, "ends": "2012-06"}
        ],
    )
    total = simulate(s, seed=1).monthly_revenue
    assert np.all(total[:, :5] == 10_000.0)
    assert np.all(total[:, 5:] == 0.0)


def test_one_off_sales_are_recognised_at_close():
    s = bare(
        product_lines={
            "deals": {
                "name": "Deals",
                "term_months": 0,
                "deal_size": 1_000,
                "leads_per_rep_month": 5.0,
                "sales_cycle_months": 1,
            }
        }
    )
    r = simulate(s, seed=3)
    wins = r.output.wins[:, :, 0]
    assert wins.sum() > 0
    np.testing.assert_array_equal(r.output.revenue[:, :, 0, SRC["one_off"]], wins * 1_000)
    assert r.output.revenue[..., SRC["new"]].sum() == 0


def test_deals_need_their_sales_cycle_before_they_close():
    s = bare(
        product_lines={
            "core": {"name": "Core", "leads_per_rep_month": 5.0, "sales_cycle_months": 4}
        },
        engagement={"pull_forward_slack": 1.0},  # closers never pull deals forward
    )
    wins = simulate(s, seed=2).output.wins[:, :, 0]
    assert wins[:, :4].sum() == 0  # opportunities from month 0 mature in month 4
    assert wins[:, 4:].sum() > 0


def test_spare_closing_capacity_pulls_deals_forward():
    s = bare(
        product_lines={
            "core": {"name": "Core", "leads_per_rep_month": 5.0, "sales_cycle_months": 4}
        },
        engagement={"pull_forward_slack": 0.0},
    )
    assert simulate(s, seed=2).output.wins[:, :4].sum() > 0


def test_closing_capacity_limits_decisions():
    # 10 reps x 10% closing / 2 rep-months per deal = 0.5 decisions a month; win rate 1.
    s = bare(
        effort={"attract": 0.6, "close": 0.1, "engage": 0.1, "retain": 0.1, "leverage": 0.1},
        product_lines={
            "core": {
                "name": "Core",
                "leads_per_rep_month": 10.0,
                "win_rate": 1.0,
                "close_effort_per_deal": 2.0,
                "sales_cycle_months": 1,
            }
        },
    )
    wins = simulate(s, seed=4).output.wins[:, :, 0]
    assert wins.max() <= 1
    assert wins.sum(axis=1).max() <= 13  # at most one decision every other month


def test_fewer_contacts_mean_fewer_renewals():
    def renewal_share(contacts: int) -> float:
        s = bare(
            relationships={"contacts_per_account": contacts, "champion_turnover": 0.5},
            product_lines={
                "core": {"name": "Core", "leads_per_rep_month": 0.0, "renewal_rate": 0.9}
            },
            contracts=[
                {"name": f"C{i}", "product_line": "core", "annual_value": 50_000, "ends": "2012-03"}
                for i in range(20)
            ],
        )
        out = simulate(s, runs=500, seed=5).output
        return out.renewals_kept[:, 2].sum() / out.renewals_due[:, 2].sum()

    one, four = renewal_share(1), renewal_share(4)
    # 1 contact, 1 year, 50% turnover: orphaned 39% of the time; 4 contacts: 2%.
    assert one < four - 0.15


def test_no_leverage_effort_means_no_expansion():
    s = bare(
        engagement={"expansion_rate_annual": 0.2},
        effort={"attract": 0.3, "close": 0.3, "engage": 0.2, "retain": 0.2, "leverage": 0.0},
        contracts=[
            {"name": "A", "product_line": "core", "annual_value": 120_000, "ends": "2014-01"}
        ],
    )
    assert simulate(s, seed=1).output.revenue[..., SRC["expansion"]].sum() == 0.0
    with_leverage = apply_overrides(s, ["effort.leverage=0.1", "effort.attract=0.2"])
    assert simulate(with_leverage, seed=1).output.revenue[..., SRC["expansion"]].sum() > 0.0


def test_a_line_without_focus_gets_no_new_opportunities():
    s = bare(
        product_lines={
            "a": {"name": "A", "focus": 1.0, "leads_per_rep_month": 3.0},
            "b": {"name": "B", "focus": 0.0, "leads_per_rep_month": 3.0},
        }
    )
    out = simulate(s, seed=1).output
    assert out.pipeline_open[:, :, 1].sum() == 0
    assert out.pipeline_open[:, :, 0].sum() > 0


def test_coverage_sees_a_renewal_coming():
    # One contract ending in month 10 with a 50% renewal chance and nothing else:
    # coverage is 1 until month 10 enters the six-month window (month 4), then 0.5.
    s = bare(
        targets={"quarterly_revenue": 30_000},
        product_lines={"core": {"name": "Core", "leads_per_rep_month": 0.0, "renewal_rate": 0.5}},
        contracts=[
            {"name": "A", "product_line": "core", "annual_value": 120_000, "ends": "2012-11"}
        ],
    )
    coverage = simulate(s, seed=1).output.coverage
    np.testing.assert_allclose(coverage[:, :4], 1.0)
    np.testing.assert_allclose(coverage[:, 4:10], 0.5)


def test_simulate_refuses_runs_beyond_the_limits():
    from simulator.models import MAX_RUNS

    s = bare()
    with pytest.raises(ValueError, match="runs"):
        simulate(s, runs=0)
    with pytest.raises(ValueError, match="runs"):
        simulate(s, runs=MAX_RUNS + 1)
    long = apply_overrides(s, ["simulation.months=120"])
    long = apply_overrides(long, ["product_lines.b.name=B", "product_lines.c.name=C"])
    with pytest.raises(ValueError, match="above the limit"):
        simulate(long, runs=MAX_RUNS)
