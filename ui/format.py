"""Plain-text formatting of money, changes and calendar months for charts and captions.

One place so a chart label, a tooltip and the verdict text say "$1.2M" and "-41%"
the same way.
"""

from __future__ import annotations

import math

import pandas as pd

from simulator.money import money_text

MISSING = "–"
"""Shown where a value does not exist (e.g. the change into the first quarter)."""


def _is_missing(value: float | None) -> bool:
    return value is None or not math.isfinite(float(value))


def money(value: float | None) -> str:
    """An amount as :func:`simulator.money.money_text` writes it in the current currency
    ('$648k', '1.23M kr.'), or :data:`MISSING`."""
    if _is_missing(value):
        return MISSING
    return money_text(float(value))


def percent_change(value: float | None) -> str:
    """A relative change as a signed whole percent: '-41%', '+12%', '0%'."""
    if _is_missing(value):
        return ""
    pct = round(float(value) * 100)
    if pct == 0:
        return "0%"
    return f"{pct:+d}%"


def percent(value: float | None) -> str:
    """A share or ratio as a whole percent: 0.853 -> '85%'."""
    if _is_missing(value):
        return MISSING
    return f"{round(float(value) * 100):d}%"


def month_start(year_month: str) -> pd.Timestamp:
    """The first day of a 'YYYY-MM' month, for a time axis."""
    return pd.Timestamp(f"{year_month}-01")


def month_name(year_month: str) -> str:
    """'2013-01' -> 'Jan 2013': how people say a month."""
    return month_start(year_month).strftime("%b %Y")


def file_size(size: int) -> str:
    """A file's size limit as people write it: '256 KiB', '1 MiB'."""
    if size % 1024**2 == 0:
        return f"{size // 1024**2:,} MiB"
    if size % 1024 == 0:
        return f"{size // 1024:,} KiB"
    return f"{size:,} bytes"
