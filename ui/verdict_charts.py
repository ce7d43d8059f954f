"""Charts for the verdict's other lenses: pure functions returning ``alt.Chart``.

* :func:`attainment_chart`: quota attainment per quarter (the bookings lens), so a plan
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

from .charts import (
    BLACK,
    BLUE,
    CHART_HEIGHT,
    GREY,
    QUARTER_NAME_LABEL_EXPR,
    SKY_BLUE,
    TITLE_SIZE,
    VERMILLION,
    chart_height,
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


def attainment_frame(result: ResultSummary) -> pd.DataFrame:
    """One row per quarter: target, attainment p10 / p50 / p90 and their texts."""
    lens = result.bookings
    frame = pd.DataFrame(
        {
            "quarter": lens.quarters,
            "target": lens.target,
            "p10": lens.attainment_p10,
            "p50": lens.attainment_p50,
            "p90": lens.attainment_p90,
        }
    )
    frame["median_text"] = [percent(v) for v in frame["p50"]]
    frame["range_text"] = [
        f"{percent(a)} – {percent(b)}" for a, b in zip(frame.p10, frame.p90, strict=True)
    ]
    frame["target_text"] = [money(v) for v in frame["target"]]
    frame["status"] = ["Short of target" if v < 1.0 else "On target" for v in frame["p50"]]
    return frame


ATTAINMENT_STATUSES = ["On target", "Short of target"]
ATTAINMENT_TITLE = "Quota attainment per quarter"
ATTAINMENT_KEY = "Bar: the middle future. Whiskers: 8 in 10 futures. Dashed: 100%."


def attainment_chart(result: ResultSummary) -> alt.LayerChart:
    """Quota attainment per quarter: the middle future's bar, whiskers holding 8
    futures in 10, and a rule at 100% of target. The subtitle is wrapped to the
    narrowest chart (half the main column beside the sidebar) and the height leaves the
    plot its full height under it."""
    frame = attainment_frame(result)
    order = list(frame["quarter"])
    x = _quarter_axis(order)
    tooltip = [
        alt.Tooltip("quarter:N", title="Quarter"),
        alt.Tooltip("median_text:N", title="Quota attainment, middle future"),
        alt.Tooltip("range_text:N", title="8 in 10 futures"),
        alt.Tooltip("target_text:N", title="Target bookings"),
    ]
    status = alt.Color(
        "status:N",
        scale=alt.Scale(domain=ATTAINMENT_STATUSES, range=[BLUE, VERMILLION]),
        legend=alt.Legend(title=None, columns=fitted_columns(ATTAINMENT_STATUSES)),
    )
    bars = (
        alt.Chart(frame)
        .mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3, opacity=0.85)
        .encode(
            x=x,
            y=alt.Y(
                "p50:Q",
                axis=alt.Axis(title="Quota attainment", format=".0%", tickCount=5),
            ),
            color=status,
            tooltip=tooltip,
        )
    )
    whiskers = (
        alt.Chart(frame)
        .mark_rule(color=BLACK, strokeWidth=2)
        .encode(x=x, y=alt.Y("p10:Q"), y2=alt.Y2("p90:Q"), tooltip=tooltip)
    )
    target = (
        alt.Chart(pd.DataFrame({"level": [1.0]}))
        .mark_rule(color=GREY, strokeWidth=2, strokeDash=[6, 4])
        .encode(y=alt.Y("level:Q"))
    )
    title = wrap(ATTAINMENT_TITLE, font_size=TITLE_SIZE * 1.1)
    subtitle = [*wrap(BASIS_SUBTITLES[result.bookings.basis]), *wrap(ATTAINMENT_KEY)]
    chart = alt.layer(bars, whiskers, target).properties(
        width="container",
        title=alt.TitleParams(title[0] if len(title) == 1 else title, subtitle=subtitle),
        description="Quota attainment",
    )
    height = chart_height(
        title_lines=len(title),
        subtitle_lines=len(subtitle),
        legend_rows=legend_rows(ATTAINMENT_STATUSES),
    )
    return themed(chart, height=height)


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
