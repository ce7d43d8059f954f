"""Sums and minima over a short last axis are numpy's, bit for bit (simulator/small_axes.py)."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.small_axes import sum_last_axis, sum_of_products


def _values(n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    values = rng.normal(size=(200, 12, 3, n)) * 10.0 ** rng.integers(-9, 9, size=(200, 12, 3, n))
    values[0] = 0.0
    values[1] = -0.0
    values[2, :, :, ::2] = -0.0
    values[3, 0, 0, 0] = np.nan
    values[4, 0, 0, -1] = np.inf
    values[5, 0, 0, 0] = -np.inf
    return values


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 9, 10, 12, 15, 16, 17, 24, 31, 128, 129])
def test_sum_matches_numpy(n: int) -> None:
    values = _values(n)
    for view in (values, values[:, :, 1, :], np.moveaxis(values, 2, 3)):
        expected = view.sum(axis=-1)
        got = sum_last_axis(view)
        np.testing.assert_array_equal(got, expected)
        assert np.array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 9])
def test_picked_sum_and_sum_of_products_match_numpy(n: int) -> None:
    values = _values(n)
    picked = [i for i in range(n) if i != 1]
    expected = values[..., picked].sum(axis=-1)
    got = sum_last_axis(values, picked)
    np.testing.assert_array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
    weights = np.random.default_rng(n).normal(size=(6, n))
    weights[0] = -0.0
    left = values[:, :, :1, :]  # (200, 12, 1, n) against (6, n): (200, 12, 6)
    with np.errstate(invalid="ignore"):
        expected = (left * weights).sum(axis=-1)
        got = sum_of_products(left, weights)
    np.testing.assert_array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))


def test_sum_of_a_view_with_rows_apart_matches_numpy() -> None:
    """The top accounts: the last ten of each row of fourteen candidates."""
    values = _values(14)
    for view in (values[..., 4:], values[..., :10], values[::2, ::-1, :, 2:12]):
        expected = view.sum(axis=-1)
        got = sum_last_axis(view)
        np.testing.assert_array_equal(got, expected)
        assert np.array_equal(np.signbit(got), np.signbit(expected))


def test_sum_over_lines_and_sources_matches_numpy() -> None:
    """The revenue per run and month: (runs, months, lines, sources) over both."""
    revenue = _values(5)  # (200, 12, 3 lines, 5 sources)
    expected = revenue.sum(axis=(2, 3))
    got = sum_last_axis(revenue.reshape(200, 12, 15))
    np.testing.assert_array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
