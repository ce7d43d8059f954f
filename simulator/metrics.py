"""Whiplash metrics: from quarterly revenue per run to a verdict in plain words.

All functions take arrays shaped (runs, quarters) or (runs, months) and work on
every run at once. The thresholds come from :class:`simulator.models.Thresholds`,
so a scenario can override them; docs/model.md explains each one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from .models import Thresholds

VERDICTS = ("none", "mild", "severe")
NONE, MILD, SEVERE = range(3)


def quarter_over_quarter(quarterly: np.ndarray) -> np.ndarray:
    """Relative change from each quarter to the next, (runs, quarters-1).

    A quarter after a zero quarter counts as +100% if it has revenue, else 0.
    """
    prev, cur = quarterly[:, :-1], quarterly[:, 1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(prev > 0, cur / np.where(prev > 0, prev, 1.0) - 1.0, 0.0)
    return np.where((prev <= 0) & (cur > 0), 1.0, change)


def max_drawdown(series: np.ndarray) -> np.ndarray:
    """Largest fall from a running peak, as a share of that peak (0..1), per run."""
    if series.shape[1] == 0:
        return np.zeros(series.shape[0])
    peak = np.maximum.accumulate(series, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        fall = np.where(peak > 0, 1.0 - series / np.where(peak > 0, peak, 1.0), 0.0)
    return np.clip(fall.max(axis=1), 0.0, 1.0)


def volatility(qoq: np.ndarray) -> np.ndarray:
    """Standard deviation of the quarter-over-quarter change, per run."""
    if qoq.shape[1] == 0:
        return np.zeros(qoq.shape[0])
    return qoq.std(axis=1)


def boom_bust_events(qoq: np.ndarray, thresholds: Thresholds) -> np.ndarray:
    """Count of quarters up at least ``boom_rise`` followed within
    ``boom_bust_window_quarters`` by a fall of at least ``bust_drop``, per run."""
    boom = qoq >= thresholds.boom_rise
    bust = qoq <= -thresholds.bust_drop
    n = qoq.shape[1]
    followed = np.zeros_like(boom)
    for lag in range(1, thresholds.boom_bust_window_quarters + 1):
        if lag < n:
            followed[:, :-lag] |= bust[:, lag:]
    return (boom & followed).sum(axis=1)


def classify(
    *, worst_drop: np.ndarray, drawdown: np.ndarray, events: np.ndarray, thresholds: Thresholds
) -> np.ndarray:
    """Verdict code per run: severe, mild or none (see docs/model.md)."""
    severe = (worst_drop >= thresholds.severe_drop) | (drawdown >= thresholds.severe_drawdown)
    mild = (
        (worst_drop >= thresholds.bust_drop) | (drawdown >= thresholds.mild_drawdown) | (events > 0)
    )
    return np.where(severe, SEVERE, np.where(mild, MILD, NONE))


def first_true(mask: np.ndarray) -> np.ndarray:
    """Index of the first True along axis 1, or -1 where there is none."""
    if mask.shape[1] == 0:
        return np.full(mask.shape[0], -1)
    has = mask.any(axis=1)
    return np.where(has, mask.argmax(axis=1), -1)


def warning_lead(coverage: np.ndarray, bust_month: np.ndarray, level: float) -> np.ndarray:
    """Months the coverage warning had been on, without a break, before each run's bust.

    0 when the warning was not on in the month before the bust; -1 for runs with no bust.
    """
    months = coverage.shape[1]
    idx = np.arange(months)[None, :]
    before = idx < bust_month[:, None]
    ok_before = (coverage >= level) & before
    last_ok = np.where(ok_before, idx, -1).max(axis=1)
    lead = np.maximum(bust_month - 1 - last_ok, 0)
    return np.where(bust_month >= 0, lead, -1)


@dataclass(frozen=True)
class WhiplashReport:
    """The scenario's whiplash summary, over all runs."""

    verdict: str
    probability: float
    severe_probability: float
    mild_probability: float
    max_drawdown: float
    volatility: float
    boom_bust_events: float
    worst_quarter: str | None
    worst_quarter_change: float | None
    bust_quarter: str | None
    early_warning_months: int | None
    warning_month: str | None
    net_revenue_retention: float | None = None
    gross_revenue_retention: float | None = None
    top_accounts_share: float | None = None
    lowest_gross_revenue_retention: float | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def revenue_retention(rates: np.ndarray) -> float | None:
    """The median over runs of a trailing-12-month retention rate (NRR or GRR, runs x
    months, NaN where undefined) at the last month of the horizon; None without a full
    year or a recurring book."""
    if rates.shape[1] == 0:
        return None
    last = rates[:, -1]
    last = last[np.isfinite(last)]
    return float(np.median(last)) if last.size else None


def lowest_retention(rates: np.ndarray) -> float | None:
    """The median over runs of each run's lowest trailing-12-month retention rate over
    the horizon (runs x months, NaN where undefined): the year a book lost the most."""
    defined = np.isfinite(rates)
    has = defined.any(axis=1)
    if not has.any():
        return None
    lowest = np.where(defined, rates, np.inf).min(axis=1)
    return float(np.median(lowest[has]))


def concentration(top_share: np.ndarray) -> float | None:
    """The median over runs of the highest monthly share of the recurring book held by
    its top accounts (runs x months): how concentrated the book gets."""
    if top_share.shape[1] == 0:
        return None
    return float(np.median(top_share.max(axis=1)))


@dataclass(frozen=True)
class RunMetrics:
    """Per-run metric arrays behind the report."""

    qoq: np.ndarray
    volatility: np.ndarray
    drawdown: np.ndarray
    events: np.ndarray
    worst_drop: np.ndarray
    verdict: np.ndarray
    bust_quarter: np.ndarray
    warning_month: np.ndarray
    warning_lead: np.ndarray


def assess(
    *,
    quarterly: np.ndarray,
    quarter_labels: list[str],
    quarter_first_month: list[int],
    coverage: np.ndarray,
    month_labels: list[str],
    thresholds: Thresholds,
    nrr: np.ndarray | None = None,
    grr: np.ndarray | None = None,
    top_accounts_share: np.ndarray | None = None,
) -> tuple[RunMetrics, WhiplashReport]:
    """Compute every whiplash metric per run and the scenario's report, with the book's
    revenue retention and concentration when their per-run arrays are given."""
    runs = quarterly.shape[0]
    qoq = quarter_over_quarter(quarterly)
    vol = volatility(qoq)
    dd = max_drawdown(quarterly)
    events = boom_bust_events(qoq, thresholds)
    worst_drop = np.clip(-qoq.min(axis=1), 0.0, None) if qoq.shape[1] else np.zeros(runs)
    verdict = classify(worst_drop=worst_drop, drawdown=dd, events=events, thresholds=thresholds)

    bust_q = first_true(qoq <= -thresholds.bust_drop)  # index into qoq: quarter bust_q + 1
    starts = np.array(quarter_first_month, dtype=np.int64)
    if starts.size:
        bust_month = np.where(bust_q >= 0, starts[np.clip(bust_q + 1, 0, starts.size - 1)], -1)
    else:  # no full quarter in the horizon: nothing to judge
        bust_month = np.full(runs, -1)
    warn_month = first_true(coverage < thresholds.coverage_warning)
    lead = warning_lead(coverage, bust_month, thresholds.coverage_warning)

    shares = np.bincount(verdict, minlength=3) / runs
    probability = float(shares[MILD] + shares[SEVERE])
    if shares[SEVERE] >= 0.5:
        scenario_verdict = "severe"
    elif probability >= 0.5:
        scenario_verdict = "mild"
    else:
        scenario_verdict = "none"

    worst_quarter = worst_change = None
    if qoq.shape[1]:
        median_qoq = np.median(qoq, axis=0)
        i = int(np.argmin(median_qoq))
        worst_quarter = quarter_labels[i + 1]
        worst_change = float(median_qoq[i])

    bust_label = None
    busted = bust_q >= 0
    if busted.any():
        common = Counter(bust_q[busted].tolist()).most_common(1)[0][0]
        bust_label = quarter_labels[common + 1]

    early = None
    if busted.any():
        early = int(np.median(lead[busted]))

    median_cov = np.median(coverage, axis=0)
    below = np.flatnonzero(median_cov < thresholds.coverage_warning)
    warning_label = month_labels[int(below[0])] if below.size else None

    report = WhiplashReport(
        verdict=scenario_verdict,
        probability=probability,
        severe_probability=float(shares[SEVERE]),
        mild_probability=float(shares[MILD]),
        max_drawdown=float(np.median(dd)),
        volatility=float(np.median(vol)),
        boom_bust_events=float(events.mean()),
        worst_quarter=worst_quarter,
        worst_quarter_change=worst_change,
        bust_quarter=bust_label,
        early_warning_months=early,
        warning_month=warning_label,
        net_revenue_retention=None if nrr is None else revenue_retention(nrr),
        gross_revenue_retention=None if grr is None else revenue_retention(grr),
        top_accounts_share=(
            None if top_accounts_share is None else concentration(top_accounts_share)
        ),
        lowest_gross_revenue_retention=None if grr is None else lowest_retention(grr),
    )
    metrics = RunMetrics(
        qoq=qoq,
        volatility=vol,
        drawdown=dd,
        events=events,
        worst_drop=worst_drop,
        verdict=verdict,
        bust_quarter=bust_q,
        warning_month=warn_month,
        warning_lead=lead,
    )
    return metrics, report
