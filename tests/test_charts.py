"""The app's charts: each builder's spec validates and carries the data a user should see."""

from __future__ import annotations

import json
from functools import cache

import altair as alt
import pytest

from simulator import apply_overrides, list_presets, load_preset, simulate
from simulator.models import STAGES, Effort
from simulator.results import SOURCE_LABELS, SimulationResult
from simulator.verdict_text import warning_sentence
from ui import charts, verdict_charts
from ui.format import money, month_name, percent, percent_change

PRESETS = sorted(list_presets())


@cache
def result_for(name: str) -> SimulationResult:
    return simulate(load_preset(name), runs=200, seed=1)


def spec_of(chart: alt.TopLevelMixin) -> dict:
    """The validated Vega-Lite spec (to_dict validates against the schema)."""
    return chart.to_dict()


def records(spec: dict) -> list[dict]:
    """Every data row embedded in a spec, over all its datasets."""
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def rows_with(spec: dict, **match: object) -> list[dict]:
    return [r for r in records(spec) if all(r.get(k) == v for k, v in match.items())]


def scales_for(spec: dict, channel: str) -> list[dict]:
    """The scale of ``channel`` in every layer that encodes it."""
    layers = spec.get("layer", [spec])
    return [
        layer["encoding"][channel]["scale"]
        for layer in layers
        if "scale" in layer.get("encoding", {}).get(channel, {})
    ]


def all_builders(result: SimulationResult) -> dict[str, alt.TopLevelMixin]:
    baseline = result_for("balanced")
    return {
        "fan": charts.revenue_fan_chart(result),
        "fan+baseline": charts.revenue_fan_chart(result, baseline=baseline),
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


@pytest.mark.parametrize("preset", PRESETS)
def test_every_chart_validates_with_tooltips_and_projector_fonts(preset: str) -> None:
    for name, chart in all_builders(result_for(preset)).items():
        spec = spec_of(chart)
        text = json.dumps(spec)
        assert spec["width"] == "container", name
        assert spec["autosize"]["type"] in ("fit", "fit-x"), name  # see test_chart_legibility
        assert '"tooltip"' in text, f"{name} has no tooltip"
        assert spec["config"]["axis"]["labelFontSize"] >= 14, name
        assert records(spec), f"{name} embeds no data"


def test_money_axes_use_dollar_labels() -> None:
    spec = spec_of(charts.quarterly_bars(result_for("team_a_team_b")))
    y_axis = spec["layer"][0]["encoding"]["y"]["axis"]
    assert y_axis["labelExpr"] == charts.MONEY_LABEL_EXPR
    assert "'$'" in y_axis["labelExpr"] and "'M'" in y_axis["labelExpr"]


# --- 1. Fan chart.
def test_fan_chart_median_is_the_results_monthly_median() -> None:
    result = result_for("team_a_team_b")
    spec = spec_of(charts.revenue_fan_chart(result))
    revenue = result.monthly[result.monthly["series"] == "revenue"]
    medians = [r["value"] for r in rows_with(spec, line="Median")]
    assert medians == pytest.approx(list(revenue["p50"]))
    band = [r for r in records(spec) if "p10" in r]
    assert [r["p10"] for r in band] == pytest.approx(list(revenue["p10"]))
    assert [r["p90"] for r in band] == pytest.approx(list(revenue["p90"]))
    # The January 2013 cliff is in the data the chart draws.
    by_month = {r["month"]: r["p50"] for r in band}
    assert by_month["2013-01"] < 0.8 * by_month["2012-12"]


def test_baseline_overlay_appears_only_with_a_baseline() -> None:
    result = result_for("team_a_team_b")
    plain = spec_of(charts.revenue_fan_chart(result))
    assert not rows_with(plain, line="Baseline median")
    assert all("Baseline median" not in s["domain"] for s in scales_for(plain, "color"))

    baseline = result_for("balanced")
    spec = spec_of(charts.revenue_fan_chart(result, baseline=baseline))
    base_rows = rows_with(spec, line="Baseline median")
    expected = baseline.monthly[baseline.monthly["series"] == "revenue"]["p50"]
    assert [r["value"] for r in base_rows] == pytest.approx(list(expected))
    colour = scales_for(spec, "color")[0]
    dash = scales_for(spec, "strokeDash")[0]
    i = colour["domain"].index("Baseline median")
    assert colour["range"][i] == charts.GREY
    assert dash["range"][i] != [1, 0], "the baseline is drawn dashed"
    assert "Baseline median" in json.dumps(spec["layer"][-1]["encoding"]["tooltip"])


def test_fan_chart_target_line_only_when_a_target_is_set() -> None:
    result = result_for("balanced")
    assert not rows_with(spec_of(charts.revenue_fan_chart(result)), line="Monthly target")
    with_target = apply_overrides(result.scenario, ["targets.quarterly_revenue=3000000"])
    spec = spec_of(charts.revenue_fan_chart(simulate(with_target, runs=50, seed=1)))
    target = rows_with(spec, line="Monthly target")
    assert len(target) == len(result.month_labels)
    assert [r["value"] for r in target] == pytest.approx([1_000_000] * len(target))
    assert {r["target_text"] for r in records(spec) if "target_text" in r} == {"$1M"}


def test_fan_chart_title_can_be_set() -> None:
    spec = spec_of(charts.revenue_fan_chart(result_for("balanced"), title="Before the fix"))
    assert spec["title"]["text"] == "Before the fix"


# --- 2. Quarterly bars.
def test_quarterly_bars_mark_the_2013q1_bust_with_its_drop() -> None:
    result = result_for("team_a_team_b")
    spec = spec_of(charts.quarterly_bars(result))
    (q1,) = rows_with(spec, quarter="2013Q1")
    assert q1["status"] == "bust"
    assert q1["change_label"].startswith("-")
    assert q1["change_label"] == percent_change(result.report.worst_quarter_change)
    assert q1["p50"] < rows_with(spec, quarter="2012Q4")[0]["p50"]
    (first,) = rows_with(spec, quarter=result.quarter_labels[0])
    assert first["change_label"] == "", "no change into the first quarter"
    colour = scales_for(spec, "color")[0]
    by_status = dict(zip(colour["domain"], colour["range"], strict=True))
    assert by_status == {"boom": "#0072B2", "steady": "#8C8C8C", "bust": "#D55E00"}
    quarters = [r["quarter"] for r in records(spec) if "status" in r]
    assert quarters[: len(result.quarter_labels)] == result.quarter_labels


def test_quarterly_bars_of_the_balanced_plan_have_no_bust() -> None:
    spec = spec_of(charts.quarterly_bars(result_for("balanced")))
    assert {r["status"] for r in records(spec) if "status" in r} == {"steady"}


# --- 3. Breakdown.
def test_breakdown_by_source_adds_up_to_mean_revenue() -> None:
    result = result_for("team_a_team_b")
    spec = spec_of(charts.breakdown_chart(result, by="source"))
    layers = [r for r in records(spec) if "label" in r and "mean" in r]
    assert {r["label"] for r in layers} <= set(SOURCE_LABELS.values())
    assert "Existing book" in {r["label"] for r in layers}
    revenue = result.monthly[result.monthly["series"] == "revenue"].set_index("month")["mean"]
    for month in ("2012-06", "2013-06"):
        stacked = sum(r["mean"] for r in layers if r["month"] == month)
        assert stacked == pytest.approx(revenue[month], rel=1e-9)
    existing = {r["month"]: r["mean"] for r in layers if r["label"] == "Existing book"}
    assert existing["2013-02"] < existing["2012-12"], "the big contracts end in January 2013"


def test_breakdown_leaves_out_sources_the_scenario_never_has() -> None:
    # The splash without its swings back: the subscription line never wins a new deal.
    scenario = apply_overrides(load_preset("new_product_splash"), ["changes=[]"])
    result = simulate(scenario, runs=200, seed=1)
    monthly = result.monthly
    assert monthly.loc[monthly["series"] == "source:new", "mean"].max() == 0
    spec = spec_of(charts.breakdown_chart(result, by="source"))
    assert SOURCE_LABELS["new"] not in {r.get("label") for r in records(spec)}
    assert SOURCE_LABELS["new"] not in scales_for(spec, "color")[0]["domain"]


def test_breakdown_by_line_uses_product_line_names() -> None:
    result = result_for("team_a_team_b")
    spec = spec_of(charts.breakdown_chart(result, by="line"))
    names = {r["label"] for r in records(spec) if "label" in r and "mean" in r}
    assert names == {line.name for line in result.scenario.product_lines.values()}


def test_breakdown_rejects_an_unknown_grouping() -> None:
    with pytest.raises(ValueError, match="by must be"):
        charts.breakdown_chart(result_for("balanced"), by="region")  # type: ignore[arg-type]


# --- 4. Early warning (ui/verdict_charts.py).


def subtitle(spec: dict) -> str:
    """A chart's subtitle as one text (it is wrapped into lines to fit the chart)."""
    sub = spec["title"].get("subtitle", "")
    return " ".join([sub] if isinstance(sub, str) else sub)


def test_warning_chart_marks_the_warning_and_the_bust_the_headline_names() -> None:
    result = result_for("team_a_team_b")
    ew = result.early_warning
    assert ew.lead_months and ew.warned_from is not None
    spec = spec_of(verdict_charts.warning_chart(result))
    (rule,) = [r for r in records(spec) if "level" in r]
    assert rule["label"] == f"Warning level {percent(ew.pipeline_coverage.warning_level)}"
    labels = {r["label"]: r["date"] for r in records(spec) if "pos" in r}
    assert labels[f"Warning {month_name(ew.warned_from)}"].startswith(ew.warned_from)
    assert f"First bust {ew.bust_quarter}" in labels
    assert subtitle(spec).startswith(warning_sentence(ew))


def test_warning_chart_has_no_marker_when_there_is_nothing_to_warn_of() -> None:
    result = result_for("balanced")
    assert result.early_warning.first_warning is None
    spec = spec_of(verdict_charts.warning_chart(result))
    assert not [r for r in records(spec) if "pos" in r]
    assert subtitle(spec).startswith("No bust to warn of")


# --- 5. Renewal calendar.
def test_renewal_calendar_shows_the_january_2013_cliff() -> None:
    scenario = load_preset("team_a_team_b")
    spec = spec_of(charts.renewal_calendar(scenario))
    contracts = [r for r in records(spec) if "name" in r]
    assert len(contracts) == 2
    assert {r["ends"] for r in contracts} == {"2013-01"}
    assert {r["contact_group"] for r in contracts} == {"1 (single-threaded)"}
    (total,) = [r for r in records(spec) if "total_text" in r]
    assert total["annual_value"] == sum(c.annual_value for c in scenario.contracts)
    assert total["total_text"] == money(5_400_000) == "$5.4M"


def test_renewal_calendar_staggered_against_a_baseline() -> None:
    before = load_preset("team_a_team_b")
    after = apply_overrides(before, ["contracts.1.ends=2013-07", "contracts.1.contacts=3"])
    plain = spec_of(charts.renewal_calendar(after))
    assert not [r for r in records(plain) if "zero" in r], "no outline without a baseline"
    spec = spec_of(charts.renewal_calendar(after, baseline_scenario=before))
    totals = {
        r["ends"]: r["annual_value"] for r in records(spec) if "total_text" in r and "zero" not in r
    }
    assert totals == {"2013-01": 3_000_000, "2013-07": 2_400_000}
    outline = [r for r in records(spec) if "zero" in r]
    assert [(r["ends"], r["annual_value"]) for r in outline] == [("2013-01", 5_400_000)]
    groups = {r["name"]: r["contact_group"] for r in records(spec) if "name" in r}
    assert groups["Team A: Baltic Energy (multi-year)"] == "3 or more"


def test_renewal_calendar_colours_contracts_by_buyer_contacts() -> None:
    scenario = apply_overrides(
        load_preset("team_a_team_b"),
        ["contracts.0.contacts=2", "relationships.contacts_per_account=5"],
    )
    scenario = scenario.model_copy(
        update={
            "contracts": (
                scenario.contracts[0],
                scenario.contracts[1].model_copy(update={"contacts": None}),
            )
        }
    )
    spec = spec_of(charts.renewal_calendar(scenario))
    rows = {r["name"]: (r["contacts"], r["contact_group"]) for r in records(spec) if "name" in r}
    assert rows["Team A: Nordic Telecom (multi-year)"] == (2, "2")
    # A contract without its own count has the scenario's contacts per account.
    assert rows["Team A: Baltic Energy (multi-year)"] == (5, "3 or more")
    colour = scales_for(spec, "color")[0]
    assert colour["range"][colour["domain"].index("1 (single-threaded)")] == "#D55E00"


def test_renewal_calendar_with_no_contracts_says_so() -> None:
    empty = load_preset("team_a_team_b").model_copy(update={"contracts": ()})
    spec = spec_of(charts.renewal_calendar(empty))
    assert records(spec) == [{"message": "No contracts in the book"}]


# --- 6. Effort split.
def test_effort_split_shares_sum_to_100_percent_in_stage_order() -> None:
    effort = load_preset("team_a_team_b").effort
    spec = spec_of(charts.effort_split_bar(effort))
    rows = [r for r in records(spec) if "share" in r]
    assert [r["stage"] for r in rows] == list(STAGES)
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    assert {r["stage"]: r["share_text"] for r in rows}["close"] == "55%"
    colour = scales_for(spec, "color")[0]
    assert colour["range"] == [charts.STAGE_COLOURS[s] for s in STAGES]


def test_effort_split_follows_the_plan() -> None:
    closer = Effort(attract=0.05, close=0.80, engage=0.05, retain=0.05, leverage=0.05)
    spec = spec_of(charts.effort_split_bar(closer))
    shares = {r["stage"]: r["share"] for r in records(spec) if "share" in r}
    assert shares["close"] == pytest.approx(0.80)
    assert shares["attract"] == pytest.approx(0.05)


# --- 7. Colours and formatting.
def test_verdict_colours_differ_and_unknown_verdicts_are_refused() -> None:
    colours = {v: charts.verdict_colour(v) for v in ("none", "mild", "severe")}
    assert len(set(colours.values())) == 3
    assert colours["severe"] == charts.VERMILLION
    with pytest.raises(ValueError, match="verdict 'awful'"):
        charts.verdict_colour("awful")
    with pytest.raises(ValueError, match="status"):
        charts.status_colour("flat")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "$0"),
        (648_750, "$649k"),
        (15_000, "$15k"),
        (999_999, "$1M"),
        (1_234_567, "$1.23M"),
        (5_400_000, "$5.4M"),
        (2.5e9, "$2.5B"),
        (-41_000, "-$41k"),
        (None, "–"),
        (float("nan"), "–"),
    ],
)
def test_money(value: float | None, text: str) -> None:
    assert money(value) == text


def test_percent_formatting() -> None:
    assert percent_change(-0.4099) == "-41%"
    assert percent_change(0.12) == "+12%"
    assert percent_change(0.001) == "0%"
    assert percent_change(float("nan")) == ""
    assert percent(0.853) == "85%"
    assert month_name("2013-01") == "Jan 2013"
