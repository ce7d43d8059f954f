"""Charts for the verdict's other lenses: pure functions returning Vega-Lite specs.

* :func:`attainment_chart`: quota attainment per quarter (the bookings lens; a dict
  written directly, as the main page's other charts, see ``ui/vega.py``), so a plan
  that empties its pipeline shows when bookings fall, not a year later in revenue.
* :func:`history_chart`: an actual revenue history (``Your history`` page) with its
  largest fall and its boom-bust peaks marked.

The numbers come from :class:`simulator.plan_verdict.BookingsLens` and
:class:`simulator.history_csv.HistoryAssessment`; this module only reshapes, labels and
colours them, with the theme and palette of :mod:`ui.charts`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from simulator.history_csv import HistoryAssessment
from simulator.results import ResultSummary

from . import vega
from .charts import (
    BLACK,
    BLUE,
    CHART_HEIGHT,
    GREY,
    QUARTER_NAME_LABEL_EXPR,
    SKY_BLUE,
    VERMILLION,
    finish,
    money_axis,
    themed,
)
from .format import money, percent

BASIS_SUBTITLES = {
    "quota": "Bookings against the new-business quota (targets.quarterly_bookings).",
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


def attainment_chart(result: ResultSummary) -> vega.Spec:
    """Quota attainment per quarter: the middle future's bar, whiskers holding 8
    futures in 10, and a rule at 100% of target (a Vega-Lite dict, see ``ui/vega.py``)."""
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
        legend={"title": None},
        scale={"domain": ["On target", "Short of target"], "range": [BLUE, VERMILLION]},
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
    spec = vega.layer_chart(
        layers,
        datasets={
            "attainment-quarters": vega.records(frame),
            "attainment-target": [{"level": 1.0}],
        },
        width="container",
        height=CHART_HEIGHT,
        title={
            "text": "Quota attainment per quarter",
            "subtitle": [
                BASIS_SUBTITLES[result.bookings.basis],
                "Bar: the middle future. Whiskers: 8 in 10 futures. Dashed: 100%.",
            ],
        },
        description="Quota attainment",
    )
    return finish(spec)


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
        legend=alt.Legend(title=None),
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
    if assessment.history.partial_last_months:
        subtitle += " The last quarter is still under way and counts at its run-rate."
    chart = bars.properties(
        width="container",
        height=CHART_HEIGHT,
        title=alt.TitleParams("Your revenue per quarter", subtitle=subtitle),
        description="Revenue history",
    )
    return themed(chart)
