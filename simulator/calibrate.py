"""Calibrate a scenario from a CRM export: the company's own numbers, fitted.

``calibrate`` reads an opportunities export (and optionally a contracts or
subscriptions export, see :mod:`simulator.crm_csv`) and fits, per product line, what
the model needs (docs/calibration.md gives every formula):

- win rate (won / decided), sales cycle (median months from created to won), deal size
  and its spread (won deals), lead flow (created a month), and the seasonality of the
  lead flow when the data span at least two years;
- the team (distinct owners unless given), focus (each line's share of opportunities)
  and closing effort per deal (so that closing keeps up with the decisions the data
  show, with ``CAPACITY_HEADROOM`` to spare);
- the open pipeline, by line and age, as ``[pipeline] open_deals``;
- the book: the largest contracts as ``[[contracts]]``, the rest as the warm start's
  pooled book.

Every row left out is counted in a data-quality note. The fit is then checked by a
**backtest**: the fitted company is simulated over the data's own period, from the
pipeline it had at the period's start, and its monthly bookings compared with what
was actually booked. Nothing here writes files or keeps the data: the caller gets a
:class:`Calibration` with the validated scenario.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import budget
from .crm_csv import (
    CONTRACT_FIELDS,
    MISSING,
    OPPORTUNITY_FIELDS,
    UNREADABLE,
    Columns,
    CrmFileError,
    codes,
    date_evidence,
    decide_date_order,
    load_columns,
    month_of,
    normalise,
    parse_amounts,
    parse_dates,
)
from .engine import orphan_probability, run_engine
from .models import (
    MAX_CONTRACTS,
    MAX_DEAL_SIZE_CV,
    MAX_MONTHS,
    MAX_PRODUCT_LINES,
    MAX_REPS,
    Effort,
    Engagement,
    ProductLine,
    Relationships,
    Scenario,
    Simulation,
    Team,
    month_label,
)
from .scenario_io import ScenarioError, scenario_from_dict

BACKTEST_RUNS = 500
"""Runs of the backtest: the 10th and 90th percentiles of a month to about 2% of their spread."""
CAPACITY_HEADROOM = 1.25
"""Closing capacity over the decisions a month the data show: room for busy months
without idle closers pulling young deals forward (docs/model.md, "Deciding")."""
MIN_SEASON_MONTHS = 24
"""Full months of lead flow needed to fit seasonality (each calendar month twice)."""
SEASON_CHI2 = 24.725
"""Chi-square with 11 degrees of freedom, 99th percentile: a seasonal pattern weaker
than this is left out as chance."""
LEAD_IN_SHARE = 0.25
"""Months before the first with at least this share of the median monthly opportunities
are a sparse lead-in (e.g. old deals in an export of recent closes), left out of the
lead flow."""
MIN_DECIDED = 10
"""Decided deals a line needs for its own win rate, cycle and deal size; fewer: the
pooled figures of all lines, with a note."""
LATE_CLOSE_DAYS = 31
"""A won or lost deal closed more than this after the newest created date is dated in
the future: left out."""
MAX_NOTES = 40
"""Data-quality notes kept (the rest are counted)."""
MAX_AMOUNT = 1e12
OTHER = "Other"
UNSPECIFIED = "Unspecified"
DAYS_PER_MONTH = 365.25 / 12

WON_STAGES = frozenset({"won", "closedwon", "closewon", "dealwon", "win", "booked", "signed"})
LOST_STAGES = frozenset({"lost", "closedlost", "closelost", "deallost", "lose"})
RENEWAL_TYPES = ("renewal", "renew")
EXPANSION_TYPES = ("existing", "upsell", "upgrade", "expansion", "addon", "crosssell", "upsale")
CANCELLED = ("cancel", "churn", "ended", "expired", "inactive", "terminated", "lapsed")

OPEN, WON, LOST = 0, 1, 2
NEW_BUSINESS, RENEWAL, EXPANSION = 0, 1, 2


# --- Results.
@dataclass(frozen=True)
class LineFit:
    """What was fitted for one product line (the scenario's fields, and their evidence)."""

    line_id: str
    name: str
    opportunities: int  # new-business opportunities
    won: int
    lost: int
    open: int
    win_rate: float
    sales_cycle_months: int
    deal_size: float
    deal_size_cv: float
    created_per_month: float
    leads_per_rep_month: float
    focus: float
    close_effort_per_deal: float
    term_months: int
    renewal_rate: float
    open_deals: tuple[int, ...]
    open_value: float  # the open deals' amounts (blank: the deal size)
    stale_open: int  # open deals too old to be decided, left out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "opportunities": self.opportunities,
            "won": self.won,
            "lost": self.lost,
            "open": self.open,
            "win_rate": self.win_rate,
            "sales_cycle_months": self.sales_cycle_months,
            "deal_size": self.deal_size,
            "deal_size_cv": self.deal_size_cv,
            "created_per_month": self.created_per_month,
            "leads_per_rep_month": self.leads_per_rep_month,
            "focus": self.focus,
            "close_effort_per_deal": self.close_effort_per_deal,
            "term_months": self.term_months,
            "renewal_rate": self.renewal_rate,
            "open_deals": sum(self.open_deals),
            "open_deals_by_age": list(self.open_deals),
            "open_pipeline_value": self.open_value,
            "stale_open_deals": self.stale_open,
        }


@dataclass(frozen=True)
class Backtest:
    """The fitted company simulated over the data's own months, beside what was booked."""

    months: tuple[str, ...]
    actual: np.ndarray  # (months,) new-business bookings a month, as exported
    p10: np.ndarray
    p50: np.ndarray
    p90: np.ndarray
    runs: int
    total_actual: float
    total_p50: float  # median over runs of the period's total

    @property
    def total_gap(self) -> float | None:
        """The simulated median total against the actual one (+0.05: 5% more), or None
        when nothing was booked."""
        return self.total_p50 / self.total_actual - 1.0 if self.total_actual > 0 else None

    @property
    def within_band(self) -> int:
        """Months whose actual bookings are within the simulated 10th-90th percentiles."""
        return int(np.sum((self.actual >= self.p10) & (self.actual <= self.p90)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.months[0],
            "months": list(self.months),
            "runs": self.runs,
            "actual_bookings": self.actual.tolist(),
            "simulated_bookings_p10": self.p10.tolist(),
            "simulated_bookings_p50": self.p50.tolist(),
            "simulated_bookings_p90": self.p90.tolist(),
            "months_within_band": self.within_band,
            "total_actual": self.total_actual,
            "total_simulated_p50": self.total_p50,
        }


@dataclass(frozen=True)
class Calibration:
    """A fitted scenario, the figures behind it, the notes and the backtest."""

    scenario: Scenario
    lines: tuple[LineFit, ...]
    reps: float
    reps_source: str  # "owners", "given" or "default"
    rows: int
    as_of: dt.date
    first_month: str
    columns: dict[str, str]
    file_format: dict[str, Any]
    seasonality: tuple[float, ...] | None
    contracts: dict[str, Any] | None
    warnings: tuple[str, ...]
    backtest: Backtest | None

    @property
    def open_deals(self) -> int:
        return sum(sum(line.open_deals) for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "as_of": self.as_of.isoformat(),
            "first_month": self.first_month,
            "start": self.scenario.simulation.start,
            "columns": self.columns,
            "format": self.file_format,
            "reps": self.reps,
            "reps_source": self.reps_source,
            "lines": {line.line_id: line.to_dict() for line in self.lines},
            "open_deals": self.open_deals,
            "seasonality": {"leads": list(self.seasonality)} if self.seasonality else None,
            "contracts": self.contracts,
            "warnings": list(self.warnings),
            "backtest": self.backtest.to_dict() if self.backtest else None,
        }


class _Notes:
    """Data-quality notes, bounded."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.dropped = 0

    def add(self, text: str) -> None:
        if len(self.items) < MAX_NOTES:
            self.items.append(text)
        else:
            self.dropped += 1

    def rows(self, count: int, what: str, *, lines: np.ndarray) -> None:
        """A note for ``count`` rows left out or changed, naming the first row's line."""
        if count:
            first = f" (first: line {int(lines[0]):,})" if len(lines) else ""
            self.add(f"{count:,} {'row' if count == 1 else 'rows'} {what}{first}")

    def final(self) -> tuple[str, ...]:
        more = [f"... and {self.dropped:,} more notes"] if self.dropped else []
        return (*self.items, *more)


# --- The opportunities, as typed arrays.
@dataclass
class _Deals:
    """The usable rows of an opportunities export (one entry per row)."""

    kind: np.ndarray  # OPEN, WON, LOST
    deal_type: np.ndarray  # NEW_BUSINESS, RENEWAL, EXPANSION
    amount: np.ndarray  # float, NaN when blank
    created: np.ndarray  # date ordinals
    closed: np.ndarray  # date ordinals (MISSING on open deals)
    created_month: np.ndarray
    closed_month: np.ndarray  # -1 on open deals
    product: np.ndarray  # codes into product_names
    product_names: list[str]
    owner: np.ndarray  # codes into owner_names; -1: blank or no column
    owner_names: list[str]
    line_number: np.ndarray
    as_of: int  # ordinal of the export's newest date


def _stage_kind(name: str, *, won: set[str] | None, lost: set[str] | None) -> int:
    key = normalise(name)
    words = set(re.findall(r"[a-z0-9]+", name.casefold()))
    is_won = key in won if won is not None else (key in WON_STAGES or "won" in words)
    is_lost = key in lost if lost is not None else (key in LOST_STAGES or "lost" in words)
    if is_won and not is_lost:
        return WON
    if is_lost and not is_won:
        return LOST
    return OPEN


def _deal_type(name: str) -> int:
    key = normalise(name)
    if any(word in key for word in RENEWAL_TYPES):
        return RENEWAL
    if any(word in key for word in EXPANSION_TYPES):
        return EXPANSION
    return NEW_BUSINESS


def _read_deals(
    columns: Columns,
    *,
    notes: _Notes,
    won: Sequence[str],
    lost: Sequence[str],
    date_order: str | None,
) -> tuple[_Deals, dict[str, Any]]:
    values, lines = columns.values, columns.line_of_row
    source = columns.source
    if columns.rows == 0:
        raise CrmFileError(f"{source}: the file has a header but no rows")
    amounts = parse_amounts(values["amount"], source=source, column=columns.column_name("amount"))
    for note in amounts.notes:
        notes.add(note)
    european = columns.delimiter == ";" or amounts.decimal == ","
    evidence = date_evidence([values["created"], values["closed"]])
    order, date_notes = decide_date_order(
        evidence, source=source, given=date_order, european=european
    )
    for note in date_notes:
        notes.add(note)
    if evidence.two_digit_years:
        notes.add(
            f"dates: {evidence.two_digit_years:,} dates have two-digit years, read as "
            "2000-2069 (00-69) and 1970-1999 (70-99)"
        )
    created = parse_dates(values["created"], order=order)
    closed = parse_dates(values["closed"], order=order)
    stage_code, stage_names = codes(values["stage"])
    won_set = {normalise(s) for s in won} if won else None
    lost_set = {normalise(s) for s in lost} if lost else None
    stage_kinds = np.array(
        [_stage_kind(n, won=won_set, lost=lost_set) if n else -1 for n in stage_names],
        dtype=np.int64,
    )
    kind = stage_kinds[stage_code] if len(stage_names) else np.zeros(0, dtype=np.int64)
    _check_stages(stage_names, stage_code, stage_kinds, source=source, won=won, lost=lost)
    open_note = _open_stages_note(stage_names, stage_code, stage_kinds)
    if open_note:
        notes.add(open_note)
    if "type" in values:
        type_code, type_names = codes(values["type"])
        deal_type = np.array([_deal_type(n) for n in type_names], dtype=np.int64)[type_code]
    else:
        deal_type = np.zeros(columns.rows, dtype=np.int64)
    keep = np.ones(columns.rows, dtype=bool)

    def drop(mask: np.ndarray, what: str) -> None:
        mask = mask & keep
        notes.rows(int(mask.sum()), what, lines=lines[mask])
        keep[mask] = False

    decided = (kind == WON) | (kind == LOST)
    drop(kind < 0, "without a stage: left out")
    drop(created == MISSING, "without a created date: left out")
    drop(created == UNREADABLE, "with a created date that is not a date: left out")
    drop(decided & (closed < 0), "won or lost without a readable close date: left out")
    drop(decided & (closed >= 0) & (closed < created), "closed before they were created: left out")
    drop(amounts.values < 0, "with a negative amount: left out")
    amount = amounts.values.copy()
    unreadable = amounts.unreadable & keep
    notes.rows(
        int(unreadable.sum()),
        "with an amount that is not a number: read as blank",
        lines=lines[unreadable],
    )
    huge = keep & (amount > MAX_AMOUNT)
    notes.rows(
        int(huge.sum()), f"with an amount above {MAX_AMOUNT:.0e}: read as blank", lines=lines[huge]
    )
    amount[huge] = np.nan
    if not keep.any():
        raise CrmFileError(
            f"{source}: no row has a stage and a created date (see the columns used)"
        )
    newest_created = int(created[keep].max())
    late = decided & keep & (closed > newest_created + LATE_CLOSE_DAYS)
    drop(
        late,
        "closed more than a month after the newest created date (dated in the future): left out",
    )
    as_of = max(newest_created, int(closed[keep & decided].max(initial=0)))
    product_code, product_names = (
        codes(values["product"])
        if "product" in values
        else (np.zeros(columns.rows, np.int64), [""])
    )
    if "owner" in values:
        owner_code, owner_names = codes(values["owner"])
        blank = [i for i, n in enumerate(owner_names) if not n]
        if blank:
            owner_code = np.where(owner_code == blank[0], -1, owner_code)
    else:
        owner_code, owner_names = np.full(columns.rows, -1, dtype=np.int64), []
    if "account" in values:
        blank_accounts = keep & (np.array([not v for v in values["account"]], dtype=bool))
        notes.rows(
            int(blank_accounts.sum()),
            "without an account: kept (the account is not used in the fit)",
            lines=lines[blank_accounts],
        )
    k = keep
    closed_k = np.where(decided[k], closed[k], MISSING)
    deals = _Deals(
        kind=kind[k],
        deal_type=deal_type[k],
        amount=amount[k],
        created=created[k],
        closed=closed_k,
        created_month=month_of(created[k]),
        closed_month=month_of(closed_k),
        product=product_code[k],
        product_names=product_names,
        owner=owner_code[k],
        owner_names=owner_names,
        line_number=lines[k],
        as_of=as_of,
    )
    file_format = {
        "delimiter": columns.delimiter,
        "encoding": columns.encoding,
        "decimal": amounts.decimal,
        "date_order": order if evidence.numeric else None,  # None: ISO or named months
        "currency": amounts.currency,
    }
    return deals, file_format


def _check_stages(
    names: list[str],
    code: np.ndarray,
    kinds: np.ndarray,
    *,
    source: str,
    won: Sequence[str],
    lost: Sequence[str],
) -> None:
    """Refuse an export where no stage reads as won (nothing to fit), naming the stages."""
    counts = np.bincount(code, minlength=len(names))
    if not np.any(kinds == WON):
        common = [names[i] for i in np.argsort(-counts) if names[i]][:8]
        how = "the stages given with --won" if won else "any stage (e.g. 'Closed Won')"
        raise CrmFileError(
            f"{source}: no deal is won: none of the stages ({', '.join(common)}) matches "
            f"{how}; name the won stages with --won STAGE"
        )
    if lost and not np.any(kinds == LOST):
        raise CrmFileError(f"{source}: no stage matches --lost {' '.join(lost)}")


def _open_stages_note(names: list[str], code: np.ndarray, kinds: np.ndarray) -> str | None:
    """Which stages count as open pipeline, the most common first, so that a closed
    stage the usual names miss ("Disqualified") is seen."""
    counts = np.bincount(code, minlength=len(names))
    open_ = [i for i in np.argsort(-counts, kind="stable") if kinds[i] == OPEN and counts[i]]
    if not open_:
        return None
    shown = ", ".join(f"{names[i]!r} ({counts[i]:,})" for i in open_[:6])
    more = f" and {len(open_) - 6} more" if len(open_) > 6 else ""
    return f"stages read as open pipeline: {shown}{more}; name a closed one with --won or --lost"


# --- Product lines.
def _line_id(name: str, taken: set[str]) -> str:
    """A valid, unused product line id made from a name ("Enterprise Suite" ->
    "enterprise_suite")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_name.casefold()).strip("_")
    if not base or not base[0].isalpha():
        base = f"line_{base}".rstrip("_")
    base = base[:32].rstrip("_")
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"_{n}"
        candidate, n = base[: 32 - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


def _group_lines(deals: _Deals, notes: _Notes) -> tuple[np.ndarray, list[str], dict[str, int]]:
    """Each deal's line (0..), the line names and product name -> line: a line per
    product, at most MAX_PRODUCT_LINES, the smallest grouped as "Other"."""
    names = [n if n else UNSPECIFIED for n in deals.product_names]
    if len(deals.product_names) == 1 and not deals.product_names[0]:
        names = ["All products"]
    new = deals.deal_type == NEW_BUSINESS
    counts = np.bincount(deals.product[new], minlength=len(names))
    order = [int(i) for i in np.argsort(-counts, kind="stable")]
    order = [i for i in order if counts[i] > 0] or order[:1]
    if len(order) > MAX_PRODUCT_LINES:
        kept, grouped = order[: MAX_PRODUCT_LINES - 1], order[MAX_PRODUCT_LINES - 1 :]
        notes.add(
            f"product lines: {len(order)} products; the {len(grouped)} smallest "
            f"({', '.join(names[i] for i in grouped[:4])}{', ...' if len(grouped) > 4 else ''}) "
            f"are grouped as '{OTHER}' (the model takes at most {MAX_PRODUCT_LINES} lines)"
        )
    else:
        kept, grouped = order, []
    line_names = [names[i] for i in kept] + ([OTHER] if grouped else [])
    line_of_product = np.full(len(names), len(kept), dtype=np.int64)  # unused products: Other
    for line, product in enumerate(kept):
        line_of_product[product] = line
    if not grouped:
        line_of_product[line_of_product == len(kept)] = 0
    by_name = {normalise(names[p]): int(line_of_product[p]) for p in range(len(names))}
    return line_of_product[deals.product], line_names, by_name


# --- Lead flow and seasonality.
def _lead_window(created_month: np.ndarray, *, as_of_month: int, notes: _Notes) -> int:
    """The first month of the lead flow: the first with at least LEAD_IN_SHARE of the
    median monthly count (months before it are a sparse lead-in)."""
    first = int(created_month.min())
    counts = np.bincount(created_month - first, minlength=as_of_month - first + 1)
    full = counts[:-1] if len(counts) > 1 else counts
    threshold = LEAD_IN_SHARE * float(np.median(full))
    start = first + int(np.argmax(counts >= threshold))
    before = int(counts[: start - first].sum())
    if before:
        notes.add(
            f"lead flow: {before:,} opportunities created before {month_label(start)} (a "
            f"sparse lead-in, under {LEAD_IN_SHARE:.0%} of a typical month) count in the win "
            "rates and cycles but not in the lead flow"
        )
    return start


def _seasonality(
    counts: np.ndarray, *, first_month: int, notes: _Notes
) -> tuple[float, ...] | None:
    """Twelve lead-flow multipliers (January first, mean 1) from monthly counts over
    full months, or None: the ratio of each month to the straight-line trend through
    the counts, averaged per calendar month; kept only when the pattern is beyond
    chance (a chi-square test of the counts per calendar month against the trend, 99%)."""
    n = len(counts)
    if n < MIN_SEASON_MONTHS:
        notes.add(
            f"seasonality: {n} full months of data; at least {MIN_SEASON_MONTHS} are needed "
            "to fit it, so the lead flow has no season"
        )
        return None
    months = np.arange(n)
    slope, level = np.polyfit(months, counts.astype(float), 1)
    trend = level + slope * months
    if trend.min() <= 0:  # a line through the counts that falls below 0: no trend
        trend = np.full(n, float(counts.mean()))
    if trend.min() <= 0:
        return None
    observed = counts.astype(float)
    calendar = (first_month + months) % 12
    ratio_sum = np.bincount(calendar, weights=observed / trend, minlength=12)
    seen = np.bincount(calendar, minlength=12)
    o_month = np.bincount(calendar, weights=observed, minlength=12)
    e_month = np.bincount(calendar, weights=trend, minlength=12)
    chi2 = float(np.sum((o_month - e_month) ** 2 / e_month))
    if chi2 < SEASON_CHI2:
        notes.add(
            f"seasonality: the monthly lead flow varies no more than chance would make it "
            f"(chi-square {chi2:.1f} < {SEASON_CHI2}); no season fitted"
        )
        return None
    factors = np.clip(ratio_sum / seen, 0.0, 5.0)
    factors = factors / factors.mean()
    rounded = np.round(factors, 3)
    rounded[int(np.argmax(rounded))] += round(12.0 - float(rounded.sum()), 3)
    return tuple(float(round(f, 3)) for f in rounded)


# --- The fit per line.
def _steady_referral_share(
    *, win_rate: float, term: int, renewal_rate: float
) -> tuple[float, float]:
    """(g, client life) of docs/model.md, section 8: the share of a steady lead flow that
    referrals from the book bring, and how long a client stays."""
    engagement, typical = Engagement(), Relationships()
    years = term / 12.0 if term > 0 else 1.0
    orphan = float(
        orphan_probability(typical.contacts_per_account, typical.champion_turnover, years)
    )
    p0 = renewal_rate * ((1.0 - orphan) + orphan * engagement.orphan_renewal_factor)
    life = term / max(1.0 - p0, 0.05) if term > 0 else 0.0
    g = engagement.referral_rate_annual / 12.0 * win_rate * (life if term > 0 else 12.0)
    return g, life


def _round_sig(x: float, digits: int = 4) -> float:
    if x == 0 or not math.isfinite(x):
        return 0.0
    return float(f"{x:.{digits}g}")


@dataclass
class _LineEvidence:
    name: str
    opportunities: int
    won: int
    lost: int
    open: int
    created_in_window: int
    win_rate: float | None
    cycle: int | None
    deal_size: float | None
    cv: float | None
    renewal_rate: float | None


def _line_evidence(deals: _Deals, line: np.ndarray, i: int, name: str, start: int) -> _LineEvidence:
    new = (line == i) & (deals.deal_type == NEW_BUSINESS)
    won = new & (deals.kind == WON)
    lost = new & (deals.kind == LOST)
    n_won, n_lost = int(won.sum()), int(lost.sum())
    amounts = deals.amount[won]
    amounts = amounts[np.isfinite(amounts) & (amounts > 0)]
    renewals = (line == i) & (deals.deal_type == RENEWAL)
    r_won = int((renewals & (deals.kind == WON)).sum())
    r_decided = r_won + int((renewals & (deals.kind == LOST)).sum())
    return _LineEvidence(
        name=name,
        opportunities=int(new.sum()),
        won=n_won,
        lost=n_lost,
        open=int((new & (deals.kind == OPEN)).sum()),
        created_in_window=int((new & (deals.created_month >= start)).sum()),
        win_rate=n_won / (n_won + n_lost) if n_won + n_lost >= MIN_DECIDED and n_won else None,
        cycle=(
            max(1, round(float(np.median(deals.closed_month[won] - deals.created_month[won]))))
            if n_won >= MIN_DECIDED
            else None
        ),
        deal_size=float(amounts.mean()) if len(amounts) >= MIN_DECIDED else None,
        cv=float(amounts.std() / amounts.mean()) if len(amounts) >= MIN_DECIDED else None,
        renewal_rate=r_won / r_decided if r_decided >= MIN_DECIDED else None,
    )


def _pooled_evidence(deals: _Deals) -> _LineEvidence:
    return _line_evidence(deals, np.zeros(len(deals.kind), dtype=np.int64), 0, "all lines", 0)


# --- Contracts.
@dataclass(frozen=True)
class _ContractGroup:
    name: str
    line: int
    annual_value: float
    ends: int  # month index
    term: int
    contacts: int | None


_PERIOD = re.compile(r"(?:every)?([0-9]{1,3})(month|mo|m|year|yr|y|week|wk|w)s?(?:ly)?")


def _billing_per_year(text: str) -> float | None:
    """Billing periods a year of a billing text ("monthly", "Annual", "3 months"), or None."""
    key = normalise(text)
    if not key:
        return None
    found = _PERIOD.fullmatch(key)
    if found:
        n, unit = int(found.group(1)), found.group(2)
        if n == 0:
            return None
        per_unit = 12.0 if unit.startswith("m") else 52.0 if unit.startswith("w") else 1.0
        return per_unit / n
    for words, per_year in (
        (("week",), 52.0),
        (("semi", "half", "biannual"), 2.0),
        (("quarter", "qtr"), 4.0),
        (("month", "mrr"), 12.0),
        (("year", "annual", "arr"), 1.0),
    ):
        if any(w in key for w in words):
            return per_year
    return None


def _whole(text: str) -> int | None:
    found = re.fullmatch(r"\s*([0-9]{1,4})(?:[.,]0+)?\s*[a-zA-Z ]*", text)
    return int(found.group(1)) if found else None


def _read_contracts(
    raw: bytes,
    *,
    source: str,
    overrides: Mapping[str, str | None],
    line_by_product: dict[str, int],
    default_line: int,
    n_lines: int,
    start: int,
    as_of: int,
    date_order: str | None,
    notes: _Notes,
    max_rows: int | None,
) -> tuple[list[_ContractGroup], list[list[int]], dict[str, str]]:
    """Contracts in force at the start (month index ``start``), grouped per account, line,
    end month and term; and the terms seen per line (for the lines' term)."""
    columns = load_columns(
        raw,
        source=source,
        fields=CONTRACT_FIELDS,
        overrides=overrides,
        map_prefix="contracts.",
        max_rows=max_rows,
    )
    values, lines = columns.values, columns.line_of_row
    if not any(f in values for f in ("annual_value", "monthly_value", "amount")):
        raise CrmFileError(
            f"{source}: no column for the field 'annual_value' (nor 'monthly_value' or "
            f"'amount' with 'billing'); name one with --map contracts.annual_value=COLUMN "
            f"(columns: {', '.join(columns.header[:12])})"
        )
    if not any(f in values for f in ("end", "start")):
        raise CrmFileError(
            f"{source}: no column for the field 'end' (nor 'start'); name it with --map "
            f"contracts.end=COLUMN (columns: {', '.join(columns.header[:12])})"
        )
    n = columns.rows
    if n == 0:
        raise CrmFileError(f"{source}: the file has a header but no rows")

    def amounts_of(name: str) -> np.ndarray:
        if name not in values:
            return np.full(n, np.nan)
        return parse_amounts(values[name], source=source, column=columns.column_name(name)).values

    annual = amounts_of("annual_value")
    monthly = amounts_of("monthly_value") * 12.0
    per_period = amounts_of("amount")
    if "billing" in values:
        billing_code, billings = codes(values["billing"])
        periods = [_billing_per_year(t) for t in billings]
        per_year = np.array([np.nan if p is None else p for p in periods])[billing_code]
    else:
        per_year = np.full(n, np.nan)
    if "amount" in values and "annual_value" not in values and "monthly_value" not in values:
        unknown = np.isnan(per_year) & np.isfinite(per_period)
        if unknown.any():
            notes.add(
                f"contracts: {int(unknown.sum()):,} amounts without a known billing period "
                "are read as annual values"
            )
    value = np.where(np.isfinite(annual), annual, np.where(np.isfinite(monthly), monthly, np.nan))
    value = np.where(
        np.isnan(value), per_period * np.where(np.isnan(per_year), 1.0, per_year), value
    )
    monthly_billing = (per_year == 12.0) | (
        np.isnan(per_year) & np.isfinite(monthly) & np.isnan(annual)
    )
    evidence = date_evidence([values.get("start", []), values.get("end", [])])
    order, date_notes = decide_date_order(
        evidence, source=source, given=date_order, european=columns.delimiter == ";"
    )
    for note in date_notes:
        notes.add(f"contracts {note}")
    start_day = (
        parse_dates(values["start"], order=order) if "start" in values else np.full(n, MISSING)
    )
    end_day = parse_dates(values["end"], order=order) if "end" in values else np.full(n, MISSING)
    if "term" in values:
        term_code, term_texts = codes(values["term"])
        known_terms = [_whole(t) for t in term_texts]
        terms = [known_terms[c] for c in term_code.tolist()]
    else:
        terms = [None] * n
    if "status" in values:
        status_code, statuses = codes(values["status"])
        is_cancelled = [any(w in normalise(t) for w in CANCELLED) for t in statuses]
        cancelled = np.array(is_cancelled, dtype=bool)[status_code]
    else:
        cancelled = np.zeros(n, dtype=bool)

    accounts = values.get("account", [""] * n)
    products = values.get("product", [""] * n)
    contacts_text = values.get("contacts", [""] * n)

    counts: Counter[str] = Counter()
    first_line: dict[str, int] = {}

    def count(reason: str, i: int) -> None:
        counts[reason] += 1
        first_line.setdefault(reason, int(lines[i]))

    # Earliest start per account and product: the anniversary of a running subscription.
    first_start: dict[tuple[str, str], int] = {}
    for i in range(n):
        if start_day[i] > 0:
            key = (accounts[i], products[i])
            first_start[key] = min(first_start.get(key, start_day[i]), int(start_day[i]))
    unmatched: Counter[str] = Counter()
    groups: dict[tuple[str, int, int, int], list[float]] = {}
    group_contacts: dict[tuple[str, int, int, int], int] = {}
    line_terms: list[list[int]] = [[] for _ in range(n_lines)]
    unnamed = 0
    for i in range(n):
        if cancelled[i]:
            count("cancelled or ended (status)", i)
            continue
        v = float(value[i])
        if not math.isfinite(v) or v < 1.0 or v > MAX_AMOUNT:
            count("without a usable value (blank, below 1 or not a number)", i)
            continue
        if start_day[i] == UNREADABLE or end_day[i] == UNREADABLE:
            count("with a start or end that is not a date", i)
            continue
        product_key = normalise(products[i])
        line = line_by_product.get(product_key)
        if line is None:
            line = default_line
            if product_key:
                unmatched[products[i]] += 1
        term = terms[i]
        s, e = int(start_day[i]), int(end_day[i])
        one_period = e > 0 and s > 0 and e - s <= 45
        evergreen = e <= 0 or (bool(monthly_billing[i]) and (one_period or s <= 0))
        if not evergreen:
            ends = _month_after(e)
            if term is None and s > 0:
                months = round((e - s) / DAYS_PER_MONTH)
                term = months if 1 <= months <= 120 else None
            if term is not None and 1 <= term <= 120:
                line_terms[line].append(term)
        else:
            term = term if term is not None and 1 <= term <= 120 else 12
            anchor = first_start.get((accounts[i], products[i]))
            if anchor is None:  # no start date: spread the renewal months over the year
                ends = start + zlib.crc32(accounts[i].encode()) % term
                count("active without a start or end date: renewal month spread over a term", i)
            else:
                anchor_month = _month_index(anchor)
                ends = anchor_month + term * max(1, -(-(start - anchor_month) // term))
        if ends < start:
            count(f"ended before {month_label(start)}: not in the book", i)
            continue
        if s > as_of:
            count("starting after the export date: kept in the book", i)
        name = " ".join(accounts[i].split())[:100]
        if not name:
            unnamed += 1
            name = f"Unnamed account {unnamed}"
        key = (name, line, int(ends), int(term or 12))
        groups.setdefault(key, []).append(v)
        c = _whole(contacts_text[i]) if contacts_text[i] else None
        if c is not None:
            group_contacts[key] = max(group_contacts.get(key, 0), min(max(c, 1), 20))
    for reason, number in counts.items():
        notes.add(f"contracts: {number:,} rows {reason} (first: line {first_line[reason]:,})")
    if unnamed:
        notes.add(
            f"contracts: {unnamed:,} contracts without an account are named 'Unnamed account N'"
        )
    if unmatched:
        names = ", ".join(list(unmatched)[:4])
        notes.add(
            f"contracts: products not among the opportunities' lines ({names}) are put on the "
            "largest line"
        )
    merged = sum(len(v) - 1 for v in groups.values())
    if merged:
        notes.add(
            f"contracts: {merged:,} rows of the same account, line and renewal month are "
            "added together (subscription items)"
        )
    result = [
        _ContractGroup(
            name=key[0],
            line=key[1],
            annual_value=float(sum(vals)),
            ends=key[2],
            term=key[3],
            contacts=group_contacts.get(key),
        )
        for key, vals in groups.items()
    ]
    used = {name: columns.column_name(name) for name in columns.mapping}
    return result, line_terms, used


def _month_index(ordinal: int) -> int:
    day = dt.date.fromordinal(ordinal)
    return day.year * 12 + day.month - 1


def _month_after(ordinal: int) -> int:
    """Month index of the day after ``ordinal``: a contract ending on 31 March is up
    for renewal in April."""
    day = dt.date.fromordinal(ordinal + 1)
    return day.year * 12 + day.month - 1


# --- The whole calibration.
def calibrate(
    opportunities: bytes,
    *,
    source: str = "opportunities",
    contracts: bytes | None = None,
    contracts_source: str = "contracts",
    mapping: Mapping[str, str | None] | None = None,
    contract_mapping: Mapping[str, str | None] | None = None,
    won: Sequence[str] = (),
    lost: Sequence[str] = (),
    reps: float | None = None,
    date_order: str | None = None,
    backtest_runs: int = BACKTEST_RUNS,
    seed: int = Simulation().seed,
    max_rows: int | None = None,
) -> Calibration:
    """Fit a scenario to a CRM export (bytes of CSV files, as read or uploaded).

    ``mapping`` / ``contract_mapping``: field -> column overrides (``--map``; None: the
    file has no column for that field); ``max_rows``: the most rows a file may have (the
    app's upload limit is lower than the command line's; default ``MAX_CSV_ROWS``); ``won`` /
    ``lost``: the stages that count as won or lost (default: the usual names);
    ``reps``: the team size (default: distinct owners); ``date_order``: 'dmy' or 'mdy'
    for numeric dates the file itself does not settle. Raises :class:`CrmFileError`
    with one line naming the file, row or column when the export cannot be used.
    """
    if reps is not None and not 0 < reps <= MAX_REPS:
        raise CrmFileError(f"--reps: {reps:g} is outside 0 < reps <= {MAX_REPS:,}")
    if date_order not in (None, "dmy", "mdy"):
        raise CrmFileError(f"--date-order: {date_order!r} is not dmy or mdy")
    notes = _Notes()
    columns = load_columns(
        opportunities,
        source=source,
        fields=OPPORTUNITY_FIELDS,
        overrides=mapping or {},
        max_rows=max_rows,
    )
    if columns.short_rows:
        notes.add(f"{columns.short_rows:,} rows have fewer columns than the header: blanks assumed")
    deals, file_format = _read_deals(
        columns, notes=notes, won=won, lost=lost, date_order=date_order
    )
    used_columns = {name: columns.column_name(name) for name in columns.mapping}
    del columns
    as_of = dt.date.fromordinal(deals.as_of)
    as_of_month = as_of.year * 12 + as_of.month - 1
    start = as_of_month + 1
    line, line_names, line_by_product = _group_lines(deals, notes)
    n_lines = len(line_names)
    other_types = deals.deal_type != NEW_BUSINESS
    if other_types.any():
        renewals = int((deals.deal_type == RENEWAL).sum())
        notes.add(
            f"{int(other_types.sum()):,} renewal or expansion opportunities ({renewals:,} "
            "renewals) are not new business: left out of the lead flow, win rates and "
            "cycles (renewals set a line's renewal rate when there are enough)"
        )
    new = deals.deal_type == NEW_BUSINESS
    if not new.any():
        raise CrmFileError(
            f"{source}: no new-business opportunity (every row is a renewal or expansion)"
        )
    window = _lead_window(deals.created_month[new], as_of_month=as_of_month, notes=notes)

    # The team.
    if reps is not None:
        team, reps_source = float(reps), "given"
    else:
        owners = np.unique(deals.owner[deals.owner >= 0])
        if len(owners):
            team, reps_source = float(min(len(owners), MAX_REPS)), "owners"
            notes.add(
                f"reps: {len(owners):,} distinct owners over the whole export; pass --reps "
                "if the team today is a different size"
            )
        else:
            team, reps_source = Team().reps, "default"
            notes.add(
                f"reps: no owner column; the model's default team of {Team().reps:g} reps is "
                "used (pass --reps)"
            )

    # The book, if given (its terms set the lines' terms).
    book: list[_ContractGroup] = []
    terms_seen: list[list[int]] = [[] for _ in range(n_lines)]
    contract_columns: dict[str, str] = {}
    if contracts is not None:
        largest = int(np.argmax(np.bincount(line[new], minlength=n_lines)))
        book, terms_seen, contract_columns = _read_contracts(
            contracts,
            source=contracts_source,
            overrides=contract_mapping or {},
            line_by_product=line_by_product,
            default_line=largest,
            n_lines=n_lines,
            start=start,
            as_of=deals.as_of,
            date_order=date_order,
            notes=notes,
            max_rows=max_rows,
        )

    fits, flows = _fit_lines(
        deals,
        line=line,
        line_names=line_names,
        window=window,
        as_of_month=as_of_month,
        team=team,
        terms_seen=terms_seen,
        notes=notes,
    )
    full_months = _last_full_month(as_of) - window + 1
    flow = np.bincount(
        deals.created_month[new & (deals.created_month >= window)] - window,
        minlength=max(full_months, 0),
    )[: max(full_months, 0)]
    season = _seasonality(flow, first_month=window, notes=notes) if full_months > 0 else None

    contracts_info, pooled = None, [0] * n_lines
    explicit: list[_ContractGroup] = []
    if contracts is not None:
        explicit, pooled, contracts_info = _split_book(book, fits, notes)
        clients = np.array(pooled, dtype=float)
        for c in explicit:
            clients[c.line] += 1.0
        fits, efforts = _with_leads(fits, flows=flows, team=team, clients=clients, notes=notes)
    else:
        fits, efforts = _with_leads(fits, flows=flows, team=team, clients=None, notes=notes)
    scenario = _scenario(
        fits,
        team=team,
        start=start,
        season=season,
        explicit=explicit,
        pooled=pooled if contracts is not None else None,
        engagement=efforts,
        title=f"Calibrated from {source}",
        description=(
            f"Fitted by whiplash calibrate from {int(new.sum()):,} new-business opportunities "
            f"created {month_label(window)} to {as_of.isoformat()}."
        ),
        notes=notes,
    )
    backtest = _backtest(
        deals,
        line=line,
        fits=fits,
        scenario=scenario,
        window=window,
        as_of=as_of,
        runs=backtest_runs,
        seed=seed,
        notes=notes,
    )
    return Calibration(
        scenario=scenario,
        lines=tuple(fits),
        reps=team,
        reps_source=reps_source,
        rows=len(deals.kind),
        as_of=as_of,
        first_month=month_label(window),
        columns=used_columns | {f"contracts.{k}": v for k, v in contract_columns.items()},
        file_format=file_format,
        seasonality=season,
        contracts=contracts_info,
        warnings=notes.final(),
        backtest=backtest,
    )


def _last_full_month(as_of: dt.date) -> int:
    """The last month the export covers whole: the as-of month if it is its last day."""
    month = as_of.year * 12 + as_of.month - 1
    return month if (as_of + dt.timedelta(days=1)).day == 1 else month - 1


def _fit_lines(
    deals: _Deals,
    *,
    line: np.ndarray,
    line_names: list[str],
    window: int,
    as_of_month: int,
    team: float,
    terms_seen: list[list[int]],
    notes: _Notes,
) -> tuple[list[LineFit], np.ndarray]:
    defaults, effort = ProductLine(name="x"), Effort()
    pooled = _pooled_evidence(deals)
    window_start = dt.date(window // 12, window % 12 + 1, 1).toordinal()
    exposure = max((deals.as_of - window_start + 1) / DAYS_PER_MONTH, 1.0)
    evidence = [_line_evidence(deals, line, i, n, window) for i, n in enumerate(line_names)]
    flows = np.array([e.created_in_window / exposure for e in evidence])
    total_flow = float(flows.sum())
    if total_flow <= 0:
        raise CrmFileError("no opportunities were created in the export's period")
    ids: set[str] = set()
    fits = []
    for i, ev in enumerate(evidence):
        fallback = []
        win_rate = ev.win_rate
        if win_rate is None:
            decided = ev.won + ev.lost
            win_rate = pooled.win_rate or defaults.win_rate
            fallback.append("win rate")
            if decided and ev.won == 0:
                win_rate = min(win_rate, 1.0 / (decided + 2))
        cycle = ev.cycle if ev.cycle is not None else (pooled.cycle or defaults.sales_cycle_months)
        deal_size = (
            ev.deal_size if ev.deal_size is not None else (pooled.deal_size or defaults.deal_size)
        )
        cv = ev.cv if ev.cv is not None else (pooled.cv or 0.0)
        if ev.cycle is None:
            fallback.append("sales cycle")
        if ev.deal_size is None:
            fallback.append("deal size")
        if fallback:
            notes.add(
                f"{ev.name}: {ev.won + ev.lost:,} decided deals ({ev.won:,} won), under "
                f"{MIN_DECIDED}; its {', '.join(fallback)} are those of all lines"
            )
        if cycle > 36:
            notes.add(
                f"{ev.name}: the median sales cycle is {cycle} months; the model's limit is 36"
            )
            cycle = 36
        term = int(np.median(terms_seen[i])) if len(terms_seen[i]) >= 5 else defaults.term_months
        renewal = ev.renewal_rate if ev.renewal_rate is not None else defaults.renewal_rate
        share = flows[i] / total_flow
        close_effort = team * effort.close / (CAPACITY_HEADROOM * total_flow)
        if close_effort < 0.001:
            notes.add(
                f"closing: {total_flow:,.0f} decisions a month for {team:g} reps is beyond the "
                "model's fastest closing (0.001 rep-months a deal); check --reps"
            )
        open_counts, stale = _open_by_age(
            deals, line == i, before=as_of_month + 1, cycle=int(cycle)
        )
        alive = int(cycle) + max(int(cycle), 3) - 1
        in_pipeline = (line == i) & (deals.deal_type == NEW_BUSINESS) & (deals.kind == OPEN)
        in_pipeline &= deals.created_month > as_of_month - alive
        open_amounts = deals.amount[in_pipeline]
        blank = int(np.isnan(open_amounts).sum())
        open_value = float(np.nansum(open_amounts)) + blank * deal_size
        if blank:
            notes.add(
                f"{ev.name}: {blank:,} open deals have no amount: counted at the line's deal "
                f"size ({deal_size:,.0f}) in its open pipeline value"
            )
        if stale:
            notes.add(
                f"{ev.name}: {stale:,} open deals are older than the model's expiry window "
                f"({int(cycle) + max(int(cycle), 3)} months for a {int(cycle)}-month cycle): "
                "counted as lost to no decision, not in the starting pipeline"
            )
        fits.append(
            LineFit(
                line_id=_line_id(ev.name, ids),
                name=ev.name[:100],
                opportunities=ev.opportunities,
                won=ev.won,
                lost=ev.lost,
                open=ev.open,
                win_rate=max(round(win_rate, 4), 0.0001),
                sales_cycle_months=int(cycle),
                deal_size=max(round(deal_size, 2), 1.0),
                deal_size_cv=round(min(cv, MAX_DEAL_SIZE_CV), 3),
                created_per_month=_round_sig(flows[i]),
                leads_per_rep_month=0.0,  # set by _with_leads
                focus=round(share, 6),
                close_effort_per_deal=min(max(_round_sig(close_effort), 0.001), 100.0),
                term_months=term,
                renewal_rate=round(renewal, 4),
                open_deals=open_counts,
                open_value=round(open_value, 2),
                stale_open=stale,
            )
        )
    if all(f.focus == 0 for f in fits):
        raise CrmFileError("no product line has opportunities in the export's period")
    return fits, flows


def _with_leads(
    fits: list[LineFit],
    *,
    flows: np.ndarray,
    team: float,
    clients: np.ndarray | None,
    notes: _Notes,
) -> tuple[list[LineFit], dict[str, float]]:
    """Each line's leads per rep-month, and the engagement efforts per client that let
    today's team look after today's book.

    The book on day one is the contracts export's (``clients``: accounts per line) or,
    without one, the steady book the warm start builds from the fitted lines. A running
    business keeps its book, so onboarding, account care and leverage effort per client
    are lowered (never raised) from the model's defaults until the default effort split
    covers the book and the month's new clients (docs/calibration.md). Prospecting is
    then the lead flow the data show minus the referrals the book brings (docs/model.md,
    sections 2, 6 and 8)."""
    effort, engagement = Effort(), Engagement()
    referral = engagement.referral_rate_annual / 12.0
    g, life = np.array(
        [
            _steady_referral_share(
                win_rate=f.win_rate, term=f.term_months, renewal_rate=f.renewal_rate
            )
            for f in fits
        ]
    ).T.reshape(2, len(fits))
    win = np.array([f.win_rate for f in fits])
    loop = np.maximum(1.0 - g, 0.5)
    if clients is None:  # the warm book of a steady past: referrals are g of the flow
        prospecting = flows / (1.0 + g / loop)
        book = prospecting * win * life / loop
    else:
        book = clients
        referrals = referral * clients
        prospecting = np.maximum(flows - referrals, 0.0)
        for f, flow, r in zip(fits, flows, referrals, strict=True):
            if flow > 0 and r >= flow:
                notes.add(
                    f"{f.name}: referrals from the book ({r:.1f} a month at the model's "
                    f"referral rate) already bring the whole lead flow ({flow:.1f}): no "
                    "prospecting needed"
                )
    accounts = float(book.sum())
    new_clients = float((flows * win).sum())
    chosen = {
        "onboarding_effort_per_client": (
            engagement.onboarding_effort_per_client,
            team * effort.engage / max(new_clients, 1e-9),
        ),
        "care_effort_per_account": (
            engagement.care_effort_per_account,
            team * effort.retain / max(accounts, 1e-9),
        ),
        "leverage_effort_per_account": (
            engagement.leverage_effort_per_account,
            team * effort.leverage / max(accounts, 1e-9),
        ),
    }
    efforts = {name: min(default, _round_down_sig(fit)) for name, (default, fit) in chosen.items()}
    lowered = [name for name, (default, _) in chosen.items() if efforts[name] < default]
    if lowered:
        notes.add(
            f"engagement: {team:g} reps with the default effort split cannot onboard "
            f"{new_clients:.1f} new clients a month and look after {accounts:,.0f} accounts at "
            f"the model's default efforts; {', '.join(lowered)} lowered so that they can (if "
            "others look after the book, this is their work)"
        )
    attract = team * effort.attract
    out = []
    for f, p in zip(fits, prospecting, strict=True):
        leads = p / (attract * f.focus) if f.focus > 0 else 0.0
        out.append(dataclasses.replace(f, leads_per_rep_month=min(_round_sig(leads), 1e4)))
    return out, efforts


def _round_down_sig(x: float, digits: int = 4) -> float:
    """``x`` rounded down to ``digits`` significant digits (an effort that still covers)."""
    if x <= 0 or not math.isfinite(x):
        return 0.0
    scale = 10.0 ** (math.floor(math.log10(x)) - digits + 1)
    return float(f"{math.floor(x / scale) * scale:.{digits}g}")


def _open_by_age(
    deals: _Deals, on_line: np.ndarray, *, before: int, cycle: int
) -> tuple[tuple[int, ...], int]:
    """Open new-business deals of a line at the start of month ``before`` by age
    (opened 1, 2, ... months before it) and how many are too old to be decided: open
    now, or decided in or after that month (the backtest's past pipeline)."""
    new = on_line & (deals.deal_type == NEW_BUSINESS) & (deals.created_month < before)
    still_open = (deals.kind == OPEN) | (deals.closed_month >= before)
    ages = before - 1 - deals.created_month[new & still_open]
    alive = cycle + max(cycle, 3) - 1  # ages 0 .. alive - 1 can still be decided
    counts = np.bincount(ages[ages < alive], minlength=0)
    return tuple(int(c) for c in counts), int((ages >= alive).sum())


def _split_book(
    book: list[_ContractGroup], fits: list[LineFit], notes: _Notes
) -> tuple[list[_ContractGroup], list[int], dict[str, Any]]:
    """The largest MAX_CONTRACTS contracts, and the rest per line as pooled contracts of
    the line's deal size."""
    ranked = sorted(book, key=lambda c: (-c.annual_value, c.name, c.ends))
    explicit, rest = ranked[:MAX_CONTRACTS], ranked[MAX_CONTRACTS:]
    rest_value = np.zeros(len(fits))
    for c in rest:
        rest_value[c.line] += c.annual_value
    pooled = [round(rest_value[i] / fits[i].deal_size) for i in range(len(fits))]
    if rest:
        notes.add(
            f"contracts: the {MAX_CONTRACTS} largest of {len(ranked):,} are [[contracts]]; the "
            f"other {len(rest):,} ({rest_value.sum():,.0f} a year) become {sum(pooled):,} pooled "
            "contracts of each line's deal size, renewing evenly over a term"
        )
    info = {
        "in_force": len(ranked),
        "explicit": len(explicit),
        "pooled": sum(pooled),
        "book_value": float(sum(c.annual_value for c in ranked)),
    }
    return explicit, pooled, info


def _scenario(
    fits: list[LineFit],
    *,
    team: float,
    start: int,
    season: tuple[float, ...] | None,
    explicit: list[_ContractGroup],
    pooled: list[int] | None,
    engagement: dict[str, float],
    title: str,
    description: str,
    notes: _Notes,
    months: int | None = None,
    open_deals: list[tuple[int, ...]] | None = None,
) -> Scenario:
    """The scenario of the fitted company from month ``start``. ``pooled``: the pooled
    book per line (the warm start is sized to build it); None: the steady book the
    fitted lead flow would have built (the warm start's own)."""
    effort = Effort()
    attract = effort.attract
    prior = [f.focus for f in fits]
    prior_attract = attract
    if pooled is not None:
        prior = []
        for f, count in zip(fits, pooled, strict=True):
            g, life = _steady_referral_share(
                win_rate=f.win_rate, term=f.term_months, renewal_rate=f.renewal_rate
            )
            per_share = team * f.leads_per_rep_month * f.win_rate * life / max(1.0 - g, 0.5)
            prior.append(count / per_share if per_share > 0 else 0.0)
        prior_attract = float(sum(prior))
        if prior_attract > 1.0:
            notes.add(
                f"contracts: the pooled book is {prior_attract:.1f} times what the warm start "
                "can build; it is scaled down to fit"
            )
            prior_attract = 1.0
    lines: dict[str, dict[str, Any]] = {}
    total_prior = sum(prior)
    for f, p in zip(fits, prior, strict=True):
        lines[f.line_id] = {
            "name": f.name,
            "focus": f.focus,
            "deal_size": f.deal_size,
            "deal_size_cv": f.deal_size_cv,
            "sales_cycle_months": f.sales_cycle_months,
            "win_rate": f.win_rate,
            "term_months": f.term_months,
            "renewal_rate": f.renewal_rate,
            "leads_per_rep_month": f.leads_per_rep_month,
            "close_effort_per_deal": f.close_effort_per_deal,
        }
        if total_prior > 0:
            lines[f.line_id]["prior_focus"] = round(p / total_prior, 6)
    by_index = [f.line_id for f in fits]
    contract_rows = []
    for c in explicit:
        row: dict[str, Any] = {
            "name": c.name,
            "product_line": by_index[c.line],
            "annual_value": round(c.annual_value, 2),
            "ends": month_label(c.ends),
        }
        if c.term != fits[c.line].term_months:
            row["renewal_term_months"] = c.term
        if c.contacts is not None:
            row["contacts"] = c.contacts
        contract_rows.append(row)
    deals = open_deals if open_deals is not None else [f.open_deals for f in fits]
    data: dict[str, Any] = {
        "meta": {"title": title[:200], "description": description[:2000]},
        "simulation": {"start": month_label(start), "runs": 1},
        "team": {"reps": team},
        "product_lines": lines,
        "engagement": engagement,
        "pipeline": {
            "warm_start": True,
            "prior_attract": round(prior_attract, 6),
            "open_deals": {f.line_id: list(d) for f, d in zip(fits, deals, strict=True)},
        },
    }
    if months is not None:
        data["simulation"]["months"] = months
    if contract_rows:
        data["contracts"] = contract_rows
    if season:
        data["seasonality"] = {"leads": list(season)}
    scenario = scenario_from_dict(data)
    most = budget.estimate(scenario, Simulation().runs).max_runs()
    data["simulation"]["runs"] = max(1, min(Simulation().runs, most))
    return scenario_from_dict(data)


def _backtest(
    deals: _Deals,
    *,
    line: np.ndarray,
    fits: list[LineFit],
    scenario: Scenario,
    window: int,
    as_of: dt.date,
    runs: int,
    seed: int,
    notes: _Notes,
) -> Backtest | None:
    """Simulate the fitted company over the data's full months, from the pipeline it
    had at the first of them (its open deals with their real ages), and set the
    simulated bookings beside the actual ones."""
    last = _last_full_month(as_of)
    if last - window + 1 < 3:
        notes.add(
            f"backtest: {max(last - window + 1, 0)} full months of data; at least 3 are needed"
        )
        return None
    # The first months build up the pipeline of deals created before the export's first
    # month, which the export does not show: the backtest starts one sales cycle later,
    # from the pipeline the export shows at that point (as long as 3 months remain).
    build_up = max(f.sales_cycle_months for f in fits if f.focus > 0)
    first = min(window + build_up, last - 2)
    first = max(first, last - MAX_MONTHS + 1)
    months = last - first + 1
    opening = [
        _open_by_age(deals, line == i, before=first, cycle=f.sales_cycle_months)[0]
        for i, f in enumerate(fits)
    ]
    past = _scenario(
        fits,
        team=scenario.team.reps,
        start=first,
        season=scenario.seasonality.leads,
        explicit=[],
        pooled=None,
        engagement=scenario.engagement.model_dump(),
        title="Backtest",
        description="",
        notes=_Notes(),
        months=months,
        open_deals=opening,
    )
    runs = max(1, min(runs, budget.estimate(past, runs).max_runs()))
    output = run_engine(past, runs=runs, rng=np.random.default_rng(seed))
    simulated = output.bookings.sum(axis=2)
    won = (deals.kind == WON) & (deals.deal_type == NEW_BUSINESS)
    won &= (deals.closed_month >= first) & (deals.closed_month <= last)
    sizes = np.array([f.deal_size for f in fits])
    value = np.where(np.isfinite(deals.amount), deals.amount, sizes[line])
    actual = np.bincount(deals.closed_month[won] - first, weights=value[won], minlength=months)
    p10, p50, p90 = np.percentile(simulated, [10, 50, 90], axis=0)
    return Backtest(
        months=tuple(month_label(first + t) for t in range(months)),
        actual=actual[:months],
        p10=p10,
        p50=p50,
        p90=p90,
        runs=runs,
        total_actual=float(actual.sum()),
        total_p50=float(np.median(simulated.sum(axis=1))),
    )


__all__ = [
    "BACKTEST_RUNS",
    "Backtest",
    "Calibration",
    "CrmFileError",
    "LineFit",
    "ScenarioError",
    "calibrate",
]
