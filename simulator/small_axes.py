"""Sums over a short last axis (product lines, sources, months ahead): a
speed trick.

numpy reduces a short trailing axis (2 to 7 elements) element by element with a
loop set up per output value: summing the two product lines of a (runs, months, 6, 2)
array costs 5 ms, adding its two slices 0.2 ms. Under eight elements numpy's sum is
the plain left-to-right sum (its pairwise summation starts at eight), so adding the
slices in order to 0.0 gives the same bits; from eight on, this hands over to numpy.
tests/test_small_axes.py checks them against numpy, signed zeros and NaN included.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["sum_last_axis", "sum_of_products"]

PAIRWISE_FROM = 8
"""numpy sums blocks of at least this many elements pairwise (not left to right)."""


def sum_last_axis(values: np.ndarray, picked: Sequence[int] | None = None) -> np.ndarray:
    """``values.sum(axis=-1)``, bit for bit, for a float array; with ``picked``,
    ``values[..., picked].sum(axis=-1)`` without copying the picked slices out."""
    if picked is None:
        if values.shape[-1] == 0 or values.shape[-1] >= PAIRWISE_FROM:
            return values.sum(axis=-1)
        picked = range(values.shape[-1])
    elif len(picked) == 0 or len(picked) >= PAIRWISE_FROM:
        return values[..., list(picked)].sum(axis=-1)
    total = values[..., picked[0]] + 0.0  # numpy's sum starts from +0.0: -0.0 sums to 0.0
    for i in picked[1:]:
        total += values[..., i]
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
