"""Sums over a short last axis (product lines, sources, months ahead): a
speed trick.

numpy reduces a short trailing axis (2 to 7 elements) element by element with a
loop set up per output value: summing the two product lines of a (runs, months, 6, 2)
array costs 5 ms, adding its two slices 0.2 ms. Under eight elements numpy's sum is
the plain left-to-right sum (its pairwise summation starts at eight), so adding the
slices in order to 0.0 gives the same bits. From eight to 128 elements of a contiguous
float64 last axis (the revenue's lines x sources, the top accounts), numpy adds eight
interleaved partial sums, combines them pairwise and adds the rest in order; doing that
slice by slice gives its bits too (a third of the time for ten). Otherwise this hands
over to numpy. tests/test_small_axes.py checks them against numpy, signed zeros and NaN
included.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["sum_last_axis", "sum_of_products", "sum_of_slices"]

PAIRWISE_FROM = 8
"""numpy sums blocks of at least this many elements pairwise (not left to right)."""
_UNROLLED_TO = 128
"""numpy sums up to this many contiguous elements in eight partial sums (PW_BLOCKSIZE)."""


def sum_last_axis(values: np.ndarray, picked: Sequence[int] | None = None) -> np.ndarray:
    """``values.sum(axis=-1)``, bit for bit, for a float array; with ``picked``,
    ``values[..., picked].sum(axis=-1)`` without copying the picked slices out."""
    if picked is None:
        if values.shape[-1] >= PAIRWISE_FROM and _unrolled_by_numpy(values):
            return _sum_unrolled(values)
        if values.shape[-1] == 0 or values.shape[-1] >= PAIRWISE_FROM:
            return values.sum(axis=-1)
        picked = range(values.shape[-1])
    elif len(picked) == 0 or len(picked) >= PAIRWISE_FROM:
        return values[..., list(picked)].sum(axis=-1)
    total = values[..., picked[0]] + 0.0  # numpy's sum starts from +0.0: -0.0 sums to 0.0
    for i in picked[1:]:
        total += values[..., i]
    return total


def _unrolled_by_numpy(values: np.ndarray) -> bool:
    """Whether numpy's sum over the last axis adds each row's elements in its eight
    partial sums: float64, at most _UNROLLED_TO elements, the last axis contiguous and
    the innermost (numpy's loop runs along the smallest stride)."""
    shape, strides = values.shape[:-1], values.strides[:-1]
    others = [abs(st) for st, n in zip(strides, shape, strict=True) if n > 1]
    return (
        values.dtype == np.float64
        and values.shape[-1] <= _UNROLLED_TO
        and values.strides[-1] == values.itemsize
        and all(st > values.itemsize for st in others)
    )


def _sum_unrolled(values: np.ndarray) -> np.ndarray:
    """numpy's sum of 8 to 128 contiguous elements, slice by slice (``sum_of_slices``)."""
    return sum_of_slices([values[..., j] for j in range(values.shape[-1])])


def sum_of_slices(slices: Sequence[np.ndarray]) -> np.ndarray:
    """numpy's sum over a contiguous float64 last axis whose elements are the given
    arrays, bit for bit, for 1 to 128 of them: under eight in order, else partial sum j
    adds elements j, j + 8, ... of the whole eights, the eight are added pairwise, the
    rest of the row in order; all to +0.0 (a sum of -0.0 is 0.0)."""
    n = len(slices)
    if n < PAIRWISE_FROM:
        total = slices[0] + 0.0
        for later in slices[1:]:
            total += later
        return total
    whole = n - n % 8
    part = list(slices[:8])
    for first in range(8, whole, 8):
        part = [np.add(p, slices[first + j]) for j, p in enumerate(part)]
    total = np.add(part[0], part[1])
    total += np.add(part[2], part[3])
    half = np.add(part[4], part[5])
    half += np.add(part[6], part[7])
    total += half
    for i in range(whole, n):
        total += slices[i]
    total += 0.0
    return total


def sum_of_products(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``(left * right).sum(axis=-1)`` of two broadcasting float arrays, bit for bit,
    without the array of products (each product and the order of the sum are numpy's)."""
    n = np.broadcast_shapes(left.shape, right.shape)[-1]
    if n == 0 or n >= PAIRWISE_FROM:
        return (left * right).sum(axis=-1)

    def product(i: int) -> np.ndarray:
        return left[..., min(i, left.shape[-1] - 1)] * right[..., min(i, right.shape[-1] - 1)]

    total = product(0) + 0.0
    for i in range(1, n):
        total += product(i)
    return total
