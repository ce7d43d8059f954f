"""A key figure the plan did not change says so plainly: no arrow, no colour.

Streamlit reads every delta not starting with "-" as a rise, so "±0 pts" used to show
an up arrow, red on the figures where a rise is bad. ``ui.verdict.key_figures`` marks
an unchanged figure neutral; the AppTest reads the arrow and colour Streamlit sends.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

from simulator import apply_overrides, load_preset, simulate
from ui.verdict import key_figures

APP = str(Path(__file__).resolve().parent.parent / "app.py")

UNCHANGED = {"±0 pts", "+$0", "+0 mo"}


def plan(*overrides: str):
    return apply_overrides(load_preset("team_a_team_b"), ["simulation.runs=300", *overrides])


def test_a_plan_against_itself_shows_every_figure_unchanged_and_neutral() -> None:
    result = simulate(plan())
    figures = key_figures(result, baseline=result)
    assert {f.delta for f in figures} <= UNCHANGED, [f.delta for f in figures]
    assert all(f.delta_arrow == "off" and f.delta_color == "off" for f in figures)


def test_only_the_figures_that_moved_keep_their_arrow_and_colour() -> None:
    base = simulate(plan())
    figures = key_figures(simulate(plan("contracts.0.ends=2013-02")), baseline=base)
    moved = [f for f in figures if f.delta not in UNCHANGED]
    assert moved, [f.delta for f in figures]  # the staggered renewal changes something
    for figure in figures:
        neutral = figure.delta in UNCHANGED
        assert (figure.delta_arrow == "off") is neutral, figure
        assert (figure.delta_color == "off") is neutral, figure
    colours = {f.label: f.delta_color for f in moved}
    assert colours.get("Whiplash", "inverse") == "inverse"  # a rise in whiplash is bad
    assert colours.get("Revenue trend", "normal") == "normal"


def test_no_baseline_no_delta() -> None:
    figures = key_figures(simulate(plan()))
    assert all(f.delta is None and f.delta_arrow == "auto" for f in figures)


def test_pinned_baseline_with_no_change_draws_grey_figures_without_arrows() -> None:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["runs"] = "300"
    at.run()
    [pin] = [b for b in at.button if "Pin as baseline" in b.label]
    pin.click().run()
    assert not at.exception
    assert len(at.metric) == 6
    for shown in at.metric:
        assert shown.delta in UNCHANGED, shown.delta
        assert shown.proto.direction == Metric.MetricDirection.NONE, shown.label
        assert shown.proto.color == Metric.MetricColor.GRAY, shown.label


def _fix_metrics() -> None:
    from simulator.workshop import FixComparison
    from ui.diagnosis import before_after_metrics

    before_after_metrics(
        FixComparison(
            probability=(0.40, 0.12),
            severe_probability=(0.104, 0.096),  # both show as 10%
            largest_fall=(0.20, 0.25),
            revenue=(1e6, 1e6),
        )
    )


def test_the_workshops_fix_figures_draw_an_unchanged_one_neutral() -> None:
    at = AppTest.from_function(_fix_metrics).run()
    assert not at.exception
    shown = {m.label: m for m in at.metric}
    assert shown["Severe whiplash"].delta == "+0 points from 10%"
    assert shown["Severe whiplash"].proto.direction == Metric.MetricDirection.NONE
    assert shown["Severe whiplash"].proto.color == Metric.MetricColor.GRAY
    assert shown["Whiplash"].proto.direction == Metric.MetricDirection.DOWN
    assert shown["Whiplash"].proto.color == Metric.MetricColor.GREEN  # a fall is good
    assert shown["Largest fall in a year"].proto.direction == Metric.MetricDirection.UP
    assert shown["Largest fall in a year"].proto.color == Metric.MetricColor.RED
