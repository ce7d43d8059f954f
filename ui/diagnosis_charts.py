"""Charts for the diagnosis and the workshop: pure functions returning ``alt.Chart``.

* :func:`tornado_chart` ranks the causes of a scenario's whiplash.
* :func:`prediction_chart` shows quarterly revenue with the room's prediction on it.

Numbers come from :mod:`simulator.diagnose`, :mod:`simulator.workshop` and the
result's ``quarter_table``; this module only reshapes, labels and colours them,
with the same theme and palette as :mod:`ui.charts`.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from simulator.diagnose import Diagnosis
from simulator.results import ResultSummary
from simulator.workshop import HOLDS, PredictionCheck

from .charts import (
    BLACK,
    BLUE,
    CHART_HEIGHT,
    GREY,
    MUTED_TEXT,
    ORANGE,
    QUARTER_NAME_LABEL_EXPR,
    SKY_BLUE,
    STATUS_COLOURS,
    TITLE_SIZE,
    VERMILLION,
    money_axis,
    themed,
    wrap,
)
from .format import money, percent

TORNADO_MEASURES = (
    ("fall_cut", "Largest fall in a year removed"),
    ("tail_cut", "Fall in the worst 1 future in 10 removed"),
    ("probability_cut", "Futures freed of whiplash (points)"),
)
TORNADO_COLOURS = (BLUE, SKY_BLUE, ORANGE)
NARROW_PX = 600
"""A chart container narrower than this (a phone) stacks the tornado's legend entries."""
SHORT_PX = 1000
"""A chart container narrower than this shows the short legend names (:data:`TORNADO_SHORT`),
so no entry runs off the chart's right edge."""
TORNADO_SHORT_NAMES = {
    "fall_cut": "Largest fall removed",
    "tail_cut": "1-in-10 fall removed",
    "probability_cut": "Futures freed (points)",
}
"""Short legend names by measure: each fits a phone's legend (one column right of the
cause labels) whole."""
TORNADO_SHORT = {name: TORNADO_SHORT_NAMES[field] for field, name in TORNADO_MEASURES}
CAUSE_LINE_CHARS = 15
"""A cause name longer than this is drawn on two lines (so a phone keeps room for bars)."""
_HEAD = f"substring(datum.label, 0, {CAUSE_LINE_CHARS})"
_CUT = f"lastindexof({_HEAD}, ' ')"
CAUSE_LABEL_EXPR = (
    f"length(datum.label) > {CAUSE_LINE_CHARS} && {_CUT} > 0"
    f" ? [substring(datum.label, 0, {_CUT}), substring(datum.label, {_CUT} + 1)]"
    " : datum.label"
)
"""Vega expression: 'Onboarding and account care' as 'Onboarding and' over 'account care'."""
LEGEND_LABEL_EXPR = (
    "".join(
        f"containerSize()[0] < {SHORT_PX} && datum.label == {json.dumps(long)}"
        f" ? {json.dumps(short)} : "
        for long, short in TORNADO_SHORT.items()
    )
    + "datum.label"
)
PREDICTION_COLOUR = BLACK
MESSAGE_SIZE = 18


def _message_chart(message: str, *, title: str) -> alt.Chart:
    """Why there is nothing to draw, in lines that fit a phone, dark enough to read."""
    lines = "\n".join(wrap(message, font_size=MESSAGE_SIZE))
    chart = (
        alt.Chart(pd.DataFrame({"message": [lines]}))
        .mark_text(fontSize=MESSAGE_SIZE, color=MUTED_TEXT, lineBreak="\n")
        .encode(text="message:N")
        .properties(
            width="container",
            height=90,
            title=alt.TitleParams(text=wrap(title, font_size=TITLE_SIZE * 1.1)),
            description=title,
        )
    )
    return themed(chart)


def tornado_frame(diagnosis: Diagnosis) -> pd.DataFrame:
    """One row per (cause, measure) for the causes that apply, strongest cause first."""
    rows = []
    for rank, effect in enumerate(diagnosis.ranked):
        for field, measure in TORNADO_MEASURES:
            value = getattr(effect, field)
            rows.append(
                {
                    "rank": rank,
                    "cause": effect.label,
                    "measure": measure,
                    "value": value,
                    "value_text": f"{value * 100:+.0f}" + ("" if "points" in measure else "%"),
                    "sentence": effect.sentence,
                }
            )
    return pd.DataFrame(rows)


def tornado_chart(diagnosis: Diagnosis) -> alt.Chart | alt.LayerChart:
    """Ranked horizontal bars: how much each cause's neutralisation removes."""
    title = "What neutralising each cause removes"
    frame = tornado_frame(diagnosis)
    if frame.empty:
        return _message_chart("Every cause is already at the balanced level.", title=title)
    order = list(dict.fromkeys(frame["cause"]))
    measures = [m for _, m in TORNADO_MEASURES]
    y = alt.Y(
        "cause:N",
        sort=order,
        title=None,
        axis=alt.Axis(labelLimit=260, labelExpr=CAUSE_LABEL_EXPR),
    )
    colour = alt.Color(
        "measure:N",
        scale=alt.Scale(domain=measures, range=list(TORNADO_COLOURS)),
        legend=alt.Legend(
            title=None,
            columns=alt.ExprRef(f"containerSize()[0] < {NARROW_PX} ? 1 : {len(measures)}"),
            labelExpr=LEGEND_LABEL_EXPR,
        ),
    )
    tooltip = [
        alt.Tooltip("cause:N", title="Cause"),
        alt.Tooltip("measure:N", title="Measure"),
        alt.Tooltip("value_text:N", title="Change"),
    ]
    base = alt.Chart(frame).encode(
        y=y, yOffset=alt.YOffset("measure:N", sort=measures), tooltip=tooltip
    )
    bars = base.mark_bar(height={"band": 0.9}).encode(
        x=alt.X(
            "value:Q",
            title=["Share removed by neutralising", "the cause alone"],
            axis=alt.Axis(format="%", tickCount=5),
        ),
        color=colour,
    )
    labels = base.mark_text(align="left", dx=4, fontSize=13, color=BLACK).encode(
        x="value:Q", text="value_text:N"
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=GREY).encode(x="x:Q")
    rows = len(order)
    chart = alt.layer(bars, labels, zero).properties(
        width="container",
        height=max(90, 75 * rows),
        title=alt.TitleParams(
            text=wrap(title, font_size=TITLE_SIZE * 1.1),
            subtitle=wrap(
                "Each cause set alone to the balanced plan's level and simulated again with "
                f"the same {diagnosis.runs:,} random futures."
            ),
        ),
        description="Diagnosis tornado chart",
    )
    return themed(chart)


def prediction_frame(result: ResultSummary) -> pd.DataFrame:
    table = result.quarter_table
    frame = table[["quarter", "p10", "p50", "p90", "status"]].copy()
    frame["median_text"] = [money(v) for v in frame["p50"]]
    frame["range_text"] = [
        f"{money(a)} – {money(b)}" for a, b in zip(frame.p10, frame.p90, strict=True)
    ]
    frame["bust_text"] = [percent(v) for v in table["bust_share"]]
    return frame


def prediction_chart(
    result: ResultSummary,
    *,
    check: PredictionCheck,
    quarter: str | None = None,
    level: float | None = None,
) -> alt.LayerChart:
    """Quarterly revenue (median bars, 8-in-10 range) with the room's prediction marked.

    A quarter prediction is a labelled vertical rule at that quarter; a level
    prediction is a diamond at the predicted revenue in ``quarter``.
    """
    frame = prediction_frame(result)
    quarters = list(frame["quarter"])
    x = alt.X(
        "quarter:O",
        sort=quarters,
        title=None,
        axis=alt.Axis(labelExpr=QUARTER_NAME_LABEL_EXPR, labelAngle=0),
    )
    statuses = list(STATUS_COLOURS)
    tooltip = [
        alt.Tooltip("quarter:N", title="Quarter"),
        alt.Tooltip("median_text:N", title="Median"),
        alt.Tooltip("range_text:N", title="8 in 10 futures"),
        alt.Tooltip("bust_text:N", title="Futures falling 10%+ into it"),
    ]
    bars = (
        alt.Chart(frame)
        .mark_bar(opacity=0.85)
        .encode(
            x=x,
            y=alt.Y("p50:Q", axis=money_axis("Revenue per quarter")),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=statuses, range=[STATUS_COLOURS[s] for s in statuses]),
                legend=alt.Legend(title="Median run"),
            ),
            tooltip=tooltip,
        )
    )
    spread = (
        alt.Chart(frame)
        .mark_rule(color=BLACK, strokeWidth=1.5)
        .encode(x=x, y="p10:Q", y2="p90:Q", tooltip=tooltip)
    )
    layers: list[alt.Chart] = [bars, spread]
    said = check.prediction or "no prediction"
    if check.kind == "quarter" and check.prediction and check.prediction != HOLDS:
        mark = pd.DataFrame({"quarter": [check.prediction], "label": [f"Room: {said}"]})
        layers.append(
            alt.Chart(mark)
            .mark_rule(color=PREDICTION_COLOUR, strokeWidth=3, strokeDash=[8, 5])
            .encode(x=x)
        )
        layers.append(
            alt.Chart(mark)
            .mark_text(align="left", dx=6, dy=-6, fontSize=16, fontWeight="bold", color=VERMILLION)
            .encode(x=x, y=alt.value(12), text="label:N")
        )
    if check.kind == "level" and level is not None and quarter in quarters:
        mark = pd.DataFrame(
            {"quarter": [quarter], "value": [float(level)], "label": [f"Room: {money(level)}"]}
        )
        layers.append(
            alt.Chart(mark)
            .mark_point(shape="diamond", size=420, filled=True, color=VERMILLION, stroke=BLACK)
            .encode(x=x, y="value:Q")
        )
        layers.append(
            alt.Chart(mark)
            .mark_text(align="right", dx=-14, fontSize=16, fontWeight="bold", color=VERMILLION)
            .encode(x=x, y="value:Q", text="label:N")
        )
    subtitle = (
        f"Bars: the middle of {result.runs:,} futures; lines: 8 futures in 10. "
        f"Room's prediction: {said}."
    )
    chart = alt.layer(*layers).properties(
        width="container",
        height=CHART_HEIGHT,
        title=alt.TitleParams(text="Prediction against the simulation", subtitle=subtitle),
        description="Prediction chart",
    )
    return themed(chart)
