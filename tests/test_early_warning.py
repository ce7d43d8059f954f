"""The early warning in sales terms: pipeline coverage, renewal exposure, revenue in
sight and the warning lead (docs/model.md, "Early warning in sales terms")."""

from __future__ import annotations

import json
from functools import cache

import pytest

from simulator.cli import main
from simulator.early_warning import PIPELINE_WARNING, RENEWAL_WARNING
from simulator.models import Scenario
from simulator.results import SimulationResult, simulate
from simulator.scenario_io import load_scenario, scenario_from_dict
from simulator.verdict_text import warning_sentence

RUNS = 200


def _with(scenario: Scenario, section: str, **fields: object) -> Scenario:
    data = scenario.model_dump(by_alias=True, exclude_none=True, warnings=False)
    data[section] = {**data.get(section, {}), **fields}
    return scenario_from_dict(data)


@cache
def _result(name: str) -> SimulationResult:
    return simulate(load_scenario(f"scenarios/{name}.toml"), runs=RUNS)


def test_starved_prospecting_shows_in_pipeline_coverage_before_bookings_fall() -> None:
    result = _result("close_close_close")
    ew = result.early_warning
    first = ew.months.index(ew.pipeline_coverage.first_warning)
    lens = result.bookings
    fallen = next(i for i, a in enumerate(lens.attainment_p50) if a < PIPELINE_WARNING)
    assert first < result.quarter_first_month[fallen]
    assert min(ew.pipeline_coverage.p50) < 0.2  # far below healthy, not a near miss


def test_the_2012_client_sees_its_renewals_at_risk_before_january_2013() -> None:
    ew = _result("team_a_team_b").early_warning
    first = ew.renewal_exposure.first_warning
    assert first is not None and first < "2013-01"
    july = ew.months.index("2012-07")
    assert ew.renewal_exposure.p50[july] >= RENEWAL_WARNING
    assert ew.bust_quarter == "2013Q1"
    # Team B's thin pipeline (a tenth of its quota) warns from the first month, so the
    # lead can be the whole year before the January cliff; it never follows the setting.
    assert ew.lead_months is not None and 3 <= ew.lead_months <= 12
    assert "pipeline_coverage" in ew.warning_signals  # the spell begins with Team B's pipeline
    assert "2013Q1" in warning_sentence(ew)


def test_a_calm_plan_has_no_warning_and_no_bust_to_warn_of() -> None:
    ew = _result("balanced").early_warning
    assert ew.first_warning is None
    assert ew.lead_months is None and ew.reason == "no bust to warn of"
    assert warning_sentence(ew).startswith("No bust to warn of")


def test_healthy_pipeline_coverage_is_about_one_over_the_win_rate() -> None:
    ew = _result("balanced").early_warning
    healthy = ew.pipeline_healthy[-1]
    assert 1 / 0.3 * 0.6 < healthy < 1 / 0.25  # the lines' own 1 / win rate, mixed


def test_the_lead_does_not_follow_the_coverage_look_ahead() -> None:
    base = load_scenario("scenarios/team_a_team_b.toml")
    leads = [
        simulate(
            _with(base, "thresholds", coverage_lookahead_months=months), runs=RUNS
        ).early_warning.lead_months
        for months in (3, 6, 9, 12)
    ]
    assert leads != [3, 6, 9, 12]
    assert len(set(leads)) == 1  # no signal reads the look-ahead setting


def test_a_fix_that_removes_the_bust_says_so_instead_of_a_negative_lead() -> None:
    base = load_scenario("scenarios/team_a_team_b.toml")
    data = base.model_dump(by_alias=True, exclude_none=True, warnings=False)
    data["contracts"][0]["ends"], data["contracts"][1]["ends"] = "2014-06", "2015-06"
    data["effort"] = {
        "attract": 0.25,
        "close": 0.25,
        "engage": 0.15,
        "retain": 0.2,
        "leverage": 0.15,
    }
    fixed = scenario_from_dict(data)
    ew = simulate(fixed, runs=RUNS).early_warning
    assert ew.lead_months is None or ew.lead_months >= 0
    if ew.lead_months is None:
        assert ew.reason == "no bust to warn of"


def test_run_json_carries_the_early_warning(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "scenarios/team_a_team_b.toml", "--runs", "100", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ew = data["early_warning"]
    assert {"pipeline_coverage", "renewal_exposure", "revenue_in_sight"} <= set(ew)
    assert ew["lead_months"] == data["whiplash"]["early_warning_months"]
    assert ew["renewal_exposure"]["window_months"] == 6
    assert ew["pipeline_coverage"]["window_months"] == 3
    assert isinstance(ew["reason"], str) and ew["reason"]


def test_run_json_says_why_there_is_no_lead(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "scenarios/balanced.toml", "--runs", "100", "--json"]) == 0
    ew = json.loads(capsys.readouterr().out)["early_warning"]
    assert ew["lead_months"] is None and ew["reason"] == "no bust to warn of"
