"""Long plan names in the compare chart's legend: each is drawn whole on two or three
lines (never cut with "…"), names with quotes stay text, and the legend takes as many
columns as the chart's width holds. Checked on the spec (``chart.to_dict()``) and on the
chart as vl-convert draws it at the narrowest width the app lays out."""

from __future__ import annotations

import re

import pytest
import vl_convert

from simulator import load_preset
from simulator.bundle import MAX_PLAN_NAME
from ui.charts import LEGEND_LABEL_LIMIT, NARROWEST_PLOT, text_width
from ui.compare_charts import CURRENT, compare_chart, legend_lines
from ui.runtime import simulate_summary

NAMES = (
    "Base case with two new enterprise hires",
    'Worst: "churn" doubles after the Q3 push',
    "Best",
    "Supercalifragilisticexpialidocious-plan!",
)


@pytest.fixture(scope="module")
def result():
    scenario = load_preset("balanced")
    sim = scenario.simulation.model_copy(update={"runs": 60})
    return simulate_summary(scenario.model_copy(update={"simulation": sim}))


def legend_of(spec: dict) -> dict:
    [legend] = {
        str(layer["encoding"]["color"]["legend"]): layer["encoding"]["color"]["legend"]
        for layer in spec["layer"]
        if "color" in layer.get("encoding", {})
    }.values()
    return legend


def test_a_long_name_is_broken_into_lines_that_fit_and_keep_every_character() -> None:
    for name in NAMES:
        assert len(name) <= MAX_PLAN_NAME
        lines = legend_lines(name)
        assert all(text_width(line) <= LEGEND_LABEL_LIMIT for line in lines)
        assert "".join(lines).replace(" ", "") == name.replace(" ", "")
    assert legend_lines("Best") == ["Best"]
    assert len(legend_lines(NAMES[0])) == 2


def test_the_spec_draws_long_names_on_lines_without_a_limit(result) -> None:
    spec = compare_chart([(n, result) for n in NAMES], current=result).to_dict()
    legend = legend_of(spec)
    assert legend["labelLimit"] == 0  # nothing shortened with "…"
    expr = legend["labelExpr"]
    assert '"Base case with two new enterprise hires" ? ["Base case with' in expr
    assert r'"Worst: \"churn\" doubles' in expr  # a quote is escaped, not code
    assert '"Best" ?' not in expr  # a short name is drawn as it is
    columns = legend["columns"]["expr"]
    entries = len(NAMES) + 1  # and the sidebar plan
    assert columns.startswith("max(1, min(" + str(entries) + ", floor(width / ")


def test_drawn_at_the_narrowest_width_every_name_is_whole(result) -> None:
    spec = compare_chart([(n, result) for n in NAMES], current=result).to_dict(validate=False)
    spec["width"] = NARROWEST_PLOT
    svg = vl_convert.vegalite_to_svg(spec)
    labels = re.findall(r'role-legend-label".*?<text[^>]*>(.*?)</text>', svg, flags=re.S)
    shown = [re.sub(r"<[^>]+>", " ", label).replace("&quot;", '"') for label in labels]
    assert "…" not in "".join(shown)
    for name in (*NAMES, CURRENT):
        assert any(" ".join(s.split()).replace(" ", "") == name.replace(" ", "") for s in shown), (
            name,
            shown,
        )
