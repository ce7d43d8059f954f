"""The speed tricks of the summaries give the plain computation's numbers, bit for bit
(simulator/results.py ``_source_and_line_sums``, simulator/early_warning.py
``_renewal_loss``)."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import early_warning, results
from simulator.small_axes import sum_last_axis, sum_of_products


def _revenue(lines: int, *, seed: int) -> np.ndarray:
    """(runs, months, lines, sources) money with zeros, signed zeros and huge spreads."""
    rng = np.random.default_rng(seed)
    shape = (7, 5, lines, 5)
    values = rng.normal(size=shape) * 10.0 ** rng.integers(-3, 12, shape)
    values[rng.random(shape) < 0.2] = 0.0
    values[rng.random(shape) < 0.1] = -0.0
    return values


@pytest.mark.parametrize("lines", [1, 2, 3, 7, 8])
def test_source_and_line_sums_are_the_strided_sums(lines: int) -> None:
    revenue = _revenue(lines, seed=lines)
    by_source, by_line = results._source_and_line_sums(revenue)
    for i in range(revenue.shape[3]):
        expected = sum_last_axis(revenue[:, :, :, i])
        got = by_source(i)
        assert got.tobytes() == expected.tobytes(), f"source {i}"
        assert got.flags.writeable
    for i in range(lines):
        expected = sum_last_axis(revenue[:, :, i, :])
        assert by_line(i).tobytes() == expected.tobytes(), f"line {i}"


@pytest.mark.parametrize("lines", [1, 2, 5, 8])
def test_renewal_loss_is_the_broadcast_sum_of_products(lines: int) -> None:
    rng = np.random.default_rng(100 + lines)
    risk = rng.normal(size=(9, 4, lines)) * 10.0 ** rng.integers(-3, 9, (9, 4, lines))
    risk[rng.random(risk.shape) < 0.2] = -0.0
    due_share = rng.random((6, lines))
    due_share[0] = 0.0
    explicit = rng.random((4, 6)) * 1e5
    expected = sum_of_products(risk[:, :, None, :], due_share) + explicit[None]
    got = early_warning._renewal_loss(risk, due_share, explicit)
    assert got.shape == (6, 9, 4)
    assert got.tobytes() == np.ascontiguousarray(np.moveaxis(expected, -1, 0)).tobytes()
