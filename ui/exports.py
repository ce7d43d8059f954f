"""The result as CSV for a spreadsheet: one row per month or quarter, every column named
with its unit ("Revenue, median (USD per month)"), amounts rounded to whole units of the
scenario's currency and ratios to three decimals. Pure pandas: no model arithmetic,
only the summaries reshaped.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from simulator import ResultSummary
from simulator.results import SOURCE_LABELS

STATS = (("p50", "median"), ("p10", "p10"), ("p90", "p90"), ("mean", "mean"))
"""The summary columns, in the order they are written: median first, then the band."""
RATIOS = {
    "coverage": ("Forward pipeline coverage", "ratio to the target"),
    "care_index": ("Account care index", "share of full care"),
}


def _series_name(result: ResultSummary, series: str) -> str:
    if series == "revenue":
        return "Revenue"
    if series == "bookings":
        return "New bookings"
    kind, _, key = series.partition(":")
    if kind == "source":
        return f"Revenue from {SOURCE_LABELS.get(key, key).lower()}"
    if kind == "line":
        line = result.scenario.product_lines.get(key)
        return f"Revenue from {line.name if line is not None else key}"
    return RATIOS.get(series, (series, ""))[0]


def period_frame(result: ResultSummary, *, by: Literal["month", "quarter"]) -> pd.DataFrame:
    """One row per period, a column per series and statistic, rounded, units in names."""
    table = result.monthly if by == "month" else result.quarterly
    code = result.scenario.currency.code
    period = "Month" if by == "month" else "Quarter"
    out = pd.DataFrame({period: pd.unique(table[by])})
    for series in pd.unique(table["series"]):
        rows = table[table["series"] == series].set_index(by).reindex(out[period])
        name = _series_name(result, series)
        if series in RATIOS:
            unit, digits = RATIOS[series][1], 3
        else:
            unit, digits = f"{code} per {by}", 0
        for column, label in STATS:
            values = rows[column].to_numpy(dtype=float).round(digits)
            out[f"{name}, {label} ({unit})"] = values.astype("int64") if digits == 0 else values
    return out


def period_csv(result: ResultSummary, *, by: Literal["month", "quarter"]) -> str:
    """:func:`period_frame` as CSV text."""
    return period_frame(result, by=by).to_csv(index=False)
