"""The assumptions panel's chart and table: pure builders from an ``AssumptionsReport``.

* :func:`assumptions_chart`: for each judgement constant, the share of futures
  (runs) with whiplash at its low, the scenario's value and its high (a dot each, on a line from
  the least to the most), coloured by the verdict at that value.
* :func:`assumptions_table`: one row per constant, the figures the chart draws and the
  source of its range.

The numbers come from :func:`simulator.assumptions.assess_assumptions`; this module only
reshapes, labels and colours them, with the theme and palette of :mod:`ui.charts`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from simulator.assumptions import LEVELS, AssumptionsReport
from simulator.metrics import VERDICTS
from simulator.verdict import MAJORITY

from .charts import BLACK, GREY, VERDICT_COLOURS, themed
from .format import money, percent

LEVEL_NAMES = {"low": "Low end", "default": "This plan", "high": "High end"}
LEVEL_SHAPES = {"low": "triangle-down", "default": "diamond", "high": "triangle-up"}
"""Down for the low end of a range, up for the high end (x is the whiplash, not the value)."""
HALF = MAJORITY
"""The scenario's verdict is mild or severe once half the futures have whiplash
(docs/model.md, "Risk across runs"); the chart marks that line."""


def assumptions_frame(report: AssumptionsReport) -> pd.DataFrame:
    """One row per (constant, level), in the registry's order."""
    rows = []
    for rank, s in enumerate(report.sensitivities):
        for outcome, value_text in zip(s.levels, s.value_texts, strict=True):
            rows.append(
                {
                    "rank": rank,
                    "assumption": s.judgement.label,
                    "level": LEVEL_NAMES[outcome.level],
                    "value_text": value_text,
                    "verdict": outcome.verdict,
                    "probability": outcome.probability,
                    "probability_text": percent(outcome.probability),
                    "fall_text": percent(outcome.largest_fall),
                    "revenue_text": money(outcome.median_revenue),
                    "robust": "holds" if s.robust else "changes",
                }
            )
    return pd.DataFrame(rows)


def assumptions_chart(report: AssumptionsReport) -> alt.LayerChart:
    """Dot-and-range: how far each constant's plausible range moves the whiplash share."""
    frame = assumptions_frame(report)
    order = [s.judgement.label for s in report.sensitivities]
    y = alt.Y("assumption:N", sort=order, title=None, axis=alt.Axis(labelLimit=380))
    x_scale = alt.Scale(domain=[0, 1], nice=False, padding=12)  # room for a dot at 100%
    ranges = (
        alt.Chart(frame)
        .mark_rule(color=GREY, strokeWidth=3)
        .encode(
            y=y,
            x=alt.X("min(probability):Q", scale=x_scale),
            x2=alt.X2("max(probability):Q"),
        )
    )
    levels = [LEVEL_NAMES[level] for level in LEVELS]
    dots = (
        alt.Chart(frame)
        .mark_point(filled=True, size=200, opacity=1, stroke=BLACK, strokeWidth=0.8)
        .encode(
            y=y,
            # The three values of a row a little apart, so equal shares do not hide each other.
            yOffset=alt.YOffset("level:N", sort=levels, scale=alt.Scale(paddingOuter=0.6)),
            x=alt.X(
                "probability:Q",
                scale=x_scale,
                title="Futures with whiplash",
                axis=alt.Axis(format="%", tickCount=5),
            ),
            shape=alt.Shape(
                "level:N",
                sort=levels,
                scale=alt.Scale(domain=levels, range=[LEVEL_SHAPES[lv] for lv in LEVELS]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            color=alt.Color(
                "verdict:N",
                scale=alt.Scale(
                    domain=list(VERDICTS), range=[VERDICT_COLOURS[v] for v in VERDICTS]
                ),
                legend=alt.Legend(title="Verdict"),
            ),
            tooltip=[
                alt.Tooltip("assumption:N", title="Assumption"),
                alt.Tooltip("level:N", title="Level"),
                alt.Tooltip("value_text:N", title="Value"),
                alt.Tooltip("verdict:N", title="Verdict"),
                alt.Tooltip("probability_text:N", title="Futures with whiplash"),
                alt.Tooltip("fall_text:N", title="Largest fall in a year (middle future)"),
                alt.Tooltip("revenue_text:N", title="Revenue (median)"),
            ],
        )
    )
    half = (
        alt.Chart(pd.DataFrame({"x": [HALF]}))
        .mark_rule(color=GREY, strokeDash=[4, 4])
        .encode(x=alt.X("x:Q", scale=x_scale))
    )
    chart = alt.layer(half, ranges, dots).properties(
        width="container",
        height=max(120, 42 * len(order)),
        title=alt.TitleParams(
            text="How each assumption moves the whiplash",
            subtitle=(
                f"Each constant at its low and high end, the rest as they are, with the same "
                f"{report.runs:,} random futures; dashed: half the futures."
            ),
        ),
        description="Assumptions chart",
    )
    return themed(chart)


def assumptions_table(report: AssumptionsReport) -> pd.DataFrame:
    """One row per constant: its range, the verdict and figures at each end, its source."""
    rows = []
    for s in report.sensitivities:
        rows.append(
            {
                "Assumption": s.judgement.label,
                "Low / this plan / high": " / ".join(s.value_texts),
                "Verdict": " / ".join(o.verdict for o in s.levels),
                "Futures with whiplash": " / ".join(percent(o.probability) for o in s.levels),
                "Largest fall in a year": " / ".join(percent(o.largest_fall) for o in s.levels),
                "Median revenue": " / ".join(money(o.median_revenue) for o in s.levels),
                "Verdict holds": "yes" if s.robust else "no",
                "Source of the range": s.judgement.source,
            }
        )
    return pd.DataFrame(rows)
