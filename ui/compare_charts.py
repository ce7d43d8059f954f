"""Plans compared: the revenue chart with every held plan's median overlaid, and the table
of key figures and verdicts per plan. Pure builders (no Streamlit), like ``ui/charts.py``;
the numbers are the results' own, formatted in each plan's currency.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import altair as alt
import pandas as pd

from simulator import ResultSummary, verdict_text
from simulator.money import using_currency

from .charts import (
    BLACK,
    CHART_HEIGHT,
    GREY,
    LEGEND_LABEL_LIMIT,
    LEGEND_SYMBOL_PX,
    PALETTE,
    _hover,
    _series,
    _title,
    _x_month,
    money_axis,
    text_width,
    themed,
    wrap,
)
from .format import money, percent

CURRENT = "Sidebar now"
"""The plan in the sidebar, as the chart and the table call it."""

Named = Sequence[tuple[str, ResultSummary]]
"""(plan name, its result), in the comparison's order."""


def legend_lines(name: str, *, width: float = LEGEND_LABEL_LIMIT) -> list[str]:
    """A plan's name as legend lines that each fit ``width`` pixels: broken at spaces,
    and a word too long for a line broken inside it, so no part is cut off with "…"
    (Vega shortens a label to its limit, and a plan name may be 40 characters)."""
    lines: list[str] = []
    for line in wrap(name, width=width):
        while text_width(line) > width and len(line) > 1:
            cut = max((i for i in range(1, len(line)) if text_width(line[:i]) <= width), default=1)
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return lines


def legend_label_expr(names: Sequence[str]) -> str:
    """Vega expression drawing each name that needs it on its lines (the names are
    JSON string literals, so a quote in a name stays text)."""
    wrapped = [(n, legend_lines(n)) for n in dict.fromkeys(names)]
    return (
        "".join(
            f"datum.label == {json.dumps(n)} ? {json.dumps(lines)} : "
            for n, lines in wrapped
            if len(lines) > 1
        )
        + "datum.label"
    )


def compare_legend(names: Sequence[str]) -> alt.Legend:
    """The plans' legend: long names on two or three lines, as many columns as the
    chart's width holds (one row on a wide screen), so no name runs off the chart."""
    widest = max((text_width(line) for n in names for line in legend_lines(n)), default=0.0)
    column = round(widest + LEGEND_SYMBOL_PX)
    return alt.Legend(
        title=None,
        symbolStrokeWidth=3,
        symbolSize=400,
        labelExpr=legend_label_expr(names),
        labelLimit=0,  # no "…": the lines are already short enough (0 is no limit)
        columns=alt.ExprRef(f"max(1, min({len(names)}, floor(width / {column})))"),
    )


def compare_chart(plans: Named, *, current: ResultSummary | None = None) -> alt.LayerChart:
    """Monthly revenue: the sidebar plan's p10-p90 band and median, and each plan's
    median in its own colour, so the plans' paths can be read against one another."""
    lines = []
    for name, result in plans:
        frame = _series(result, "revenue")
        with using_currency(result.scenario.currency):
            text = [money(v) for v in frame["p50"]]
        lines.append(frame.assign(plan=name, value=frame["p50"], value_text=text))
    names = [name for name, _ in plans]
    colours = list(PALETTE[: len(names)])
    layers: list[alt.Chart] = []
    months = max([len(r.month_labels) for _, r in plans] + [3])
    if current is not None:
        band = _series(current, "revenue")
        months = max(months, len(band))
        layers.append(
            alt.Chart(band)
            .mark_area(color=GREY, opacity=0.25)
            .encode(
                x=_x_month(months=months),
                y=alt.Y("p10:Q", axis=money_axis("Median revenue per month")),
                y2=alt.Y2("p90:Q"),
            )
        )
        lines.append(
            band.assign(plan=CURRENT, value=band["p50"], value_text=[money(v) for v in band["p50"]])
        )
        names.append(CURRENT)
        colours.append(BLACK)
    frame = pd.concat(lines, ignore_index=True)
    dashes = [[1, 0]] * (len(names) - (current is not None)) + ([[6, 4]] if current else [])
    legend = compare_legend(names)
    layers.append(
        alt.Chart(frame)
        .mark_line(strokeWidth=3)
        .encode(
            x=_x_month(months=months),
            y=alt.Y("value:Q", axis=money_axis("Median revenue per month")),
            color=alt.Color("plan:N", scale=alt.Scale(domain=names, range=colours), legend=legend),
            strokeDash=alt.StrokeDash(
                "plan:N", scale=alt.Scale(domain=names, range=dashes), legend=legend
            ),
        )
    )
    hover = frame.pivot_table(
        index=["date", "month_name"], columns="plan", values="value_text", aggfunc="first"
    ).reset_index()
    hover.columns = [str(c) for c in hover.columns]
    fields = [f"p{i}" for i in range(len(names))]
    hover = hover.rename(columns=dict(zip(names, fields, strict=True)))
    tooltip = [alt.Tooltip("month_name:N", title="Month")] + [
        alt.Tooltip(f"{field}:N", title=name)
        for field, name in zip(fields, names, strict=True)
        if field in hover.columns
    ]
    layers.append(_hover(hover, tooltip=tooltip, name="compare_hover"))
    subtitle = "Lines: each plan's middle future (the median)."
    if current is not None:
        subtitle += " Band: 8 in 10 futures of the sidebar plan."
    chart = alt.layer(*layers).properties(
        width="container",
        height=CHART_HEIGHT,
        title=_title("Plans compared: revenue per month", subtitle),
        description="Plans compared",
    )
    return themed(chart)


TABLE_COLUMNS = (
    "Plan",
    "Verdict",
    "Whiplash",
    "Severe whiplash",
    "Largest fall in a year",
    "Revenue over the horizon",
    "Warning lead",
    "Reps",
    "Currency",
)
NO_BUST = "no bust to warn of"
"""The warning lead of a plan whose middle future has no bust (never a negative lead)."""


def lead_text(result: ResultSummary) -> str:
    """The early warning's lead as the key figure counts it, in words for a table cell."""
    lead = result.early_warning.lead_months
    if lead is None:
        return NO_BUST
    return f"{lead} month" if lead == 1 else f"{lead} months"


def comparison_table(plans: Named) -> pd.DataFrame:
    """One row per plan: its verdict and key figures as the app's headline and key
    figures show them (the verdict, ``result.whiplash``, and the early warning), each
    amount in the plan's own currency."""
    rows = []
    for name, result in plans:
        v = result.whiplash
        with using_currency(result.scenario.currency):
            revenue = money(result.median_revenue)
        rows.append(
            {
                "Plan": name,
                "Verdict": verdict_text.lead(v),
                "Whiplash": percent(v.probability),
                "Severe whiplash": percent(v.severe_probability),
                "Largest fall in a year": percent(v.largest_fall),
                "Revenue over the horizon": f"{revenue} in {len(result.month_labels)} months",
                "Warning lead": lead_text(result),
                "Reps": f"{result.scenario.team.reps:g}",
                "Currency": result.scenario.currency.code,
            }
        )
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
