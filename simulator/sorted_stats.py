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

import numpy as np

__all__ = ["column_median", "column_percentiles", "finite_column_median"]


def _sorted_columns(values: np.ndarray) -> np.ndarray:
    """The columns of a (rows, columns) array sorted; NaNs sort last, as numpy's do."""
    return np.sort(np.asarray(values, dtype=float), axis=0)


def column_percentiles(values: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """``np.percentile(values, q, axis=0)`` of a non-empty (rows, columns) float array:
    (len(q), columns)."""
    ordered = _sorted_columns(values)
    n = ordered.shape[0]
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
    low = ordered[previous.astype(np.intp)]
    high = ordered[next_.astype(np.intp)]
    diff = high - low
    result = np.add(low, diff * gamma)
    np.subtract(high, diff * (1 - gamma), out=result, where=gamma >= 0.5)
    result[:, np.isnan(ordered[-1])] = np.nan
    return result


def column_median(values: np.ndarray) -> np.ndarray:
    """``np.median(values, axis=0)`` of a non-empty (rows, columns) float array."""
    ordered = _sorted_columns(values)
    n = ordered.shape[0]
    half = n // 2
    middle = ordered[half : half + 1] if n % 2 else ordered[half - 1 : half + 1]
    result = np.mean(middle, axis=0)  # np.median's own mean of the middle one or two
    result[np.isnan(ordered[-1])] = np.nan
    return result


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
