"""The import wizard's backtest chart: the export's actual new-business bookings a month
against the band the fitted company's simulation gives for the same months. A pure
builder like ``ui/charts.py``; the numbers are the calibration's (simulator/calibrate.py).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from simulator.calibrate import Backtest

from .charts import (
    BLACK,
    SKY_BLUE,
    VERMILLION,
    _hover,
    _title,
    _title_rows,
    _x_month,
    chart_height,
    legend_rows,
    money_axis,
    themed,
)
from .format import money, month_name, month_start

BAND = "Simulated: 8 futures in 10"
MIDDLE = "Simulated: middle future"
ACTUAL = "Actual bookings"


def backtest_frame(bt: Backtest) -> pd.DataFrame:
    """One row per month: actual, simulated band and middle, as numbers and as text."""
    frame = pd.DataFrame(
        {
            "month": list(bt.months),
            "actual": bt.actual,
            "p10": bt.p10,
            "p50": bt.p50,
            "p90": bt.p90,
        }
    )
    frame["date"] = [month_start(m) for m in frame["month"]]
    frame["month_name"] = [month_name(m) for m in frame["month"]]
    frame["inside"] = (frame["actual"] >= frame["p10"]) & (frame["actual"] <= frame["p90"])
    frame["actual_text"] = [money(v) for v in frame["actual"]]
    frame["band_text"] = [f"{money(a)} – {money(b)}" for a, b in zip(bt.p10, bt.p90, strict=True)]
    frame["p50_text"] = [money(v) for v in frame["p50"]]
    return frame


def backtest_chart(bt: Backtest) -> alt.LayerChart:
    """Actual bookings (dots, vermillion when outside the band) over the simulated band."""
    frame = backtest_frame(bt)
    months = len(frame)
    x = _x_month(months=months)
    names = [BAND, MIDDLE, ACTUAL]
    legend = alt.Legend(title=None, symbolStrokeWidth=3, symbolSize=300, symbolOpacity=1)
    colour = alt.Color(
        "what:N", scale=alt.Scale(domain=names, range=[SKY_BLUE, BLACK, VERMILLION]), legend=legend
    )
    band = (
        alt.Chart(frame.assign(what=BAND))
        .mark_area(opacity=0.35)
        .encode(
            x=x,
            y=alt.Y("p10:Q", axis=money_axis("New bookings per month")),
            y2=alt.Y2("p90:Q"),
            color=colour,
        )
    )
    middle = (
        alt.Chart(frame.assign(what=MIDDLE))
        .mark_line(strokeWidth=2, strokeDash=[6, 4])
        .encode(x=x, y=alt.Y("p50:Q"), color=colour)
    )
    actual = (
        alt.Chart(frame.assign(what=ACTUAL))
        .mark_line(strokeWidth=3, point=alt.OverlayMarkDef(size=70, filled=True))
        .encode(x=x, y=alt.Y("actual:Q"), color=colour)
    )
    tooltip = [
        alt.Tooltip("month_name:N", title="Month"),
        alt.Tooltip("actual_text:N", title="Actual"),
        alt.Tooltip("p50_text:N", title="Simulated middle"),
        alt.Tooltip("band_text:N", title="8 in 10 futures"),
    ]
    heading = _title(
        "Backtest: the fit against what was booked",
        f"Actual bookings inside the band in {bt.within_band} of {months} months "
        f"({bt.runs} simulated futures from the pipeline the export shows at {bt.months[0]}).",
    )
    chart = alt.layer(band, middle, actual, _hover(frame, tooltip=tooltip)).properties(
        width="container", title=heading, description="Backtest"
    )
    height = chart_height(**_title_rows(heading), legend_rows=legend_rows(names))
    return themed(chart, height=height)
