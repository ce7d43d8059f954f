"""Charts for the verdict's other lenses: pure functions returning Vega-Lite specs.

* :func:`attainment_chart`: quota attainment per quarter (the bookings lens; a dict
  written directly, as the main page's other charts, see ``ui/vega.py``), so a plan
  that empties its pipeline shows when bookings fall, not a year later in revenue.
* :func:`warning_chart`: the early warning in sales terms (pipeline coverage, renewals
  at risk, revenue in sight) on the middle future, with the month the warning that
  counts came on and the first bust it warned of (a dict too).
* :func:`history_chart`: an actual revenue history (``Your history`` page) with its
  largest fall and its boom-bust peaks marked.

The numbers come from :class:`simulator.plan_verdict.BookingsLens`,
:class:`simulator.early_warning.EarlyWarning` and
:class:`simulator.history_csv.HistoryAssessment`; this module only reshapes, labels and
colours them, with the theme and palette of :mod:`ui.charts`.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from simulator.history_csv import HistoryAssessment
from simulator.results import ResultSummary
from simulator.verdict_text import warning_sentence

from . import vega
from .charts import (
    BLACK,
    BLUE,
    CHART_HEIGHT,
    FONT_SIZE,
    GREY,
    NARROWEST_CHART,
    ORANGE,
    PADDING_PX,
    PURPLE,
    QUARTER_LABEL_EXPR,
    QUARTER_NAME_LABEL_EXPR,
    SKY_BLUE,
    TITLE_SIZE,
    VERMILLION,
    WARNING_TEXT,
    _month_text,
    chart_height,
    finish,
    fitted_columns,
    legend_rows,
    money_axis,
    themed,
    wrap,
)
from .format import money, percent

BASIS_SUBTITLES = {
    "quota": "Bookings against the new-business quota.",
    "steady state": "No quota set: bookings against what the plan books at the start.",
    "quota and steady state": "Bookings against the quota where it is set, else against "
    "what the plan books at the start.",
}


def _quarter_axis(order: list[str]) -> alt.X:
    return alt.X(
        "quarter:N",
        sort=order,
        title=None,
        axis=alt.Axis(labelAngle=0, labelExpr=QUARTER_NAME_LABEL_EXPR, labelOverlap="parity"),
    )


ATTAINMENT_STATUSES = ["On target", "Short of target"]
ATTAINMENT_TITLE = "Quota attainment per quarter"
ATTAINMENT_KEY = "Bar: the middle future. Whiskers: 8 in 10 futures. Dashed: 100%."


def attainment_chart(result: ResultSummary) -> vega.Spec:
    """Quota attainment per quarter: the middle future's bar, whiskers holding 8
    futures in 10, and a rule at 100% of target (a Vega-Lite dict, see ``ui/vega.py``).
    The subtitle is wrapped to the narrowest chart (half the main column beside the
    sidebar) and the height leaves the plot its full height under it."""
    lens = result.bookings
    p10, p50, p90 = (
        [vega.finite(v) for v in values]
        for values in (lens.attainment_p10, lens.attainment_p50, lens.attainment_p90)
    )
    targets = [vega.finite(v) for v in lens.target]
    frame = {
        "quarter": list(lens.quarters),
        "target": targets,
        "p10": p10,
        "p50": p50,
        "p90": p90,
        "median_text": [percent(v) for v in p50],
        "range_text": [f"{percent(a)} – {percent(b)}" for a, b in zip(p10, p90, strict=True)],
        "target_text": [money(v) for v in targets],
        "status": ["Short of target" if v is not None and v < 1.0 else "On target" for v in p50],
    }
    order = frame["quarter"]
    x = vega.field(
        "quarter",
        "nominal",
        axis={"labelAngle": 0, "labelExpr": QUARTER_NAME_LABEL_EXPR, "labelOverlap": "parity"},
        sort=order,
        title=None,
    )
    tip = vega.tooltip(
        [
            ("quarter", "Quarter"),
            ("median_text", "Quota attainment, middle future"),
            ("range_text", "8 in 10 futures"),
            ("target_text", "Target bookings"),
        ]
    )
    status = vega.field(
        "status",
        "nominal",
        legend={"columns": fitted_columns(ATTAINMENT_STATUSES), "title": None},
        scale={"domain": ATTAINMENT_STATUSES, "range": [BLUE, VERMILLION]},
    )
    layers = [
        {
            "data": vega.named("attainment-quarters"),
            "mark": {
                "type": "bar",
                "cornerRadiusTopLeft": 3,
                "cornerRadiusTopRight": 3,
                "opacity": 0.85,
            },
            "encoding": {
                "color": status,
                "tooltip": tip,
                "x": x,
                "y": vega.field(
                    "p50",
                    "quantitative",
                    axis={"format": ".0%", "tickCount": 5, "title": "Quota attainment"},
                ),
            },
        },
        {
            "data": vega.named("attainment-quarters"),
            "mark": {"type": "rule", "color": BLACK, "strokeWidth": 2},
            "encoding": {
                "tooltip": tip,
                "x": x,
                "y": vega.field("p10", "quantitative"),
                "y2": {"field": "p90"},
            },
        },
        {
            "data": vega.named("attainment-target"),
            "mark": {"type": "rule", "color": GREY, "strokeDash": [6, 4], "strokeWidth": 2},
            "encoding": {"y": vega.field("level", "quantitative")},
        },
    ]
    title = wrap(ATTAINMENT_TITLE, font_size=TITLE_SIZE * 1.1)
    subtitle = [*wrap(BASIS_SUBTITLES[result.bookings.basis]), *wrap(ATTAINMENT_KEY)]
    spec = vega.layer_chart(
        layers,
        datasets={
            "attainment-quarters": vega.records(frame),
            "attainment-target": [{"level": 1.0}],
        },
        width="container",
        title={"text": title[0] if len(title) == 1 else title, "subtitle": subtitle},
        description="Quota attainment",
    )
    height = chart_height(
        title_lines=len(title),
        subtitle_lines=len(subtitle),
        legend_rows=legend_rows(ATTAINMENT_STATUSES),
    )
    return finish(spec, height=height)


WARNING_SERIES = {
    "pipeline_coverage": "Pipeline coverage",
    "revenue_in_sight": "Revenue in sight",
    "renewal_exposure": "Safe at renewal",
}
"""The early warning's three signals as the chart names them: each as a share of what
is healthy (pipeline coverage of its healthy level, revenue in sight of today's run
rate, today's revenue not at risk at renewal), so one dashed level (90%) is the warning
level of all three."""
WARNING_COLOURS = (BLUE, ORANGE, PURPLE)
WARNING_SUBTITLE_PX = 0.85 * (NARROWEST_CHART - PADDING_PX)
"""Width the early warning's subtitle is wrapped to (see :func:`warning_chart`)."""
WARNING_TOP = 1.5
"""The chart's top (150%): far above the warning level, so healthy months stay in view
(pipeline coverage without a quota is unbounded)."""


def _warning_columns(result: ResultSummary) -> dict[str, list[Any]]:
    """One row per month and signal, as columns: the middle future's value as a share of
    healthy (renewals at risk as the revenue not at risk), and the signal in its own
    words. Plain lists, so the chart's rows are written without a pandas frame."""
    ew = result.early_warning
    dates = [vega.month_iso(m) for m in ew.months]
    names = [_month_text(m) for m in ew.months]
    out: dict[str, list[Any]] = {
        "date": [],
        "month_name": [],
        "signal": [],
        "value": [],
        "value_text": [],
        "warns": [],
    }
    for name, label in WARNING_SERIES.items():
        signal = getattr(ew, name)
        raw = np.array(signal.p50, dtype=float)
        if name == "pipeline_coverage":
            shown = raw
            words = [
                f"{percent(v)} of its healthy level" if np.isfinite(v) else "no quota to cover"
                for v in raw
            ]
        elif name == "revenue_in_sight":
            shown, words = raw, [f"{percent(v)} of today's run rate" for v in raw]
        else:
            shown, words = 1.0 - raw, [f"{percent(v)} of today's revenue at risk" for v in raw]
        # Unbounded (no quota) or far above healthy: drawn at the chart's top.
        value = np.where(np.isfinite(shown), np.minimum(shown, WARNING_TOP), WARNING_TOP)
        out["date"] += dates
        out["month_name"] += names
        out["signal"] += [label] * len(dates)
        out["value"] += value.tolist()
        out["value_text"] += words
        out["warns"] += np.asarray(signal.warns(), dtype=bool).tolist()
    return out


def warning_frame(result: ResultSummary) -> pd.DataFrame:
    """The chart's signal rows as a frame (one row per month and signal; ``date`` as the
    chart's ISO text), for readers who filter them."""
    return pd.DataFrame(_warning_columns(result))


def warning_markers(result: ResultSummary) -> list[dict[str, Any]]:
    """The months the chart marks, as rows: the warning that counts (the spell still on
    before the first bust, else the first month any signal warns) and the first bust."""
    ew = result.early_warning
    rows = []
    warned = ew.warned_from or ew.first_warning
    if warned is not None:
        rows.append(
            {"date": vega.month_iso(warned), "label": f"Warning {_month_text(warned)}", "pos": 4}
        )
    if ew.bust_quarter is not None:
        first_month = f"{ew.bust_quarter[:4]}-{(int(ew.bust_quarter[-1]) - 1) * 3 + 1:02d}"
        rows.append(  # one line lower: a warning a few months before must stay legible
            {
                "date": vega.month_iso(first_month),
                "label": f"First bust {ew.bust_quarter}",
                "pos": 26,
            }
        )
    return rows


WARNING_KEY = (
    "The middle future, each signal against healthy: pipeline coverage against its "
    "healthy level, revenue in sight against today's run rate, and today's revenue "
    "not at risk at renewal. Below the dashed level a signal warns."
)


def warning_chart(result: ResultSummary) -> vega.Spec:
    """The early warning on the middle future: the three signals against their healthy
    level, the warning level, the month the warning came on and the bust it warned of;
    the subtitle is the headline's warning sentence (``warning_sentence``). A Vega-Lite
    dict (see ``ui/vega.py``)."""
    ew = result.early_warning
    step = 3 if len(ew.months) <= 48 else 6 if len(ew.months) <= 96 else 12
    x = vega.field(  # :func:`ui.charts.month_axis`, on Vega's own (nice) time scale
        "date",
        "temporal",
        axis={
            "grid": False,
            "labelAngle": 0,
            "labelExpr": QUARTER_LABEL_EXPR,
            "labelFlush": True,
            "labelOverlap": "parity",
            "tickCount": {"interval": "month", "step": step},
            "title": None,
        },
        title=None,
    )
    y_scale = {"clamp": True, "domain": [0, WARNING_TOP], "nice": False}
    names = list(WARNING_SERIES.values())
    level = ew.pipeline_coverage.warning_level
    layers: list[dict[str, Any]] = [
        {
            "data": vega.named("warning-signals"),
            "mark": {"type": "line", "strokeWidth": 3},
            "encoding": {
                "color": vega.field(
                    "signal",
                    "nominal",
                    legend={"columns": fitted_columns(names), "orient": "bottom", "title": None},
                    scale={"domain": names, "range": list(WARNING_COLOURS)},
                    sort=names,
                ),
                "tooltip": vega.tooltip(
                    [("month_name", "Month"), ("signal", "Signal"), ("value_text", "Middle future")]
                ),
                "x": x,
                "y": vega.field(
                    "value",
                    "quantitative",
                    axis={"format": ".0%", "tickCount": 4, "title": "Share of healthy"},
                    scale=y_scale,
                ),
            },
        },
        {
            "data": vega.named("warning-level"),
            "mark": {"type": "rule", "color": VERMILLION, "strokeDash": [6, 4], "strokeWidth": 2},
            "encoding": {"y": vega.field("level", "quantitative", scale=y_scale)},
        },
        {
            "data": vega.named("warning-level"),
            "mark": {
                "type": "text",
                "align": "right",
                "baseline": "top",
                "color": WARNING_TEXT,
                "dx": -4,
                "dy": 5,
                "fontSize": FONT_SIZE,
            },
            "encoding": {
                "text": vega.field("label", "nominal"),
                "x": {"value": {"expr": "width"}},
                "y": vega.field("level", "quantitative", scale=y_scale),
            },
        },
    ]
    datasets = {
        "warning-signals": vega.records(_warning_columns(result)),
        "warning-level": [{"label": f"Warning level {percent(level)}", "level": level}],
    }
    markers = warning_markers(result)
    if markers:
        datasets["warning-markers"] = markers
        layers += [
            {
                "data": vega.named("warning-markers"),
                "mark": {"type": "rule", "color": VERMILLION, "strokeWidth": 2},
                "encoding": {"x": vega.field("date", "temporal")},
            },
            {
                "data": vega.named("warning-markers"),
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "top",
                    "color": WARNING_TEXT,
                    "dx": 5,
                    "fontSize": FONT_SIZE,
                    "fontWeight": "bold",
                },
                "encoding": {
                    "text": vega.field("label", "nominal"),
                    "x": vega.field("date", "temporal"),
                    "y": vega.field("pos", "quantitative", scale=None),
                },
            },
        ]
    # Wrapped with some slack: dates and figures ("2013Q1: ... 2012-01") draw wider
    # than the width estimate, and a phone's chart is barely the narrowest one.
    subtitle = [
        line
        for text in (warning_sentence(ew), WARNING_KEY)
        for line in wrap(text, width=WARNING_SUBTITLE_PX)
    ]
    spec = vega.layer_chart(
        layers,
        datasets=datasets,
        width="container",
        title={"text": "Early warning", "subtitle": subtitle},
        description="Early warning",
    )
    height = chart_height(subtitle_lines=len(subtitle), legend_rows=legend_rows(names))
    return finish(spec, height=height)


HISTORY_STATUS = {"fall": VERMILLION, "peak": BLUE, "steady": SKY_BLUE}
HISTORY_NAMES = {
    "fall": "Largest fall within a year",
    "peak": "Boom-bust peak",
    "steady": "Other quarters",
}


def history_frame(assessment: HistoryAssessment) -> pd.DataFrame:
    """One row per quarter of the history: revenue, and whether it is in the largest
    fall (from its start to its end quarter), a boom-bust peak, or neither."""
    h = assessment.history
    quarters = list(h.quarters)
    in_fall: set[str] = set()
    if assessment.fall_from and assessment.fall_to:
        start, end = quarters.index(assessment.fall_from), quarters.index(assessment.fall_to)
        in_fall = set(quarters[start : end + 1])
    peaks = set(assessment.boom_bust_quarters)
    status = ["fall" if q in in_fall else "peak" if q in peaks else "steady" for q in quarters]
    return pd.DataFrame(
        {
            "quarter": quarters,
            "revenue": list(h.quarterly),
            "revenue_text": [money(v) for v in h.quarterly],
            "status": status,
            "status_name": [HISTORY_NAMES[s] for s in status],
        }
    )


def history_chart(assessment: HistoryAssessment) -> alt.Chart:
    """The history's quarterly revenue, its largest fall and boom-bust peaks coloured."""
    frame = history_frame(assessment)
    order = list(frame["quarter"])
    shown = [s for s in HISTORY_STATUS if s in set(frame["status"])]
    colour = alt.Color(
        "status_name:N",
        scale=alt.Scale(
            domain=[HISTORY_NAMES[s] for s in shown], range=[HISTORY_STATUS[s] for s in shown]
        ),
        # With no fall or peak to mark, a legend of "Other quarters" alone asks "other
        # than what?": none, and the subtitle says nothing is marked.
        legend=None if shown == ["steady"] else alt.Legend(title=None),
    )
    tooltip = [
        alt.Tooltip("quarter:N", title="Quarter"),
        alt.Tooltip("revenue_text:N", title="Revenue"),
        alt.Tooltip("status_name:N", title="Marked as"),
    ]
    bars = (
        alt.Chart(frame)
        .mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3)
        .encode(
            x=_quarter_axis(order),
            y=alt.Y("revenue:Q", axis=money_axis("Revenue per quarter")),
            color=colour,
            tooltip=tooltip,
        )
    )
    subtitle = "Months are summed into calendar quarters."
    if shown == ["steady"]:
        subtitle += " No quarter is in a fall or a boom-bust peak."
    if assessment.history.partial_last_months:
        subtitle += " The last quarter is still under way and counts at its run-rate."
    chart = bars.properties(
        width="container",
        height=CHART_HEIGHT,
        title=alt.TitleParams("Your revenue per quarter", subtitle=subtitle),
        description="Revenue history",
    )
    return themed(chart)
