"""Legible from the back row: the charts' text is large, dark on white, and never cut.

Read from each builder's Vega-Lite spec (``chart.to_dict()``); the browser test
(tests/e2e/test_presenter_browser.py) checks the same on the drawn page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import cache

import altair as alt
import pytest

from simulator import ResultSummary, apply_overrides, list_presets, load_preset, simulate
from ui import charts, verdict_charts
from ui.verdict import key_figures

PRESETS = sorted(list_presets())
WCAG_AA = 4.5
"""Contrast WCAG 2 asks of body text (1.4.3, level AA)."""
METRIC_LABEL_PX = 15.75
"""Streamlit's key-figure label: 0.875rem of the theme's 18 px."""
METRIC_VALUE_PX = 36
"""The key-figure value: ``metricValueFontSize = "2rem"`` (.streamlit/config.toml)."""
METRIC_COLUMN_PX = 190
"""The narrower of a key figure's two columns at 1280 px: a third of the main column
beside the open sidebar (about 230 px: 138 px measured for a fifth), or a sixth of the
presenter view's page, whose sidebar is closed (about 200 px)."""
METRIC_LABEL_PX_ROOM = 165
"""What the label has of it beside its (?) icon (25 px less, as measured for a fifth)."""
ESTIMATE_OVER = 1.07
""":func:`charts.text_width` runs this much over Chromium's widths on the app's labels
(see test_the_text_width_estimate_is_not_below_chromiums)."""


@cache
def result_for(name: str) -> ResultSummary:
    return simulate(load_preset(name), runs=200, seed=1).summary_only()


def builders(result: ResultSummary) -> dict[str, alt.TopLevelMixin]:
    baseline = result_for("balanced")
    built = {
        "fan": charts.revenue_fan_chart(result),
        "fan+baseline": charts.revenue_fan_chart(result, baseline=baseline),
        "fan, presenter": charts.revenue_fan_chart(result, plot_height=250, narrowest=900),
        "quarters": charts.quarterly_bars(result),
        "by source": charts.breakdown_chart(result, by="source"),
        "by line": charts.breakdown_chart(result, by="line"),
        "warning": verdict_charts.warning_chart(result),
        "renewals": charts.renewal_calendar(result.scenario),
        "renewals+baseline": charts.renewal_calendar(
            result.scenario, baseline_scenario=baseline.scenario
        ),
        "effort": charts.effort_split_bar(result.scenario.effort),
    }
    if charts.has_capacity(result):
        built["capacity"] = charts.capacity_chart(result)
    return built


@cache
def specs_for(name: str) -> dict[str, dict]:
    return {key: chart.to_dict() for key, chart in builders(result_for(name)).items()}


def all_specs() -> Iterator[tuple[str, dict]]:
    for preset in PRESETS:
        for name, spec in specs_for(preset).items():
            yield f"{preset}/{name}", spec


def layers(spec: dict) -> Iterator[dict]:
    yield spec
    for layer in spec.get("layer", []):
        yield from layers(layer)


def walk(node: object) -> Iterator[tuple[str, object]]:
    """Every (key, value) pair anywhere in a spec."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


# --- Contrast, as WCAG 2 defines it.
def luminance(colour: str) -> float:
    hex_ = colour.lstrip("#")
    assert re.fullmatch(r"[0-9A-Fa-f]{6}", hex_), colour
    channels = [int(hex_[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_wcags_reference_values() -> None:
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    # The grey Streamlit gives chart text when a chart sets none: too faint.
    assert contrast("#808495", "#FFFFFF") < WCAG_AA


def text_colours(spec: dict) -> list[tuple[str, str]]:
    """(where, colour) of every text a spec draws on its background: the theme's axis,
    legend and title text and each text mark's own colour."""
    config = spec["config"]
    found = [
        ("axis label", config["axis"]["labelColor"]),
        ("axis title", config["axis"]["titleColor"]),
        ("legend label", config["legend"]["labelColor"]),
        ("legend title", config["legend"]["titleColor"]),
        ("title", config["title"]["color"]),
        ("subtitle", config["title"]["subtitleColor"]),
        ("text mark", config["text"]["color"]),
    ]
    for layer in layers(spec):
        mark = layer.get("mark")
        if isinstance(mark, dict) and mark.get("type") == "text":
            for key in ("color", "fill"):
                if key in mark:
                    found.append((f"text mark {layer['encoding'].get('text')}", mark[key]))
    return found


def test_every_chart_text_has_at_least_4_5_to_1_contrast_on_its_background() -> None:
    low = []
    for name, spec in all_specs():
        background = spec["config"]["background"]
        assert background == charts.BACKGROUND == "#FFFFFF", name
        for where, colour in text_colours(spec):
            ratio = contrast(colour, background)
            if ratio < WCAG_AA:
                low.append(f"{name}: {where} {colour} is {ratio:.2f}:1")
    assert not low, low


def test_the_effort_bars_labels_contrast_with_their_segment() -> None:
    for stage, fill in charts.STAGE_COLOURS.items():
        ratio = contrast(charts.STAGE_TEXT_COLOURS[stage], fill)
        assert ratio >= WCAG_AA, f"{stage}: {ratio:.2f}:1"


def test_the_colours_kept_for_lines_and_areas_are_not_used_for_text() -> None:
    """Vermillion and the change purple are too light for text; their dark shades are."""
    for light, dark in (
        (charts.VERMILLION, charts.WARNING_TEXT),
        (charts.PURPLE, charts.CHANGE_TEXT),
    ):
        assert contrast(light, "#FFFFFF") < WCAG_AA <= contrast(dark, "#FFFFFF")
    text = str(specs_for("team_a_team_b")["warning"])
    assert charts.WARNING_TEXT in text and charts.VERMILLION in text  # text dark, rule bright


# --- Size.
def test_no_chart_text_is_smaller_than_14_px() -> None:
    small = []
    for name, spec in all_specs():
        for key, value in walk(spec):
            sized = key.lower().endswith("fontsize") and isinstance(value, int | float)
            if sized and value < charts.MIN_FONT_SIZE:
                small.append(f"{name}: {key}={value}")
    assert charts.MIN_FONT_SIZE >= 14 and charts.FONT_SIZE >= 16
    assert not small, small
    config = specs_for("team_a_team_b")["fan"]["config"]
    assert config["axis"]["labelFontSize"] >= 16 and config["legend"]["labelFontSize"] >= 16


# --- Nothing cut.
def legends(spec: dict, *, names: dict[str, str]) -> Iterator[tuple[dict, list[str]]]:
    """Each legend in a spec and the labels it draws (``names`` renames status keys)."""
    for layer in layers(spec):
        for channel in ("color", "strokeDash"):
            enc = layer.get("encoding", {}).get(channel, {})
            if "field" in enc and enc.get("legend", {}) is not None:
                domain = enc["scale"]["domain"]
                yield enc.get("legend", {}), [names.get(v, v) for v in domain]


def evaluate(expr: str, width: float) -> object:
    """A Vega expression of the forms the builders write, evaluated at a chart width."""
    python = re.sub(r"^(.+?) \? (.+?) : (.+)$", r"(\2) if (\1) else (\3)", expr)
    scope = {"max": max, "min": min, "floor": math.floor, "width": width}
    return eval(python, {"__builtins__": {}}, scope)  # the builders' own text


def test_every_legend_label_fits_its_limit_and_every_row_fits_the_plot() -> None:
    limit = specs_for("team_a_team_b")["fan"]["config"]["legend"]["labelLimit"]
    assert evaluate(limit["expr"], charts.NARROWEST_PLOT) == charts.LEGEND_LABEL_LIMIT
    assert evaluate(limit["expr"], 1000) > charts.LEGEND_LABEL_LIMIT  # wider charts, more
    for preset in PRESETS:
        names = charts.status_legend_labels(result_for(preset))
        for chart, spec in specs_for(preset).items():
            for legend, labels in legends(spec, names=names):
                widest = max(charts.text_width(t) for t in labels)
                assert widest <= charts.LEGEND_LABEL_LIMIT, (preset, chart, labels)
                columns = legend.get("columns", {"expr": "1"})
                for width in (charts.NARROWEST_PLOT, 600, 1100):
                    n = evaluate(columns["expr"], width)
                    row = n * charts.legend_column_px(labels)
                    assert n == 1 or row <= width, (preset, chart, width, n, row)


def test_the_calendar_legend_title_goes_above_its_entries_on_a_narrow_chart() -> None:
    spec = specs_for("team_a_team_b")["renewals"]
    legend = spec["layer"][1]["encoding"]["color"]["legend"]
    assert evaluate(legend["titleOrient"]["expr"], 1000) == "left"
    assert evaluate(legend["titleOrient"]["expr"], charts.NARROWEST_PLOT) == "top"


def test_titles_and_subtitles_are_wrapped_to_the_narrowest_chart() -> None:
    """The presenter view's revenue chart is drawn at least 900 px wide (its plot):
    its subtitle takes one line of that."""
    for name, spec in all_specs():
        wide = name.endswith("/fan, presenter")
        room = 900 + charts.Y_AXIS_PX if wide else charts.NARROWEST_CHART - charts.PADDING_PX
        title = spec.get("title")
        if not isinstance(title, dict):
            continue
        for key, size in (("text", charts.TITLE_SIZE * 1.1), ("subtitle", charts.FONT_SIZE)):
            lines = title.get(key, [])
            for line in [lines] if isinstance(lines, str) else lines:
                assert charts.text_width(line, font_size=size) <= room, (name, line)


def test_wrap_breaks_at_spaces_and_keeps_every_word() -> None:
    text = "How much of the next 6 months' revenue is already in sight."
    lines = charts.wrap(text, width=200)
    assert len(lines) > 1 and " ".join(lines) == text
    assert all(charts.text_width(line) <= 200 for line in lines)
    assert charts.wrap("Short", width=200) == ["Short"]


def test_quarterly_change_labels_read_across_and_only_booms_and_busts_when_crowded() -> None:
    spec = specs_for("team_a_team_b")["quarters"]
    [text] = [layer for layer in layers(spec) if layer.get("mark", {}).get("type") == "text"]
    assert "angle" not in text["mark"]
    condition = text["encoding"]["text"]["condition"]
    assert condition["field"] == "change_label"
    assert "bandwidth('x')" in condition["test"] and "datum.status != 'steady'" in condition["test"]
    assert text["encoding"]["text"]["value"] == ""


def test_the_text_width_estimate_is_not_below_chromiums() -> None:
    """Widths Chromium measured for Source Sans at 16 px: the estimate is never narrower,
    so what fits by the estimate fits on screen."""
    measured = {
        "Bar height: annual value of the contracts ending": 318.5,
        "Team A: enterprise contracts": 189.3,
        "One-off sales": 87.0,
        "Boom (≥ +15%)": 101.1,
        "Buyer contacts: 1 (single-threaded)": 232.0,
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ": 235.5,
        "0123456789": 79.5,
    }
    for text, width in measured.items():
        assert width <= charts.text_width(text) <= 1.15 * width, text


# --- Fullscreen, renderer.
def test_every_main_chart_fits_its_height_so_a_fullscreen_view_fits_the_screen() -> None:
    for name, spec in all_specs():
        if name.endswith("/effort"):  # the sidebar's bar has no fullscreen worth the name
            assert spec["autosize"]["type"] == "fit-x"
            continue
        assert spec["autosize"] == {"type": "fit", "contains": "padding"}, name
        assert isinstance(spec["height"], int) and spec["height"] > charts.PLOT_HEIGHT, name


def test_chart_height_leaves_the_plot_its_height_after_titles_legends_and_axes() -> None:
    base = charts.chart_height(title_lines=0, x_axis=False)
    assert base == charts.PLOT_HEIGHT + charts.PADDING_PX
    taller = charts.chart_height(subtitle_lines=2, legend_rows=3, x_title=True)
    assert taller > charts.chart_height(subtitle_lines=1, legend_rows=1) > base
    shorter = charts.chart_height(200)
    assert charts.chart_height() - shorter == charts.PLOT_HEIGHT - 200


def test_every_chart_draws_as_svg() -> None:
    for name, spec in all_specs():
        assert spec["usermeta"]["embedOptions"]["renderer"] == "svg", name


# --- Key figures.
@pytest.mark.parametrize("preset", PRESETS)
def test_key_figure_labels_and_values_fit_their_column_at_1280_px(preset: str) -> None:
    result = result_for(preset)
    for figure in key_figures(result, baseline=result_for("balanced")):
        label = charts.text_width(figure.label, font_size=METRIC_LABEL_PX)
        assert label <= METRIC_LABEL_PX_ROOM * ESTIMATE_OVER, figure.label
        value = charts.text_width(figure.value, font_size=METRIC_VALUE_PX)
        assert value <= METRIC_COLUMN_PX, figure.value  # "6 months" (146) was cut


def test_long_horizons_keep_the_revenue_label_short() -> None:
    scenario = apply_overrides(load_preset("balanced"), ["simulation.months=120"])
    result = simulate(scenario, runs=50, seed=1).summary_only()
    [revenue, *_] = key_figures(result)
    assert revenue.label == "Revenue, 120 mo"
    label = charts.text_width(revenue.label, font_size=METRIC_LABEL_PX)
    assert label <= METRIC_LABEL_PX_ROOM * ESTIMATE_OVER
