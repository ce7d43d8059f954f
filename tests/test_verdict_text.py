"""The verdict in words: one number, one meaning, and the contradictions issue 11 lists
("Severe whiplash in 72% of runs" beside "Whiplash probability 87%", a green "Smooth"
at 49%) cannot be said."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simulator import verdict_text
from simulator.history_csv import assess_history, parse_history
from simulator.plan_verdict import BookingsLens
from simulator.verdict import Verdict, verdict_of


def make(**changes) -> Verdict:
    """A calm, flat, judged verdict with ``changes`` on top."""
    base = verdict_of(np.full((20, 12), 100.0))
    return dataclasses.replace(base, **changes)


def test_the_headline_states_both_shares_as_the_key_figures_do():
    v = make(verdict="severe", probability=0.87, severe_probability=0.72, severe_risk=True)
    sentence = verdict_text.headline(v)
    assert sentence == "Severe whiplash: whiplash in 87% of futures, severe in 72%"
    # The key figures' rounding: a share that formats differently with '%' cannot drift.
    assert verdict_text.percent(0.615) == f"{round(0.615 * 100)}%"


def test_a_calm_plan_with_whiplash_in_half_its_futures_is_not_green():
    v = make(verdict="none", probability=0.49, severe_probability=0.05)
    assert verdict_text.headline(v).startswith("No whiplash in most futures: whiplash in 49%")
    assert verdict_text.tone(v) == "warn"
    calm = make(verdict="none", probability=0.04, severe_probability=0.0)
    assert verdict_text.headline(calm) == "No whiplash: whiplash in 4% of futures, severe in 0%"
    assert verdict_text.tone(calm) == "good"


def test_a_fast_decline_is_said_plainly_beside_no_whiplash():
    v = make(verdict="none", probability=0.1, trend="declining", trend_rate=-0.4)
    assert verdict_text.headline(v).startswith("No whiplash, but revenue declines 40% a year")
    assert verdict_text.tone(v) == "warn"
    assert "declines 40% a year" in verdict_text.trend_sentence(v)
    mild = make(verdict="mild", probability=0.6, trend="declining", trend_rate=-0.07)
    assert verdict_text.headline(mild).startswith("Mild whiplash, and revenue declines 7% a year")
    growing = make(trend="growing", trend_rate=0.12)
    assert verdict_text.trend_sentence(growing) == "Revenue grows 12% a year."
    assert "declines" not in verdict_text.headline(growing)


def test_severe_risk_is_flagged_when_the_middle_future_is_milder():
    v = make(verdict="mild", probability=0.6, severe_probability=0.31, severe_risk=True)
    flag = verdict_text.risk_sentence(v)
    assert flag.startswith("Severe-whiplash risk: 31% of futures")
    assert verdict_text.tone(v) == "bad"
    assert flag in verdict_text.context_sentences(v)
    calm_tail = make(verdict="none", probability=0.3, severe_probability=0.25, severe_risk=True)
    assert "the middle future is calm" in verdict_text.risk_sentence(calm_tail)
    severe = make(verdict="severe", probability=0.9, severe_probability=0.8, severe_risk=True)
    assert verdict_text.risk_sentence(severe) == ""  # the headline says it already


def test_a_season_and_deal_luck_are_said_as_such():
    seasonal = make(seasonal=True, season={"Q1": -0.1, "Q2": 0.0, "Q3": -0.1, "Q4": 0.2})
    sentence = verdict_text.season_sentence(seasonal)
    assert "Q4 +20%" in sentence and "not counted as whiplash" in sentence
    lumpy = make(lumpy=True, deals_per_quarter=4.7, luck_swing=0.13, luck_share=0.61)
    luck = verdict_text.luck_sentence(lumpy)
    assert "few, lumpy deals" in luck and "4.7 new deals a quarter" in luck and "61%" in luck
    unjudged = make(judged=False, lumpy=True, deals_per_quarter=1.2)
    assert verdict_text.headline(unjudged).startswith("Cannot tell whiplash from deal luck")
    assert "deal lumpiness" in verdict_text.luck_sentence(unjudged)
    assert verdict_text.season_sentence(make()) == verdict_text.luck_sentence(make()) == ""


def test_the_bookings_sentence_names_its_basis_and_its_worst_quarter():
    v = make(verdict="severe", probability=0.98, severe_probability=0.93)
    lens = BookingsLens(
        verdict=v,
        basis="steady state",
        quarters=["2012Q1", "2012Q2", "2012Q3"],
        target=[100.0, 100.0, 100.0],
        attainment_p10=[0.8, 0.1, 0.0],
        attainment_p50=[1.0, 0.3, 0.08],
        attainment_p90=[1.2, 0.5, 0.2],
    )
    sentence = verdict_text.bookings_sentence(lens)
    assert sentence.startswith("Bookings against the bookings the plan starts from")
    assert "severe whiplash in quota attainment (whiplash in 98% of futures" in sentence
    assert "lowest quarter 2012Q3 at 8% of target" in sentence
    on_target = dataclasses.replace(lens, basis="quota", attainment_p50=[1.0, 1.1, 1.2])
    assert "new-business quota" in verdict_text.bookings_sentence(on_target)
    assert "lowest quarter" not in verdict_text.bookings_sentence(on_target)


@pytest.mark.parametrize(
    ("rows", "start", "seasonal"),
    [
        (
            [100, 100, 100, 100, 100, 100, 66, 66],
            "Severe whiplash: revenue fell 34% within a year",
            False,
        ),
        ([100, 100, 100, 130, 100, 100, 100, 130, 100, 100], "No whiplash: its largest", True),
    ],
)
def test_a_history_is_worded_from_its_own_verdict(rows, start, seasonal):
    text = "quarter,revenue\n" + "".join(
        f"20{20 + i // 4}Q{i % 4 + 1},{r}\n" for i, r in enumerate(rows)
    )
    assessment = assess_history(parse_history(text.encode()))
    assert verdict_text.history_headline(assessment).startswith(start)
    details = verdict_text.history_details(assessment)
    assert details and details[0].startswith("Revenue ")
    assert any("Q4 +22%" in line for line in details) == seasonal


def test_the_whiplash_bars_are_said_as_this_plan_has_them():
    plain = make(largest_fall=0.12, largest_fall_p90=0.2)
    assert "(a fall of 10% is whiplash, 25% severe)" in verdict_text.fall_sentence(plain)
    lucky = make(largest_fall=0.12, largest_fall_p90=0.2, mild_bar=0.17, severe_bar=0.31)
    sentence = verdict_text.fall_sentence(lucky)
    assert "with this deal luck a fall of 17% is whiplash and 31% severe" in sentence
    assert "12% in the middle future, 20% or more in 1 future in 10" in sentence
