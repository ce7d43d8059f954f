"""Deal sizes spread (deal_size_cv) and the revenue concentration of the book: a few
giant accounts are a property the model measures and the report names."""

import numpy as np
import pytest

from simulator import apply_overrides, load_preset, simulate
from simulator.models import Scenario


def transactional(cv: float, *, runs: int = 2000) -> Scenario:
    """One one-off line, cold start: bookings are the month's deal values."""
    return Scenario.model_validate(
        {
            "simulation": {"runs": runs, "months": 24},
            "product_lines": {
                "deals": {"name": "Deals", "term_months": 0, "deal_size_cv": cv, "win_rate": 0.5}
            },
            "pipeline": {"warm_start": False},
        }
    )


def test_without_a_spread_every_deal_is_worth_deal_size():
    out = simulate(transactional(0.0, runs=50), seed=1).output
    np.testing.assert_array_equal(out.bookings, out.wins * 50_000.0)


def test_deal_values_have_the_stated_mean_and_spread():
    out = simulate(transactional(1.5), seed=2).output
    wins, bookings = out.wins[..., 0], out.bookings[..., 0]
    assert np.all(bookings[wins == 0] == 0.0) and np.all(bookings[wins > 0] > 0.0)
    assert bookings.sum() / wins.sum() == pytest.approx(50_000.0, rel=0.02)
    # The variance of a month's bookings given n deals is n x (cv x deal_size)^2.
    n = 4
    month = bookings[wins == n]
    assert month.size > 1000
    assert month.std() == pytest.approx(np.sqrt(n) * 1.5 * 50_000.0, rel=0.1)


def test_a_spread_makes_one_off_revenue_lumpier():
    even = simulate(transactional(0.0, runs=500), seed=3)
    lumpy = simulate(transactional(2.0, runs=500), seed=3)
    assert lumpy.report.volatility > 1.5 * even.report.volatility


def test_a_few_giant_contracts_concentrate_the_book():
    team_a = simulate(load_preset("team_a_team_b"), runs=200, seed=4)
    balanced = simulate(load_preset("balanced"), runs=200, seed=4)
    assert team_a.report.top_accounts_share > 0.95  # a handful of accounts is the book
    assert balanced.report.top_accounts_share < 0.4
    # In 2012, before the giants come up for renewal, they alone hold most of it.
    giants = sum(c.annual_value for c in team_a.scenario.contracts)
    share = team_a.output.top_accounts_share[:, :12]
    assert np.all(share >= 0.5) and giants > 0


def test_a_spread_of_deal_sizes_concentrates_a_pooled_book():
    base = Scenario.model_validate({"simulation": {"runs": 100}})
    shares = [
        simulate(
            apply_overrides(base, [f"product_lines.core.deal_size_cv={cv}"]), seed=5
        ).report.top_accounts_share
        for cv in (0.0, 1.0, 2.5)
    ]
    assert shares[0] == pytest.approx(10 / 187, rel=0.1)  # ten equal accounts of about 187
    assert shares[0] < shares[1] < shares[2]


def test_the_share_is_a_monthly_series_and_a_report_field():
    result = simulate(load_preset("team_a_team_b"), runs=50, seed=6)
    series = result.monthly[result.monthly["series"] == "top_accounts_share"]
    assert len(series) == result.scenario.simulation.months
    assert series["p50"].between(0.0, 1.0).all()
    assert result.to_dict()["book"]["top_accounts_share"] == result.report.top_accounts_share
