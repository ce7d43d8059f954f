"""Add-ons renew with their contract and leave with it, so net revenue retention can
exceed gross; the defaults give retention inside the industry's median ranges."""

import numpy as np
import pytest

from simulator import ScenarioError, apply_overrides, load_preset, parse_scenario, simulate
from simulator.engine import SOURCES
from simulator.models import Scenario

EXPANSION = SOURCES.index("expansion")


def line_company(**engagement) -> Scenario:
    """The default company on one annual line, with engagement overrides."""
    return Scenario.model_validate({"simulation": {"runs": 300}, "engagement": engagement})


def test_add_ons_make_net_retention_exceed_gross():
    result = simulate(Scenario(), runs=300, seed=3)
    nrr, grr = result.output.nrr, result.output.grr
    assert np.isnan(nrr[:, :11]).all() and np.isfinite(nrr[:, 11:]).all()
    assert (nrr[:, 11:] > grr[:, 11:]).all()
    none = simulate(line_company(expansion_rate_annual=0.0), seed=3).output
    np.testing.assert_array_equal(none.nrr, none.grr)  # no add-ons: NRR is GRR
    assert result.report.net_revenue_retention > result.report.gross_revenue_retention


@pytest.mark.parametrize(
    "scenario", [Scenario(), load_preset("balanced")], ids=["default", "balanced"]
)
def test_the_defaults_give_industry_median_retention(scenario):
    """Median NRR about 100-106%, GRR about 88-92% (docs/model.md, section 6)."""
    report = simulate(scenario, seed=2012).report
    assert 1.00 <= report.net_revenue_retention <= 1.06
    assert 0.88 <= report.gross_revenue_retention <= 0.92


def test_gross_retention_is_the_share_of_the_day_one_book_kept_a_year_later():
    """No add-ons, one annual line, equal deals: in the first year every renewal is one
    of the day-one book's, so GRR over it is one minus the value of those that left."""
    result = simulate(line_company(expansion_rate_annual=0.0), seed=5)
    out = result.output
    deal = result.scenario.product_lines["core"].deal_size
    lost = (out.renewals_due[:, :12] - out.renewals_kept[:, :12]).sum(axis=1) * deal
    day_one = out.revenue[:, 0, 0, SOURCES.index("existing")] * 12 + out.renewals_due[:, 0] * deal
    np.testing.assert_allclose(out.grr[:, 11], 1.0 - lost / day_one, rtol=1e-12)


def test_add_ons_do_not_lapse_when_nobody_leaves():
    """With renewals certain and no leverage effort (no new add-ons), the starting book's
    add-ons stay exactly where they are month after month."""
    scenario = Scenario.model_validate(
        {
            "simulation": {"runs": 50, "months": 30},
            "effort": {"attract": 0.3, "close": 0.3, "engage": 0.2, "retain": 0.2, "leverage": 0},
            "product_lines": {"core": {"name": "Core", "renewal_rate": 1.0}},
            "engagement": {"orphan_renewal_factor": 1.0, "care_effort_per_account": 0.001},
        }
    )
    expansion = simulate(scenario, seed=1).output.revenue[:, :, 0, EXPANSION]
    assert expansion[0, 0] > 0
    np.testing.assert_allclose(
        expansion, np.broadcast_to(expansion[:, :1], expansion.shape), rtol=1e-9
    )


def test_a_giant_that_leaves_takes_its_add_ons_with_it():
    base = load_preset("team_a_team_b")
    keep = apply_overrides(base, ["contracts.0.contacts=20", "contracts.1.contacts=20"])
    lose = apply_overrides(
        base, ["engagement.orphan_renewal_factor=0", "relationships.champion_turnover=3"]
    )
    january = 12  # both giants are due in 2013-01
    kept = simulate(keep, runs=200, seed=2).output.revenue[:, :, :, EXPANSION].sum(axis=2)
    lost = simulate(lose, runs=200, seed=2).output.revenue[:, :, :, EXPANSION].sum(axis=2)
    drop_kept = kept[:, january] / kept[:, january - 1]
    drop_lost = lost[:, january] / lost[:, january - 1]
    assert np.median(drop_lost) < 0.75 * np.median(drop_kept)


def test_a_file_that_sets_the_removed_add_on_term_is_refused_by_name():
    with pytest.raises(ScenarioError, match="expansion_term_months is no longer used"):
        parse_scenario("[engagement]\nexpansion_term_months = 12\n")
