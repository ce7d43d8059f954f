"""Plans compared: the revenue chart with every held plan's median overlaid, and the table
of key figures and verdicts per plan. Pure builders (no Streamlit), like ``ui/charts.py``;
the numbers are the results' own, formatted in each plan's currency.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from simulator import ResultSummary, verdict_text
from simulator.money import using_currency

from .charts import (
    BLACK,
    CHART_HEIGHT,
    GREY,
    PALETTE,
    _hover,
    _series,
    _title,
    _x_month,
    money_axis,
    themed,
)
from .format import money, percent

CURRENT = "Sidebar now"
"""The plan in the sidebar, as the chart and the table call it."""

Named = Sequence[tuple[str, ResultSummary]]
"""(plan name, its result), in the comparison's order."""


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
    legend = alt.Legend(title=None, symbolStrokeWidth=3, symbolSize=400)
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
