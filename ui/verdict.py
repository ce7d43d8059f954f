"""The verdict in words a trainer can read out, and the key figures with baseline deltas.

Everything here reads the engine's :class:`WhiplashReport` and result summaries; no
model arithmetic, only wording and formatting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from simulator import ResultSummary
from simulator.metrics import WhiplashReport

from .format import MISSING, money, month_name, percent, percent_change


def _share(value: float) -> str:
    return percent(value)


def _fall(result: ResultSummary) -> str:
    """Where revenue falls: the worst quarter's median change if it is a bust, else the
    peak-to-trough drawdown (a slow slide rather than one cliff)."""
    rep = result.report
    bust_drop = result.scenario.thresholds.bust_drop
    change = rep.worst_quarter_change
    if change is not None and rep.worst_quarter is not None and -change >= bust_drop:
        return f"revenue falls {percent(-change)} in {rep.worst_quarter}"
    return f"revenue falls {percent(rep.max_drawdown)} from its peak"


def verdict_sentence(result: ResultSummary) -> str:
    """One sentence: 'Severe whiplash in 83% of runs: revenue falls 37% in 2013Q1'."""
    rep = result.report
    if rep.verdict == "severe":
        return f"Severe whiplash in {_share(rep.severe_probability)} of runs: {_fall(result)}"
    if rep.verdict == "mild":
        return f"Mild whiplash in {_share(rep.probability)} of runs: {_fall(result)}"
    return f"Smooth: no boom-bust quarter in {_share(1.0 - rep.probability)} of runs"


def early_warning_sentence(report: WhiplashReport) -> str:
    """How long before the bust the pipeline warned, in plain words."""
    smooth = report.verdict == "none"
    if smooth or report.bust_quarter is None or report.early_warning_months is None:
        start = "No boom-and-bust to warn of" if smooth else "No bust"
        if report.warning_month:
            return (
                f"{start}, though forward coverage dips below the warning level in "
                f"{month_name(report.warning_month)}."
            )
        return f"{start}: forward coverage stays above the warning level."
    months = report.early_warning_months
    if months <= 0:
        return (
            "No early warning: forward coverage was still above the warning level just "
            f"before the first bust in {report.bust_quarter}."
        )
    unit = "month" if months == 1 else "months"
    return (
        f"Early warning: forward coverage had been below the warning level for "
        f"{months} {unit} before the first bust in {report.bust_quarter}."
    )


@dataclass(frozen=True)
class Figure:
    """One ``st.metric``: label, value, delta against the baseline and how to colour it."""

    label: str
    value: str
    delta: str | None
    delta_color: Literal["normal", "inverse", "off"]
    help: str


def _points(delta: float) -> str:
    points = round(delta * 100)
    return "±0 pts" if points == 0 else f"{points:+d} pts"


def _revenue(result: ResultSummary) -> float:
    """Median total revenue over the horizon (the CLI's ``totals.revenue``)."""
    return result.median_revenue


def key_figures(result: ResultSummary, *, baseline: ResultSummary | None = None) -> list[Figure]:
    """The five headline figures, with deltas when a baseline is pinned."""
    rep = result.report
    base = baseline.report if baseline is not None else None
    revenue = _revenue(result)
    revenue_delta = None
    if baseline is not None:
        diff = revenue - _revenue(baseline)
        revenue_delta = ("+" if diff >= 0 else "") + money(diff)

    worst = rep.worst_quarter_change
    worst_value = MISSING if worst is None else percent_change(worst) or "0%"
    worst_delta = None
    if base is not None and worst is not None and base.worst_quarter_change is not None:
        worst_delta = _points(worst - base.worst_quarter_change)

    early = rep.early_warning_months
    # "mo", not "months": "12 months" does not fit a fifth of the column at 1280 px.
    early_value = "no bust" if early is None else f"{early} mo"
    early_delta = None
    if base is not None and early is not None and base.early_warning_months is not None:
        early_delta = f"{early - base.early_warning_months:+d} mo"

    return [
        Figure(
            # Labels short enough for a fifth of the main column at 1280 px with the
            # sidebar open (about 140 px): Streamlit cuts a longer one off with "…".
            label=f"Revenue, {len(result.month_labels)} mo",
            value=money(revenue),
            delta=revenue_delta,
            delta_color="normal",
            help=f"Median total revenue over the whole horizon ({len(result.month_labels)} "
            "months), across all runs.",
        ),
        Figure(
            label=f"Worst qtr {rep.worst_quarter}" if rep.worst_quarter else "Worst quarter",
            value=worst_value,
            delta=worst_delta,
            delta_color="normal",
            help="Median change of revenue on the quarter before, in the quarter where it is "
            "worst (the worst quarter's name is in the label).",
        ),
        Figure(
            label="Max drawdown",
            value=percent(rep.max_drawdown),
            delta=None if base is None else _points(rep.max_drawdown - base.max_drawdown),
            delta_color="inverse",
            help="Median fall of quarterly revenue from its running peak: the depth of the bust.",
        ),
        Figure(
            label="Whiplash risk",
            value=percent(rep.probability),
            delta=None if base is None else _points(rep.probability - base.probability),
            delta_color="inverse",
            help=(
                "Whiplash probability: the share of runs with mild or severe boom-and-bust "
                f"(severe alone: {percent(rep.severe_probability)})."
            ),
        ),
        Figure(
            label="Warning lead",
            value=early_value,
            delta=early_delta,
            delta_color="normal",
            help=(
                "Median months (mo) the forward pipeline coverage had been below the "
                "warning level before the first bust: the time left to react."
            ),
        ),
    ]
