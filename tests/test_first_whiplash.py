"""Each run's first whiplash quarter (what the workshop's quarter question asks), on
hand-made series, and the reveal charts a workshop step names."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import ScenarioError, load_preset, simulate
from simulator.verdict import MILD, judge
from simulator.workshop import load_workshop, parse_workshop, resolve
from ui import workshop as ws


def first(series: list[float]) -> int:
    [quarter] = judge(np.array(series, dtype=float)).first_whiplash
    return int(quarter)


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        ([100.0] * 12, -1),  # flat
        ([100.0 * 0.97**q for q in range(12)], -1),  # a steady decline is not whiplash
        ([100.0 * 1.03**q for q in range(12)], -1),  # steady growth
        ([100, 100, 100, 100, 100, 60, 60, 60, 60, 60, 60, 60], 5),  # one cliff
        ([100, 100, 100, 100, 92, 84, 84, 84, 84, 84, 84, 84], 5),  # two steps: 16% by Q5
        ([100, 100, 100, 130, 100, 100, 100, 100, 100, 100, 100, 100], 4),  # a boom's bust
        ([100] * 11 + [70], 11),  # a cliff in the final quarter
        ([100, 100, 100, 100, 80, 100, 100, 100, 100, 100, 100, 100], -1),  # one bad quarter
    ],
)
def test_the_first_whiplash_quarter_of_hand_made_series(series, expected) -> None:
    assert first(series) == expected


def test_a_run_has_a_first_whiplash_quarter_exactly_when_it_has_whiplash() -> None:
    rng = np.random.default_rng(4)
    runs = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.08, size=(500, 12)), axis=1))
    j = judge(runs)
    assert j.first_whiplash is not None
    assert np.array_equal(j.first_whiplash >= 0, j.severity >= MILD)
    assert 0.2 < (j.first_whiplash >= 0).mean() < 0.95  # both kinds of run are there


def test_the_summary_carries_the_first_whiplash_quarter() -> None:
    result = simulate(load_preset("team_a_team_b"), runs=200, seed=1).summary_only()
    labels = result.quarter_labels
    hit = result.first_whiplash[result.first_whiplash >= 0]
    assert (hit >= 1).all() and (hit < len(labels)).all()
    assert np.mean([labels[q] == "2013Q1" for q in hit]) > 0.5  # the cliff


def test_every_reveal_chart_builds_and_an_unknown_one_is_refused() -> None:
    text = """
[workshop]
title = "All charts"
[[steps]]
preset = "team_a_team_b"
charts = ["quarters", "attainment", "warning", "sources"]
[[steps]]
preset = "new_product_splash"
charts = ["lines", "calendar"]
"""
    workshop = parse_workshop(text)
    built = []
    for index in range(len(workshop.steps)):
        content = resolve(workshop, index)
        result = simulate(content.scenario, runs=100, seed=1).summary_only()
        built += [chart.to_dict()["description"] for chart in ws.lesson_charts(content, result)]
    assert built == [
        "Quarterly revenue bars",
        "Quota attainment",
        "Early warning",
        "Revenue by source",
        "Revenue by line",
        "Renewal calendar",
    ]
    with pytest.raises(ScenarioError, match=r"steps\.0\.charts"):
        parse_workshop(text.replace('"quarters"', '"pie"'))


def test_the_default_workshop_shows_a_chart_at_every_step() -> None:
    assert all(step.charts for step in load_workshop().steps)


def test_the_debrief_gives_a_level_question_its_starting_figure() -> None:
    workshop = load_workshop()
    content = resolve(workshop, 1)  # hand-off after close: a revenue question
    assert content.prediction == "level"
    entry = ws.debrief_entry(content, 250_000.0)
    assert entry.question.startswith(content.question)
    assert "Starting point: revenue in 2012Q1, the first quarter, is $" in entry.question
    assert "Starting point" not in ws.debrief_entry(resolve(workshop, 0), "2013Q1").question
