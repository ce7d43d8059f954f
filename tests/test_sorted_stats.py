"""The sort-based percentiles and medians are numpy's, bit for bit (simulator/sorted_stats.py)."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.sorted_stats import (
    SortedColumns,
    _order_statistics,
    column_median,
    column_percentiles,
    finite_column_median,
)


def _cases() -> list[np.ndarray]:
    rng = np.random.default_rng(13)
    cases = [
        rng.normal(size=(n, 7)) * 10.0 ** rng.integers(-3, 9) for n in (1, 2, 3, 10, 999, 1000)
    ]
    ties = rng.integers(0, 3, size=(1000, 5)).astype(float)
    special = rng.normal(size=(50, 6))
    special[3, 1] = np.nan
    special[:, 2] = np.inf
    special[7, 3] = -np.inf
    special[:, 4] = 0.0
    special[::2, 5] = -0.0
    return [*cases, ties, special, rng.lognormal(size=(1000, 36)), np.zeros((4, 0))]


@pytest.mark.parametrize("values", _cases())
def test_percentiles_match_numpy(values: np.ndarray) -> None:
    for q in ((10, 50, 90), (0, 100), (25.0, 75.0), (90,)):
        with np.errstate(invalid="ignore"):
            expected = np.percentile(values, q, axis=0)
            got = column_percentiles(values, q)
        np.testing.assert_array_equal(got, expected)
        assert np.array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.parametrize("values", _cases())
def test_median_matches_numpy(values: np.ndarray) -> None:
    with np.errstate(invalid="ignore"):
        expected = np.median(values, axis=0)
        got = column_median(values)
    np.testing.assert_array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.parametrize("values", _cases())
def test_one_sort_reads_numpys_percentiles_and_median(values: np.ndarray) -> None:
    ordered = SortedColumns(values)
    with np.errstate(invalid="ignore"):
        for got, expected in (
            (ordered.percentiles((10, 50, 90)), np.percentile(values, (10, 50, 90), axis=0)),
            (ordered.median(), np.median(values, axis=0)),
            (ordered.percentiles((90,)), np.percentile(values, (90,), axis=0)),
        ):
            np.testing.assert_array_equal(got, expected)
            assert np.array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.parametrize("values", _cases()[:-1])
def test_finite_median_matches_numpy_on_each_column(values: np.ndarray) -> None:
    rng = np.random.default_rng(values.shape[0])
    values = values.copy()
    values[rng.random(values.shape) < 0.3] = np.nan
    values[rng.random(values.shape) < 0.05] = np.inf
    finite = np.isfinite(values)
    expected = [
        np.median(values[finite[:, t], t]) if finite[:, t].any() else np.nan
        for t in range(values.shape[1])
    ]
    got = finite_column_median(values)
    np.testing.assert_array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))


def _sorted_whole(values: np.ndarray) -> np.ndarray:
    """Every column sorted whole: what the order statistics were read from before the
    chunked sort (simulator.sorted_stats._order_statistics)."""
    by_column = np.array(np.asarray(values, dtype=float).T, order="C")
    by_column.sort(axis=1)
    return by_column.T


def _long_cases() -> list[np.ndarray]:
    """Columns of more than SMALL_SORT runs, in chunks and not, with ties, signed zeros,
    NaN, infinities, sorted and constant columns."""
    rng = np.random.default_rng(17)
    cases = []
    for n in (257, 500, 750, 1000, 1001, 2000, 2048, 3000):
        values = rng.lognormal(size=(n, 9)) * 10.0 ** rng.integers(-3, 6)
        values[:, 1] = np.round(values[:, 1])  # ties
        values[:, 2] = np.sort(values[:, 2])  # in order: the slices miss, sorted whole
        values[:, 3] = 0.0
        values[::3, 3] = -0.0  # signed zeros read: sorted whole
        values[: n // 2, 4] = -0.0  # one sign of zero only
        values[5, 5] = np.nan
        values[:7, 6] = np.inf
        values[-3:, 6] = -np.inf
        values[:, 7] = 4.0
        values[:, 8] = rng.normal(size=n)
        values[rng.random(n) < 0.2, 8] = 0.0
        values[rng.random(n) < 0.1, 8] = -0.0
        cases.append(values)
    return cases


@pytest.mark.parametrize("values", _long_cases())
def test_chunked_order_statistics_are_the_whole_sorts(values: np.ndarray) -> None:
    ordered = _sorted_whole(values)
    n = ordered.shape[0]
    ranks = [0, 1, n // 10 - 1, n // 10, n // 2 - 1, n // 2, n // 2 + 1, n - 2, n - 1]
    got = _order_statistics(values, ranks)
    assert got.tobytes() == np.ascontiguousarray(ordered[ranks]).tobytes()


@pytest.mark.parametrize("values", _long_cases())
def test_long_percentiles_and_medians_are_those_of_the_whole_sorts(values: np.ndarray) -> None:
    ordered = _sorted_whole(values)
    n = ordered.shape[0]
    nan = np.isnan(ordered[-1])
    with np.errstate(invalid="ignore"):
        for q in ((10, 50, 90), (0, 100), (25.0, 75.0), (90,)):
            expected = np.percentile(values, q, axis=0)  # numpy's arithmetic on ...
            virtual = (n - 1) * np.asarray(q, dtype=float) / 100  # ... the whole sorts
            low, high = (
                ordered[np.floor(virtual).astype(int)],
                ordered[np.ceil(virtual).astype(int)],
            )
            plain = ~np.isnan(expected) & (np.signbit(low) == np.signbit(high))
            got = column_percentiles(values, q)
            assert np.array_equal(np.isnan(got), np.isnan(expected) | nan)
            np.testing.assert_array_equal(got[plain], expected[plain])
        half = n // 2
        middle = ordered[half : half + 1] if n % 2 else ordered[half - 1 : half + 1]
        expected = np.mean(middle, axis=0)
        expected[nan] = np.nan
        got = column_median(values)
        assert got.tobytes() == expected.tobytes()
