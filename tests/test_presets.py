"""Every preset loads, runs, and shows the behaviour its lesson claims."""

import numpy as np
import pytest

from simulator import list_presets, load_preset, simulate

PRESETS = sorted(list_presets())


@pytest.fixture(scope="module")
def results():
    return {name: simulate(load_preset(name)) for name in PRESETS}


def test_the_six_article_presets_exist():
    assert set(PRESETS) >= {
        "balanced",
        "team_a_team_b",
        "close_close_close",
        "single_threaded",
        "hand_off_after_close",
        "new_product_splash",
    }


@pytest.mark.parametrize("name", PRESETS)
def test_preset_has_workshop_texts_and_runs(name, results):
    scenario = load_preset(name)
    assert scenario.meta.title and scenario.meta.description and scenario.meta.lesson
    assert scenario.meta.question, "a workshop asks the room a question before the reveal"
    result = results[name]
    assert np.isfinite(result.monthly_revenue).all()
    assert (result.monthly_revenue >= 0).all()


def test_balanced_is_smooth_in_most_runs(results):
    result = results["balanced"]
    assert result.report.verdict == "none"
    assert result.verdict_shares["none"] >= 0.8


def test_team_a_team_b_crashes_in_2013q1_with_warning_from_q3(results):
    report = results["team_a_team_b"].report
    assert report.verdict == "severe"
    assert report.worst_quarter == "2013Q1"
    assert report.bust_quarter == "2013Q1"
    assert report.early_warning_months is not None and report.early_warning_months >= 3
    assert report.warning_month is not None and report.warning_month <= "2012-09"


def test_team_b_covers_only_a_sliver_of_the_january_hole(results):
    result = results["team_a_team_b"]
    scenario = result.scenario
    lines = list(scenario.product_lines)
    hole = sum(c.annual_value for c in scenario.contracts) / 12
    team_b = result.output.revenue[:, 12, lines.index("transactional"), :].sum(axis=-1)
    assert np.median(team_b) < 0.15 * hole


def test_close_close_close_booms_then_busts_within_a_cycle(results):
    result = results["close_close_close"]
    quarterly = np.median(result.quarterly_revenue, axis=0)
    # The plan switches to closing in April (a [[changes]] on balanced [history]).
    assert quarterly.argmax() == 1, "2012Q2, the first quarter of closing, is the boom"
    assert result.report.bust_quarter in ("2012Q3", "2012Q4")
    assert result.report.verdict != "none"
    balanced = np.median(results["balanced"].quarterly_revenue, axis=0)
    assert quarterly[1] > balanced[1]


def test_single_threaded_churns_at_renewals(results):
    single = results["single_threaded"].output
    balanced = results["balanced"].output
    share = single.renewals_kept.sum() / single.renewals_due.sum()
    assert share < balanced.renewals_kept.sum() / balanced.renewals_due.sum() - 0.1
    assert results["single_threaded"].report.verdict != "none"


def test_hand_off_after_close_collapses_renewals_and_expansion(results):
    result = results["hand_off_after_close"]
    expansion = result.output.revenue[:, :, :, 3].sum(axis=2)
    # No new add-ons without care, and those bought leave with their accounts.
    assert np.median(expansion[:, -3:]) < 0.2 * np.median(expansion[:, :3])
    assert result.report.net_revenue_retention < 0.6
    out = result.output
    assert out.renewals_kept[:, 12:].sum() / out.renewals_due[:, 12:].sum() < 0.6
    assert result.report.verdict == "severe"


def test_new_product_splash_dries_the_old_line_and_comes_in_waves(results):
    result = results["new_product_splash"]
    lines = list(result.scenario.product_lines)
    old = lines.index("subscriptions")
    # No effort on the old line from January to June: its 2-month pipeline runs dry.
    assert result.output.wins[:, 3:6, old].sum() == 0
    assert result.report.boom_bust_events > results["balanced"].report.boom_bust_events
    assert result.report.volatility > 2 * results["balanced"].report.volatility
