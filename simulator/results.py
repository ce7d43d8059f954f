"""Simulation results: per-run arrays plus tidy pandas summaries and the verdict.

``simulate`` is the public entry point. Summaries (mean, p10, p50, p90 per series)
and the verdict (``whiplash``, ``bookings``) are computed on first use, so a caller
that needs only some of them (the optimiser, the benchmark) does not pay for the rest.

``whiplash`` (:mod:`simulator.verdict`, docs/model.md section 12) is the verdict every
page, the CLI and the JSON show. ``report`` (:class:`~simulator.metrics.WhiplashReport`,
section 10) keeps the quarter-on-quarter figures behind the early warning, the per-quarter
table and the workshop's "where does it break" question; its own verdict is not shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import pandas as pd

from .budget import SimulationCancelled, check
from .early_warning import EarlyWarning, early_warning
from .engine import ONE_OFF, SOURCES, EngineOutput, run_engine
from .metrics import VERDICTS, RunMetrics, WhiplashReport, assess
from .models import MAX_CELLS, MAX_RUNS, Scenario, month_label
from .plan_verdict import (
    BookingsLens,
    RevenueJudgement,
    bookings_lens,
    revenue_first_whiplash,
    revenue_judgement,
    revenue_verdict,
)
from .small_axes import PAIRWISE_FROM, sum_last_axis, sum_of_slices
from .sorted_stats import SortedColumns, column_median
from .verdict import Verdict

__all__ = ["ResultSummary", "SimulationCancelled", "SimulationResult", "simulate"]

PERCENTILES = (10, 50, 90)
SOURCE_LABELS = {
    "existing": "Existing book",
    "new": "New contracts",
    "renewal": "Renewals",
    "expansion": "Expansion",
    "one_off": "One-off sales",
}


def quarter_label(month_index: int) -> str:
    return f"{month_index // 12}Q{(month_index % 12) // 3 + 1}"


def full_quarters(start_index: int, months: int) -> tuple[list[str], list[int]]:
    """Labels and first-month offsets of the calendar quarters wholly inside the horizon."""
    labels, firsts = [], []
    for t in range(months - 2):
        m = start_index + t
        if m % 3 == 0:
            labels.append(quarter_label(m))
            firsts.append(t)
    return labels, firsts


def make_generator(seed: int | np.random.Generator | None, default: int) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(default if seed is None else seed)


@dataclass(frozen=True)
class ResultSummary:
    """What the app, the workshop and the diagnosis pages read of one simulation: what
    their caches keep (:meth:`SimulationResult.summary_only`).

    Every field is an attribute of :class:`SimulationResult` with the same value, so
    code written for a summary (the charts, the verdict, the workshop's checks) reads a
    full result as well.
    """

    scenario: Scenario
    runs: int
    whiplash: Verdict
    """The verdict on revenue: what the headline, key figures and JSON show."""
    bookings: BookingsLens
    """Quota attainment per quarter and its verdict (the bookings lens)."""
    report: WhiplashReport
    early_warning: EarlyWarning = field(repr=False)
    """Pipeline coverage, renewal exposure, revenue in sight and the warning lead."""
    month_labels: list[str] = field(repr=False)
    quarter_labels: list[str] = field(repr=False)
    monthly: pd.DataFrame = field(repr=False)
    """Long table: month, series, mean, p10, p50, p90 (see SimulationResult.monthly)."""
    quarterly: pd.DataFrame = field(repr=False)
    """Long table: quarter, series, mean, p10, p50, p90."""
    quarter_table: pd.DataFrame = field(repr=False)
    """One row per quarter: revenue percentiles, median QoQ change and its status."""
    median_revenue: float
    """Median total revenue over the horizon."""
    first_whiplash: np.ndarray = field(repr=False)
    """Per run, the quarter whiplash first shows in, or -1 (see SimulationResult)."""


@dataclass(frozen=True)
class SimulationResult:
    """Everything one simulation produced."""

    scenario: Scenario
    runs: int
    seed: int | None
    output: EngineOutput
    metrics: RunMetrics
    report: WhiplashReport
    month_labels: list[str] = field(repr=False)
    quarter_labels: list[str] = field(repr=False)
    quarter_first_month: list[int] = field(repr=False)
    monthly_revenue: np.ndarray = field(repr=False)
    """(runs, months) total revenue: summed once by :func:`simulate`, which judges the
    quarters from it, and read again by the summaries."""

    # --- Per-run totals.

    @cached_property
    def quarterly_revenue(self) -> np.ndarray:
        """(runs, quarters) total revenue over the full calendar quarters."""
        return _to_quarters(self.monthly_revenue, self.quarter_first_month)

    @property
    def total_revenue(self) -> np.ndarray:
        return self.monthly_revenue.sum(axis=1)

    @cached_property
    def monthly_bookings(self) -> np.ndarray:
        """(runs, months) bookings summed over the lines: read by the monthly tables and
        the bookings lens."""
        return sum_last_axis(self.output.bookings)

    @property
    def total_bookings(self) -> np.ndarray:
        return self.output.bookings.sum(axis=(1, 2))

    def _series(self) -> Iterator[tuple[str, np.ndarray, str | None]]:
        """(name, runs x months, None) per series, one at a time: summarising them one by
        one keeps the memory of the summaries at a few runs x months arrays.

        A line whose revenue is the one-off sales' bit for bit (the one one-off line of a
        plan) comes as (name, values, "source:one_off"), to be summarised as that series.
        """
        yield "revenue", self.monthly_revenue, None
        yield "bookings", self.monthly_bookings, None
        by_source, by_line = _source_and_line_sums(self.output.revenue)
        one_off = None
        for i, src in enumerate(SOURCES):  # summed over the lines
            values = by_source(i)
            if i == ONE_OFF:
                one_off = values
            yield f"source:{src}", values, None
        for i, line_id in enumerate(self.scenario.product_lines):  # over the sources
            values = by_line(i)
            same = "source:one_off" if _same_bits(values, one_off) else None
            yield f"line:{line_id}", values, same

    @cached_property
    def monthly(self) -> pd.DataFrame:
        """Long table: month, series, mean, p10, p50, p90 (money per month; coverage ratio;
        ``headcount`` and ``productive_reps`` in reps; ``pushing`` is the share of runs in
        which management pushes that month, the same number in every column; care index,
        onboarding coverage and the top accounts' share of the book, 0..1)."""
        return self._period_tables[0]

    @cached_property
    def quarterly(self) -> pd.DataFrame:
        """Long table: quarter, series, mean, p10, p50, p90 (money per quarter)."""
        return self._period_tables[1]

    @cached_property
    def _period_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(monthly, quarterly) from one pass over :meth:`_series`: each series is summed
        from the engine's arrays once for both tables (summing them again for the
        quarters cost a cold slider move about 8 ms, issue 13), and a series the same as
        an earlier one is summarised once; only the summaries are kept, not the arrays."""
        out = self.output
        monthly: list[tuple[str, _Stats | None]] = []
        quarterly: list[tuple[str, _Stats | None]] = []
        done: dict[str, tuple[_Stats | None, _Stats | None]] = {}  # summaries only
        for name, values, same_as in self._series():
            if same_as is not None:
                by_month, by_quarter = done[same_as]
            elif values is self.monthly_revenue and self._quarterly_revenue_sorted is not None:
                q = np.ascontiguousarray(self.quarterly_revenue)  # as _column_stats adds
                by_month = _column_stats(values)
                by_quarter = q.mean(axis=0), self._quarterly_revenue_percentiles
            else:
                by_month = _column_stats(values)
                by_quarter = _column_stats(_to_quarters(values, self.quarter_first_month))
            done[name] = by_month, by_quarter
            monthly.append((name, by_month))
            quarterly.append((name, by_quarter))
        extra = [
            ("coverage", out.coverage),
            ("care_index", out.care_index),
            ("headcount", out.headcount),
            ("productive_reps", out.productive_reps),
            ("pushing", out.pushing.mean(axis=0, keepdims=True)),
            ("onboarding", out.onboarding),
            ("top_accounts_share", out.top_accounts_share),
        ]
        monthly += [(name, _column_stats(values)) for name, values in extra]
        return (
            _stats_table(monthly, self.month_labels, "month"),
            _stats_table(quarterly, self.quarter_labels, "quarter"),
        )

    @cached_property
    def _quarterly_revenue_sorted(self) -> SortedColumns | None:
        """The quarterly revenue's columns sorted once for the quarterly table, the
        per-quarter table and the early warning's median path (None without quarters)."""
        q = self.quarterly_revenue
        return SortedColumns(q) if q.size else None

    @cached_property
    def _quarterly_revenue_percentiles(self) -> np.ndarray:
        """p10, p50 and p90 per quarter of the revenue, (3, quarters)."""
        ordered = self._quarterly_revenue_sorted
        return ordered.percentiles(PERCENTILES) if ordered is not None else np.zeros((3, 0))

    @cached_property
    def quarter_table(self) -> pd.DataFrame:
        """One row per quarter: revenue percentiles, median QoQ change and its status."""
        q = self.quarterly_revenue
        th = self.scenario.thresholds
        pct = self._quarterly_revenue_percentiles
        qoq = self.metrics.qoq
        med_qoq = np.concatenate([[np.nan], column_median(qoq)]) if q.shape[1] else []
        bust_share = (
            np.concatenate([[0.0], (qoq <= -th.bust_drop).mean(axis=0)]) if q.shape[1] else []
        )
        boom_share = (
            np.concatenate([[0.0], (qoq >= th.boom_rise).mean(axis=0)]) if q.shape[1] else []
        )
        status = [
            "bust" if c <= -th.bust_drop else "boom" if c >= th.boom_rise else "steady"
            for c in np.nan_to_num(np.asarray(med_qoq, dtype=float))
        ]
        return pd.DataFrame(
            {
                "quarter": self.quarter_labels,
                "mean": q.mean(axis=0) if q.size else [],
                "p10": pct[0],
                "p50": pct[1],
                "p90": pct[2],
                "qoq_change": med_qoq,
                "bust_share": bust_share,
                "boom_share": boom_share,
                "status": status,
            }
        )

    @cached_property
    def whiplash(self) -> Verdict:
        """The verdict on revenue: whiplash, trend, season and deal luck (docs/model.md
        section 12); the one every page, the CLI and the JSON show."""
        return revenue_verdict(self, self._revenue_judgement)

    @cached_property
    def _revenue_judgement(self) -> RevenueJudgement:
        """Every run's revenue judged once for both ``whiplash`` and ``first_whiplash``
        (judging them twice cost a cold slider move about 8 ms, issue 13)."""
        return revenue_judgement(self)

    @cached_property
    def bookings(self) -> BookingsLens:
        """Quota attainment per quarter and its verdict (docs/model.md, "The bookings lens")."""
        return bookings_lens(self)

    @cached_property
    def early_warning(self) -> EarlyWarning:
        """The early warning in sales terms (docs/model.md, "Early warning in sales terms")."""
        return early_warning(
            self.output,
            self.scenario,
            quarterly=self.quarterly_revenue,
            quarter_labels=self.quarter_labels,
            quarter_first_month=self.quarter_first_month,
            monthly_revenue=self.monthly_revenue,
            quarterly_sorted=self._quarterly_revenue_sorted,
        )

    @cached_property
    def verdict_shares(self) -> dict[str, float]:
        counts = np.bincount(self.metrics.verdict, minlength=3) / self.runs
        return {name: float(c) for name, c in zip(VERDICTS, counts, strict=True)}

    @property
    def median_revenue(self) -> float:
        """Median over the runs of the total revenue over the horizon."""
        return float(np.median(self.total_revenue))

    @cached_property
    def first_whiplash(self) -> np.ndarray:
        """Per run, the index of the quarter whiplash first shows in by the verdict's
        rules (a fall reaching its whiplash bar, or a boom's bust), or -1 if none."""
        return revenue_first_whiplash(self, self._revenue_judgement)

    def summary_only(self) -> ResultSummary:
        """What a page shows of this result, without the per-run engine arrays.

        For caches: the raw arrays are (runs x months x lines x sources), up to hundreds
        of MB for the largest allowed run; the summary is a small fraction of that.
        """
        return ResultSummary(**{f.name: getattr(self, f.name) for f in fields(ResultSummary)})

    def to_dict(self) -> dict[str, Any]:
        """The CLI's --json object (see README): ``whiplash`` is the verdict on revenue
        (section 12's fields) with the quarter-on-quarter figures of section 10 and the
        warning lead; ``early_warning`` is the early warning in sales terms; ``bookings``
        is the bookings lens with the same verdict fields."""
        rep = self.report
        q = self.quarter_table
        return {
            "scenario": self.scenario.meta.title,
            "runs": self.runs,
            "seed": self.seed,
            "start": self.scenario.simulation.start,
            "months": self.scenario.simulation.months,
            "whiplash": {
                **self.whiplash.as_dict(),
                "max_drawdown": rep.max_drawdown,
                "volatility": rep.volatility,
                "worst_quarter": rep.worst_quarter,
                "worst_quarter_change": rep.worst_quarter_change,
                "bust_quarter": rep.bust_quarter,
                "early_warning_months": self.early_warning.lead_months,
                "warning_month": self.early_warning.first_warning,
            },
            "early_warning": self.early_warning.as_dict(),
            "bookings": self.bookings.as_dict(),
            "book": {
                "net_revenue_retention": rep.net_revenue_retention,
                "gross_revenue_retention": rep.gross_revenue_retention,
                "top_accounts_share": rep.top_accounts_share,
                "lowest_gross_revenue_retention": rep.lowest_gross_revenue_retention,
            },
            "quarterly": [
                {
                    "quarter": row.quarter,
                    "mean": float(row.mean),
                    "p10": float(row.p10),
                    "p50": float(row.p50),
                    "p90": float(row.p90),
                }
                for row in q.itertuples()
            ],
            "totals": {
                "revenue": float(np.median(self.total_revenue)),
                "bookings": float(np.median(self.total_bookings)),
            },
        }


def _source_and_line_sums(
    revenue: np.ndarray,
) -> tuple[Callable[[int], np.ndarray], Callable[[int], np.ndarray]]:
    """(source i -> its revenue summed over the lines, line i -> over the sources), each
    (runs, months): ``sum_last_axis(revenue[:, :, :, i])`` and
    ``sum_last_axis(revenue[:, :, i, :])`` bit for bit.

    A speed trick: the (runs, months, lines, sources) revenue is copied once with lines
    and sources first, so each sum adds whole contiguous (runs, months) blocks in the
    same order from +0.0 (:func:`~simulator.small_axes.sum_of_slices`) instead of
    strided slices (0.9 -> 0.7 ms a cold slider move on the default preset). From
    eight lines numpy sums the lines pairwise over strided data in its own order:
    those are left to :func:`~simulator.small_axes.sum_last_axis`.
    """
    if revenue.shape[2] >= PAIRWISE_FROM or revenue.dtype != np.float64:
        return (
            lambda i: sum_last_axis(revenue[:, :, :, i]),
            lambda i: sum_last_axis(revenue[:, :, i, :]),
        )
    first = np.ascontiguousarray(np.moveaxis(revenue, (2, 3), (0, 1)))  # (l, s, r, m)
    return (
        lambda i: sum_of_slices(list(first[:, i])),
        lambda i: sum_of_slices(list(first[i])),
    )


def _to_quarters(monthly: np.ndarray, firsts: list[int]) -> np.ndarray:
    if not firsts:
        return np.zeros((monthly.shape[0], 0))
    idx = np.array(firsts)
    return monthly[:, idx] + monthly[:, idx + 1] + monthly[:, idx + 2]


@lru_cache(maxsize=16)
def _key_columns(labels: tuple[str, ...], names: tuple[str, ...], key: str) -> tuple[Any, Any]:
    """The period and series columns of a long table (pandas string arrays), made as
    ``_stats_table`` always made them.

    A speed trick: they depend on the horizon and the series' names alone, and turning
    numpy strings into pandas' string columns was half of each table's DataFrame (0.2 to
    0.4 ms a table); a DataFrame built from these copies them, so a cached one is never
    changed.
    """
    columns = pd.DataFrame(
        {key: np.repeat(labels, len(names)), "series": np.tile(names, len(labels))}
    )
    return columns[key].array, columns["series"].array


_Stats = tuple[np.ndarray, np.ndarray]
"""(mean (periods,), p10/p50/p90 (3, periods)) of one series."""


def _column_stats(values: np.ndarray) -> _Stats | None:
    """Mean and percentiles per period of a (runs, periods) series (None without periods)."""
    # Row by row, as the mean over a stack of all series adds (it fixes the rounding).
    values = np.ascontiguousarray(values)
    if not values.shape[1]:
        return None
    return values.mean(axis=0), SortedColumns(values).percentiles(PERCENTILES)


def _same_bits(values: np.ndarray, other: np.ndarray | None) -> bool:
    """``values`` and ``other`` hold the very same numbers, bit for bit (signed zeros)."""
    return (
        other is not None
        and values.shape == other.shape
        and values.dtype == other.dtype == np.float64
        and np.array_equal(values.view(np.uint64), other.view(np.uint64))
    )


def _stats_table(
    series: list[tuple[str, _Stats | None]], labels: list[str], key: str
) -> pd.DataFrame:
    """Long table of each series' mean and percentiles per period (:func:`_column_stats`)."""
    names = [name for name, _ in series]
    stats = [item for _, item in series if item is not None]
    if not labels or not stats:
        return pd.DataFrame(columns=[key, "series", "mean", "p10", "p50", "p90"])
    pct = np.stack([p for _, p in stats], axis=-1)  # (3, periods, series)
    mean = np.stack([m for m, _ in stats], axis=-1)
    periods, series_names = _key_columns(tuple(labels), tuple(names), key)
    return pd.DataFrame(
        {
            key: periods,
            "series": series_names,
            "mean": mean.ravel(),
            "p10": pct[0].ravel(),
            "p50": pct[1].ravel(),
            "p90": pct[2].ravel(),
        }
    )


def simulate(
    scenario: Scenario,
    *,
    runs: int | None = None,
    seed: int | np.random.Generator | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SimulationResult:
    """Project ``scenario`` over its horizon with Monte Carlo uncertainty.

    ``runs`` and ``seed`` default to the scenario's ``[simulation]`` values; ``seed``
    may also be a ``numpy.random.Generator`` (no global random state is used). A
    ``runs`` override above the per-request bound (:mod:`simulator.budget`) is refused
    with the same message as the scenario's own. ``should_stop`` is asked every month;
    True ends the run with :class:`SimulationCancelled`. How many simulations may run
    at once is the caller's business (the app's is ``ui/runtime.py``).
    """
    n_runs = scenario.simulation.runs if runs is None else int(runs)
    if not 1 <= n_runs <= MAX_RUNS:
        raise ValueError(f"runs: {n_runs} is outside 1..{MAX_RUNS:,}")
    cells = n_runs * scenario.simulation.months * len(scenario.product_lines)
    if cells > MAX_CELLS:
        raise ValueError(
            f"runs x months x product lines = {cells:,} is above the limit of {MAX_CELLS:,}"
        )
    check(scenario, n_runs)  # the scenario's own runs passed it on load; an override may not
    rng = make_generator(seed, scenario.simulation.seed)
    output = run_engine(scenario, runs=n_runs, rng=rng, should_stop=should_stop)
    start = scenario.start_index
    months = scenario.simulation.months
    month_labels = [month_label(start + t) for t in range(months)]
    q_labels, q_first = full_quarters(start, months)
    monthly_revenue = output.revenue.sum(axis=(2, 3))
    quarterly = _to_quarters(monthly_revenue, q_first)
    metrics, report = assess(
        quarterly=quarterly,
        quarter_labels=q_labels,
        quarter_first_month=q_first,
        coverage=output.coverage,
        month_labels=month_labels,
        thresholds=scenario.thresholds,
        nrr=output.nrr,
        grr=output.grr,
        top_accounts_share=output.top_accounts_share,
    )
    used_seed = (
        None
        if isinstance(seed, np.random.Generator)
        else (scenario.simulation.seed if seed is None else int(seed))
    )
    return SimulationResult(
        scenario=scenario,
        runs=n_runs,
        seed=used_seed,
        output=output,
        metrics=metrics,
        report=report,
        month_labels=month_labels,
        quarter_labels=q_labels,
        quarter_first_month=q_first,
        monthly_revenue=monthly_revenue,
    )
