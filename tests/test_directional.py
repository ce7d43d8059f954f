"""One test per cause of whiplash: from the balanced plan, each bad habit moves the
result in the direction the article describes. Same seed for both sides of each
comparison (common random numbers), so the difference is the lever, not noise."""

import numpy as np
import pytest

from simulator import apply_overrides, load_preset, simulate

RUNS = 1000
SEED = 7


@pytest.fixture(scope="module")
def balanced():
    return load_preset("balanced")


@pytest.fixture(scope="module")
def balanced_result(balanced):
    return simulate(balanced, runs=RUNS, seed=SEED)


def quarterly_median(result) -> np.ndarray:
    return np.median(result.quarterly_revenue, axis=0)


def renewal_share(result) -> float:
    out = result.output
    return out.renewals_kept.sum() / out.renewals_due.sum()


def test_closing_at_the_expense_of_prospecting_booms_then_busts(balanced, balanced_result):
    shifted = apply_overrides(balanced, ["effort.attract=0.15", "effort.close=0.35"])
    result = simulate(shifted, runs=RUNS, seed=SEED)
    before, after = quarterly_median(balanced_result), quarterly_median(result)
    cycle = balanced.product_lines["subscriptions"].sales_cycle_months
    assert np.all(after[:2] > before[:2]), "the first two quarters should boom"
    later = slice(cycle // 3 + 2, None)  # from about one sales cycle after the boom
    assert np.all(after[later] < before[later]), "revenue should fall after a cycle"
    assert result.report.volatility > balanced_result.report.volatility
    # Add-ons keep the book growing (docs/model.md, section 6): the slide after the boom
    # shows as a deeper drawdown, below the whiplash thresholds.
    assert result.report.max_drawdown > balanced_result.report.max_drawdown


def test_single_threaded_accounts_renew_less_and_drop_deeper(balanced):
    def with_contacts(n: int):
        overrides = [f"relationships.contacts_per_account={n}"]
        overrides += [f"contracts.{i}.contacts={n}" for i in range(len(balanced.contracts))]
        return simulate(apply_overrides(balanced, overrides), runs=RUNS, seed=SEED)

    one, four = with_contacts(1), with_contacts(4)
    assert renewal_share(one) < renewal_share(four) - 0.05
    assert np.median(one.metrics.worst_drop) > np.median(four.metrics.worst_drop)
    assert one.report.max_drawdown > four.report.max_drawdown


def test_no_onboarding_or_account_care_loses_renewals_and_expansion(balanced, balanced_result):
    no_care = apply_overrides(
        balanced, ["effort.engage=0", "effort.retain=0", "effort.attract=0.4", "effort.close=0.45"]
    )
    result = simulate(no_care, runs=RUNS, seed=SEED)
    assert renewal_share(result) < renewal_share(balanced_result) - 0.2
    expansion_end = result.output.revenue[:, -6:, :, 3].sum()
    expansion_balanced = balanced_result.output.revenue[:, -6:, :, 3].sum()
    assert expansion_end < 0.05 * expansion_balanced


def test_favouring_one_product_line_makes_revenue_lumpier(balanced, balanced_result):
    one_line = apply_overrides(
        balanced, ["product_lines.subscriptions.focus=0", "product_lines.projects.focus=1"]
    )
    result = simulate(one_line, runs=RUNS, seed=SEED)
    # Lumpier from quarter to quarter (the spread over the years is mostly the growth
    # that add-ons bring, docs/model.md, section 6).
    assert result.report.volatility > balanced_result.report.volatility
    # The neglected line's pipeline dries up (only referrals trickle in, and nobody
    # has time to close them): no new deals on it in the last year.
    neglected = result.output.pipeline_open[:, -1, 0].mean()
    assert neglected < 0.5 * balanced_result.output.pipeline_open[:, -1, 0].mean()
    assert result.output.wins[:, -12:, 0].sum() == 0


def test_renewals_in_one_month_make_a_bigger_drop_than_staggered(balanced):
    big = [
        "contracts.0.annual_value=1500000",
        "contracts.1.annual_value=1500000",
        "contracts.0.contacts=1",
        "contracts.1.contacts=1",
    ]
    same = ["contracts.0.ends=2013-01", "contracts.1.ends=2013-01"]
    spread = [
        "contracts.0.ends=2013-01",
        "contracts.1.ends=2013-04",
        "contracts.2.ends=2013-07",
        "contracts.3.ends=2013-10",
    ]
    cliff = simulate(apply_overrides(balanced, big + same), runs=RUNS, seed=SEED)
    staggered = simulate(apply_overrides(balanced, big + spread), runs=RUNS, seed=SEED)
    # The tail is what hurts: in the worst runs, both giants leave in the same quarter.
    assert (
        np.percentile(cliff.metrics.worst_drop, 95)
        > np.percentile(staggered.metrics.worst_drop, 95) + 0.05
    )
    big_fall = 0.4
    assert (cliff.metrics.worst_drop > big_fall).mean() > (
        staggered.metrics.worst_drop > big_fall
    ).mean() + 0.02
