"""An actual revenue history from a CSV file, and its verdict (``whiplash assess``).

The file has a ``month`` column (``YYYY-MM``) or a ``quarter`` column (``YYYYQn``) and a
``revenue`` column; other columns are ignored. What spreadsheets write is tolerated: a
byte-order mark, Windows-1252 text, ``;`` or tab separators, thousands commas, currency
signs and spaces in amounts, rows in any order. Anything else is refused with one line
naming the line of the file and the column. Months are summed into calendar quarters; a
last quarter still under way counts at its run-rate, so a fall in the final month shows.
The judging is :mod:`simulator.verdict`, with no luck allowance (a history has no known
deal counts).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .scenario_io import MAX_FILE_BYTES, ScenarioError, _read_regular_file
from .verdict import Verdict, judge, summarise

__all__ = [
    "HistoryAssessment",
    "HistoryError",
    "RevenueHistory",
    "assess_history",
    "load_history",
    "parse_history",
]

MAX_HISTORY_ROWS = 1_200
"""A hundred years of months: more rows than that is not a revenue history."""
MAX_AMOUNT = 1e15
"""Largest revenue a period may have."""
MIN_QUARTERS = 2
"""A fall needs a quarter before it."""

_PERIOD_COLUMNS = ("month", "quarter")
_MONTH = re.compile(r"(\d{4})[-/](\d{1,2})(?:[-/]\d{1,2})?")
_QUARTER = re.compile(r"(?:(\d{4})\s*[-/ ]?\s*[Qq]([1-4])|[Qq]([1-4])\s*[-/ ]?\s*(\d{4}))")
_PLAIN = re.compile(r"\d+(?:\.\d+)?")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f']")


class HistoryError(ScenarioError):
    """A history file that cannot be read, with a one-line message naming where."""


@dataclass(frozen=True)
class RevenueHistory:
    """Revenue per period as read, and per calendar quarter as judged."""

    source: str
    period: str
    """``month`` or ``quarter``: the file's period column."""
    periods: list[str]
    """Every period, oldest first, as ``YYYY-MM`` or ``YYYYQn``."""
    revenue: list[float]
    quarters: list[str]
    """The calendar quarters judged, oldest first."""
    quarterly: list[float]
    partial_first_months: int
    """Months of an incomplete first quarter left out (0 if none)."""
    partial_last_months: int
    """Months of the last quarter when it is still under way (0 if complete): that
    quarter counts at its run-rate (its months × 3 / their number)."""


def _short(text: str, limit: int = 30) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _decode(raw: bytes, source: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise HistoryError(f"{source}: the file is not readable UTF-16 text") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise HistoryError(f"{source}: the file is not text (UTF-8 or Windows-1252)") from None


def _column_name(text: str) -> str:
    """A header cell as a name: no BOM, spaces, quotes or unit in brackets."""
    name = text.replace("\ufeff", "").strip().strip("\"'").strip().lower()
    return re.sub(r"\s*[(\[].*[)\]]\s*$", "", name)


def _header(text: str, source: str) -> tuple[str, list[str]]:
    """The delimiter and the column names of the first line."""
    first = text.split("\n", 1)[0]
    for delimiter in (",", ";", "\t"):
        names = [_column_name(c) for c in next(csv.reader([first], delimiter=delimiter), [])]
        if "revenue" in names and any(p in names for p in _PERIOD_COLUMNS):
            return delimiter, names
    found = ", ".join(_short(_column_name(c), 20) for c in first.split(",")[:6] if c.strip())
    raise HistoryError(
        f"{source}: line 1: needs a 'month' or 'quarter' column and a 'revenue' column "
        f"(found {found or 'nothing'})"
    )


def parse_amount(text: str) -> float | None:
    """An amount as a spreadsheet may write it: '$1,234.50', '1 234', '€ 98000', or
    None when it is not one. Thousands commas must group three digits; decimals use a
    point."""
    cleaned = "".join(c for c in text if unicodedata.category(c) != "Sc")
    cleaned = _SPACES.sub("", cleaned)
    negative = cleaned.startswith("-") or (cleaned.startswith("(") and cleaned.endswith(")"))
    cleaned = cleaned.strip("-()")
    if cleaned.endswith("-"):  # '1234-' as some ledgers write a negative
        return None
    if not (_PLAIN.fullmatch(cleaned) or _GROUPED.fullmatch(cleaned)):
        return None
    value = float(cleaned.replace(",", ""))
    return -value if negative else value


def _period_index(text: str, period: str) -> int | None:
    """Months since year 0 (month) or quarters since year 0 (quarter), or None."""
    value = text.strip()
    if period == "month":
        m = _MONTH.fullmatch(value)
        if not m:
            return None
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            return None
        return year * 12 + month - 1
    m = _QUARTER.fullmatch(value)
    if not m:
        return None
    year = int(m.group(1) or m.group(4))
    quarter = int(m.group(2) or m.group(3))
    return year * 4 + quarter - 1


def _label(index: int, period: str) -> str:
    if period == "month":
        return f"{index // 12:04d}-{index % 12 + 1:02d}"
    return f"{index // 4:04d}Q{index % 4 + 1}"


def _rows(
    text: str, source: str, delimiter: str, names: list[str], period: str
) -> list[tuple[int, int, float]]:
    """(period index, line, revenue) per data row, each checked."""
    at_period, at_revenue = names.index(period), names.index("revenue")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader, None)
    rows: list[tuple[int, int, float]] = []
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise HistoryError(f"{source}: line {reader.line_num}: {exc}") from None
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= MAX_HISTORY_ROWS:
            raise HistoryError(
                f"{source}: line {line}: more than {MAX_HISTORY_ROWS:,} rows; "
                "a revenue history is at most a hundred years of months"
            )
        where = f"{source}: line {line}"
        cells = [c.strip() for c in record]
        if len(cells) > len(names) and any(cells[len(names) :]):
            raise HistoryError(
                f"{where}: has {len(cells)} values but the header has {len(names)} columns "
                "(an amount with thousands commas must be in quotes)"
            )
        if len(cells) <= max(at_period, at_revenue):
            missing = period if len(cells) <= at_period else "revenue"
            raise HistoryError(f"{where}, column {missing}: the value is missing")
        index = _period_index(cells[at_period], period)
        if index is None:
            shape = "YYYY-MM, e.g. 2024-03" if period == "month" else "YYYYQn, e.g. 2024Q1"
            raise HistoryError(
                f"{where}, column {period}: {_short(cells[at_period])} is not a {period} ({shape})"
            )
        if not 1900 <= index // (12 if period == "month" else 4) <= 2199:
            raise HistoryError(
                f"{where}, column {period}: {_short(cells[at_period])} is outside 1900..2199"
            )
        cell = cells[at_revenue]
        if not cell:
            raise HistoryError(f"{where}, column revenue: the value is missing")
        amount = parse_amount(cell)
        if amount is None:
            raise HistoryError(
                f"{where}, column revenue: {_short(cell)} is not an amount "
                "(digits, a decimal point, thousands commas)"
            )
        if amount < 0:
            raise HistoryError(f"{where}, column revenue: {_short(cell)} is negative")
        if amount > MAX_AMOUNT:
            raise HistoryError(f"{where}, column revenue: {_short(cell)} is above {MAX_AMOUNT:g}")
        rows.append((index, line, amount))
    return rows


def _check_sequence(rows: list[tuple[int, int, float]], source: str, period: str) -> None:
    """No period twice, none missing (rows may come in any order)."""
    seen: dict[int, int] = {}
    for index, line, _ in rows:
        if index in seen:
            raise HistoryError(
                f"{source}: line {line}, column {period}: {_label(index, period)} appears "
                f"twice (also line {seen[index]})"
            )
        seen[index] = line
    ordered = sorted(rows)
    for (before, _, _), (index, line, _) in itertools.pairwise(ordered):
        if index != before + 1:
            raise HistoryError(
                f"{source}: line {line}, column {period}: {_label(index, period)} follows "
                f"{_label(before, period)}; {_label(before + 1, period)} is missing"
            )


def parse_history(data: bytes | str, *, source: str = "history") -> RevenueHistory:
    """Read a revenue history CSV (bytes as read from a file or an upload, or text)."""
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise HistoryError(
                f"{source}: the file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}"
            )
        data = _decode(data, source)
    if len(data) > MAX_FILE_BYTES:
        raise HistoryError(f"{source}: the text is longer than {MAX_FILE_BYTES:,} characters")
    if "\x00" in data:
        raise HistoryError(f"{source}: the file is not text (it holds NUL characters)")
    text = data.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise HistoryError(f"{source}: the file is empty")
    delimiter, names = _header(text, source)
    if all(p in names for p in _PERIOD_COLUMNS):
        raise HistoryError(f"{source}: line 1: has both a month and a quarter column; keep one")
    period = "month" if "month" in names else "quarter"
    rows = _rows(text, source, delimiter, names, period)
    _check_sequence(rows, source, period)
    rows.sort()
    indices = [index for index, _, _ in rows]
    revenue = [amount for _, _, amount in rows]
    if period == "quarter":
        quarters, quarterly, first_left, last_months = indices, revenue, 0, 0
    else:
        quarters, quarterly, first_left, last_months = _calendar_quarters(indices, revenue)
    if len(quarters) < MIN_QUARTERS:
        found = f"{len(rows)} {period}{'s' if len(rows) != 1 else ''}"
        raise HistoryError(
            f"{source}: needs at least {MIN_QUARTERS} quarters of revenue to judge (found {found})"
        )
    return RevenueHistory(
        source=source,
        period=period,
        periods=[_label(i, period) for i in indices],
        revenue=revenue,
        quarters=[_label(q, "quarter") for q in quarters],
        quarterly=quarterly,
        partial_first_months=first_left,
        partial_last_months=last_months,
    )


def _calendar_quarters(
    months: list[int], revenue: list[float]
) -> tuple[list[int], list[float], int, int]:
    """Consecutive months summed by calendar quarter: (quarter indices, sums, months of
    a partial first quarter left out, months of a partial last quarter at run-rate)."""
    first_left = (3 - months[0] % 3) % 3
    months, revenue = months[first_left:], revenue[first_left:]
    quarters: list[int] = []
    sums: list[float] = []
    for start in range(0, len(months), 3):
        block = revenue[start : start + 3]
        quarters.append(months[start] // 3)
        sums.append(sum(block) * 3.0 / len(block))
    last = len(months) % 3
    return quarters, sums, first_left, last


def load_history(path: str | Path) -> RevenueHistory:
    """Read a revenue history CSV file (regular files only, at most MAX_FILE_BYTES)."""
    path = Path(path)
    try:
        raw, size = _read_regular_file(path)
    except ScenarioError as exc:
        raise HistoryError(str(exc)) from None
    except FileNotFoundError:
        raise HistoryError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise HistoryError(f"{path}: is a folder, not a CSV file") from None
    except OSError as exc:
        raise HistoryError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except ValueError:  # e.g. a NUL character in the path
        raise HistoryError(f"{path!r}: is not a usable file name") from None
    if size > MAX_FILE_BYTES:
        raise HistoryError(f"{path}: the file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
    return parse_history(raw, source=str(path))


@dataclass(frozen=True)
class HistoryAssessment:
    """The verdict of one actual history, with where its largest fall happened."""

    history: RevenueHistory
    verdict: Verdict
    fall_from: str | None
    """The quarter the largest fall runs from (None when it is below the mild fall)."""
    fall_to: str | None
    boom_bust_quarters: list[str]
    """The peak quarter of each boom-bust."""

    def as_dict(self) -> dict[str, Any]:
        v, h = self.verdict, self.history
        return {
            "source": h.source,
            "period": h.period,
            "first_quarter": h.quarters[0],
            "last_quarter": h.quarters[-1],
            "quarters": len(h.quarters),
            "partial_first_months": h.partial_first_months,
            "partial_last_months": h.partial_last_months,
            "verdict": v.verdict,
            "largest_fall": v.largest_fall,
            "fall_from": self.fall_from,
            "fall_to": self.fall_to,
            "boom_bust_events": len(self.boom_bust_quarters),
            "boom_bust_quarters": list(self.boom_bust_quarters),
            "trend": v.trend,
            "trend_rate": v.trend_rate,
            "seasonal": v.seasonal,
            "season": dict(v.season),
            "quarterly": [
                {"quarter": q, "revenue": r} for q, r in zip(h.quarters, h.quarterly, strict=True)
            ],
        }


def assess_history(history: RevenueHistory) -> HistoryAssessment:
    """Judge a history: the same answers as a plan's, for its one series."""
    first = int(history.quarters[0][-1]) - 1
    judgement = judge(np.array(history.quarterly), first_position=first)
    start, end = int(judgement.fall_start[0]), int(judgement.fall_end[0])
    peaks = np.flatnonzero(judgement.events_at[0])
    return HistoryAssessment(
        history=history,
        verdict=summarise(judgement),
        fall_from=history.quarters[start] if start >= 0 else None,
        fall_to=history.quarters[end] if end >= 0 else None,
        boom_bust_quarters=[history.quarters[int(i)] for i in peaks],
    )
