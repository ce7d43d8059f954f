"""Charts of a plan that changes over time: the fan, quarterly and breakdown charts mark
each change month with a labelled rule, and the team chart draws headcount against
productive reps from the monthly table (here a small hand-made one)."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache

import altair as alt
import pandas as pd
import pytest

from simulator import load_preset, simulate
from simulator.levers import lever
from simulator.models import Change
from simulator.results import ResultSummary
from ui import charts


def with_changes(*months: str):
    scenario = load_preset("team_a_team_b")
    changes = tuple(Change.model_validate({"from": m, "reps": 12.0}) for m in months)
    return lever("changes").write(scenario, changes)


@cache
def result_of(months: tuple[str, ...]) -> ResultSummary:
    return simulate(with_changes(*months), runs=100, seed=1).summary_only()


def marker_rows(chart: alt.TopLevelMixin) -> list[dict]:
    """The change markers' data rows in a validated spec (to_dict validates)."""
    spec = chart.to_dict()
    rows = [row for rows in spec.get("datasets", {}).values() for row in rows]
    return [row for row in rows if str(row.get("label", "")).startswith("From ")]


def marker_layers(chart: alt.TopLevelMixin) -> list[dict]:
    spec = chart.to_dict()
    return [
        layer
        for layer in spec["layer"]
        if any(
            t.get("title") == "Plan change" for t in layer.get("encoding", {}).get("tooltip", [])
        )
    ]


BUILDERS = {
    "fan": charts.revenue_fan_chart,
    "quarters": charts.quarterly_bars,
    "by source": lambda r: charts.breakdown_chart(r, by="source"),
    "by line": lambda r: charts.breakdown_chart(r, by="line"),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_each_time_chart_marks_the_change_months(name: str) -> None:
    chart = BUILDERS[name](result_of(("2012-07", "2013-02")))
    rows = marker_rows(chart)
    assert {row["label"] for row in rows} == {"From Jul 2012", "From Feb 2013"}
    assert all(
        row["words"].startswith("From 2012-07: 12 reps") for row in rows if "Jul" in row["label"]
    )
    kinds = {layer["mark"]["type"] for layer in marker_layers(chart)}
    assert kinds == {"rule", "text"}  # a rule and its label


@pytest.mark.parametrize("name", BUILDERS)
def test_a_plan_without_changes_has_no_markers(name: str) -> None:
    chart = BUILDERS[name](result_of(()))
    assert marker_rows(chart) == [] and marker_layers(chart) == []


def test_quarterly_bars_mark_the_quarter_a_change_falls_in() -> None:
    chart = charts.quarterly_bars(result_of(("2012-08", "2012-09", "2013-01")))
    layers = marker_layers(chart)
    assert all(layer["encoding"]["x"]["field"] == "quarter" for layer in layers)
    assert all(layer["encoding"]["x"]["bandPosition"] == 0 for layer in layers)  # at its left
    rows = marker_rows(chart)
    assert sorted({row["quarter"] for row in rows}) == ["2012Q3", "2013Q1"]  # once a quarter


def test_many_change_months_are_rules_without_labels() -> None:
    months = tuple(f"2012-{m:02d}" for m in range(2, 2 + charts.MAX_CHANGE_LABELS + 1))
    chart = charts.revenue_fan_chart(result_of(months))
    assert len(marker_rows(chart)) == len(months)
    assert [layer["mark"]["type"] for layer in marker_layers(chart)] == ["rule"]


# --- The team chart, from a hand-made monthly table.


def team_table(months: list[str]) -> pd.DataFrame:
    """Headcount 10 growing to 12, the new reps ramping: the layout of every series."""
    rows = []
    for i, month in enumerate(months):
        head = 10.0 if i < 2 else 12.0
        ramped = 10.0 + min(max(i - 1, 0), 4) * 0.5
        for series, mid in (("headcount", head), ("productive_reps", ramped)):
            rows.append(
                {
                    "month": month,
                    "series": series,
                    "mean": mid,
                    "p10": mid - 1,
                    "p50": mid,
                    "p90": mid + 1,
                }
            )
    return pd.DataFrame(rows)


def test_the_team_chart_draws_headcount_and_productive_reps() -> None:
    result = result_of(("2012-03",))
    months = result.month_labels[:6]
    handmade = replace(result, monthly=team_table(months))
    assert charts.has_capacity(handmade)
    chart = charts.capacity_chart(handmade)
    spec = chart.to_dict()
    assert spec["description"] == "Team capacity"
    rows = [row for rows in spec["datasets"].values() for row in rows]
    lines = {row["line"] for row in rows if "line" in row}
    assert lines == {"Headcount", "Productive reps"}
    head = [r for r in rows if r.get("line") == "Headcount"]
    assert [r["p50"] for r in head] == [10, 10, 12, 12, 12, 12]
    assert {(r["p10"], r["p90"]) for r in head if r["month"] == months[0]} == {(9, 11)}
    hover = [r for r in rows if "median_text1" in r]
    assert hover[3]["median_text0"] == "12.0" and hover[3]["median_text1"] == "11.0"
    assert hover[3]["range_text1"] == "10.0 – 12.0"
    assert {row["label"] for row in marker_rows(chart)} == {"From Mar 2012"}
    assert '"tooltip"' in json.dumps(spec)


def test_without_the_team_series_there_is_no_team_chart() -> None:
    result = result_of(())
    table = team_table(result.month_labels[:3])
    only_headcount = table[table["series"] == "headcount"]
    assert not charts.has_capacity(replace(result, monthly=only_headcount))
    assert charts.has_capacity(replace(result, monthly=table))
