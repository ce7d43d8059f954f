"""The diagnosis speaks the verdict: its figures are the headline's, a swing that is
mostly deal luck is named "deal lumpiness" before any habit, and a slower decline is
said."""

from __future__ import annotations

import pytest

from simulator import apply_overrides, load_preset, simulate
from simulator.diagnose import LUMPINESS, Outcome, decline_phrase, diagnose

FEW_BIG_DEALS = [
    "product_lines.projects.deal_size=400000",
    "product_lines.projects.leads_per_rep_month=0.16",
]
"""The balanced company selling its projects as about three big deals a quarter."""


@pytest.fixture(scope="module")
def lumpy():
    return diagnose(apply_overrides(load_preset("balanced"), FEW_BIG_DEALS), runs=300)


def test_mostly_deal_luck_is_named_deal_lumpiness_first(lumpy):
    assert lumpy.lumpy
    assert lumpy.top_causes[0] == LUMPINESS
    lines = lumpy.lines()
    assert lines[2].startswith("Deal lumpiness: about ")
    assert lines[3].startswith("Habits, strongest first")
    assert lumpy.to_dict()["deal_lumpiness"] == lines[2]


def test_a_plan_whose_swing_is_not_luck_names_no_lumpiness():
    result = diagnose(load_preset("single_threaded"), runs=300)
    assert not result.lumpy and LUMPINESS not in result.top_causes
    assert result.lumpiness == "" and result.to_dict()["deal_lumpiness"] == ""


def test_the_diagnosis_figures_are_the_verdicts():
    scenario = load_preset("team_a_team_b")
    verdict = simulate(scenario, runs=300).whiplash
    result = diagnose(scenario, runs=300)
    b = result.baseline
    assert (b.probability, b.severe_probability, b.largest_fall, b.tail_fall) == (
        verdict.probability,
        verdict.severe_probability,
        verdict.largest_fall,
        verdict.largest_fall_p90,
    )
    assert f"whiplash in {round(verdict.probability * 100)}% of futures" in result.lines()[1]


def test_a_slower_decline_is_said_beside_the_cut():
    before = Outcome(0.3, 0.0, 0.12, 0.23, 1e6, trend_rate=-0.38)
    assert decline_phrase(before, Outcome(0.05, 0.0, 0.03, 0.06, 2e6, trend_rate=-0.2)) == (
        "slows revenue's decline from 38% to 20% a year"
    )
    assert "flat or better" in decline_phrase(before, Outcome(0.05, 0, 0.03, 0.06, 2e6))
    steady = Outcome(0.3, 0.0, 0.12, 0.23, 1e6, trend_rate=-0.02)
    assert decline_phrase(steady, Outcome(0.05, 0.0, 0.03, 0.06, 2e6, trend_rate=0.1)) == ""
