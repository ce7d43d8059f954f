"""Percentiles and medians over runs, column by column, from one sort (a speed trick).

``np.percentile(values, q, axis=0)`` and ``np.median(values, axis=0)`` partition every
column at each index they need; on the (runs, periods) series of a summary that costs
about 40 microseconds a column, three times numpy's vectorised sort of the same column.
The summaries read hundreds of columns per simulation (issue 13: a cold slider move), so
they sort each series once and read the order statistics off it.

The arithmetic is numpy's own, step for step, so the results are bit-for-bit those of
``np.percentile`` (the default ``linear`` method) and ``np.median``, NaN columns
included (tests/test_sorted_stats.py checks it against numpy on awkward inputs).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

__all__ = ["SortedColumns", "column_median", "column_percentiles", "finite_column_median"]


def _sorted_columns(values: np.ndarray) -> np.ndarray:
    """The columns of a (rows, columns) array sorted; NaNs sort last, as numpy's do.

    Each column is copied out to a row of its own and the rows sorted, and the result is
    that array's transpose (a view): the same sort of the same numbers, about a sixth
    faster than ``np.sort(values, axis=0)``, which gathers each column into a buffer,
    sorts it and scatters it back.
    """
    by_column = np.array(np.asarray(values, dtype=float).T, order="C")
    by_column.sort(axis=1)
    return by_column.T


@lru_cache(maxsize=64)
def _linear_positions(n: int, q: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    """numpy's ``linear`` percentile positions in ``n`` sorted rows: (previous row, next
    row, gamma, 1 - gamma, gamma >= 0.5), read-only.

    A speed trick: they depend on ``n`` and ``q`` alone, and working them out is a
    dozen small numpy calls, 0.06 ms for each of the 30-odd series of a summary; the
    same calls as ``np.percentile``'s, once per shape.
    """
    quantiles = np.true_divide(np.asarray(q, dtype=float), 100)
    virtual = (n - 1) * quantiles  # numpy's "linear" method (Hyndman & Fan 7)
    previous = np.floor(virtual)
    next_ = previous + 1
    above = virtual >= n - 1
    previous[above] = -1
    next_[above] = -1
    below = virtual < 0
    previous[below] = 0
    next_[below] = 0
    gamma = np.asanyarray(virtual - previous).reshape(-1, 1)
    positions = (previous.astype(np.intp), next_.astype(np.intp), gamma, 1 - gamma, gamma >= 0.5)
    for array in positions:
        array.flags.writeable = False
    return positions


class SortedColumns:
    """The columns of a non-empty (rows, columns) float array, sorted once for every
    percentile and median read of them (a series summarised in several places, such as
    the quarterly revenue, is sorted once)."""

    def __init__(self, values: np.ndarray) -> None:
        self.ordered = _sorted_columns(values)
        self.ordered.flags.writeable = False

    def percentiles(self, q: Sequence[float]) -> np.ndarray:
        """``np.percentile(values, q, axis=0)``: (len(q), columns)."""
        ordered = self.ordered
        previous, next_, gamma, rest, upper = _linear_positions(
            ordered.shape[0], tuple(float(v) for v in q)
        )
        low = ordered[previous]
        high = ordered[next_]
        diff = high - low
        result = np.add(low, diff * gamma)
        np.subtract(high, diff * rest, out=result, where=upper)
        result[:, np.isnan(ordered[-1])] = np.nan
        return result

    def median(self) -> np.ndarray:
        """``np.median(values, axis=0)``."""
        ordered = self.ordered
        n = ordered.shape[0]
        half = n // 2
        middle = ordered[half : half + 1] if n % 2 else ordered[half - 1 : half + 1]
        result = np.mean(middle, axis=0)  # np.median's own mean of the middle one or two
        result[np.isnan(ordered[-1])] = np.nan
        return result


def column_percentiles(values: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """``np.percentile(values, q, axis=0)`` of a non-empty (rows, columns) float array:
    (len(q), columns)."""
    return SortedColumns(values).percentiles(q)


def column_median(values: np.ndarray) -> np.ndarray:
    """``np.median(values, axis=0)`` of a non-empty (rows, columns) float array."""
    return SortedColumns(values).median()


def finite_column_median(values: np.ndarray) -> np.ndarray:
    """Per column, ``np.median`` of its finite values (NaN where it has none) of a
    (rows, columns) float array: one sort instead of one median call a column."""
    finite = np.isfinite(values)
    if not values.shape[0]:
        return np.full(values.shape[1], np.nan)
    ordered = _sorted_columns(np.where(finite, values, np.nan))  # the finite ones first
    count = finite.sum(axis=0)
    columns = np.arange(ordered.shape[1])
    upper = ordered[np.minimum(count // 2, ordered.shape[0] - 1), columns]
    lower = ordered[np.maximum(count - 1, 0) // 2, columns]
    # np.median's mean of the middle one or two (a mean of one turns -0.0 into 0.0).
    odd = np.mean(upper[None], axis=0)
    result = np.where(count % 2 == 1, odd, np.mean(np.stack([lower, upper]), axis=0))
    result[count == 0] = np.nan
    return result
