"""The verdict in words a trainer can read out, and the key figures with baseline deltas.

Everything here reads the result's verdict (``result.whiplash``, worded by
:mod:`simulator.verdict_text`, so the CLI says the same), its early warning
(``result.early_warning``) and its summaries. No model arithmetic, only wording and
formatting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from simulator import ResultSummary, verdict_text
from simulator.verdict import (
    MILD_FALL,
    SEVERE_FALL,
    SEVERE_RISK_SHARE,
    SEVERE_SWING,
    TREND_BAND,
)

from .format import money, percent

FUTURES = (
    "Each run is one possible future: the same plan with other luck in which deals "
    "arrive, close and renew."
)
"""What "futures" means, for the help texts."""


def verdict_sentence(result: ResultSummary) -> str:
    """The headline: 'Mild whiplash, and revenue declines 7% a year: whiplash in 60% of
    futures, severe in 31%'."""
    return verdict_text.headline(result.whiplash)


def verdict_tone(result: ResultSummary) -> Literal["bad", "warn", "good"]:
    """How to colour the headline (see :func:`simulator.verdict_text.tone`)."""
    return verdict_text.tone(result.whiplash)  # type: ignore[return-value]


def verdict_details(result: ResultSummary) -> list[str]:
    """The sentences under the headline: severe-whiplash risk, trend, season, deal luck
    and the largest fall."""
    return verdict_text.context_sentences(result.whiplash)


def bookings_sentence(result: ResultSummary) -> str:
    """The bookings lens's verdict in one sentence."""
    return verdict_text.bookings_sentence(result.bookings)


def early_warning_sentence(result: ResultSummary) -> str:
    """How long before the first bust a sales signal warned, or that there is no bust to
    warn of: the early warning in sales terms (``result.early_warning``), as the CLI, the
    compare table and the warning chart say it."""
    return verdict_text.warning_sentence(result.early_warning)


@dataclass(frozen=True)
class Figure:
    """One ``st.metric``: label, value, delta against the baseline and how to colour it."""

    label: str
    value: str
    delta: str | None
    delta_color: Literal["normal", "inverse", "off"]
    help: str
    delta_arrow: Literal["auto", "off"] = "auto"
    """``"off"`` for an unchanged figure: Streamlit reads any delta not starting with
    "-" as a rise, so "±0 pts" would get an up arrow (and red, for an inverse figure)."""


def _neutral_if_unchanged(figure: Figure, *, unchanged: bool) -> Figure:
    """``figure`` with no arrow and no colour when it shows no change from the baseline."""
    if figure.delta is None or not unchanged:
        return figure
    return replace(figure, delta_color="off", delta_arrow="off")


def _points(delta: float) -> str:
    return "±0 pts" if _no_points(delta) else f"{round(delta * 100):+d} pts"


def _no_points(delta: float) -> bool:
    """Whether a change in a share shows as no change once rounded to whole points."""
    return round(delta * 100) == 0


def _revenue(result: ResultSummary) -> float:
    """Median total revenue over the horizon (the CLI's ``totals.revenue``)."""
    return result.median_revenue


def key_figures(result: ResultSummary, *, baseline: ResultSummary | None = None) -> list[Figure]:
    """The six headline figures, with deltas when a baseline is pinned. The whiplash
    figures are the verdict's, as the headline states them. A delta that shows no
    change ("±0 pts", "+$0", "+0 mo") is drawn without arrow or colour."""
    v = result.whiplash
    base = baseline.whiplash if baseline is not None else None
    revenue = _revenue(result)
    revenue_delta = None
    diff = 0.0 if baseline is None else revenue - _revenue(baseline)
    if baseline is not None:
        revenue_delta = ("+" if diff >= 0 else "") + money(diff)

    lead = result.early_warning.lead_months
    # "mo", not "months": "12 months" does not fit its column at 1280 px.
    early_value = "no bust" if lead is None else f"{lead} mo"
    base_lead = baseline.early_warning.lead_months if baseline is not None else None
    early_delta = None if lead is None or base_lead is None else f"{lead - base_lead:+d} mo"

    figures = [
        Figure(
            # Labels short enough for a fifth of the main column at 1280 px with the
            # sidebar open (about 140 px): Streamlit cuts a longer one off with "…".
            label=f"Revenue, {len(result.month_labels)} mo",
            value=money(revenue),
            delta=revenue_delta,
            delta_color="normal",
            help="Total revenue over the whole horizon in the middle future (the median of "
            "all futures). " + FUTURES,
        ),
        Figure(
            label="Whiplash",
            value=percent(v.probability),
            delta=None if base is None else _points(v.probability - base.probability),
            delta_color="inverse",
            help="Share of futures with whiplash: a boom followed by a bust, or revenue "
            f"falling {percent(v.mild_bar)} or more within a year beyond its steady decline "
            f"({percent(MILD_FALL)}, raised by this plan's deal luck), in the worst three "
            "years. " + FUTURES,
        ),
        Figure(
            label="Severe whiplash",
            value=percent(v.severe_probability),
            delta=None if base is None else _points(v.severe_probability - base.severe_probability),
            delta_color="inverse",
            help=f"Share of futures where revenue falls {percent(v.severe_bar)} or more "
            f"within a year ({percent(SEVERE_FALL)}, raised by deal luck), or swings "
            f"{percent(SEVERE_SWING)} up and down twice within two years. "
            f"{percent(SEVERE_RISK_SHARE)} of futures or more is flagged as a material risk.",
        ),
        Figure(
            label="Largest fall in a year",
            value=percent(v.largest_fall),
            delta=None if base is None else _points(v.largest_fall - base.largest_fall),
            delta_color="inverse",
            help="How far quarterly revenue falls below a level it had reached, within a "
            "year and beyond its steady decline, in the middle future; in 1 future in 10 it "
            f"falls {percent(v.largest_fall_p90)} or more.",
        ),
        Figure(
            label="Revenue trend",
            value=f"{verdict_text.signed(v.trend_rate)}/yr",
            delta=None if base is None else _points(v.trend_rate - base.trend_rate),
            delta_color="normal",
            help="The steady change a year of the typical path (the average future): "
            f"growing above +{percent(TREND_BAND)}, declining below -{percent(TREND_BAND)}, "
            "flat between. A steady decline is told apart from whiplash.",
        ),
        Figure(
            label="Warning lead",
            value=early_value,
            delta=early_delta,
            delta_color="normal",
            help=(
                "Months between the first warning (pipeline coverage below its healthy "
                "level, renewals at risk, or revenue in sight below today's run rate) and "
                "the first bust in the middle future: the time left to react."
            ),
        ),
    ]
    if base is None:
        return figures
    unchanged = [
        money(abs(diff)) == money(0),
        _no_points(v.probability - base.probability),
        _no_points(v.severe_probability - base.severe_probability),
        _no_points(v.largest_fall - base.largest_fall),
        _no_points(v.trend_rate - base.trend_rate),
        lead == base_lead,
    ]
    return [
        _neutral_if_unchanged(figure, unchanged=same)
        for figure, same in zip(figures, unchanged, strict=True)
    ]
