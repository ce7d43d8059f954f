"""The sort-based percentiles and medians are numpy's, bit for bit (simulator/sorted_stats.py)."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.sorted_stats import (
    SortedColumns,
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
