"""The verdict's falls, boom-busts and first landings judged quarters first are the
runs-first numpy they replaced, bit for bit (simulator/verdict.py, ``judge``)."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import verdict as V


def _falls(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    runs, n = a.shape
    fall_at = np.zeros((runs, n))
    end_at = np.full((runs, n), -1)
    origin = np.broadcast_to(np.arange(n), (runs, n)).copy()
    if n < 2:
        return fall_at, origin, end_at
    level = a.copy()
    level[:, 1:] = np.minimum(a[:, 1:], a[:, :-1])
    origin[:, 1:] -= a[:, :-1] < a[:, 1:]
    held = a.copy()
    held[:, :-1] = np.maximum(a[:, :-1], a[:, 1:])
    ends = np.arange(n)
    turns = np.zeros((runs, n), dtype=bool)
    turns[:, :-1] = a[:, 1:] < level[:, :-1]
    for lag in range(1, min(V.WINDOW_QUARTERS, n - 1) + 1):
        fall = np.where(turns[:, :-lag], level[:, :-lag] - held[:, lag:], 0.0)
        better = fall > fall_at[:, :-lag]
        fall_at[:, :-lag] = np.where(better, fall, fall_at[:, :-lag])
        end_at[:, :-lag] = np.where(better, ends[lag:], end_at[:, :-lag])
    return fall_at, origin, end_at


def _boom_busts(a: np.ndarray, rise: float, fall: float) -> tuple[np.ndarray, np.ndarray]:
    runs, n = a.shape
    up = np.zeros((runs, n))
    down = np.zeros((runs, n))
    for lag in range(1, min(V.BOOM_BUST_QUARTERS, n - 1) + 1):
        up[:, lag:] = np.maximum(up[:, lag:], a[:, lag:] - a[:, :-lag])
        down[:, :-lag] = np.maximum(down[:, :-lag], a[:, :-lag] - a[:, lag:])
    peak = np.zeros((runs, n), dtype=bool)
    if n >= 3:
        peak[:, 1:-1] = (a[:, 1:-1] > a[:, :-2]) & (a[:, 1:-1] >= a[:, 2:])
    events = peak & (up >= rise) & (down >= fall)
    return events, np.where(events, np.minimum(up, down), 0.0)


def _first_landing(a: np.ndarray, *, fall_bar: float, rise_bar: float, drop_bar: float):
    runs, n = a.shape
    first = np.full(runs, n)
    if n < 2:
        return np.full(runs, -1)
    level = a.copy()
    level[:, 1:] = np.minimum(a[:, 1:], a[:, :-1])
    held = a.copy()
    held[:, :-1] = np.maximum(a[:, :-1], a[:, 1:])
    turns = np.zeros((runs, n), dtype=bool)
    turns[:, :-1] = a[:, 1:] < level[:, :-1]
    events, _ = _boom_busts(a, rise_bar, drop_bar)
    ends = np.arange(n)
    for lag in range(1, min(V.WINDOW_QUARTERS, n - 1) + 1):
        reached = turns[:, :-lag] & (level[:, :-lag] - held[:, lag:] >= fall_bar)
        if lag <= V.BOOM_BUST_QUARTERS:
            reached |= events[:, :-lag] & (a[:, :-lag] - a[:, lag:] >= drop_bar)
        first = np.minimum(first, np.where(reached, ends[lag:], n).min(axis=1))
    return np.where(first < n, first, -1)


def _same(got: np.ndarray, expected: np.ndarray) -> None:
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(expected).tobytes()


def _series(seed: int, runs: int, quarters: int) -> np.ndarray:
    """Log revenue with trends, seasons, cliffs, flat stretches and ties."""
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(0.0, 0.08, size=(runs, quarters)), axis=1)
    x += 0.1 * np.sin(np.arange(quarters) * np.pi / 2)[None, :] * rng.random((runs, 1))
    x[rng.random((runs, quarters)) < 0.1] -= 0.5
    x[: runs // 4] = np.round(x[: runs // 4], 1)  # ties
    x[0] = 0.0
    return x


@pytest.mark.parametrize("quarters", [0, 1, 2, 3, 5, 8, 9, 12, 13, 20, 31, 32, 40])
def test_quarters_first_falls_and_boom_busts_are_the_runs_first_ones(quarters: int) -> None:
    a = _series(quarters, 300, quarters)
    by_quarter = np.ascontiguousarray(a.T)
    for got, expected in zip(V._falls(by_quarter), _falls(a), strict=True):
        _same(got.T, expected)
    for bar in (0.05, 0.2):
        for got, expected in zip(
            V._boom_busts(by_quarter, bar, bar), _boom_busts(a, bar, bar), strict=True
        ):
            _same(got.T, expected)
        bars = {"fall_bar": bar, "rise_bar": bar / 2, "drop_bar": bar / 2}
        _same(V._first_landing(by_quarter, **bars), _first_landing(a, **bars))
