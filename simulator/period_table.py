"""A result as a spreadsheet table: one row per month or quarter, every column named with
its unit ("Revenue, median (USD per month)"), amounts rounded to whole units of the
scenario's currency, head counts to a tenth of a rep and shares to three decimals.

The app's CSV downloads (``ui/exports.py``) and ``whiplash run --csv`` write this same
table, so a file from either opens the same way in a spreadsheet. Only the result's
summaries reshaped and rounded: no model arithmetic, and no pandas import (the
summaries are read through their own methods).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from .models import Scenario
from .results import SOURCE_LABELS

STATS = (("p50", "median"), ("p10", "p10"), ("p90", "p90"), ("mean", "mean"))
"""The summary columns, in the order they are written: median first, then the band."""


@dataclass(frozen=True)
class Unit:
    """How a series is named, in what unit, to how many decimals, with which statistics."""

    name: str
    unit: str
    digits: int
    stats: Sequence[tuple[str, str]] = STATS


OTHER_SERIES = {
    "coverage": Unit("Forward pipeline coverage", "ratio to the target", 3),
    "care_index": Unit("Account care index", "share of full care", 3),
    "headcount": Unit("Sales reps", "reps", 1),
    "productive_reps": Unit("Productive reps (after ramp-up)", "reps", 1),
    # The share of futures in which management pushes: one number a month, not a band.
    "pushing": Unit("Quarter-end push on", "share of futures", 3, (("mean", ""),)),
    "onboarding": Unit("Onboarding coverage", "share of new clients onboarded in full", 3),
    "top_accounts_share": Unit("Top 10 accounts", "share of the recurring book", 3),
}
"""Every series that is not money, by its key in the result's tables."""


class Summaries(Protocol):
    """What the table reads of a result (a ResultSummary or a SimulationResult)."""

    scenario: Scenario

    @property
    def monthly(self) -> Any: ...

    @property
    def quarterly(self) -> Any: ...


def series_unit(scenario: Scenario, series: str, *, by: str) -> Unit:
    """The name, unit and rounding of one series of the result's tables."""
    money = f"{scenario.currency.code} per {by}"
    if series == "revenue":
        return Unit("Revenue", money, 0)
    if series == "bookings":
        return Unit("New bookings", money, 0)
    kind, _, key = series.partition(":")
    if kind == "source":
        return Unit(f"Revenue from {SOURCE_LABELS.get(key, key).lower()}", money, 0)
    if kind == "line":
        line = scenario.product_lines.get(key)
        return Unit(f"Revenue from {line.name if line is not None else key}", money, 0)
    if series in OTHER_SERIES:
        return OTHER_SERIES[series]
    raise KeyError(f"{series}: a result series without a unit (add it to OTHER_SERIES)")


def _rounded(value: float, digits: int) -> int | float | None:
    if not math.isfinite(value):
        return None  # an empty cell: e.g. coverage with nothing to cover
    return round(value) if digits == 0 else round(value, digits)


def period_rows(result: Summaries, *, by: Literal["month", "quarter"]) -> list[list[Any]]:
    """The table as rows, the header first: a period column, then per series and
    statistic one column, in the order the result's tables hold the series."""
    table = result.monthly if by == "month" else result.quarterly
    periods = list(dict.fromkeys(table[by].tolist()))
    header: list[Any] = ["Month" if by == "month" else "Quarter"]
    columns: list[list[Any]] = []
    for series in dict.fromkeys(table["series"].tolist()):
        unit = series_unit(result.scenario, series, by=by)
        rows = table[table["series"] == series]
        by_period = {period: i for i, period in enumerate(rows[by].tolist())}
        for column, label in unit.stats:
            values = rows[column].tolist()
            named = f"{unit.name}, {label}" if label else unit.name
            header.append(f"{named} ({unit.unit})")
            columns.append(
                [
                    _rounded(float(values[by_period[p]]), unit.digits) if p in by_period else None
                    for p in periods
                ]
            )
    body = [[period, *(column[i] for column in columns)] for i, period in enumerate(periods)]
    return [header, *body]


def period_csv(result: Summaries, *, by: Literal["month", "quarter"]) -> str:
    """:func:`period_rows` as CSV text (an empty cell where a value is undefined)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(period_rows(result, by=by))
    return out.getvalue()
