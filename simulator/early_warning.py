"""Early warning in the terms sales ops uses: pipeline coverage, renewal exposure and
revenue in sight, and the warning lead measured from the simulated dynamics.

Reads an :class:`~simulator.engine.EngineOutput` and its scenario only (no engine
state): docs/model.md, "Early warning in sales terms", defines each signal, its fixed
window, its warning level and the approximations. Every signal is computed per run and
month; the page and the JSON show the median path (the median over runs, month by month).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine import ONE_OFF, EngineOutput, orphan_probability
from .models import Scenario, month_label
from .plan_verdict import steady_bookings
from .small_axes import PAIRWISE_FROM, sum_last_axis, sum_of_products
from .sorted_stats import SortedColumns, column_median, finite_column_median
from .verdict import MILD_FALL, WINDOW_QUARTERS

__all__ = [
    "IN_SIGHT_WARNING",
    "PIPELINE_MONTHS",
    "PIPELINE_WARNING",
    "RENEWAL_MONTHS",
    "RENEWAL_WARNING",
    "EarlyWarning",
    "Signal",
    "early_warning",
]

PIPELINE_MONTHS = 3
"""Pipeline coverage looks at the next quarter: the period a new-business quota covers."""
RENEWAL_MONTHS = 6
"""Renewal exposure and revenue in sight look two quarters ahead: time enough to act
on a renewal (add contacts, care) or to refill a typical 3-6 month pipeline."""
RUN_RATE_MONTHS = 3
"""Today's run rate: the average monthly revenue of the last three months."""
PIPELINE_WARNING = 1.0 - MILD_FALL
"""Pipeline coverage a tenth below its healthy level (1 / win rate) warns: a plan in its
steady state sits at exactly its healthy level, so below 1 alone would flag luck."""
RENEWAL_WARNING = MILD_FALL
"""Risk-weighted renewals worth a tenth of today's revenue: the verdict's mild fall."""
IN_SIGHT_WARNING = 1.0 - MILD_FALL
"""Revenue in sight a tenth below today's run rate: the verdict's mild fall ahead."""
PRIOR_RENEWALS = 5.0
"""The renewal chance blends the renewals seen in the last 12 months with the plan's
own chance, counted as this many renewals (so one lost renewal is not a 100% risk)."""


def _finite(values: list[float]) -> list[float | None]:
    """JSON has no infinity or NaN: a month without a quota or a pipeline is null."""
    return [round(v, 4) if np.isfinite(v) else None for v in values]


@dataclass(frozen=True)
class Signal:
    """One signal's median path (month by month) and when it first warns."""

    name: str
    window_months: int
    warning_level: float
    below_is_warning: bool
    p50: list[float]
    first_warning: str | None

    def warns(self) -> np.ndarray:
        """Per month, whether the median path is in warning."""
        values = np.array(self.p50, dtype=float)
        if self.below_is_warning:
            return values < self.warning_level
        return values >= self.warning_level

    def as_dict(self) -> dict[str, Any]:
        values = [v for v in self.p50 if np.isfinite(v)]
        worst = (min if self.below_is_warning else max)(values) if values else None
        return {
            "window_months": self.window_months,
            "warning_level": self.warning_level,
            "warning_when": "below" if self.below_is_warning else "at or above",
            "first_warning": self.first_warning,
            "worst": worst,
            "p50": _finite(self.p50),
        }


@dataclass(frozen=True)
class EarlyWarning:
    """The three signals on the median path and the warning lead."""

    months: list[str]
    pipeline_coverage: Signal
    """Win-weighted pipeline expected to close next quarter over the quota: raw
    pipeline coverage divided by its healthy level (1 / win rate); below 1 warns."""
    pipeline_ratio: list[float]
    """Raw coverage (open pipeline closing next quarter / quota), median path, e.g. 3.1x."""
    pipeline_healthy: list[float]
    """The line mix's healthy raw coverage (about 1 / win rate), median path."""
    renewal_exposure: Signal
    revenue_in_sight: Signal
    first_warning: str | None
    warned_from: str | None
    """The first month of the warning spell still on just before the bust."""
    warning_signals: list[str]
    """The signals on in that month."""
    bust_quarter: str | None
    lead_months: int | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        pipeline = self.pipeline_coverage.as_dict()
        pipeline["coverage_p50"] = _finite(self.pipeline_ratio)
        pipeline["healthy_p50"] = _finite(self.pipeline_healthy)
        return {
            "pipeline_coverage": pipeline,
            "renewal_exposure": self.renewal_exposure.as_dict(),
            "revenue_in_sight": self.revenue_in_sight.as_dict(),
            "first_warning": self.first_warning,
            "warned_from": self.warned_from,
            "warning_signals": self.warning_signals,
            "bust_quarter": self.bust_quarter,
            "lead_months": self.lead_months,
            "reason": self.reason,
        }


def _line_arrays(scenario: Scenario) -> dict[str, np.ndarray]:
    lines = list(scenario.product_lines.values())
    return {
        "size": np.array([ln.deal_size for ln in lines], dtype=float),
        "cycle": np.array([ln.sales_cycle_months for ln in lines], dtype=float),
        "win": np.array([ln.win_rate for ln in lines], dtype=float),
        "term": np.array([ln.term_months for ln in lines], dtype=float),
        "renewal": np.array([ln.renewal_rate for ln in lines], dtype=float),
    }


def _by_month(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Quarterly bookings quota (NaN where none) and buyer contacts, per month."""
    months = scenario.simulation.months
    quota, contacts = np.full(months, np.nan), np.zeros(months)
    for at, plan in scenario.plan_periods():
        value = plan.targets.quarterly_bookings
        quota[at:] = np.nan if value is None else value
        contacts[at:] = plan.contacts_per_account
    return quota, contacts


def _renewal_chance(scenario: Scenario, contacts: Any, years: Any) -> np.ndarray:
    """The plan's own chance that a contract renews: relationships only (care as planned)."""
    orphan = orphan_probability(contacts, scenario.relationships.champion_turnover, years)
    factor = (1.0 - orphan) + orphan * scenario.engagement.orphan_renewal_factor
    return np.asarray(factor, dtype=float)


def _per_line(values: np.ndarray, *steps: tuple[np.ufunc, np.ndarray]) -> np.ndarray:
    """``values`` (runs, months, lines) combined with one constant a line per step, left
    to right: ``_per_line(v, (np.divide, a), (np.multiply, b))`` is ``v / a * b``, bit
    for bit (the same operations on the same numbers), as a float array.

    A speed trick: numpy broadcasting a (lines,) vector against a short last axis runs
    its inner loop two elements at a time (0.3 ms an operation on the default preset's
    (1000, 36, 2) arrays); a line at a time each operation is one long loop (0.03 ms).
    """
    result = np.empty(values.shape)
    for i in range(values.shape[-1]):  # at most 8 lines
        out, source = result[..., i], values[..., i]
        for op, constants in steps:
            op(source, constants[i], out=out)
            source = out
    return result


def _pipeline(
    out: EngineOutput, scenario: Scenario, *, arr: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(runs, months) raw coverage, healthy level and their ratio (docs/model.md)."""
    share = np.minimum(PIPELINE_MONTHS, arr["cycle"]) / arr["cycle"]  # matures in 3 months
    # (runs, months, lines): open pipeline * size * share
    open_value = _per_line(out.pipeline_open, (np.multiply, arr["size"]), (np.multiply, share))
    # A line with a cycle under a quarter holds only min(cycle, 3) / 3 of the quarter's
    # deals at its start: its healthy level is scaled down by that share.
    in_quarter = np.minimum(PIPELINE_MONTHS, arr["cycle"]) / PIPELINE_MONTHS
    expected = sum_last_axis(
        _per_line(open_value, (np.multiply, arr["win"]), (np.divide, in_quarter))
    )
    quota, _ = _by_month(scenario)
    quota = np.where(np.isnan(quota), steady_bookings(scenario), quota)
    safe = np.where(quota > 0, quota, 1.0)
    open_total = sum_last_axis(open_value)
    raw = open_total / safe
    relative = np.where(quota > 0, expected / safe, np.inf)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a tiny win rate
        healthy = np.where(expected > 0, open_total / expected, np.nan)
    return raw, healthy, relative


def _explicit(scenario: Scenario, months: int, *, ahead: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected monthly value of the explicit contracts per line in force each month, and
    the expected monthly value each month's renewals lose, (months + ahead, lines)."""
    line_index = {key: i for i, key in enumerate(scenario.product_lines)}
    n_lines = len(line_index)
    in_force = np.zeros((months + ahead, n_lines))
    lost = np.zeros((months + ahead, n_lines))
    t = np.arange(months + ahead)
    for c in scenario.contracts:  # the book's listed contracts: a few dozen at most
        line = scenario.product_lines[c.product_line]
        term = c.renewal_term_months or (line.term_months or 12)
        chance = min(
            1.0,
            line.renewal_rate
            * float(_renewal_chance(scenario, scenario.contacts_of(c), term / 12.0)),
        )
        first = scenario.contract_end_offset(c)
        passed = np.where(t >= first, (t - first) // term + 1, 0)  # renewals decided by t
        value = c.annual_value / 12.0
        i = line_index[c.product_line]
        in_force[:, i] += value * chance**passed
        due = (t >= first) & ((t - first) % term == 0)
        # The power of the renewals before this one; 0, not -1, where none is due (a chance
        # of 0 to the power -1 is a division by zero, though np.where drops it).
        before = np.maximum(passed - 1, 0)
        lost[:, i] += np.where(due, value * chance**before * (1.0 - chance), 0.0)
    return in_force, lost


def _renewal_loss(
    pooled_risk: np.ndarray, due_share: np.ndarray, explicit_loss: np.ndarray
) -> np.ndarray:
    """``sum_of_products(pooled_risk[:, :, None, :], due_share) + explicit_loss[None]``
    (pooled risk (r, m, l), due share (h, l), explicit loss (m, h)) bit for bit, laid
    out months ahead first: (h, r, m).

    A speed trick: each month ahead is summed over the lines in place, the same
    products added in the same order from +0.0 (:func:`~simulator.small_axes.sum_of_products`),
    without the (r, m, h) arrays of products and sums broadcasting makes (3 ms a cold
    slider move on the default preset); the risk is copied once a line at a time, so
    each product reads one contiguous (r, m) block, not a strided slice (0.6 -> 0.5 ms).
    """
    n_lines = pooled_risk.shape[-1]
    if n_lines >= PAIRWISE_FROM:  # numpy's sum is pairwise from here: let it sum
        loss = sum_of_products(pooled_risk[:, :, None, :], due_share) + explicit_loss[None]
        return np.ascontiguousarray(np.moveaxis(loss, -1, 0))
    by_line = np.ascontiguousarray(np.moveaxis(pooled_risk, -1, 0))  # (l, r, m)
    loss = np.empty((due_share.shape[0], *pooled_risk.shape[:2]))
    product = np.empty(pooled_risk.shape[:2])
    for k, total in enumerate(loss):  # the months ahead
        np.multiply(by_line[0], due_share[k, 0], out=total)
        total += 0.0  # numpy's sum starts from +0.0: -0.0 sums to 0.0
        for i in range(1, n_lines):
            np.multiply(by_line[i], due_share[k, i], out=product)
            total += product
        total += explicit_loss[:, k]
    return loss


def _renewals(
    out: EngineOutput, scenario: Scenario, *, arr: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Per run and month: today's recurring revenue and the expected monthly revenue
    lost to renewals by each month of the next two quarters, (h, runs, months)."""
    months = out.renewals_due.shape[1]
    horizon = np.arange(1, RENEWAL_MONTHS + 1)
    recurring_line = arr["term"] > 0
    sources = [i for i in range(out.revenue.shape[3]) if i != ONE_OFF]
    line_recurring = _per_line(sum_last_axis(out.revenue, sources), (np.multiply, recurring_line))
    in_force, lost = _explicit(scenario, months, ahead=RENEWAL_MONTHS)
    pooled = np.maximum(line_recurring - in_force[None, :months], 0.0)
    # Renewal chance per line: the plan's, blended with the last 12 months' renewals.
    _, contacts = _by_month(scenario)
    years = np.where(recurring_line, arr["term"], 12.0) / 12.0
    prior = np.minimum(1.0, arr["renewal"] * _renewal_chance(scenario, contacts[:, None], years))
    due, kept = _trailing_sum(out.renewals_due), _trailing_sum(out.renewals_kept)
    # (kept + PRIOR_RENEWALS * prior) / (due + PRIOR_RENEWALS) a line at a time (r, m, l)
    weighted, decided = PRIOR_RENEWALS * prior, due + PRIOR_RENEWALS
    chance = np.empty(pooled.shape)
    for i in range(chance.shape[-1]):
        np.divide(kept + weighted[:, i], decided, out=chance[..., i])
    term = np.where(recurring_line, arr["term"], 1.0)
    due_share = np.minimum(horizon[:, None], term) / term  # (h, lines): pooled, uniform
    pooled_risk = pooled * (1.0 - chance)  # (r, m, l) x (h, l)
    # Explicit contracts' losses at their own renewal months, within the window.
    idx = np.arange(months)[:, None] + horizon  # (m, h)
    cum = np.cumsum(lost.sum(axis=1))
    explicit_loss = cum[idx] - cum[np.arange(months)][:, None]  # (m, h)
    return sum_last_axis(line_recurring), _renewal_loss(pooled_risk, due_share, explicit_loss)


def _trailing_mean(series: np.ndarray) -> np.ndarray:
    """Average over the last ``RUN_RATE_MONTHS`` months along axis 1 (fewer at the start)."""
    total = np.cumsum(series, axis=1)
    lagged = np.zeros_like(total)
    lagged[:, RUN_RATE_MONTHS:] = total[:, :-RUN_RATE_MONTHS]
    mean = total - lagged
    # Divided by the months counted, min(t + 1, RUN_RATE_MONTHS): month by month at the
    # start, then all the later months at once by a scalar (a speed trick: the same
    # divisions without broadcasting a (months,) count over the lines' short last axis).
    for t in range(min(RUN_RATE_MONTHS - 1, mean.shape[1])):
        mean[:, t] /= t + 1
    mean[:, RUN_RATE_MONTHS - 1 :] /= RUN_RATE_MONTHS
    return mean


def _trailing_sum(series: np.ndarray, months: int = 12) -> np.ndarray:
    """Sum over the last ``months`` months along axis 1, (runs, months)."""
    total = np.cumsum(series, axis=1, dtype=float)
    total[:, months:] -= total[:, :-months].copy()
    return total


def _run_rate(monthly_revenue: np.ndarray) -> np.ndarray:
    """Today's run rate: average monthly revenue of the last three months."""
    return _trailing_mean(monthly_revenue)


def _in_sight(
    out: EngineOutput,
    arr: dict[str, np.ndarray],
    *,
    recurring_now: np.ndarray,
    loss: np.ndarray,
    run_rate: np.ndarray,
) -> np.ndarray:
    """Lowest revenue in sight over the next two quarters against today's run rate
    (``loss``: (h, runs, months), :func:`_renewals`)."""
    # New business a month per line, held flat: the slower of the pace the open pipeline
    # implies (open deals / cycle x win rate) and the last three months' bookings (which
    # carry the closing capacity the pipeline does not show).
    implied = _per_line(
        out.pipeline_open,
        (np.divide, arr["cycle"]),
        (np.multiply, arr["win"]),
        (np.multiply, arr["size"]),
    )
    wins = np.minimum(implied, _trailing_mean(out.bookings))
    recurring = arr["term"] > 0
    # monthly revenue added a month
    new_recurring = sum_last_axis(_per_line(wins, (np.multiply, recurring))) / 12.0
    one_off = sum_last_axis(_per_line(wins, (np.multiply, ~recurring)))
    safe = np.where(run_rate > 0, run_rate, 1.0)
    lowest = _lowest_in_sight(recurring_now, loss, new_recurring, one_off, safe)
    return np.where(run_rate > 0, lowest, 1.0)


def _lowest_in_sight(
    recurring_now: np.ndarray,
    loss: np.ndarray,
    new_recurring: np.ndarray,
    one_off: np.ndarray,
    safe: np.ndarray,
) -> np.ndarray:
    """Per run and month, the lowest over the months ahead h of
    ``(recurring_now - loss[h] + new_recurring * h + one_off) / safe``, bit for bit.

    A speed trick: each month ahead is computed in place in one (runs, months) buffer,
    the same operations in the same order, and the lowest is kept with ``np.minimum``
    month ahead by month ahead, as the minimum over the (runs, months, h) array was
    taken; building those temporaries cost a cold slider move 4 ms on the default
    preset, this 0.6 ms.
    """
    seen, added = np.empty(safe.shape), np.empty(safe.shape)
    lowest = np.empty(safe.shape)
    for k, ahead in enumerate(loss):  # h = k + 1 months ahead
        np.subtract(recurring_now, ahead, out=seen)
        np.multiply(new_recurring, float(k + 1), out=added)
        seen += added
        seen += one_off
        seen /= safe
        if k:
            np.minimum(lowest, seen, out=lowest)
        else:
            lowest[...] = seen
    return lowest


def _signal(
    name: str,
    values: np.ndarray,
    *,
    window: int,
    level: float,
    below: bool,
    labels: list[str],
) -> Signal:
    p50 = column_median(values) if values.shape[0] else np.zeros(values.shape[1])
    warns = p50 < level if below else p50 >= level
    first = labels[int(np.argmax(warns))] if warns.any() else None
    return Signal(
        name=name,
        window_months=window,
        warning_level=float(level),
        below_is_warning=below,
        p50=[float(v) for v in p50],
        first_warning=first,
    )


def _median_bust(quarterly: np.ndarray, ordered: SortedColumns | None = None) -> int:
    """First quarter of the median path at least ``MILD_FALL`` below its best of the
    year before, or -1 (``ordered``: ``quarterly`` sorted, if the caller has it)."""
    if quarterly.shape[1] < 2:
        return -1
    # Only compared below, so a median's signed zero cannot matter; np.median's own
    # result bit for bit in any case (simulator.sorted_stats), from one sort.
    path = (ordered if ordered is not None else SortedColumns(quarterly)).median()
    for q in range(1, path.size):  # a few dozen quarters
        best = path[max(0, q - WINDOW_QUARTERS) : q].max()
        if best > 0 and path[q] <= (1.0 - MILD_FALL) * best:
            return q
    return -1


_BLOCK_ELEMENTS = 1 << 19
"""Elements per (runs, months, h or lines) array of one block of runs (4 MB): the default
preset's 1,000 runs x 36 months are one block (a second block cost 0.5 ms)."""


def _per_run_signals(
    output: EngineOutput,
    scenario: Scenario,
    *,
    arr: dict[str, np.ndarray],
    monthly_revenue: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Per run and month: raw pipeline coverage, its healthy level and their ratio,
    renewal exposure and revenue in sight, (runs, months) each.

    Each run's figures depend on that run alone, so they are computed a block of runs
    at a time: the (runs, months, h) temporaries of a block stay small instead of
    growing with the runs (the same numbers).
    """
    runs, months = output.renewals_due.shape
    n_lines = output.pipeline_open.shape[2]
    block = max(1, _BLOCK_ELEMENTS // max(1, months * (RENEWAL_MONTHS + n_lines)))
    parts = []
    for first in range(0, max(runs, 1), block):  # blocks of runs
        part = EngineOutput(
            **{
                name: getattr(output, name)[first : first + block]
                for name in EngineOutput.__dataclass_fields__
            }
        )
        raw, healthy, relative = _pipeline(part, scenario, arr=arr)
        recurring_now, loss = _renewals(part, scenario, arr=arr)
        run_rate = _run_rate(monthly_revenue[first : first + block])
        safe = np.where(run_rate > 0, run_rate, 1.0)
        exposure = np.where(run_rate > 0, loss[-1] / safe, 0.0)
        in_sight = _in_sight(part, arr, recurring_now=recurring_now, loss=loss, run_rate=run_rate)
        parts.append((raw, healthy, relative, exposure, in_sight))
    return tuple(np.concatenate(arrays) for arrays in zip(*parts, strict=True))


def early_warning(
    output: EngineOutput,
    scenario: Scenario,
    *,
    quarterly: np.ndarray,
    quarter_labels: list[str],
    quarter_first_month: list[int],
    monthly_revenue: np.ndarray | None = None,
    quarterly_sorted: SortedColumns | None = None,
) -> EarlyWarning:
    """The three signals per run and month, their median path and the warning lead.

    The lead is the months from the start of the warning spell still on in the month
    before the median path's first bust quarter to that quarter's first month; 0 when no
    signal warned in that month; None (with the reason) when the median path has no bust.
    ``monthly_revenue`` is ``output.revenue.sum(axis=(2, 3))`` and ``quarterly_sorted``
    is ``quarterly`` sorted (:class:`~simulator.sorted_stats.SortedColumns`) when the
    caller has them.
    """
    months = output.renewals_due.shape[1]
    labels = [month_label(scenario.start_index + t) for t in range(months)]
    arr = _line_arrays(scenario)
    if monthly_revenue is None:
        monthly_revenue = output.revenue.sum(axis=(2, 3))
    raw, healthy, relative, exposure, in_sight = _per_run_signals(
        output, scenario, arr=arr, monthly_revenue=monthly_revenue
    )

    pipeline = _signal(
        "pipeline_coverage",
        relative,
        window=PIPELINE_MONTHS,
        level=PIPELINE_WARNING,
        below=True,
        labels=labels,
    )
    renewals = _signal(
        "renewal_exposure",
        exposure,
        window=RENEWAL_MONTHS,
        level=RENEWAL_WARNING,
        below=False,
        labels=labels,
    )
    sight = _signal(
        "revenue_in_sight",
        in_sight,
        window=RENEWAL_MONTHS,
        level=IN_SIGHT_WARNING,
        below=True,
        labels=labels,
    )
    signals = (pipeline, renewals, sight)
    warns = np.stack([s.warns() for s in signals])  # (3, months)
    any_warn = warns.any(axis=0)
    first_any = labels[int(np.argmax(any_warn))] if any_warn.any() else None

    q = _median_bust(quarterly, quarterly_sorted)
    bust_label = quarter_labels[q] if q >= 0 else None
    lead: int | None = None
    on: list[str] = []
    warned_from = None
    if q < 0:
        reason = "no bust to warn of"
    else:
        bust_month = quarter_first_month[q]
        last = bust_month - 1
        if last < 0 or not any_warn[last]:
            lead, reason = 0, "no signal was on before the bust"
        else:
            start = last
            while start > 0 and any_warn[start - 1]:
                start -= 1
            lead = bust_month - start
            warned_from = labels[start]
            on = [s.name for s, w in zip(signals, warns[:, start], strict=True) if w]
            reason = f"warned from {labels[start]}, bust in {bust_label}"
    healthy_p50 = [float(v) for v in finite_column_median(healthy)]
    return EarlyWarning(
        months=labels,
        pipeline_coverage=pipeline,
        pipeline_ratio=[float(v) for v in column_median(raw)],
        pipeline_healthy=healthy_p50,
        renewal_exposure=renewals,
        revenue_in_sight=sight,
        first_warning=first_any,
        warned_from=warned_from,
        warning_signals=on,
        bust_quarter=bust_label,
        lead_months=lead,
        reason=reason,
    )
