"""The result as CSV for a spreadsheet: one row per month or quarter, every column named
with its unit ("Revenue, median (USD per month)"), amounts rounded to whole units of the
scenario's currency. The table is :mod:`simulator.period_table`'s, the one
``whiplash run --csv`` writes too; here it is only put in a DataFrame for the app.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from simulator import ResultSummary, period_table


def period_frame(result: ResultSummary, *, by: Literal["month", "quarter"]) -> pd.DataFrame:
    """One row per period, a column per series and statistic, rounded, units in names
    (whole amounts stay integers; an undefined value is empty)."""
    header, *rows = period_table.period_rows(result, by=by)
    return pd.DataFrame(rows, columns=header)


def period_csv(result: ResultSummary, *, by: Literal["month", "quarter"]) -> str:
    """The same table as CSV text (what the download buttons hand out)."""
    return period_table.period_csv(result, by=by)
