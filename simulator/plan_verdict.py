"""The verdict of a simulated plan: its revenue judged with its deal luck, and its
bookings judged against quota (the bookings lens).

Reads a :class:`~simulator.results.SimulationResult` and the scenario; the judging
itself is :mod:`simulator.verdict`. docs/model.md ("Verdict: whiplash, trend, season
and luck" and "The bookings lens") defines both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .engine import orphan_probability
from .models import Effort, Relationships, Scenario
from .sorted_stats import column_percentiles
from .verdict import (
    DealNoise,
    Judgement,
    Verdict,
    deal_noise,
    judge_plan,
    summarise,
    verdict_of,
)

if TYPE_CHECKING:  # results.py reads the verdict from here
    from .results import SimulationResult

__all__ = [
    "BookingsLens",
    "RevenueJudgement",
    "bookings_lens",
    "first_position",
    "revenue_first_whiplash",
    "revenue_judgement",
    "revenue_noise",
    "revenue_verdict",
    "steady_bookings",
    "steady_wins",
]


def first_position(quarter_labels: list[str]) -> int:
    """Quarter of the year (0 = Q1) of the first label, e.g. ``"2012Q3"`` -> 2."""
    return int(quarter_labels[0][-1]) - 1 if quarter_labels else 0


def _quarters(monthly: np.ndarray, firsts: list[int]) -> np.ndarray:
    """(runs, quarters) sums of the full calendar quarters of a (runs, months) series."""
    if not firsts:
        return np.zeros((monthly.shape[0], 0))
    idx = np.array(firsts)
    return monthly[:, idx] + monthly[:, idx + 1] + monthly[:, idx + 2]


def _line_arrays(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lines = list(scenario.product_lines.values())
    return (
        np.array([line.deal_size for line in lines], dtype=float),
        np.array([line.deal_size_cv for line in lines], dtype=float),
        np.array([line.recurring for line in lines], dtype=bool),
    )


def steady_wins(scenario: Scenario) -> np.ndarray:
    """New deals won a quarter per line in the steady state the plan starts from.

    With a warm start that is the past's (docs/model.md, "Warm start": prior arrivals
    with the referral loop, decided up to the closing capacity of the past's effort,
    ``[history]`` or the default habits); starting cold it is the opening plan's own.
    """
    _, opening = scenario.plan_periods()[0]
    if scenario.pipeline.warm_start:  # the past: [history], else the default habits
        past = scenario.history.effort if scenario.history is not None else None
        attract = past.attract if past is not None else scenario.pipeline.prior_attract
        close = (past or Effort()).close
        shares, reps = scenario.prior_focus_shares, scenario.team.reps
    else:
        attract, close = opening.effort.attract, opening.effort.close
        shares, reps = opening.focus_shares, opening.reps
    typical = Relationships()
    engagement = scenario.engagement
    wins = []
    for line_id, line in scenario.product_lines.items():  # at most 8 lines
        if line.recurring:
            years = line.term_months / 12.0
            orphan = float(
                orphan_probability(typical.contacts_per_account, typical.champion_turnover, years)
            )
            kept = line.renewal_rate * ((1.0 - orphan) + orphan * engagement.orphan_renewal_factor)
            life = line.term_months / max(1.0 - kept, 0.05)
        else:
            life = 12.0
        loop = engagement.referral_rate_annual / 12.0 * line.win_rate * life
        arrivals = reps * attract * shares[line_id] * line.leads_per_rep_month
        capacity = reps * close * shares[line_id] / line.close_effort_per_deal
        decided = min(arrivals / max(1.0 - loop, 0.5), capacity)
        wins.append(3.0 * decided * line.win_rate)
    return np.array(wins)


def steady_bookings(scenario: Scenario) -> float:
    """New-business bookings a quarter in the steady state the plan starts from."""
    size, _, _ = _line_arrays(scenario)
    return float(np.sum(steady_wins(scenario) * size))


def revenue_noise(result: SimulationResult) -> DealNoise:
    """The plan's revenue luck from how many deals close: the steady deal flow it
    starts from, against its average quarter (new business only: renewals and the
    contracts in the book are exposure the verdict should see, not luck)."""
    size, cv, recurring = _line_arrays(result.scenario)
    quarterly = result.quarterly_revenue
    return deal_noise(
        wins_per_quarter=steady_wins(result.scenario),
        deal_size=size,
        size_cv=cv,
        recurring=recurring,
        average_quarter=float(quarterly.mean()) if quarterly.size else 0.0,
    )


RevenueJudgement = tuple[Judgement, Judgement, DealNoise]
"""(every run's judgement, the typical path's, the deal luck) of a plan's revenue."""


def revenue_judgement(result: SimulationResult) -> RevenueJudgement:
    """Every run's revenue judged (:func:`simulator.verdict.judge_plan`) with the plan's
    deal luck: what the verdict and the first-whiplash quarters both read, so a result
    judges its runs once (:attr:`SimulationResult.whiplash` and ``first_whiplash``)."""
    noise = revenue_noise(result)
    runs, typical = judge_plan(
        result.quarterly_revenue, first_position=first_position(result.quarter_labels), noise=noise
    )
    return runs, typical, noise


def revenue_verdict(result: SimulationResult, judgement: RevenueJudgement | None = None) -> Verdict:
    """Whiplash, trend, season and deal luck of the plan's quarterly revenue
    (``judgement``: :func:`revenue_judgement` of ``result``, if already made)."""
    runs, typical, noise = judgement if judgement is not None else revenue_judgement(result)
    return summarise(runs, typical=typical, noise=noise)


def revenue_first_whiplash(
    result: SimulationResult, judgement: RevenueJudgement | None = None
) -> np.ndarray:
    """Per run, the quarter index whiplash first shows in by the verdict's rules (-1
    where it never does): the runs with one are the verdict's whiplash share when the
    horizon is at most three years (:data:`simulator.verdict.RISK_WINDOW_QUARTERS`)."""
    runs, _, _ = judgement if judgement is not None else revenue_judgement(result)
    assert runs.first_whiplash is not None
    return runs.first_whiplash


def _quota_by_month(scenario: Scenario) -> np.ndarray:
    """Quarterly quota in force each month (NaN where none is set)."""
    months = scenario.simulation.months
    quota = np.full(months, np.nan)
    for at, plan in scenario.plan_periods():
        value = plan.targets.quarterly_bookings
        quota[at:] = np.nan if value is None else value
    return quota


@dataclass(frozen=True)
class BookingsLens:
    """Quota attainment per quarter, judged like revenue."""

    verdict: Verdict
    basis: str
    """``quota`` (targets.quarterly_bookings), ``steady state`` (no quota set) or
    ``quota and steady state`` (a quota from a later month on)."""
    quarters: list[str]
    target: list[float]
    """The bookings each quarter is measured against."""
    attainment_p10: list[float]
    attainment_p50: list[float]
    attainment_p90: list[float]

    def as_dict(self) -> dict[str, Any]:
        data = self.verdict.as_dict()
        data["basis"] = self.basis
        data["quarterly"] = [
            {"quarter": q, "target": t, "p10": a, "p50": b, "p90": c}
            for q, t, a, b, c in zip(
                self.quarters,
                self.target,
                self.attainment_p10,
                self.attainment_p50,
                self.attainment_p90,
                strict=True,
            )
        ]
        return data


def bookings_lens(result: SimulationResult) -> BookingsLens:
    """Quota attainment per quarter (bookings / target) and its verdict.

    The target is ``targets.quarterly_bookings`` where the plan sets one and the
    steady-state bookings elsewhere; the luck allowance is the deal luck of bookings
    (every deal counts once, in the quarter it is signed).
    """
    scenario = result.scenario
    firsts = result.quarter_first_month
    quota = _quota_by_month(scenario)
    steady = steady_bookings(scenario)
    per_month = np.where(np.isnan(quota), steady, quota) / 3.0
    target = _quarters(per_month[None, :], firsts)[0]
    has_quota = ~np.isnan(quota)
    basis = (
        "quota"
        if has_quota.all()
        else "steady state"
        if not has_quota.any()
        else "quota and steady state"
    )
    bookings = _quarters(result.monthly_bookings, firsts)
    safe = np.where(target > 0, target, 1.0)
    attainment = np.where(target > 0, bookings / safe, 0.0)
    size, cv, _ = _line_arrays(scenario)
    noise = deal_noise(
        wins_per_quarter=steady_wins(scenario),
        deal_size=size,
        size_cv=cv,
        recurring=np.zeros(size.shape, dtype=bool),  # a booking counts once
        average_quarter=steady,
    )
    verdict = verdict_of(
        attainment, first_position=first_position(result.quarter_labels), noise=noise
    )
    if attainment.shape[1]:
        p10, p50, p90 = column_percentiles(attainment, (10, 50, 90))
    else:
        p10 = p50 = p90 = np.zeros(0)
    return BookingsLens(
        verdict=verdict,
        basis=basis,
        quarters=list(result.quarter_labels),
        target=[float(v) for v in target],
        attainment_p10=[float(v) for v in p10],
        attainment_p50=[float(v) for v in p50],
        attainment_p90=[float(v) for v in p90],
    )
