"""Legends and titles of the charts beside the main ones (quota attainment, team
capacity, the diagnosis tornado): every legend is drawn and fits a phone.

Read from the Vega-Lite specs; tests/e2e/test_presenter_browser.py and
tests/e2e/test_workshop_phone_browser.py check the drawn charts in Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import pytest

from simulator import ResultSummary, list_presets, load_preset, simulate
from simulator.diagnose import diagnose
from ui import charts, diagnosis_charts, verdict_charts

TORNADO_CAUSE_AXIS_PX = 130
"""The tornado's cause labels left of its plot at 390 px ("Onboarding and" over
"account care"), measured in Chromium: the legend starts right of them."""


@cache
def result_for(name: str) -> ResultSummary:
    return simulate(load_preset(name), runs=200, seed=1).summary_only()


@cache
def specs(name: str) -> dict[str, dict]:
    result = result_for(name)
    built = {
        "attainment": verdict_charts.attainment_chart(result),
        "tornado": diagnosis_charts.tornado_chart(diagnose(result.scenario, runs=50, seed=1)),
    }
    if charts.has_capacity(result):
        built["capacity"] = charts.capacity_chart(result)
    return {key: chart.to_dict() for key, chart in built.items()}


def all_specs() -> Iterator[tuple[str, dict]]:
    for preset in sorted(list_presets()):
        for name, spec in specs(preset).items():
            yield f"{preset}/{name}", spec


def test_a_layer_without_a_legend_does_not_switch_off_the_others() -> None:
    """Vega-Lite merges one channel's legends across layers and keeps the first layer's
    ``legend: null``: a band drawn first with its legend off hid the lines' legend (the
    team capacity chart drew none)."""
    seen = 0
    for name, spec in all_specs():
        for channel in ("color", "strokeDash"):
            legends = [
                layer["encoding"][channel].get("legend", {})
                for layer in spec.get("layer", [])
                if "field" in layer.get("encoding", {}).get(channel, {})
            ]
            if None in legends and any(legend is not None for legend in legends):
                seen += 1
                resolved = spec.get("resolve", {}).get("legend", {}).get(channel)
                assert resolved == "independent", (name, channel)
    assert seen, "no chart has a layer with its legend switched off"


def test_the_team_capacity_legend_names_both_lines() -> None:
    spec = specs("team_a_team_b")["capacity"]
    [lines] = [layer for layer in spec["layer"] if layer["mark"]["type"] == "line"]
    colour = lines["encoding"]["color"]
    assert colour["legend"] is not None
    assert colour["scale"]["domain"] == list(charts.CAPACITY_SERIES.values())


@pytest.mark.parametrize("chart", ["attainment", "tornado"])
def test_titles_and_subtitles_wrap_to_the_narrowest_chart(chart: str) -> None:
    room = charts.NARROWEST_CHART - charts.PADDING_PX
    for preset in sorted(list_presets()):
        title = specs(preset)[chart]["title"]
        title = {"text": title} if isinstance(title, str) else title
        for key, size in (("text", charts.TITLE_SIZE * 1.1), ("subtitle", charts.FONT_SIZE)):
            lines = title.get(key, [])
            for line in [lines] if isinstance(lines, str) else lines:
                assert charts.text_width(line, font_size=size) <= room, (preset, line)


def test_the_attainment_chart_fits_its_height_and_keeps_its_legend() -> None:
    for preset in sorted(list_presets()):
        spec = specs(preset)["attainment"]
        assert spec["autosize"] == {"type": "fit", "contains": "padding"}, preset
        title = spec["title"]
        lines = len(title["subtitle"])
        assert spec["height"] >= charts.chart_height(subtitle_lines=lines, legend_rows=1)
        [bars] = [layer for layer in spec["layer"] if layer["mark"]["type"] == "bar"]
        legend = bars["encoding"]["color"]["legend"]
        assert "columns" in legend, preset  # wraps on a narrow chart


def test_the_tornados_short_legend_names_are_its_measures_and_fit_a_phone() -> None:
    """The short names stand in for the drawn measures' names (renaming a measure once
    left them unused), and each entry fits right of the cause labels at 390 px."""
    measures = [name for _, name in diagnosis_charts.TORNADO_MEASURES]
    assert set(diagnosis_charts.TORNADO_SHORT) == set(measures)
    room = (
        charts.NARROWEST_CHART - charts.PADDING_PX - TORNADO_CAUSE_AXIS_PX - charts.LEGEND_SYMBOL_PX
    )
    for long, short in diagnosis_charts.TORNADO_SHORT.items():
        assert charts.text_width(short) <= room, short
        assert (
            short in diagnosis_charts.LEGEND_LABEL_EXPR
            and long in diagnosis_charts.LEGEND_LABEL_EXPR
        )


def test_the_tornado_of_a_balanced_plan_says_so_in_lines_that_fit_a_phone() -> None:
    spec = specs("balanced")["tornado"]
    [message] = [row["message"] for row in spec["datasets"][spec["data"]["name"]]]
    room = charts.NARROWEST_CHART - charts.PADDING_PX
    size = diagnosis_charts.MESSAGE_SIZE
    assert "balanced" in message
    assert all(charts.text_width(line, font_size=size) <= room for line in message.split("\n"))
    assert spec["mark"]["lineBreak"] == "\n"
    assert spec["mark"]["color"] == charts.MUTED_TEXT  # 7.1:1 on white
