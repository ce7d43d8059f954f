"""Percentiles and medians over runs, column by column, from one sort (a speed trick).

``np.percentile(values, q, axis=0)`` and ``np.median(values, axis=0)`` partition every
column at each index they need; on the (runs, periods) series of a summary that costs
about 40 microseconds a column, three times numpy's vectorised sort of the same column.
The summaries read hundreds of columns per simulation (issue 13: a cold slider move), so
they sort each series once and read the order statistics off it; a column of more than
SMALL_SORT runs is sorted in chunks and the few ranks read off sorted slices of them
(:func:`_order_statistics`), the numbers a whole sort puts there.

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


SMALL_SORT = 256
"""numpy's AVX-512 sort (x86-simd-sort) sorts up to 256 doubles with sorting networks;
a longer row it partitions with compress-stores first, which the AMD EPYC (Zen 4) the app
runs on executes slowly: a row of 1,000 costs about 12 ns a number, rows of 250 about 2."""


def _order_statistics(values: np.ndarray, ranks: Sequence[int]) -> np.ndarray:
    """``_sorted_columns(values)[ranks]`` of a (n, columns) float array: (len(ranks),
    columns).

    A speed trick, for n above SMALL_SORT that splits into at most 8 equal chunks of at
    most SMALL_SORT: each chunk of each column is sorted, and each run of nearby ranks is
    read off one sort of SMALL_SORT numbers, the same slice of every chunk; that slice
    holds the rank when each chunk's number before it is at most the one read and each
    one after it at least (the numbers below the slices are then exactly the ranks
    below it). Columns where that fails, or where a zero is read from a column holding
    both -0.0 and 0.0 (whose order a sort does not fix), are sorted whole, as before.
    """
    n, columns = values.shape
    ranks = list(ranks)
    chunks = -(-n // SMALL_SORT)
    if chunks < 2 or chunks > 8 or n % chunks or not ranks or not columns:
        return np.ascontiguousarray(_sorted_columns(values)[ranks])
    size, width = n // chunks, SMALL_SORT // chunks
    by_column = np.array(np.asarray(values, dtype=float).T, order="C")
    sorted_chunks = by_column.reshape(columns, chunks, size)
    sorted_chunks.sort(axis=2)
    out = np.empty((len(ranks), columns))
    ok = np.ones(columns, dtype=bool)
    first = 0
    while first < len(ranks):  # runs of ranks one slice can hold
        last = first
        while last + 1 < len(ranks) and ranks[last + 1] - ranks[first] < width:
            last += 1
        centre = round((ranks[first] + ranks[last]) / 2 / chunks)
        lo = min(max(centre - width // 2, 0), size - width)
        below = chunks * lo
        if ranks[first] < below or ranks[last] >= below + chunks * width:
            ok[:] = False
            break
        window = sorted_chunks[:, :, lo : lo + width].reshape(columns, chunks * width)
        window.sort(axis=1)
        read = window[:, [k - below for k in ranks[first : last + 1]]]
        # Each chunk's number before the slice at most the lowest read, each after it at
        # least the highest (a NaN compares false: its column is sorted whole).
        if lo > 0:
            ok &= (sorted_chunks[:, :, lo - 1] <= read[:, :1]).all(axis=1)
        if lo + width < size:
            ok &= (sorted_chunks[:, :, lo + width] >= read[:, -1:]).all(axis=1)
        out[first : last + 1] = read.T
        first = last + 1
    zero = np.flatnonzero((out == 0).any(axis=0) & ok)
    if zero.size:
        zeros = by_column[zero] == 0
        negative = np.signbit(by_column[zero])
        ok[zero[(zeros & negative).any(axis=1) & (zeros & ~negative).any(axis=1)]] = False
    if not ok.all():  # sorted whole from the columns as given (a sort's signed zeros
        whole = np.flatnonzero(~ok)  # follow its input's order)
        out[:, whole] = _sorted_columns(np.asarray(values, dtype=float)[:, whole])[ranks]
    return out


class SortedColumns:
    """Order statistics of the columns of a non-empty (rows, columns) float array, read as
    from a sort of each column (a series summarised in several places, such as the
    quarterly revenue, is sorted once).

    ``q``: the percentiles to be read (the median's ranks are always read); others are
    worked out when asked for.
    """

    def __init__(self, values: np.ndarray, q: Sequence[float] = (10.0, 50.0, 90.0)) -> None:
        self._values = values = np.asarray(values, dtype=float)
        self._n = values.shape[0]
        self._nan = np.isnan(values).any(axis=0)  # a sort's last is NaN
        self._ranks: list[int] = []
        self._read(self._percentile_ranks(q) | self._median_ranks())

    def _percentile_ranks(self, q: Sequence[float]) -> set[int]:
        previous, next_, *_ = _linear_positions(self._n, tuple(float(v) for v in q))
        return {int(k) % self._n for k in (*previous, *next_)}

    def _median_ranks(self) -> set[int]:
        half = self._n // 2
        return {half} if self._n % 2 else {half - 1, half}

    def _read(self, ranks: set[int]) -> None:
        """Order statistics at ``ranks`` (and those read before) as ``self.ordered``: a
        sort's rows at ``self._ranks``, laid out as a sort of the columns' (a transposed
        view), so the median's mean adds as it did."""
        if ranks <= set(self._ranks):
            return
        self._ranks = sorted(ranks | set(self._ranks))
        picked = _order_statistics(self._values, self._ranks)
        self.ordered = np.array(picked.T, order="C").T
        self._row = {k: i for i, k in enumerate(self._ranks)}

    def percentiles(self, q: Sequence[float]) -> np.ndarray:
        """``np.percentile(values, q, axis=0)``: (len(q), columns)."""
        self._read(self._percentile_ranks(q))
        n = self._n
        previous, next_, gamma, rest, upper = _linear_positions(n, tuple(float(v) for v in q))
        low = self.ordered[[self._row[int(k) % n] for k in previous]]
        high = self.ordered[[self._row[int(k) % n] for k in next_]]
        diff = high - low
        result = np.add(low, diff * gamma)
        np.subtract(high, diff * rest, out=result, where=upper)
        result[:, self._nan] = np.nan
        return result

    def median(self) -> np.ndarray:
        """``np.median(values, axis=0)``."""
        half = self._n // 2
        at = self._row[half]
        middle = self.ordered[at : at + 1] if self._n % 2 else self.ordered[at - 1 : at + 1]
        result = np.mean(middle, axis=0)  # np.median's own mean of the middle one or two
        result[self._nan] = np.nan
        return result


def column_percentiles(values: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """``np.percentile(values, q, axis=0)`` of a non-empty (rows, columns) float array:
    (len(q), columns)."""
    return SortedColumns(values, q).percentiles(q)


def column_median(values: np.ndarray) -> np.ndarray:
    """``np.median(values, axis=0)`` of a non-empty (rows, columns) float array."""
    return SortedColumns(values, ()).median()


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
