"""The Monte Carlo engine: a scenario in, revenue paths for every run out.

The engine follows docs/model.md, "One month, step by step": each step is one function
below, under the step's name and in the document's order, with a comment naming the
section of docs/model.md that states its equations:

0. ``_team``, ``_pressure``, ``_effort_of_the_month`` (the month's plan)
1. ``_age_pipeline``        5. ``_pooled_renewals``
2. ``_arrivals``            6. ``_explicit_renewals``
3. ``_decisions``,          7. ``_expansion``
   ``_deal_values``         8. ``_revenue_of_the_month`` (add-ons, one-off sales)
4. ``_care``

and after the last month, from the stored histories, ``_revenue`` (step 8 for the
contracts in force), ``_forward_coverage`` (step 9), ``_concentration`` (the top
accounts' share of the book) and ``_Retention`` (net and gross revenue retention).

The steps act on a ``_State``, the stocks of "Stocks and flows" for every run at once,
with the constants of a ``_Plan`` (what changes by month, ``Scenario.plan_periods``
spelled out, is its ``_Months``); what the months leave behind is a ``_History``. There
is no Python loop over runs, deals or contracts. Randomness comes only from the
``numpy.random.Generator`` passed in, so the same seed gives the same result bit for bit.

Arrays: per-line stocks are stored lines x runs and the pipeline cells x runs, so that
numpy works along long contiguous rows; random draws are given the (runs, lines) view,
which fixes the order of the draws. Whole-number counts are summed in whatever order
is fastest (the sums are exact); sums of money keep one fixed order of additions,
because that order decides the rounding and results must not move when the code is
rearranged. Each speed trick lives in one helper whose docstring states its plain
meaning: ``_PipelineWindow`` (ageing by sliding a window), ``_decide_oldest_first``
(decisions as two matrix products), ``_product_on_one_thread``, ``_blocks_of_runs``,
``_sum_lines``, ``_sum_of_deal_values`` (one Gamma draw for a month's deals),
``_window_sums``, ``_known_by_ahead`` (every look-ahead month at once),
``_explicit_units_by_set`` (sums of contracts looked up by set), ``_distinct``
(a function of a count computed once per distinct count), ``_sum_of_largest`` (the top
accounts merged, not partitioned) and ``_LargestTables`` (its
table kept over the blocks of runs), ``small_axes.sum_last_axis`` (numpy's sum over a
short last axis, a slice at a time), ``_by_run`` (history the
steps after the loop read is kept month-major), ``_normal_cdf``, ``_normal_quantile``,
``_team_moves`` / ``_effort_moves`` (months in which nothing about the team or its
effort changes are skipped), ``_RenewalMonths`` (the months a renewal reads, worked out
before the loop), ``_count_lines`` and ``_write_transposed`` (sums and writes along the
long axis), ``_in_force_by_month`` and ``_by_month`` (the pooled book after the loop
worked month-major) and ``_sum_contracts`` (contract values added in a fixed order).
Figures: ``python -m bench.engine``, ``docs/benchmarks.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np

from .budget import SimulationCancelled
from .models import History, Relationships, Scenario, Team
from .small_axes import sum_last_axis, sum_of_slices

SOURCES = ("existing", "new", "renewal", "expansion", "one_off")
"""Revenue sources: the starting book, first-term new contracts, renewed contracts,
expansion (up-sell and cross-sell) and one-off (transactional) sales."""
EXISTING, NEW, RENEWAL, EXPANSION, ONE_OFF = range(len(SOURCES))

COVERAGE_CAP = 10.0
"""Forward coverage is reported up to this ratio (a plan 10x covered is simply 'covered')."""
ONBOARDING_WEIGHT = 0.4
"""Onboarding's share of the care a new client judges at its first renewal; account
care has the rest (docs/model.md, section 5)."""
TOP_ACCOUNTS = 10
"""Revenue concentration is the share of the recurring book held by this many accounts."""
RETENTION_MONTHS = 12
NO_BOOK = 1e-6
"""A retention cohort worth less than this (a millionth of a currency unit) is no book:
its retention is NaN. The engine follows a cohort by subtracting what left from what
was there, so an emptied cohort keeps float residue of about 1e-13; read as a book, it
gave retention figures such as -7e-14 or 2e-6 where there was nothing to retain."""
"""Net and gross revenue retention compare the book with the same accounts a year earlier."""
SMALLEST_SPREAD = 1e-6
"""A deal_size_cv below this counts as 0: the values would agree to about 12 digits, and
the Gamma draw's shape, n / cv^2, would overflow."""
_TINY = 1e-12


@dataclass(frozen=True)
class EngineOutput:
    """Raw per-run arrays; :mod:`simulator.results` summarises them."""

    revenue: np.ndarray  # (runs, months, lines, sources), money per month
    bookings: np.ndarray  # (runs, months, lines), new-business value signed per month
    wins: np.ndarray  # (runs, months, lines), deals won
    renewals_due: np.ndarray  # (runs, months), contracts that reached their end date
    renewals_kept: np.ndarray  # (runs, months), of which renewed
    coverage: np.ndarray  # (runs, months), forward coverage ratio
    care_index: np.ndarray  # (runs, months), smoothed onboarding + account care coverage
    pipeline_open: np.ndarray  # (runs, months, lines), open opportunities at month end
    headcount: np.ndarray  # (runs, months), reps employed (docs/model.md, "Headcount")
    productive_reps: np.ndarray  # (runs, months), reps weighted by how far they have ramped
    pushing: np.ndarray  # (runs, months) bool, management pushes for the quarter end
    onboarding: np.ndarray  # (runs, months), onboarding coverage of the month's new clients
    nrr: np.ndarray  # (runs, months), net revenue retention, trailing 12 months (NaN before)
    grr: np.ndarray  # (runs, months), gross revenue retention, trailing 12 months
    top_accounts_share: np.ndarray  # (runs, months), share of the book in the top accounts


def orphan_probability(contacts, turnover: float, years):
    """Chance that every buyer contact has left by renewal: (1 - exp(-turnover*years))^contacts."""
    gone_one = 1.0 - np.exp(-turnover * np.asarray(years, dtype=float))
    return gone_one ** np.asarray(contacts, dtype=float)


def relationship_factor(scenario: Scenario, contacts, years):
    """Renewal multiplier from relationships: orphaned accounts renew far less often."""
    orphan = orphan_probability(contacts, scenario.relationships.champion_turnover, years)
    return (1.0 - orphan) + orphan * scenario.engagement.orphan_renewal_factor


def _stage_coverage(
    effort: float | np.ndarray, need: np.ndarray, *, staffed: bool = False
) -> np.ndarray:
    """Share of a stage's need its effort covers, 0..1; nothing to do counts as covered.
    ``staffed``: the caller knows every run has effort on the stage (see ``_Effort``)."""
    covered = np.minimum(1.0, effort / np.maximum(need, _TINY))
    if staffed:
        return covered
    lowest = np.minimum.reduce(effort) if isinstance(effort, np.ndarray) else effort
    if lowest > 0.0:  # the usual case: no stage left without effort (NaN is not)
        return covered
    return np.where(np.greater(effort, 0.0), covered, np.less_equal(need, 0.0).astype(float))


StopCheck = Callable[[], bool] | None
"""Asked once a month (and once per block of runs after the loop): True cancels the run."""


def _stop_if_asked(should_stop: StopCheck) -> None:
    if should_stop is not None and should_stop():
        raise SimulationCancelled("the simulation was cancelled: its caller went away")


# --- Speed helpers: each computes something plain, stated first in its docstring.
def _sum_lines(x: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """Sum of a (lines, runs) array over lines, per run (into ``out`` if given).

    Computed as numpy sums each run's (lines,) row: numpy adds fewer than eight numbers
    in order, which adding whole rows reproduces (two rows: one addition, faster than
    a reduction); eight are summed pairwise, so then numpy's own sum is used (the order
    of additions decides the rounding of fractions).
    """
    if len(x) == 2:
        return np.add(x[0], x[1], out=out)
    if len(x) < 8:
        return np.add.reduce(x, axis=0, out=out)
    return np.add.reduce(np.ascontiguousarray(x.T), axis=1, out=out)


_ONE_THREAD = 1 << 19
"""OpenBLAS shares a matrix product out over threads from about this many
multiply-adds; on a busy machine the threads then wait for each other."""


def _product_on_one_thread(a: np.ndarray, b: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    """``a @ b`` into ``out``.

    Computed a block of runs (columns) at a time so that each product stays on one
    thread. For whole numbers only: the blocks do not change the sums.
    """
    cols = max(1, _ONE_THREAD // (a.shape[0] * a.shape[1]))
    if b.shape[1] <= cols:  # one block
        return np.matmul(a, b, out=out)
    for first in range(0, b.shape[1], cols):  # blocks of runs
        np.matmul(a, b[:, first : first + cols], out=out[:, first : first + cols])
    return out


_BLOCK = 1 << 17
"""Elements per run block in the steps after the loop: small enough to stay in cache."""
_BOOK_BLOCK = 1 << 18
"""The same for concentration and retention: each block of theirs is some hundred short
numpy calls, whose overhead outweighs the cache there (twice ``_BLOCK``: 2 ms less a
simulation of the default preset, 2026-12-03; four times: no less, more page faults)."""


def _blocks_of_runs(
    runs: int, *, elements_per_run: int, block: int | None = None
) -> Iterator[slice]:
    """All runs, as consecutive slices.

    Runs are independent after the monthly loop, so the whole-array steps work through
    them a block at a time: each block's temporaries stay in cache instead of streaming
    through memory. The results do not depend on the block size. The blocks are of
    equal size (within one run), at most ``block`` (default ``_BLOCK``) elements each:
    a small last block would pay a whole block's Python overhead for a few runs.
    """
    per_block = max(1, (block or _BLOCK) // elements_per_run)
    count = -(-runs // per_block)  # blocks needed, ceil
    size, longer = divmod(runs, max(count, 1))  # the first ``longer`` get one run more
    first = 0
    for i in range(count):
        last = first + size + (i < longer)
        yield slice(first, last)
        first = last


# --- The plan: what is the same in every run and month.
@dataclass(frozen=True)
class _Lines:
    """Per-product-line parameters as arrays (one entry per line)."""

    focus: np.ndarray  # focus share of new-business effort
    prior_focus: np.ndarray  # focus share before the start (warm start)
    deal_size: np.ndarray
    cycle: np.ndarray  # sales_cycle_months
    win_rate: np.ndarray
    term: np.ndarray  # term_months; 0 on a one-off line
    renewal_rate: np.ndarray
    leads: np.ndarray  # leads_per_rep_month
    close_effort: np.ndarray  # close_effort_per_deal
    recurring: np.ndarray  # bool: term_months > 0
    monthly_value: np.ndarray  # recurring value per month of one contract (0 for one-off)
    deal_cv: np.ndarray  # deal_size_cv: spread of deal values (0: all equal)


def _lines(scenario: Scenario) -> _Lines:
    lines = list(scenario.product_lines.values())
    term = np.array([line.term_months for line in lines])
    deal_size = np.array([line.deal_size for line in lines], dtype=float)
    recurring = term > 0
    return _Lines(
        focus=np.array(list(scenario.focus_shares.values())),
        prior_focus=np.array(list(scenario.prior_focus_shares.values())),
        deal_size=deal_size,
        cycle=np.array([line.sales_cycle_months for line in lines]),
        win_rate=np.array([line.win_rate for line in lines]),
        term=term,
        renewal_rate=np.array([line.renewal_rate for line in lines]),
        leads=np.array([line.leads_per_rep_month for line in lines]),
        close_effort=np.array([line.close_effort_per_deal for line in lines]),
        recurring=recurring,
        monthly_value=np.where(recurring, deal_size / 12.0, 0.0),
        deal_cv=np.array(
            [line.deal_size_cv if line.deal_size_cv >= SMALLEST_SPREAD else 0.0 for line in lines]
        ),
    )


@dataclass(frozen=True)
class _Contracts:
    """The explicit ``[[contracts]]``, in file order (docs/model.md, section 3)."""

    line: np.ndarray  # (contracts,) index of the product line
    annual_value: np.ndarray
    term: np.ndarray  # renewal term in months
    first_due: np.ndarray  # month of the first renewal (``ends``)
    base_chance: np.ndarray  # (months + look, contracts) renewal chance before care if due
    # in that month: renewal_rate x relationships (contacts as when the term began)
    on_line: np.ndarray  # (contracts, lines) 1 where the contract is on the line
    due: dict[int, list[int]]  # month -> contracts due for renewal (fixed dates)

    @property
    def count(self) -> int:
        return len(self.line)


def _contracts(scenario: Scenario, lines: _Lines, by_month: _Months) -> _Contracts:
    months = scenario.simulation.months
    ahead = months + scenario.thresholds.coverage_lookahead_months
    contracts = scenario.contracts
    line_index = {key: i for i, key in enumerate(scenario.product_lines)}
    line = np.array([line_index[c.product_line] for c in contracts], dtype=np.int64)
    term = np.array(
        [
            c.renewal_term_months or (int(lines.term[line_index[c.product_line]]) or 12)
            for c in contracts
        ],
        dtype=np.int64,
    )
    first_due = np.array([scenario.contract_end_offset(c) for c in contracts], dtype=np.int64)
    # A contract's own contacts, else those of the book on day one for its first
    # renewal and those of the plan when each later term began.
    own = np.array([c.contacts or 0 for c in contracts], dtype=float)
    began = np.arange(ahead)[:, None] - term
    contacts = np.where(
        own > 0,
        own,
        np.where(
            np.arange(ahead)[:, None] <= first_due,
            _starting_contacts(scenario),
            by_month.contacts[np.clip(began, 0, months - 1)],
        ),
    )
    base_chance = lines.renewal_rate[line] * relationship_factor(scenario, contacts, term / 12.0)
    on_line = np.zeros((len(contracts), len(lines.cycle)))
    on_line[np.arange(len(contracts)), line] = 1.0
    due: dict[int, list[int]] = {}
    for c in range(len(contracts)):  # a loop over the file's contracts, once
        for month in range(int(first_due[c]), months, int(term[c])):
            due.setdefault(month, []).append(c)
    return _Contracts(
        line=line,
        annual_value=np.array([c.annual_value for c in contracts], dtype=float),
        term=term,
        first_due=first_due,
        base_chance=base_chance,
        on_line=on_line,
        due=due,
    )


@dataclass(frozen=True)
class _Pipeline:
    """Layout of the pipeline: one flat axis of (line, age) cells, oldest first per line.

    Line ``l`` owns ``expiry[l]`` cells; a deal at age ``cycle`` is mature and one that
    reaches its expiry age is lost to "no decision". ``budget_left`` and ``decided`` are
    the constant matrices of ``_decide_oldest_first``.
    """

    size: int
    line_of: np.ndarray  # (cells,) line of each cell
    age: np.ndarray  # (cells,) age in months
    youngest: np.ndarray  # (lines,) cell of age 0
    budget_left: np.ndarray  # (cells, cells + 2 lines + 1): budget - slack - older eligible deals
    decided: np.ndarray  # (2 * lines, cells): deals taken per line, mature | pulled forward


def _pipeline(lines: _Lines) -> _Pipeline:
    n_lines = len(lines.cycle)
    expiry = lines.cycle + np.maximum(lines.cycle, 3)
    starts = np.concatenate([[0], np.cumsum(expiry)[:-1]])
    line_of = np.repeat(np.arange(n_lines), expiry)
    size = int(line_of.size)
    offset = np.arange(size) - starts[line_of]
    age = expiry[line_of] - 1 - offset
    cycle = lines.cycle[line_of]
    mature = age >= cycle
    pulled = (age < cycle) & (age >= 1)
    eligible = mature | pulled
    same_line = line_of[:, None] == line_of[None, :]
    cells = np.arange(size)
    # Rows: pipeline cells (minus the eligible deals older than the column's cell on
    # its line), budget per line, constant 1, slack per line (minus, for immature cells).
    # A cell that cannot be decided gets -1, so nothing is taken from it.
    budget_left = np.zeros((size + 2 * n_lines + 1, size))
    budget_left[:size] = -1.0 * (eligible[:, None] & same_line & (cells[:, None] < cells[None, :]))
    budget_left[size + line_of, cells] = 1.0
    budget_left[size + n_lines + 1 + line_of, cells] = -1.0 * pulled
    budget_left[:, ~eligible] = 0.0
    budget_left[size + n_lines, ~eligible] = -1.0
    decided = np.zeros((size, 2 * n_lines))
    decided[cells, line_of + n_lines * pulled] = eligible
    return _Pipeline(
        size=size,
        line_of=line_of,
        age=age,
        youngest=starts + expiry - 1,
        budget_left=np.ascontiguousarray(budget_left.T, dtype=np.float32),
        decided=np.ascontiguousarray(decided.T, dtype=np.float32),
    )


@dataclass(frozen=True)
class _WarmStart:
    """docs/model.md, section 8: the steady past a warm start begins from."""

    arrivals: np.ndarray  # (lines,) prior arrivals a month, referrals included
    wins: np.ndarray  # (lines,) prior wins a month
    client_life: np.ndarray  # (lines,) months a client stays (recurring lines)
    book_ends: np.ndarray  # (months + look + 1, lines) starting pooled contracts by end month
    expansion: np.ndarray  # (lines,) add-ons of the starting book, annual value
    one_off_buyers: np.ndarray  # (lines,) one-off buyers of the last 12 months
    care_index: float  # the care index on day one
    backlog: np.ndarray  # (lines,) mature deals waiting at each age but the oldest
    backlog_oldest: np.ndarray  # (lines,) at the oldest age (they expire in month 0)


def _spread_evenly(total: float, months: int) -> np.ndarray:
    """Spread ``total`` contracts evenly over ``months`` as whole numbers."""
    if months <= 0:
        return np.zeros(0, dtype=np.int64)
    edges = np.floor(np.arange(months + 1) * (total / months) + 1e-9)
    return np.diff(edges).astype(np.int64)


# docs/model.md, section 8 "Warm start". The book on day one is history, so it is built
# with typical relationships (the model's defaults), not with today's levers: moving a
# slider changes the future only.
def _warm_start(scenario: Scenario, lines: _Lines) -> _WarmStart:
    if scenario.history is not None:
        return _warm_start_from_history(scenario, lines, scenario.history)
    engagement = scenario.engagement
    recurring = lines.recurring
    referral_monthly = engagement.referral_rate_annual / 12.0
    term_years = np.where(recurring, lines.term / 12.0, 1.0)
    typical = Relationships()
    orphan = orphan_probability(typical.contacts_per_account, typical.champion_turnover, term_years)
    typical_relationships = (1.0 - orphan) + orphan * engagement.orphan_renewal_factor
    client_life = np.where(
        recurring,
        lines.term / np.maximum(1.0 - lines.renewal_rate * typical_relationships, 0.05),
        0.0,
    )
    loop_gain = referral_monthly * lines.win_rate * np.where(recurring, client_life, 12.0)
    arrivals = (
        scenario.team.reps * scenario.pipeline.prior_attract * lines.prior_focus * lines.leads
    )
    arrivals = arrivals / np.maximum(1.0 - loop_gain, 0.5)  # referrals from the warm book
    wins = arrivals * lines.win_rate
    padded = scenario.simulation.months + scenario.thresholds.coverage_lookahead_months + 1
    book_ends = np.zeros((padded, len(lines.cycle)), dtype=np.int64)
    expansion = np.zeros(len(lines.cycle))
    one_off_buyers = np.zeros(len(lines.cycle))
    if scenario.pipeline.warm_start:
        for i in np.flatnonzero(recurring):  # a loop over product lines (at most 8)
            spread = _spread_evenly(wins[i] * client_life[i], int(lines.term[i]))
            book_ends[: min(len(spread), padded), i] = spread[:padded]
            book_ends[-1, i] += spread[padded:].sum()  # due after the horizon: in force
            # A year of add-ons (docs/model.md, section 8: with add-ons that renew, a
            # steady past has no steady add-on share, so the judgement is one year's).
            expansion[i] = engagement.expansion_rate_annual * spread.sum() * lines.deal_size[i]
        one_off_buyers = np.where(recurring, 0.0, wins * 12.0)
    return _WarmStart(
        arrivals=arrivals,
        wins=wins,
        client_life=client_life,
        book_ends=book_ends,
        expansion=expansion,
        one_off_buyers=one_off_buyers,
        care_index=1.0,
        backlog=np.zeros(len(lines.cycle)),
        backlog_oldest=np.zeros(len(lines.cycle)),
    )


@dataclass(frozen=True)
class _Past:
    """docs/model.md, section 8, "A past of its own": the steady flows of a past at one
    care index, per line, and the care and leverage coverage that book would need."""

    arrivals: np.ndarray  # opportunities a month, referrals included
    decided: np.ndarray  # deals decided a month (at most the closing capacity)
    client_life: np.ndarray  # months a client stays (recurring lines), else 0
    clients: np.ndarray  # pooled book (recurring lines) or buyers of a year (one-off)
    leverage: float  # leverage coverage of that client base
    care: float  # the care index that book gets: 0.4 onboarding + 0.6 account care


def _past_at(scenario: Scenario, lines: _Lines, *, history: History, care: float) -> _Past:
    """The past of ``history``'s habits if its care index were ``care``."""
    engagement, reps = scenario.engagement, scenario.team.reps
    past, recurring = history.effort, lines.recurring
    term_years = np.where(recurring, lines.term / 12.0, 1.0)
    typical = Relationships()
    orphan = orphan_probability(history.contacts_per_account, typical.champion_turnover, term_years)
    relationships = (1.0 - orphan) + orphan * engagement.orphan_renewal_factor
    care_factor = 1.0 - engagement.care_renewal_penalty * (1.0 - care)
    renewal = np.minimum(lines.renewal_rate * relationships * care_factor, 1.0)
    client_life = np.where(recurring, lines.term / np.maximum(1.0 - renewal, 0.05), 0.0)
    span = np.where(recurring, client_life, 12.0)  # months a won deal counts as a client
    prospecting = reps * past.attract * lines.prior_focus * lines.leads
    closing = reps * past.close * lines.prior_focus / lines.close_effort
    contracts = np.bincount(
        [scenario.line_ids.index(c.product_line) for c in scenario.contracts],
        minlength=len(lines.cycle),
    )
    leverage = 1.0
    for _ in range(30):  # referrals and the leverage they need, to a fixed point
        gain = engagement.referral_rate_annual / 12.0 * lines.win_rate * span * leverage
        arrivals = np.minimum(
            prospecting / np.maximum(1.0 - gain, 0.5), prospecting + gain * closing
        )
        decided = np.minimum(arrivals, closing)
        clients = decided * lines.win_rate * span
        need = engagement.leverage_effort_per_account * (
            float(np.sum(clients)) + float(np.sum(contracts * recurring))
        )
        coverage = float(_stage_coverage(reps * past.leverage, np.array(need)))
        if coverage == leverage:
            break
        leverage = coverage
    onboarding = _stage_coverage(
        reps * past.engage,
        np.array(engagement.onboarding_effort_per_client * float(np.sum(decided * lines.win_rate))),
    )
    accounts = float(np.sum(clients * recurring)) + len(scenario.contracts)
    account_care = _stage_coverage(
        reps * past.retain, np.array(engagement.care_effort_per_account * accounts)
    )
    return _Past(
        arrivals=arrivals,
        decided=decided,
        client_life=client_life,
        clients=clients,
        leverage=leverage,
        care=float(0.4 * onboarding + 0.6 * account_care),
    )


def _warm_start_from_history(scenario: Scenario, lines: _Lines, history: History) -> _WarmStart:
    """The warm start from ``[history]``: the steady past of those habits, at the care
    index that past's own book would have had (found by bisection: a higher care index
    keeps more clients, who need more care)."""
    past = _past_at(scenario, lines, history=history, care=1.0)
    if past.care < 1.0:
        low, high = 0.0, 1.0
        for _ in range(50):
            middle = 0.5 * (low + high)
            if _past_at(scenario, lines, history=history, care=middle).care > middle:
                low = middle
            else:
                high = middle
        past = _past_at(scenario, lines, history=history, care=low)
    engagement, recurring = scenario.engagement, lines.recurring
    wins = past.decided * lines.win_rate
    padded = scenario.simulation.months + scenario.thresholds.coverage_lookahead_months + 1
    book_ends = np.zeros((padded, len(lines.cycle)), dtype=np.int64)
    expansion = np.zeros(len(lines.cycle))
    one_off_buyers = np.zeros(len(lines.cycle))
    if scenario.pipeline.warm_start:
        one_off_buyers = np.where(recurring, 0.0, wins * 12.0)
        for i in np.flatnonzero(recurring):  # a loop over product lines (at most 8)
            spread = _spread_evenly(wins[i] * past.client_life[i], int(lines.term[i]))
            book_ends[: min(len(spread), padded), i] = spread[:padded]
            book_ends[-1, i] += spread[padded:].sum()  # due after the horizon: in force
            expansion[i] = (  # a year of add-ons, bought at the past's leverage and care
                engagement.expansion_rate_annual
                * spread.sum()
                * lines.deal_size[i]
                * (past.leverage * past.care)
            )
    behind = past.arrivals > past.decided  # closing did not keep up: deals wait
    return _WarmStart(
        arrivals=past.arrivals,
        wins=wins,
        client_life=past.client_life,
        book_ends=book_ends,
        expansion=expansion,
        one_off_buyers=one_off_buyers,
        care_index=past.care if scenario.pipeline.warm_start else 1.0,
        backlog=np.where(behind, past.arrivals, 0.0),
        backlog_oldest=np.where(behind, past.arrivals - past.decided, 0.0),
    )


_FLOAT32_EXACT = 2**24
"""Whole numbers up to here are exact in float32, and so are sums that stay below it."""


def _pipeline_dtype(
    scenario: Scenario,
    lines: _Lines,
    *,
    capacity: np.ndarray,
    prospecting: np.ndarray,
    prior_rate: np.ndarray,
    prior_clients: np.ndarray,
) -> type[np.floating]:
    """float32 for the pipeline window (fast) while no line's open deals plus its
    closing budget and slack can reach 2**24; float64 (exact to 2**53) otherwise.

    ``capacity`` and ``prospecting`` are the most any month can have per line. A cell
    holds at most one month's arrivals; the most a month can bring is the prospecting
    rate plus referrals from every client the warm book, the contracts and a win at
    every decision could make (times the largest seasonal factor), plus 12 standard
    deviations of the draw.
    """
    months = scenario.simulation.months
    ids = list(scenario.product_lines)
    on_line = [ids.index(c.product_line) for c in scenario.contracts]
    contracts = np.bincount(on_line, minlength=len(ids))
    clients = prior_clients * scenario.pipeline.warm_start + contracts + months * (capacity + 1)
    season = max(scenario.seasonality.leads or (1.0,))
    rate = prospecting + scenario.engagement.referral_rate_annual / 12.0 * clients * season
    rate = np.maximum(rate, prior_rate)
    most = rate + 12.0 * np.sqrt(rate) + 100.0
    largest = (lines.cycle + np.maximum(lines.cycle, 3)) * most + 2.0 * (capacity + 1.0)
    open_deals = scenario.pipeline.open_deals or {}
    largest = largest + np.array([sum(open_deals.get(k, ())) for k in ids])  # day one's deals
    return np.float32 if (largest < _FLOAT32_EXACT).all() else np.float64


# --- The plan over time (docs/model.md, section 1, "Plan changes over time").
@dataclass(frozen=True)
class _Months:
    """The plan in force in each month (``Scenario.plan_periods`` spelled out month by
    month) and the calendar: arrays over the months of the horizon."""

    reps: np.ndarray  # (months,) headcount the plan calls for
    effort: np.ndarray  # (months, 5) shares: attract, close, engage, retain, leverage
    focus: np.ndarray  # (months, lines) focus shares
    contacts: np.ndarray  # (months,) contacts per account
    revenue_target: np.ndarray  # (months,) targets.quarterly_revenue, nan where not set
    quota_monthly: np.ndarray  # (months,) targets.quarterly_bookings / 3, 0 where not set
    leads_season: np.ndarray | None  # (months,) multiplier of arrivals; None: no season
    decisions_season: np.ndarray | None  # (months,) multiplier of closing capacity
    quarter_start: np.ndarray  # (months,) first month of the month's calendar quarter


def _months(scenario: Scenario) -> _Months:
    months = scenario.simulation.months
    periods = scenario.plan_periods()
    lengths = np.diff([at for at, _ in periods] + [months])
    plans = [plan for _, plan in periods]

    def spell_out(values: list) -> np.ndarray:  # one value per period -> one per month
        return np.repeat(np.array(values, dtype=float), lengths, axis=0)

    calendar = scenario.start_index + np.arange(months)
    season = scenario.seasonality
    return _Months(
        reps=spell_out([plan.reps for plan in plans]),
        effort=spell_out([list(plan.effort.as_dict().values()) for plan in plans]),
        focus=spell_out([list(plan.focus_shares.values()) for plan in plans]),
        contacts=spell_out([plan.contacts_per_account for plan in plans]),
        revenue_target=spell_out([plan.targets.quarterly_revenue or np.nan for plan in plans]),
        quota_monthly=spell_out([(plan.targets.quarterly_bookings or 0.0) for plan in plans]) / 3.0,
        leads_season=None if season.leads is None else np.array(season.leads)[calendar % 12],
        decisions_season=(
            None if season.decisions is None else np.array(season.decisions)[calendar % 12]
        ),
        quarter_start=np.arange(months) - calendar % 3,
    )


def _ramp_weights(ramp_months: int) -> np.ndarray:
    """Productivity of a rep in the 1st, 2nd, ... month of the ramp (the middle of a
    straight line from 0 to 1 over ``ramp_months``), then 1 once ramped."""
    return np.append((np.arange(ramp_months) + 0.5) / max(ramp_months, 1), 1.0)


@dataclass(frozen=True)
class _Plan:
    """Everything that is the same in every run. Per-line constants are columns
    (lines, 1), to broadcast against the lines x runs stocks; what changes by month is
    in ``by_month``."""

    scenario: Scenario
    months: int
    look: int  # coverage_lookahead_months
    lines: _Lines
    contracts: _Contracts
    warm: _WarmStart
    pipeline: _Pipeline
    pipeline_dtype: type[np.floating]
    # Per line, (lines, 1).
    pooled_chance: np.ndarray  # (months + look, lines, 1) renewal chance before care, by
    # the month the contract ends (contacts as when its term began)
    recurring: np.ndarray  # 1.0 on a recurring line, else 0.0
    one_off: np.ndarray  # 1.0 on a one-off line, else 0.0
    months_to_end: np.ndarray  # (lines,) from a contract's start to its end (one-off: never read)
    win_chance: np.ndarray  # (2, 1, lines): mature | pulled forward
    referral_monthly: float
    expansion_monthly: float
    by_month: _Months
    push: float  # policy.quarter_end_push: share of prospecting moved to closing
    attrition: float  # chance a month that a rep leaves
    backfill_months: int
    ramp_weights: np.ndarray  # (ramp_months + 1,) productivity by month of tenure
    team_moves: np.ndarray  # (months,) bool: someone joins, leaves or ramps this month
    effort_moves: np.ndarray  # (months,) bool: the month's effort differs from the last's
    warm_unit_value: np.ndarray  # (lines,) value of one starting pooled contract, add-ons included
    deal_spread: np.ndarray  # (lines,) bool: deal values are drawn (deal_size_cv > 0)
    any_deal_spread: bool  # deal values are drawn on some line


def _starting_contacts(scenario: Scenario) -> int:
    """Contacts per account in the book on day one: ``[history]``'s, else the plan's."""
    if scenario.history is not None:
        return scenario.history.contacts_per_account
    return scenario.relationships.contacts_per_account


def _plan(scenario: Scenario) -> _Plan:
    engagement = scenario.engagement
    months = scenario.simulation.months
    look = scenario.thresholds.coverage_lookahead_months
    lines = _lines(scenario)
    by_month = _months(scenario)
    recurring = lines.recurring
    warm = _warm_start(scenario, lines)
    term_years = np.where(recurring, lines.term / 12.0, 1.0)
    # A contract ending in month u began its term in u - term: the contacts of that
    # month's plan (of the past before the start) decide its renewal chance.
    began = np.arange(months + look)[:, None] - np.where(recurring, lines.term, 0)
    contacts = np.where(
        began < 0, _starting_contacts(scenario), by_month.contacts[np.clip(began, 0, months - 1)]
    )
    pooled_chance = lines.renewal_rate * relationship_factor(scenario, contacts, term_years)
    push = scenario.policy.quarter_end_push
    shares = by_month.effort
    most_close = by_month.reps * (shares[:, 1] + push * shares[:, 0])
    most_attract = by_month.reps * shares[:, 0]
    decisions_season = 1.0 if by_month.decisions_season is None else by_month.decisions_season
    leads_season = 1.0 if by_month.leads_season is None else by_month.leads_season
    capacity = ((most_close * decisions_season)[:, None] * by_month.focus / lines.close_effort).max(
        axis=0
    )
    prospecting = ((most_attract * leads_season)[:, None] * by_month.focus * lines.leads).max(
        axis=0
    )
    pipeline_dtype = _pipeline_dtype(
        scenario,
        lines,
        capacity=capacity,
        prospecting=prospecting,
        prior_rate=warm.arrivals,
        prior_clients=np.where(recurring, warm.wins * warm.client_life, 12.0 * warm.wins),
    )
    win_chance = np.stack([lines.win_rate, lines.win_rate * engagement.pull_forward_win_factor])
    team = scenario.team
    team_moves = _team_moves(by_month.reps, team)
    return _Plan(
        scenario=scenario,
        months=months,
        look=look,
        lines=lines,
        contracts=_contracts(scenario, lines, by_month),
        warm=warm,
        pipeline=_pipeline(lines),
        pipeline_dtype=pipeline_dtype,
        pooled_chance=pooled_chance[:, :, None],
        recurring=recurring.astype(float)[:, None],
        one_off=(1.0 - recurring.astype(float))[:, None],
        months_to_end=np.where(recurring, lines.term, months + look),
        win_chance=win_chance[:, None, :],
        referral_monthly=engagement.referral_rate_annual / 12.0,
        expansion_monthly=engagement.expansion_rate_annual / 12.0,
        by_month=by_month,
        push=push,
        attrition=min(team.attrition_annual / 12.0, 1.0),
        backfill_months=team.backfill_months,
        ramp_weights=_ramp_weights(team.ramp_months),
        team_moves=team_moves,
        effort_moves=_effort_moves(by_month, team_moves=team_moves),
        warm_unit_value=_warm_unit_value(lines, warm),
        deal_spread=lines.deal_cv > 0,
        any_deal_spread=bool((lines.deal_cv > 0).any()),
    )


def _warm_unit_value(lines: _Lines, warm: _WarmStart) -> np.ndarray:
    """The value of one contract of the starting book: deal_size plus its share of the
    starting add-ons (which are spread over the book in proportion to value)."""
    count = warm.book_ends.sum(axis=0)
    return lines.deal_size + warm.expansion / np.maximum(count, 1)


def _effort_moves(by_month: _Months, *, team_moves: np.ndarray) -> np.ndarray:
    """Months whose rep-months, capacity or prospecting before management's push can
    differ from the month before: the first, any month the team moves, the plan's
    effort, focus or season of decisions changes. ``_effort_of_the_month`` keeps the
    last month's otherwise (a speed shortcut: the same numbers) and works out only
    what the push moves."""

    def changed(rows: np.ndarray | None) -> np.ndarray:
        if rows is None:
            return np.zeros(len(team_moves), dtype=bool)
        rows = rows.reshape(len(rows), -1)
        return np.concatenate([[True], (rows[1:] != rows[:-1]).any(axis=1)])

    moves = team_moves | changed(by_month.effort) | changed(by_month.focus)
    moves |= changed(by_month.decisions_season)
    moves[0] = True
    return moves


def _team_moves(reps: np.ndarray, team: Team) -> np.ndarray:
    """Months in which the team stock can change: with attrition every month; else the
    month of a change of ``reps`` and the ``ramp_months`` after it (hires ramping). In
    the other months every rep is ramped and nothing moves (a speed shortcut)."""
    if team.attrition_annual > 0:
        return np.ones(len(reps), dtype=bool)
    changed = np.flatnonzero(np.diff(reps, prepend=team.reps) != 0)  # month 0: from [team]
    moves = np.zeros(len(reps), dtype=bool)
    for at in changed:  # a loop over the changes of headcount (at most 120)
        moves[at : at + team.ramp_months + 1] = True
    return moves


# --- The state: the stocks of every run (docs/model.md, "Stocks and flows").
class _PipelineWindow:
    """The open pipeline of every run: deals by (line, age) cell, ``cells`` (cells, runs).

    Plain meaning of ``slide``: every open deal becomes one month older, and deals that
    reach their line's expiry age are lost to "no decision".

    Trick: the cells are rows ``[cells | closing budget per line | 1]`` of a window that
    moves down a taller buffer one row a month (``[... | 1 | slack per line]``, see
    ``_decide_oldest_first``). Cells are stored oldest first per line,
    so moving the window is the ageing: each cell takes the deals of the next-younger
    cell, each line's oldest cell drops out (it moves into the previous line's youngest,
    which ``_arrivals`` then overwrites), and nothing is copied. The rows below the
    cells let ``_decide_oldest_first`` be one matrix product with the window. All
    entries are whole numbers, exact in float32 below 2**24 (float64 beyond: see
    ``_pipeline_dtype``).
    """

    def __init__(self, layout: _Pipeline, *, months: int, runs: int, dtype: type) -> None:
        self.layout = layout
        self.rows = layout.size + 2 * len(layout.youngest) + 1
        self.buffer = np.zeros((months + self.rows, runs), dtype=dtype)
        self.window = self.buffer[: self.rows]  # before the first month
        # float32 matrices times a float64 window multiply in float64 (numpy upcasts).
        self.take = np.empty((layout.size, runs), dtype=dtype)
        self.no_deals = np.zeros((layout.size, runs), dtype=dtype)  # see _decide_oldest_first
        self.decided = np.empty((2 * len(layout.youngest), runs), dtype=dtype)

    @property
    def cells(self) -> np.ndarray:
        """(cells, runs) open deals, a view: writing to it changes the pipeline."""
        return self.window[: self.layout.size]

    def slide(self, t: int) -> None:
        """Age every deal one month: the window of month ``t`` starts at row t + 1."""
        self.window = self.buffer[t + 1 : t + 1 + self.rows]


def _decide_oldest_first(
    pipeline: _PipelineWindow, budget: np.ndarray, slack: np.ndarray
) -> np.ndarray:
    """Take this month's decided deals out of the pipeline; return the deals decided
    per line, (2 * lines, runs): mature ones, then those pulled forward.

    Plain meaning, per run and line (docs/model.md, "Deciding"): the whole-number
    ``budget`` goes to mature deals, oldest first; what is left beyond the mature deals
    waiting and the whole-number ``slack`` goes to immature deals at least a month old,
    oldest first.

    Trick: the budget left for a cell once the older deals of its line are decided is
    linear in the window ``[cells | budget | 1 | slack]`` (budget - slack - older
    eligible deals), so it is one matrix product with the constant ``budget_left`` for
    every cell and run at once; the cell gives min(max(left, 0), deals). Summing what
    was taken per line is a second product with ``decided``. Whole numbers throughout,
    so the products are exact in any order of additions.
    """
    layout, window, take = pipeline.layout, pipeline.window, pipeline.take
    cells = pipeline.cells
    n_lines = len(layout.youngest)
    window[layout.size : layout.size + n_lines] = budget
    window[layout.size + n_lines] = 1.0
    window[layout.size + n_lines + 1 :] = slack
    _product_on_one_thread(layout.budget_left, window, out=take)  # budget left per cell
    # max(left, 0) against an array of zeros: numpy's maximum with a scalar 0.0 takes a
    # loop without SIMD, about 4x slower here.
    np.maximum(take, pipeline.no_deals, out=take)
    np.minimum(take, cells, out=take)
    cells -= take
    return _product_on_one_thread(layout.decided, take, out=pipeline.decided)


@dataclass
class _Team:
    """The sales team of every run as a stock of people (docs/model.md, section 1,
    "Headcount"). Seats (reps employed plus backfills open) are always the plan's reps."""

    cohorts: np.ndarray  # (ramp_months + 1, runs) reps in their 1st, 2nd, ... month; last: ramped
    backfills: np.ndarray  # (months + 1 | 0, runs) replacements by the month they start;
    # the last row: after the horizon (no rows without attrition)
    headcount: np.ndarray  # (runs,) reps employed
    productive: np.ndarray  # (runs,) reps weighted by how far they have ramped


@dataclass(frozen=True)
class _Effort:
    """What the team puts in this month, per run (docs/model.md, section 1): rep-months
    on each stage, (runs,), and what they make per line, (lines, runs)."""

    attract: np.ndarray
    engage: np.ndarray
    retain: np.ndarray
    leverage: np.ndarray
    capacity: np.ndarray  # decisions a month the closers can make (seasonal)
    prospecting: np.ndarray  # opportunities a month from prospecting (before the season)
    usual_capacity: np.ndarray  # the capacity without the push
    staffed: bool  # every run has effort (> 0) on engage, retain and leverage


def _staffed(*stages: np.ndarray) -> bool:
    """Whether every run has effort (> 0, not NaN) on each of ``stages``: a month's
    effort is kept while nothing about it changes (``_effort_moves``), so this is
    checked once for the months it lasts instead of in each ``_stage_coverage``."""
    return all(np.minimum.reduce(stage) > 0.0 for stage in stages)


@dataclass
class _State:
    """The stocks of every run, lines x runs unless noted (docs/model.md, "Stocks and
    flows"). The mechanisms change them in place, month by month."""

    pipeline: _PipelineWindow  # open deals by line and age
    credit: np.ndarray  # closing credit: capacity not yet used
    pooled: np.ndarray  # pooled contracts in force (starting book, new, renewed), float
    # New and renewed pooled contracts by the month they end, (months + look + 1, lines,
    # runs); the starting book's are plan.warm.book_ends. Rows of past months stay:
    # the forward coverage reads them after the loop.
    pooled_ends: np.ndarray
    contract_alive: np.ndarray  # (runs, contracts) explicit contract in force
    contract_renewed: np.ndarray  # (runs, contracts) renewed at least once
    contract_accounts: np.ndarray  # explicit contracts in force per line
    contract_book: np.ndarray  # annual value of explicit contracts in force per line
    one_off_buyers: np.ndarray  # recent one-off buyers (clients for a year)
    one_off_buyers_by_month: np.ndarray  # (12 | 0, lines, runs) ring of the last 12 months
    care_index: np.ndarray  # (runs,)
    expansion: np.ndarray  # add-ons, annual value
    team: _Team
    pushing: np.ndarray  # (runs,) bool: management pushes until the quarter ends
    # docs/model.md, section 6: every account's value grows with the growth index, so a
    # contract's value is its units x the index; base values are without add-ons.
    pooled_units: np.ndarray  # pooled contracts in force, in units of the growth index
    pooled_base: np.ndarray  # pooled contracts in force, annual value without add-ons
    growth: np.ndarray  # (runs,) growth index: 1 on day one, x (1 + add-ons bought) a month
    effort: _Effort | None = None  # this month's, set by _effort_of_the_month
    usual_effort: _Effort | None = None  # the same without management's push


# docs/model.md, section 8 "Warm start", "Real open deals".
def _open_deal_cells(scenario: Scenario, layout: _Pipeline) -> np.ndarray | None:
    """``pipeline.open_deals`` as pipeline cells (None when not set): the deals opened
    k + 1 months before the start are of age k before the first month's ageing; deals
    too old to be decided in the first month count in the oldest age that still is."""
    given = scenario.pipeline.open_deals
    if given is None:
        return None
    cells = np.zeros(layout.size)
    for i, line_id in enumerate(scenario.product_lines):  # lines (at most 8)
        counts = np.asarray(given.get(line_id, ()), dtype=float)
        oldest = int(np.sum(layout.line_of == i)) - 2  # expiry - 2
        ages = np.minimum(np.arange(len(counts)), oldest)
        np.add.at(cells, layout.youngest[i] - ages, counts)
    return cells


def _start(plan: _Plan, *, runs: int, rng: np.random.Generator) -> _State:
    """The stocks on day one: the warm start's (docs/model.md, section 8) or empty, with
    every explicit contract in force. The warm pipeline is the first random draw, unless
    ``pipeline.open_deals`` gives the real one."""
    layout, lines, warm, contracts = plan.pipeline, plan.lines, plan.warm, plan.contracts
    n_lines = len(lines.cycle)
    pipeline = _PipelineWindow(layout, months=plan.months, runs=runs, dtype=plan.pipeline_dtype)
    open_deals = _open_deal_cells(plan.scenario, layout)
    if open_deals is not None:  # the real open pipeline, the same in every run
        pipeline.cells[...] = open_deals[:, None]
    elif plan.scenario.pipeline.warm_start:  # Poisson(prior arrivals) below the cycle,
        # Poisson(the backlog) at the mature ages if closing did not keep up
        line = layout.line_of
        young = layout.age < lines.cycle[line]
        oldest = layout.age == (lines.cycle + np.maximum(lines.cycle, 3) - 1)[line]
        waiting = np.where(oldest, warm.backlog_oldest[line], warm.backlog[line])
        mean = np.where(young, warm.arrivals[line], waiting)
        pipeline.cells[...] = rng.poisson(np.broadcast_to(mean, (runs, layout.size))).T
    has_one_off = bool(plan.one_off.any())
    warm_base = warm.book_ends.sum(axis=0) * lines.deal_size
    return _State(
        pipeline=pipeline,
        credit=np.zeros((n_lines, runs)),
        pooled=np.repeat(warm.book_ends.sum(axis=0)[:, None], runs, axis=1).astype(float),
        pooled_ends=np.zeros((plan.months + plan.look + 1, n_lines, runs), dtype=np.int64),
        contract_alive=np.ones((runs, contracts.count), dtype=bool),
        contract_renewed=np.zeros((runs, contracts.count), dtype=bool),
        contract_accounts=np.repeat(contracts.on_line.sum(axis=0)[:, None], runs, axis=1),
        contract_book=np.repeat(
            (contracts.annual_value @ contracts.on_line)[:, None], runs, axis=1
        ),
        one_off_buyers=np.repeat(warm.one_off_buyers[:, None], runs, axis=1),
        one_off_buyers_by_month=np.empty((12 if has_one_off else 0, n_lines, runs)),
        care_index=np.full(runs, warm.care_index),
        expansion=np.repeat(warm.expansion[:, None], runs, axis=1),
        pooled_units=np.repeat((warm_base + warm.expansion)[:, None], runs, axis=1),
        pooled_base=np.repeat(warm_base[:, None], runs, axis=1),
        growth=np.ones(runs),
        team=_starting_team(plan, runs=runs),
        pushing=np.zeros(runs, dtype=bool),
    )


def _starting_team(plan: _Plan, *, runs: int) -> _Team:
    """Day one: the opening plan's reps, all fully ramped, no backfill open."""
    reps = plan.scenario.team.reps
    cohorts = np.zeros((len(plan.ramp_weights), runs))
    cohorts[-1] = reps
    return _Team(
        cohorts=cohorts,
        backfills=np.zeros((plan.months + 1 if plan.attrition else 0, runs)),
        headcount=np.full(runs, reps),
        productive=np.full(runs, reps),
    )


@dataclass(frozen=True)
class _History:
    """What the months leave behind: outputs written month by month, and what the steps
    after the loop (revenue from contracts in force, forward coverage) read."""

    wins: np.ndarray  # (runs, months, lines) deals won
    pooled_kept: np.ndarray  # (months, runs, lines) pooled contracts renewed
    renewals_due: np.ndarray  # (runs, months) contracts that reached their end date
    renewals_kept: np.ndarray  # (runs, months) of which renewed
    revenue: np.ndarray  # (runs, months, lines, sources), filled in after the loop
    care_index: np.ndarray  # (runs, months)
    care_factor: np.ndarray  # (months, runs) multiplier of renewal chances
    expansion_total: np.ndarray  # (months, runs) add-on value per year, all lines
    opportunity_rate: np.ndarray  # (months, runs, lines) arrival rate
    pipeline_forecast: np.ndarray  # (months, runs, look) float32: win-weighted revenue ahead
    pipeline_open: np.ndarray  # (runs, months, lines) open deals at month end
    contract_alive: np.ndarray  # (months, contracts, runs) explicit contract in force
    contract_renewed: np.ndarray  # (months, contracts, runs) renewed at least once
    headcount: np.ndarray  # (runs, months) reps employed
    productive_reps: np.ndarray  # (runs, months) reps weighted by their ramp
    pushing: np.ndarray  # (runs, months) bool
    bookings_value: np.ndarray  # (months | 0, runs) bookings of each month (with [policy])
    bookings: np.ndarray  # (runs, months, lines) value of the deals won
    onboarding: np.ndarray  # (runs, months) onboarding coverage of the month's wins
    kept_base: np.ndarray  # (months, runs, lines) base value of the pooled contracts renewed
    kept_first_units: np.ndarray  # (months, runs, lines) units renewed at a first renewal
    kept_later_units: np.ndarray  # (months, runs, lines) units renewed at a later renewal
    growth: np.ndarray  # (months, runs) growth index at month end


def _empty_history(plan: _Plan, *, runs: int) -> _History:
    months, look, n_lines = plan.months, plan.look, len(plan.lines.cycle)
    contracts = plan.contracts.count
    return _History(
        wins=np.empty((runs, months, n_lines), dtype=np.int64),
        pooled_kept=np.empty((months, runs, n_lines), dtype=np.int64),
        renewals_due=np.empty((runs, months), dtype=np.int64),
        renewals_kept=np.empty((runs, months), dtype=np.int64),
        revenue=np.empty((runs, months, n_lines, len(SOURCES))),
        care_index=np.empty((runs, months)),
        care_factor=np.empty((months, runs)),
        expansion_total=np.empty((months, runs)),
        opportunity_rate=np.empty((months, runs, n_lines)),
        pipeline_forecast=np.empty((months, runs, look), dtype=np.float32),
        pipeline_open=np.empty((runs, months, n_lines)),
        contract_alive=np.zeros((months, contracts, runs), dtype=bool),  # runs last: see
        contract_renewed=np.zeros((months, contracts, runs), dtype=bool),  # _forward_coverage
        headcount=np.empty((runs, months)),
        productive_reps=np.empty((runs, months)),
        pushing=np.zeros((runs, months), dtype=bool),
        bookings_value=np.zeros((months if plan.push else 0, runs)),
        bookings=np.empty((runs, months, n_lines)),
        onboarding=np.empty((runs, months)),
        kept_base=np.empty((months, runs, n_lines)),
        kept_first_units=np.empty((months, runs, n_lines)),
        kept_later_units=np.empty((months, runs, n_lines)),
        growth=np.empty((months, runs)),
    )


# --- The simulation.
def run_engine(
    scenario: Scenario,
    *,
    runs: int,
    rng: np.random.Generator,
    should_stop: StopCheck = None,
) -> EngineOutput:
    """Simulate ``runs`` independent futures of ``scenario`` month by month, in the order
    of docs/model.md, "One month, step by step".

    ``should_stop`` is asked every month; when it returns True the run ends with
    :class:`~simulator.budget.SimulationCancelled` (nothing is returned or kept).
    """
    plan = _plan(scenario)
    state = _start(plan, runs=runs, rng=rng)
    history = _empty_history(plan, runs=runs)
    pipeline_ahead = _PipelineAhead(plan, runs=runs)
    calendar = _RenewalMonths(plan, runs=runs)
    for t in range(plan.months):
        _stop_if_asked(should_stop)
        _team(plan, state, history, t=t, rng=rng)
        _pressure(plan, state, history, t=t)
        _effort_of_the_month(plan, state, t=t)
        _age_pipeline(state, t=t)
        accounts, leverage_coverage = _arrivals(plan, state, history, t=t, rng=rng)
        wins = _decisions(plan, state, history, t=t, rng=rng)
        values = _deal_values(plan, history, t=t, rng=rng, wins=wins)
        pipeline_ahead.record(state, history, t=t)  # read by the forward coverage
        care_factor = _care(plan, state, history, t=t, wins=wins, accounts=accounts)
        _pooled_renewals(
            plan,
            state,
            history,
            t=t,
            rng=rng,
            wins=wins,
            values=values,
            care_factor=care_factor,
            calendar=calendar,
        )
        _explicit_renewals(plan, state, history, t=t, rng=rng, care_factor=care_factor)
        _expansion(plan, state, history, t=t, leverage_coverage=leverage_coverage)
        _revenue_of_the_month(plan, state, history, t=t, values=values)
    coverage, top_share, (nrr, grr) = _summarise(
        plan, state=state, history=history, should_stop=should_stop
    )
    return EngineOutput(
        revenue=history.revenue,
        bookings=history.bookings,
        wins=history.wins,
        renewals_due=history.renewals_due,
        renewals_kept=history.renewals_kept,
        coverage=coverage,
        care_index=history.care_index,
        pipeline_open=history.pipeline_open,
        onboarding=history.onboarding,
        nrr=nrr,
        grr=grr,
        top_accounts_share=top_share,
        headcount=history.headcount,
        productive_reps=history.productive_reps,
        pushing=history.pushing,
    )


# --- Step 0, The month's plan: the team (docs/model.md, section 1, "Headcount").
def _team(
    plan: _Plan, state: _State, history: _History, *, t: int, rng: np.random.Generator
) -> None:
    """Reps are a month further into their ramp; leavers go (each rep with the monthly
    attrition chance) and their seats wait ``backfill_months`` for a replacement; the
    plan's hires join and ramp, its cuts are at once; replacements due join and ramp."""
    team = state.team
    if plan.team_moves[t]:
        cohorts = team.cohorts
        ramp = len(cohorts) - 1
        if ramp:  # a month's more tenure: the last month of the ramp joins the ramped
            cohorts[ramp] += cohorts[ramp - 1]
            cohorts[1:ramp] = cohorts[: ramp - 1]
            cohorts[0] = 0.0
        if plan.attrition:  # whole reps leave; a part of a rep (0.5 of 10.5) stays
            whole = np.floor(cohorts + 1e-9).astype(np.int64)
            leavers = rng.binomial(whole.T, plan.attrition).T  # drawn (runs, cohorts)
            cohorts -= leavers
            team.backfills[min(t + plan.backfill_months, plan.months)] += leavers.sum(axis=0)
        # A change of plan in the first month hires (or cuts) from the opening team.
        before = plan.by_month.reps[t - 1] if t else plan.scenario.team.reps
        change = plan.by_month.reps[t] - before
        if change > 0:  # hires start this month
            cohorts[0] += change
        elif change < 0:
            _cut_newest_first(team, t=t, seats=-change)
        if len(team.backfills):
            cohorts[0] += team.backfills[t]
        np.add.reduce(cohorts, axis=0, out=team.headcount)
        np.add.reduce(cohorts * plan.ramp_weights[:, None], axis=0, out=team.productive)
    history.headcount[:, t] = team.headcount
    history.productive_reps[:, t] = team.productive


def _cut_newest_first(team: _Team, *, t: int, seats: float) -> None:
    """Take ``seats`` out of every run's team: open backfills first (the latest due
    first), then reps, the newest first."""
    backfills = team.backfills[t:][::-1]
    order = np.concatenate([backfills, team.cohorts])  # (rows, runs), in the order cut
    before = np.zeros_like(order)  # seats in the rows before each row
    np.cumsum(order[:-1], axis=0, out=before[1:])
    order -= np.clip(seats - before, 0.0, order)
    team.backfills[t:] = order[: len(backfills)][::-1]
    team.cohorts[...] = order[len(backfills) :]


# --- Step 0, The month's plan: management pressure (docs/model.md, section 2,
# "Management pressure").
def _pressure(plan: _Plan, state: _State, history: _History, *, t: int) -> None:
    """A run pushes from the month its quarter-to-date bookings, as management sees
    them (up to ``perception_delay_months`` ago), trail ``push_trigger`` times the
    quota pro rata for those months, to the end of the quarter."""
    if not plan.push:
        return
    policy = plan.scenario.policy
    first = int(plan.by_month.quarter_start[t])
    if first == t:  # a new quarter: the push of the last one is over
        state.pushing[:] = False
    first, seen = max(first, 0), t - policy.perception_delay_months + 1  # months first..seen-1
    if seen > first:
        booked = np.add.reduce(history.bookings_value[first:seen], axis=0)
        due = np.add.reduce(plan.by_month.quota_monthly[first:seen])
        state.pushing |= booked < policy.push_trigger * due
    history.pushing[:, t] = state.pushing


# --- Step 0, The month's plan: effort (docs/model.md, section 1; section 2,
# "Seasonality" and "Management pressure").
def _effort_of_the_month(plan: _Plan, state: _State, *, t: int) -> None:
    """Rep-months on each stage: the plan's shares of the productive reps, with the push
    moving a share of prospecting to closing; closing capacity and prospecting per line
    follow focus (and closing the season of decisions)."""
    moves = plan.effort_moves[t]
    if not moves and not plan.push:
        return  # the same as last month's (see _effort_moves)
    attract_share, close_share, engage, retain, leverage = plan.by_month.effort[t]
    productive = state.team.productive
    focus = plan.by_month.focus[t][:, None]
    season = plan.by_month.decisions_season

    def capacity_of(close: np.ndarray) -> np.ndarray:  # decisions a month per line
        capacity = close * focus / plan.lines.close_effort[:, None]
        return capacity if season is None else capacity * season[t]

    if moves:  # the plan's own effort; the push changes prospecting and closing alone
        usual = capacity_of(productive * close_share)
        attract = productive * attract_share
        engage, retain, leverage = productive * engage, productive * retain, productive * leverage
        state.usual_effort = _Effort(
            attract=attract,
            engage=engage,
            retain=retain,
            leverage=leverage,
            capacity=usual,
            prospecting=attract * focus * plan.lines.leads[:, None],
            usual_capacity=usual,
            staffed=_staffed(engage, retain, leverage),
        )
    state.effort = state.usual_effort
    if plan.push:
        moved = (plan.push * attract_share) * state.pushing
        attract = productive * (attract_share - moved)
        usual = state.usual_effort
        state.effort = _Effort(
            attract=attract,
            engage=usual.engage,
            retain=usual.retain,
            leverage=usual.leverage,
            capacity=capacity_of(productive * (close_share + moved)),
            prospecting=attract * focus * plan.lines.leads[:, None],
            usual_capacity=usual.usual_capacity,
            staffed=usual.staffed,
        )


# --- Step 1, Age the pipeline (docs/model.md, section 2, "Ageing, maturity and expiry").
def _age_pipeline(state: _State, *, t: int) -> None:
    """Every open deal is a month older; deals past their expiry age are lost."""
    state.pipeline.slide(t)


# --- Step 2, Arrivals (docs/model.md, section 2, "Arrivals"; section 6, "Leverage").
def _arrivals(
    plan: _Plan, state: _State, history: _History, *, t: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """New opportunities: prospecting on each line plus referrals from clients, which
    need leverage effort in proportion to the client base, both with the season of
    leads. Returns the contracts in
    force at the start of the month per line, and the leverage coverage per run."""
    accounts = state.pooled + state.contract_accounts
    # Contracts in force on a recurring line, recent buyers on a one-off line: a choice,
    # not accounts x recurring + buyers x one_off (the same numbers in two fewer steps).
    clients = np.where(plan.lines.recurring[:, None], accounts, state.one_off_buyers)
    engagement = plan.scenario.engagement
    effort = state.effort
    leverage_coverage = _stage_coverage(
        effort.leverage,
        engagement.leverage_effort_per_account * _sum_lines(clients),
        staffed=effort.staffed,
    )
    rate = plan.referral_monthly * clients
    rate *= leverage_coverage
    rate += effort.prospecting
    if plan.by_month.leads_season is not None:
        rate *= plan.by_month.leads_season[t]
    _write_transposed(history.opportunity_rate[t], rate)
    state.pipeline.cells[plan.pipeline.youngest] = rng.poisson(rate.T).T
    return accounts, leverage_coverage


def _write_transposed(out: np.ndarray, x: np.ndarray) -> None:
    """``out[...] = x.T`` for a numeric (lines, runs) ``x`` and a contiguous (runs, lines)
    ``out``.

    Written as a ufunc into the transposed view of ``out``: numpy then walks ``x`` along
    its long rows, where an assignment walks ``out`` across the short lines axis (about
    1.5x slower). ``np.positive`` leaves every value as it is."""
    np.positive(x, out=out.T)


# --- Step 3, Decisions (docs/model.md, section 2: "Closing capacity", "Deciding",
# "Winning"; the stock "Recent one-off buyers").
def _decisions(
    plan: _Plan, state: _State, history: _History, *, t: int, rng: np.random.Generator
) -> np.ndarray:
    """Closing capacity decides mature deals oldest first; while management pushes (or
    if the plan sets a slack) capacity left over pulls immature deals forward at a lower
    win rate. Returns the deals won per line, (lines, runs)."""
    n_lines = len(plan.lines.cycle)
    state.credit += state.effort.capacity
    budget = np.floor(state.credit + 1e-9)
    slack = _pull_forward_slack(plan, state, budget=budget)
    decided = _decide_oldest_first(state.pipeline, budget, slack)  # mature | pulled forward
    state.credit = np.minimum(state.credit - decided[:n_lines] - decided[n_lines:], 1.0)
    # Both win draws in one call, in (runs, lines) order: all mature, then all pulled.
    runs = decided.shape[1]
    decided_by_kind = decided.astype(np.int64).reshape(2, n_lines, runs).transpose(0, 2, 1)
    won_by_kind = rng.binomial(decided_by_kind, plan.win_chance)
    won = np.add(won_by_kind[0], won_by_kind[1], out=history.wins[:, t])  # (runs, lines)
    wins = np.ascontiguousarray(won.T)
    # One-off buyers count as clients for a year. The engine's deviation
    # "warm_one_off_buyers_stay" (tests/reference_engine.py): the warm start's buyers
    # are not in the ring of the last 12 months, so they never drop out.
    if len(state.one_off_buyers_by_month):
        this_month = state.one_off_buyers_by_month[t % 12]
        if t >= 12:
            state.one_off_buyers -= this_month
        np.multiply(wins, plan.one_off, out=this_month)
        state.one_off_buyers += this_month
    return wins


def _pull_forward_slack(plan: _Plan, state: _State, *, budget: np.ndarray) -> np.ndarray:
    """Decisions per line and run kept back from immature deals: ceil(capacity x
    ``pull_forward_slack``) if the plan sets it; else, while management pushes, the
    plan's own closing capacity (only the time the push adds pulls young deals, once the
    mature ones are decided); otherwise the whole budget (no pull-forward)."""
    share = plan.scenario.engagement.pull_forward_slack
    if share is not None:
        return np.ceil(state.effort.capacity * share)
    if plan.push:
        return np.where(state.pushing, np.ceil(state.effort.usual_capacity), budget)
    return budget


# --- Step 3, Decisions: the value of the wins (docs/model.md, section 3, "Deal sizes").
def _deal_values(
    plan: _Plan, history: _History, *, t: int, rng: np.random.Generator, wins: np.ndarray
) -> np.ndarray:
    """The value of this month's wins per line, (lines, runs): ``deal_size`` each, or on a
    line with a spread (``deal_size_cv`` > 0) the sum of that many deal values, drawn at
    once per run and line (``_sum_of_deal_values``). These are the month's bookings."""
    values = wins * plan.lines.deal_size[:, None]
    if plan.any_deal_spread:
        drawn = _sum_of_deal_values(plan.lines, wins, rng)
        values = np.where(plan.deal_spread[:, None], drawn, values)
    history.bookings[:, t] = values.T
    if len(history.bookings_value):  # what management's push reacts to
        history.bookings_value[t] = _sum_lines(values)
    return values


def _sum_of_deal_values(lines: _Lines, wins: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The sum of ``wins`` deal values per line and run, (lines, runs), each deal with
    mean ``deal_size`` and coefficient of variation ``deal_cv``.

    Trick: one Gamma(n / cv^2, deal_size x cv^2) draw per run and line instead of n
    draws: it has the sum's exact mean (n x deal_size) and variance (n x (cv x
    deal_size)^2), and no deals give 0. Lines without a spread draw Gamma(0), which is 0
    and is not used; the draw is (runs, lines), like every other draw.
    """
    cv2 = np.where(lines.deal_cv > 0, lines.deal_cv**2, 1.0)
    shape = np.where(lines.deal_cv > 0, wins.T / cv2, 0.0)
    return rng.gamma(shape, lines.deal_size * cv2).T


# --- Step 4, Care (docs/model.md, section 5, "Care index"; section 4, "Care factor").
def _care(
    plan: _Plan,
    state: _State,
    history: _History,
    *,
    t: int,
    wins: np.ndarray,
    accounts: np.ndarray,
) -> np.ndarray:
    """Onboarding of this month's new clients (kept for their first renewal, see
    ``_pooled_renewals``) and account care for the book at the start of the month, which
    moves the smoothed, book-wide care index; returns the care factor on renewal chances
    per run. A stage with nothing to do is fully covered, even with no one on it."""
    engagement, effort = plan.scenario.engagement, state.effort
    history.onboarding[:, t] = _stage_coverage(
        effort.engage,
        engagement.onboarding_effort_per_client * _sum_lines(wins),
        staffed=effort.staffed,
    )
    account_care = _stage_coverage(
        effort.retain,
        engagement.care_effort_per_account * _sum_lines(accounts),
        staffed=effort.staffed,
    )
    care_index = state.care_index
    care_index += (account_care - care_index) / engagement.care_memory_months
    history.care_index[:, t] = care_index
    # 1 - penalty x (1 - care index), worked in the month's history row.
    care_factor = np.subtract(1.0, care_index, out=history.care_factor[t])
    care_factor *= engagement.care_renewal_penalty
    return np.subtract(1.0, care_factor, out=care_factor)


# --- Step 5, Pooled renewals (docs/model.md, section 4; section 3 for new contracts).
@dataclass(frozen=True)
class _Due:
    """This simulation's pooled contracts that reach the end of a term this month, per
    line on (``_RenewalMonths.lines``) and run: the wins and the renewals of one term
    ago."""

    first: np.ndarray  # contracts at their first renewal (the wins)
    first_base: np.ndarray  # their value
    first_units: np.ndarray  # their value in units of the growth index
    onboarding: np.ndarray  # their cohort's onboarding coverage
    later_base: np.ndarray  # value of the renewals of one term ago
    later_units: np.ndarray  # the same in units


class _RenewalMonths:
    """Worked out once before the loop: the lines pooled contracts can be on
    (``lines``, a slice); per month, the lines on whose contracts signed in the
    simulation are due (with the month signed, t - term_months, and the growth index
    row before it) and the month a term starting now ends; the starting book's
    contracts ending each month, with their value and units; and the buffers the
    month's renewals are read into and drawn from.

    A speed helper: the same numbers as working each month out in ``_due_for_renewal``
    and ``_pooled_renewals`` on every line, with less work. A line outside ``lines`` (a
    one-off line with a renewal chance of 0, before the first or after the last other
    line) never has a pooled contract: it draws 0 from 0 contracts at a chance of 0 (the
    buffers' zeros), and its book and history stay 0. What is due is read into buffers
    kept over the months, the wins straight into the draw's counts: a line's rows hold
    "nothing due" (no contracts, no value, full onboarding) until its first term ends
    and are read every month after (t - term_months only grows)."""

    def __init__(self, plan: _Plan, *, runs: int) -> None:
        n_lines = len(plan.lines.cycle)
        ever_renews = plan.lines.recurring | (plan.pooled_chance[:, :, 0] != 0).any(axis=0)
        renewing = np.flatnonzero(ever_renews).tolist()
        on = slice(renewing[0], renewing[-1] + 1) if renewing else slice(0, 0)
        self.lines = on
        self.outside = [
            lines
            for lines in (slice(0, on.start), slice(on.stop, n_lines))
            if lines.stop > lines.start
        ]
        months = np.arange(plan.months)[:, None]
        start = (months - plan.months_to_end)[:, on]  # (months, lines on)
        ok = (start >= 0) & plan.lines.recurring[on]  # signed in the simulation
        self.signed = [  # per month: (line on, month signed, growth index row before it)
            [(j, m, m - 1 if m >= 1 else None) for j, m in enumerate(row) if is_signed[j]]
            for row, is_signed in zip(start.tolist(), ok.tolist(), strict=True)
        ]
        end_month = np.minimum(months + plan.months_to_end, plan.months + plan.look)
        self.end_months = end_month[:, on].tolist()  # per month and line on
        self.chance = plan.pooled_chance[:, on]
        warm_ending = plan.warm.book_ends[:, on, None]  # (months + look + 1, lines on, 1)
        self.warm_ending = warm_ending
        self.warm_base = warm_ending * plan.lines.deal_size[on, None]
        self.warm_units = warm_ending * plan.warm_unit_value[on, None]
        self.recurring = plan.recurring[on]
        self.recurring_int = self.recurring.astype(np.int64)
        self.counts = np.zeros((2, runs, n_lines), dtype=np.int64)  # the draw's n
        self.chances = np.zeros((2, runs, n_lines))  # and p
        zero = np.zeros((on.stop - on.start, runs))
        self.ending = zero.astype(np.int64)
        self.due = _Due(  # of the lines on
            first=self.counts[0, :, on].T,
            first_base=zero.copy(),
            first_units=zero.copy(),
            onboarding=zero + 1.0,
            later_base=zero.copy(),
            later_units=zero,
        )


def _due_for_renewal(history: _History, calendar: _RenewalMonths, *, t: int) -> _Due:
    """Read from the history of month t - term_months, per line (a recurring line's
    contracts all run one term, so a month's starts all end together)."""
    due = calendar.due
    for j, month, growth_month in calendar.signed[t]:  # lines (at most 8)
        i = calendar.lines.start + j
        due.first[j] = history.wins[:, month, i]
        due.first_base[j] = history.bookings[:, month, i]
        growth_before = 1.0 if growth_month is None else history.growth[growth_month]
        np.divide(due.first_base[j], growth_before, out=due.first_units[j])
        due.onboarding[j] = history.onboarding[:, month]
        due.later_base[j] = history.kept_base[month, :, i]
        np.add(
            history.kept_first_units[month, :, i],
            history.kept_later_units[month, :, i],
            out=due.later_units[j],
        )
    return due


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole for whole-number counts, 0 where whole is 0 (part is 0 there too)."""
    return part / np.maximum(whole, 1)


def _ratio(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole, 0 where whole is 0."""
    return np.divide(part, whole, out=np.zeros(np.broadcast(part, whole).shape), where=whole > 0)


def _pooled_renewals(
    plan: _Plan,
    state: _State,
    history: _History,
    *,
    t: int,
    rng: np.random.Generator,
    wins: np.ndarray,
    values: np.ndarray,
    care_factor: np.ndarray,
    calendar: _RenewalMonths,
) -> None:
    """Pooled contracts reaching the end of their term renew, one binomial draw per run,
    line and kind: at a first renewal (the wins of one term ago) with their cohort's
    onboarding in the care, at a later one (renewed before, or the starting book) with
    the care factor alone. Each kind keeps its average value per contract renewed. This
    month's recurring wins and renewals start a term, booked into the month they end.
    Lines no pooled contract can be on draw from 0 contracts (``_RenewalMonths``)."""
    on = calendar.lines
    due = _due_for_renewal(history, calendar, t=t)  # of the lines on
    ending = np.add(state.pooled_ends[t, on], calendar.warm_ending[t], out=calendar.ending)
    # Both draws in one call, in (runs, lines) order: first renewals (the counts hold
    # due.first), then later ones, the rest.
    counts, chances = calendar.counts, calendar.chances
    np.subtract(ending, due.first, out=counts[1, :, on].T)
    penalty = plan.scenario.engagement.care_renewal_penalty
    first_care = ONBOARDING_WEIGHT * due.onboarding + (1.0 - ONBOARDING_WEIGHT) * state.care_index
    chance = calendar.chance[t]
    np.minimum(chance * (1.0 - penalty * (1.0 - first_care)), 1.0, out=chances[0, :, on].T)
    np.minimum(chance * care_factor, 1.0, out=chances[1, :, on].T)
    kept_by_kind = rng.binomial(counts, chances)
    kept = np.add(kept_by_kind[0], kept_by_kind[1], out=history.pooled_kept[t])[:, on].T
    # Value: each contract of a kind is worth the kind's average.
    first_share, later_share = _share(kept_by_kind[:, :, on], counts[:, :, on]).transpose(0, 2, 1)
    later_base = due.later_base + calendar.warm_base[t]
    later_units = due.later_units + calendar.warm_units[t]
    kept_first_units = np.multiply(
        due.first_units, first_share, out=history.kept_first_units[t, :, on].T
    )
    kept_later_units = np.multiply(
        later_units, later_share, out=history.kept_later_units[t, :, on].T
    )
    kept_base = np.multiply(due.first_base, first_share, out=history.kept_base[t, :, on].T)
    kept_base += later_base * later_share
    if t == 0:  # nothing ever renews on the lines outside: their rows, for every month
        for lines in calendar.outside:
            history.kept_first_units[:, :, lines] = 0.0
            history.kept_later_units[:, :, lines] = 0.0
            history.kept_base[:, :, lines] = 0.0
    new_value = values[on] * calendar.recurring
    pooled_units, pooled_base = state.pooled_units[on], state.pooled_base[on]
    pooled_units += new_value / state.growth
    pooled_units -= (due.first_units + later_units) - (kept_first_units + kept_later_units)
    pooled_base += new_value
    pooled_base -= (due.first_base + later_base) - kept_base
    starts = wins[on] * calendar.recurring_int + kept
    for j, end in enumerate(calendar.end_months[t]):  # lines (at most 8): row writes
        state.pooled_ends[end, on.start + j] = starts[j]
    pooled = state.pooled[on]
    pooled += starts - ending
    # A line with no contracts in force holds no value (clears the rounding of the sums).
    empty = pooled == 0
    if empty.any():
        np.copyto(pooled_units, 0.0, where=empty)
        np.copyto(pooled_base, 0.0, where=empty)
    _count_lines(ending, out=history.renewals_due[:, t])
    _count_lines(kept, out=history.renewals_kept[:, t])


def _count_lines(counts: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    """The sum over lines of a (lines, runs) array of whole numbers, per run, into ``out``.

    A transposed view is added line by line: numpy's reduction of it walks the short
    lines axis, several times slower. Exact in any order."""
    if len(counts) == 1:  # a copy: faster than a reduction
        out[...] = counts[0]
        return out
    if len(counts) == 0 or (counts.flags.c_contiguous and len(counts) > 2):
        return np.add.reduce(counts, axis=0, out=out)
    np.add(counts[0], counts[1], out=out)  # two lines: faster than a reduction
    for row in counts[2:]:
        out += row
    return out


# --- Step 6, Explicit renewals (docs/model.md, section 4; section 3, explicit contracts).
def _explicit_renewals(
    plan: _Plan,
    state: _State,
    history: _History,
    *,
    t: int,
    rng: np.random.Generator,
    care_factor: np.ndarray,
) -> None:
    """``[[contracts]]`` due this month renew or leave, one uniform draw each (computed
    runs x contracts due); a contract that leaves takes its add-ons with it."""
    contracts = plan.contracts
    due_now = contracts.due.get(t)
    if due_now:
        chance = np.minimum(contracts.base_chance[t, due_now] * care_factor[:, None], 1.0)
        renews = rng.random((len(care_factor), len(due_now))) < chance
        due = state.contract_alive[:, due_now]
        kept = due & renews
        state.contract_alive[:, due_now] = kept
        state.contract_renewed[:, due_now] |= kept
        alive = state.contract_alive
        state.contract_accounts = np.ascontiguousarray((alive @ contracts.on_line).T)
        state.contract_book = np.ascontiguousarray(
            ((alive * contracts.annual_value) @ contracts.on_line).T
        )
        history.renewals_due[:, t] += due.sum(axis=1)
        history.renewals_kept[:, t] += kept.sum(axis=1)
    if contracts.count:
        history.contract_alive[t] = state.contract_alive.T
        history.contract_renewed[t] = state.contract_renewed.T


# --- Step 7, Expansion (docs/model.md, section 6, "Expansion").
def _expansion(
    plan: _Plan, state: _State, history: _History, *, t: int, leverage_coverage: np.ndarray
) -> None:
    """Cared-for clients buy add-ons in proportion to leverage effort and to what they
    pay already (base and add-ons): every account in force grows by the same share, the
    growth index, so add-ons renew with their contract and leave with it."""
    bought = 1.0 + plan.expansion_monthly * (leverage_coverage * state.care_index)
    # Worked in the month's history row, which is then the state (read only: next
    # month's row is worked from it).
    state.growth = np.multiply(state.growth, bought, out=history.growth[t])
    value = state.growth * (state.pooled_units + state.contract_book)
    # Value above base; in exact arithmetic never below 0 (the guard is for rounding).
    np.maximum(value - (state.pooled_base + state.contract_book), 0.0, out=state.expansion)


# --- Step 8, Revenue (docs/model.md, section 3, "Contracts and revenue recognition").
def _revenue_of_the_month(
    plan: _Plan, state: _State, history: _History, *, t: int, values: np.ndarray
) -> None:
    """The month's revenue that is not a contract in force: add-ons (a twelfth of their
    annual value); one-off sales (in the month won) and contracts in force are
    recognised after the loop, from the history (``_revenue``)."""
    # Written through the transposed view: numpy then walks the (lines, runs) stock along
    # its long rows rather than across the short lines axis (3x faster, same values).
    np.divide(state.expansion, 12.0, out=history.revenue[:, t, :, EXPANSION].T)
    _sum_lines(state.expansion, out=history.expansion_total[t])


# --- The open pipeline at each month end (read by step 9, "Open pipeline").
class _PipelineAhead:
    """Records, at each month end, the open deals per line (an output) and the
    win-weighted revenue they are expected to bring in each of the next ``look`` months
    (for the forward coverage): both are one product of the pipeline cells with a
    constant (cells, look + lines) kernel, over all runs at once."""

    def __init__(self, plan: _Plan, *, runs: int) -> None:
        layout, n_lines = plan.pipeline, len(plan.lines.cycle)
        line_cells = (layout.line_of[:, None] == np.arange(n_lines)[None, :]).astype(np.float32)
        self.look = plan.look
        self.kernel = np.concatenate(
            [_pipeline_kernel(plan.lines, layout, plan.look), line_cells], axis=1
        ).astype(np.float32)
        self.month = np.empty((runs, plan.look + n_lines), dtype=plan.pipeline_dtype)

    def record(self, state: _State, history: _History, *, t: int) -> None:
        # One product over all runs: the kernel holds fractions, so splitting it into
        # blocks of runs would move the last digits.
        np.matmul(state.pipeline.cells.T, self.kernel, out=self.month)
        history.pipeline_forecast[t] = self.month[:, : self.look]
        history.pipeline_open[:, t] = self.month[:, self.look :]


def _pipeline_kernel(lines: _Lines, layout: _Pipeline, look: int) -> np.ndarray:
    """Expected revenue in each of the next ``look`` months per open deal in each cell:
    decided in max(cycle - age, 1) months, won at the win rate (docs/model.md, section 9)."""
    ahead = np.arange(1, look + 1)
    line = layout.line_of
    decided_in = np.maximum(lines.cycle[line] - layout.age, 1)[:, None]
    recurring = np.where(decided_in <= ahead, lines.monthly_value[line][:, None], 0.0)
    one_off = np.where(decided_in == ahead, lines.deal_size[line][:, None], 0.0)
    per_deal = np.where(lines.recurring[line][:, None], recurring, one_off)
    return per_deal * lines.win_rate[line][:, None]


# --- After the last month: steps 8 (contracts in force) and 9 (forward coverage).
def _summarise(
    plan: _Plan, *, state: _State, history: _History, should_stop: StopCheck = None
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Fill in the revenue from contracts in force and return the forward coverage, the
    share of the book in the top accounts and the net and gross revenue retention, per
    run and month (runs are independent here: see ``_blocks_of_runs``). Concentration
    and retention go through the same blocks: both read the pooled book in units."""
    runs = history.wins.shape[0]
    months, look, n_lines = plan.months, plan.look, len(plan.lines.cycle)
    revenue_terms = _revenue_terms(plan, state=state)
    coverage_terms = _coverage_terms(plan, runs=runs)
    coverage = np.empty((runs, months))
    ahead = months + look
    by_cell = history.revenue.reshape(runs, months, n_lines * len(SOURCES))  # a view
    for block in _blocks_of_runs(runs, elements_per_run=ahead * (2 * look + n_lines)):
        _stop_if_asked(should_stop)
        pooled_value = _revenue(plan, history, terms=revenue_terms, runs=block)
        ends, first_ends = _ending_schedule(plan, history, runs=block)
        coverage[block] = _forward_coverage(
            coverage_terms,
            revenue_total=sum_last_axis(by_cell[block]),
            pooled_value=pooled_value,
            ends=ends,
            first_ends=first_ends,
            onboarding=history.onboarding[block],
            care_index=history.care_index[block],
            care_factor=history.care_factor[:, block],
            expansion_total=history.expansion_total[:, block],
            pipeline_forecast=history.pipeline_forecast[:, block],
            opportunity_rate=np.ascontiguousarray(history.opportunity_rate[:, block]),
            contract_alive=history.contract_alive[:, :, block],
        )
    top_share = np.empty((runs, months))
    retention, tables = _Retention(plan, runs=runs), _LargestTables()
    per_run = max(
        months * (n_lines * (TOP_ACCOUNTS + 1) + plan.contracts.count),
        (12 + 3 * n_lines) * (months + 1),  # retention's
    )
    for block in _blocks_of_runs(runs, elements_per_run=per_run, block=_BOOK_BLOCK):
        _stop_if_asked(should_stop)
        units = _pooled_units(plan, history, terms=revenue_terms, runs=block)
        top_share[block] = _concentration(
            plan, history, terms=revenue_terms, runs=block, pooled_units=units, tables=tables
        )
        retention.add_block(plan, history, runs=block, pooled_units=units)
    return coverage, top_share, (retention.nrr, retention.grr)


# --- Step 8, Revenue, contracts in force (docs/model.md, section 3).
@dataclass(frozen=True)
class _RevenueTerms:
    """Per-scenario constants of the revenue from contracts in force."""

    signed_before: np.ndarray  # (months, lines): a contract in force at month t was signed
    # after month signed_before[t] - 1 (t + 1 - term); one-off lines: t + 1, so none is
    starting_book_left: np.ndarray  # (months, lines) starting pooled contracts in force
    starting_book_value: np.ndarray  # (months, lines) their annual value (without add-ons)
    contract_monthly: np.ndarray  # (contracts, lines) a twelfth of each explicit contract
    lag: np.ndarray  # (lines,) months a contract stays in force (term; one-off lines 0),
    # at most the months simulated: signed_before[t] = max(t + 1 - lag, 0)
    starting_book_units: np.ndarray  # (months, lines) starting_book_left in growth units


def _revenue_terms(plan: _Plan, *, state: _State) -> _RevenueTerms:
    lines, months = plan.lines, plan.months
    book_ends = plan.warm.book_ends
    # A contract signed in month s is in force from s to s + term - 1: a running sum of
    # contracts signed, minus the same sum ``term`` months earlier (one-off: none).
    signed_before = np.maximum(
        np.arange(1, months + 1)[:, None] - np.where(lines.recurring, lines.term, 0), 0
    )
    starting_left = book_ends.sum(axis=0) - np.cumsum(book_ends[:months], axis=0)
    contracts = plan.contracts
    return _RevenueTerms(
        signed_before=signed_before,
        starting_book_left=starting_left,
        starting_book_value=starting_left * lines.deal_size,
        contract_monthly=contracts.on_line * (contracts.annual_value / 12.0)[:, None],
        lag=np.minimum(np.where(lines.recurring, lines.term, 0), months),
        starting_book_units=starting_left * plan.warm_unit_value,
    )


def _revenue(plan: _Plan, history: _History, *, terms: _RevenueTerms, runs: slice) -> np.ndarray:
    """Revenue of the contracts in force at each month end, by source, written into
    ``history.revenue`` for a block of runs: the starting book and explicit contracts in
    their first term are ``existing``, this simulation's wins in their first term
    ``new``, anything renewed ``renewal`` (a twelfth of the annual value without
    add-ons, which are ``expansion``). Returns the annual value of the pooled contracts
    in force, (runs, months, lines)."""
    new = _in_force(history.bookings[runs], terms.signed_before)
    renewed = _in_force(_by_run(history.kept_base, runs), terms.signed_before)
    revenue = history.revenue[runs]
    bookings = history.bookings[runs]
    has_contracts = plan.contracts.count > 0
    if has_contracts:
        alive = history.contract_alive[:, :, runs]
        again = history.contract_renewed[:, :, runs]
        contract_first_term = _contract_revenue(alive & ~again, terms.contract_monthly)
        contract_renewed = _contract_revenue(alive & again, terms.contract_monthly)
    # Each source for every line at once, one strided pass per source; the one-off
    # share line by line (by a scalar: a broadcast over a short axis of lines is slower).
    existing = terms.starting_book_value / 12.0  # (months, lines), the same in every run
    if has_contracts:
        np.add(existing, contract_first_term, out=revenue[..., EXISTING])
    else:
        revenue[..., EXISTING] = existing
    np.divide(new, 12.0, out=revenue[..., NEW])
    np.divide(renewed, 12.0, out=revenue[..., RENEWAL])
    for i in range(len(plan.lines.cycle)):  # lines (at most 8)
        np.multiply(bookings[:, :, i], plan.one_off[i, 0], out=revenue[:, :, i, ONE_OFF])
    if has_contracts:
        revenue[..., RENEWAL] += contract_renewed
    new += renewed
    new += terms.starting_book_value
    return new


def _by_run(by_month: np.ndarray, runs: slice) -> np.ndarray:
    """A block of runs of a (months, runs, ...) history array, as (runs, months, ...)
    (a view).

    The history keeps what only the steps after the loop read month-major, so that each
    month writes one contiguous slice instead of one element per run.
    """
    return by_month[:, runs].swapaxes(0, 1)


def _contract_revenue(flags: np.ndarray, monthly: np.ndarray) -> np.ndarray:
    """The monthly revenue of the explicit contracts flagged in each month and run, per
    line, (runs, months, lines), from (months, contracts, runs) flags and (contracts,
    lines) monthly values: one (runs x months, contracts) @ (contracts, lines) product,
    its left matrix contiguous by contract as BLAS wants it."""
    months, count, runs = flags.shape
    by_contract = np.ascontiguousarray(flags.transpose(2, 0, 1), dtype=float)
    product = by_contract.reshape(runs * months, count) @ monthly
    return product.reshape(runs, months, -1)


def _in_force(started: np.ndarray, signed_before: np.ndarray) -> np.ndarray:
    """Contracts (or their value) in force at each month end, (runs, months, lines), from
    those started each month."""
    runs, months, n_lines = started.shape
    signed = np.zeros((runs, months + 1, n_lines), dtype=started.dtype)  # before month i
    np.cumsum(started, axis=1, out=signed[:, 1:])
    return signed[:, 1:] - signed[:, signed_before, np.arange(n_lines)]


# --- Step 9, Forward coverage (docs/model.md, section 9).
def _ending_schedule(
    plan: _Plan, history: _History, *, runs: slice
) -> tuple[np.ndarray, np.ndarray]:
    """The annual value (without add-ons) of the pooled contracts that end in each month
    u < months + look, (runs, u, lines), as the history made it (the months a contract
    ends are known from the month it starts); and, (runs, u, 2 x lines), the value of
    those at their first renewal, then the same times their cohort's onboarding."""
    lines, months, look = plan.lines, plan.months, plan.look
    bookings, kept = history.bookings[runs], _by_run(history.kept_base, runs)
    onboarding = history.onboarding[runs]
    block, n_lines = bookings.shape[0], len(lines.cycle)
    # The starting book everywhere, then each recurring line's starts (new + renewed)
    # added where they end: only the months and lines that end inside the window are
    # summed or copied.
    ends = np.empty((block, months + look, n_lines))
    ends[...] = plan.warm.book_ends[: months + look] * lines.deal_size
    first_ends = np.zeros((block, months + look, 2 * n_lines))
    for i in np.flatnonzero(lines.recurring):  # lines (at most 8)
        term = int(lines.term[i])
        span = max(0, min(months, months + look - term))
        ending = slice(term, term + span)
        ends[:, ending, i] += bookings[:, :span, i] + kept[:, :span, i]
        first_ends[:, ending, i] = bookings[:, :span, i]
        np.multiply(
            bookings[:, :span, i], onboarding[:, :span], out=first_ends[:, ending, n_lines + i]
        )
    return ends, first_ends


@dataclass(frozen=True)
class _CoverageTerms:
    """Per-scenario constants of the forward coverage, shared by every block of runs."""

    ending_weights: np.ndarray  # (lines, look): a twelfth of the value ending by month ahead
    chance_by_end: np.ndarray  # (months + look, lines) renewal chance by the month it ends
    first_weights: np.ndarray  # (lines, look): first renewals' onboarding term
    twelfth: np.ndarray  # (lines,) 1/12: annual value to a month's revenue
    flow_by_ahead: np.ndarray  # (look, lines) revenue per unit of opportunity rate
    contract_values: np.ndarray  # (months, contracts, 2 * look): in force | up for renewal
    by_alive_set: np.ndarray | None  # (2 * look, months x 2^contracts): see _contracts_seen
    need: np.ndarray  # (months,) a third of the quarterly revenue target, nan where none
    without_target: np.ndarray  # (months,) bool: no target, the run-rate is needed


def _coverage_terms(plan: _Plan, *, runs: int) -> _CoverageTerms:
    """The parts of the forward coverage that do not depend on the run."""
    lines, contracts = plan.lines, plan.contracts
    months, look = plan.months, plan.look
    n_lines = len(lines.cycle)
    twelfth = np.full(n_lines, 1.0 / 12.0)
    # Contracts known to end by t + h are weighted by their renewal chance, which is
    # pooled chance (by the month they end) x care factor (both at most 1), so the sum
    # over lines splits into two weighted sums of the ending schedule, for every h at once.
    ahead = np.arange(1, look + 1)
    known = ahead[None, :] <= lines.term[:, None]  # (lines, look): ends known at month t
    ending_weights = known * twelfth[:, None]
    # A first renewal's chance differs from the care factor's by pooled chance x
    # penalty x ONBOARDING_WEIGHT x (onboarding - care index): two more weighted sums
    # (of the schedule already weighted by the pooled chance).
    onboarding_term = known * (twelfth * plan.scenario.engagement.care_renewal_penalty)[:, None]
    first_weights = ONBOARDING_WEIGHT * onboarding_term
    first_due, term = contracts.first_due[:, None], contracts.term[:, None]
    month = np.arange(months)
    # Next due month after each month t, per contract (due months are fixed).
    passed = np.maximum(month[None, :] - first_due, -1)
    next_due = np.where(
        month[None, :] < first_due, first_due, first_due + term * (passed // term + 1)
    )  # (contracts, months)
    in_force = next_due.T[:, :, None] > month[:, None, None] + ahead  # (months, contracts, look)
    # Value of each explicit contract at month t + h: certain while in force, else its
    # renewal chance before care (the care factor multiplies it per run).
    sure = in_force * (contracts.annual_value / 12.0)[:, None]
    due_row = np.minimum(next_due, len(contracts.base_chance) - 1)
    next_chance = contracts.base_chance[due_row, np.arange(contracts.count)[:, None]].T
    maybe = ~in_force * (contracts.annual_value * next_chance / 12.0)[:, :, None]
    contract_values = np.concatenate([sure, maybe], axis=2)
    return _CoverageTerms(
        ending_weights=ending_weights,
        chance_by_end=plan.pooled_chance[:, :, 0],
        first_weights=first_weights,
        twelfth=twelfth,
        flow_by_ahead=np.ascontiguousarray(_flow_kernel(lines, look).T),
        contract_values=contract_values,
        by_alive_set=_sums_by_alive_set(contract_values, runs=runs),
        need=plan.by_month.revenue_target / 3.0,
        without_target=np.isnan(plan.by_month.revenue_target),
    )


def _forward_coverage(
    terms: _CoverageTerms,
    *,
    revenue_total: np.ndarray,
    pooled_value: np.ndarray,
    ends: np.ndarray,
    first_ends: np.ndarray,
    onboarding: np.ndarray,
    care_index: np.ndarray,
    care_factor: np.ndarray,
    expansion_total: np.ndarray,
    pipeline_forecast: np.ndarray,
    opportunity_rate: np.ndarray,
    contract_alive: np.ndarray,
) -> np.ndarray:
    """Forward coverage at each month end, for a block of runs: what the next months can
    already see coming (signed contracts, likely renewals, win-weighted pipeline,
    prospecting at the current rate) over what those months need (target or run-rate);
    the worst month counts.

    ``care_factor`` and ``expansion_total`` are month-major, (months, runs), as the
    history keeps them; what is seen is summed month-major too, (look, months, runs), the
    layout of the flow, the contracts and the care factor, so that those sums read each
    operand contiguously instead of through a transpose (the same additions, in the
    same order)."""
    runs, months = revenue_total.shape
    look = terms.flow_by_ahead.shape[0]
    has_contracts = contract_alive.shape[1] > 0
    # First renewals differ from the others only where onboarding or care fell short.
    full_care = bool((onboarding == 1.0).all() and (care_index == 1.0).all())
    contracted = pooled_value @ terms.twelfth  # (runs, months): pooled, in force
    seen_base = expansion_total / 12.0 + contracted.T  # (months, runs)
    if has_contracts:
        contracts_seen = _contracts_seen(terms, contract_alive)  # (2 * look, months, runs)
    # Pooled contracts scheduled to end by t + h, as known from history, for every
    # look-ahead month h at once, (look, months, runs).
    weights = terms.ending_weights
    ending_value = _known_by_ahead(ends, weights, months)
    ending_kept = _known_by_ahead(ends * terms.chance_by_end, weights, months)
    seen = np.subtract(seen_base, ending_value, out=ending_value)
    seen += np.multiply(care_factor, ending_kept, out=ending_kept)
    if not full_care:
        # The first renewals' value, then the same times their cohort's onboarding,
        # each weighted by the pooled chance like ``ending_kept``.
        n_lines, chance, first_weights = weights.shape[0], terms.chance_by_end, terms.first_weights
        first_value = _known_by_ahead(first_ends[..., :n_lines] * chance, first_weights, months)
        first_onboarded = _known_by_ahead(first_ends[..., n_lines:] * chance, first_weights, months)
        first_onboarded -= np.multiply(care_index.T, first_value, out=first_value)
        seen += first_onboarded
    # Win-weighted pipeline, plus prospecting at the current rate (one matrix-vector
    # product per run and month, each rounded by BLAS the same way whatever the block).
    flow = np.empty((look, months, runs))
    rate = opportunity_rate.reshape(months * runs, -1)
    for h in range(look):  # a loop over the look-ahead months (at most 24)
        np.matmul(rate, terms.flow_by_ahead[h], out=flow[h].reshape(-1))
    flow += pipeline_forecast.transpose(2, 0, 1)
    seen += flow
    if has_contracts:
        seen += contracts_seen[:look]
        seen += np.multiply(care_factor, contracts_seen[look:], out=flow)
    worst = np.minimum.reduce(seen, axis=0).T  # (runs, months)

    need = terms.need  # (months,): the same in every run, unless a run-rate is needed
    if terms.without_target.all():  # run-rate: average monthly revenue, last three months
        need = _run_rate(revenue_total)
    elif terms.without_target.any():
        need = np.where(terms.without_target, _run_rate(revenue_total), need)
    # Divided only where something is needed (the cap elsewhere), into one array.
    ratio = np.full((runs, months), COVERAGE_CAP)
    with np.errstate(invalid="ignore", over="ignore"):
        np.divide(worst, need, out=ratio, where=need > 0)
    return np.clip(ratio, 0.0, COVERAGE_CAP, out=ratio)


_ALIVE_SETS = 1 << 8
"""At most this many sets of explicit contracts alive are tabled (``_contracts_seen``)."""


def _contracts_seen(terms: _CoverageTerms, contract_alive: np.ndarray) -> np.ndarray:
    """Value of the explicit contracts seen at month t, h months ahead, per run: the sum
    over contracts, in contract order, of alive x ``contract_values``, (2 * look,
    months, runs).

    Speed trick: with few contracts, the contracts alive in a run and month are one of
    2^contracts sets, whose sums ``_sums_by_alive_set`` works out once per scenario (the
    same products added in the same order, from 0.0); each run and month looks its
    set's sum up instead of multiplying and adding every contract again. Otherwise one
    product per contract: runs are the fastest axis, so einsum's sum over contracts is a
    plain running sum (the order fixes the rounding).
    """
    months, count, runs = contract_alive.shape
    if terms.by_alive_set is None:
        by_month = np.einsum("tcr,tck->tkr", contract_alive.astype(float), terms.contract_values)
        return by_month.transpose(1, 0, 2)
    alive_set = np.zeros((months, runs), dtype=np.intp)  # bit c: contract c is alive
    for c in range(count):  # the file's contracts (a few)
        alive_set |= contract_alive[:, c, :].astype(np.intp) << c
    alive_set += (np.arange(months) << count)[:, None]  # each month's sets, one after another
    return np.take(terms.by_alive_set, alive_set, axis=1)


def _sums_by_alive_set(contract_values: np.ndarray, *, runs: int) -> np.ndarray | None:
    """For ``_contracts_seen``: for every month t and set of contracts alive (bit c of
    the set's number: contract c), the sum over contracts in contract order of alive x
    value, as einsum adds it (from 0.0), (2 * look, months x 2^contracts); None when
    there are more sets than runs or _ALIVE_SETS (the table would cost more than it saves)."""
    months, count, ahead = contract_values.shape
    sets = 1 << count
    if count == 0 or sets > min(runs, _ALIVE_SETS):
        return None
    bits = ((np.arange(sets)[:, None] >> np.arange(count)) & 1).astype(float)  # (sets, c)
    total = np.zeros((ahead, months, sets))
    for c in range(count):  # contract order
        total += bits[:, c] * contract_values[:, c, :].T[:, :, None]
    return total.reshape(ahead, months * sets)


def _known_by_ahead(by_line: np.ndarray, weights: np.ndarray, months: int) -> np.ndarray:
    """Weighted running totals over the look-ahead: of a (runs, months + look, lines)
    array x and (lines, look) weights w, the (look, months, runs) array whose entry
    [h - 1, t, r] is the sum over k = 1 .. h, in that order, of x[r, t + k] . w[:, k - 1]
    (what is known by month t + h: each month ahead weighs the lines its own way).

    Each distinct column of w is one matrix-vector product over all runs and months
    (the columns differ only where a line's term is shorter than the look-ahead), then
    a running total along h of shifted rows: no (runs, months + look, look) product and
    no strided copy of its diagonal."""
    runs, ahead, n_lines = by_line.shape
    look = weights.shape[1]
    flat = by_line.reshape(runs * ahead, n_lines)
    by_column: dict[bytes, np.ndarray] = {}
    total = np.empty((look, months, runs))
    for k in range(look):  # a loop over the look-ahead months (at most 24)
        column = np.ascontiguousarray(weights[:, k])
        key = column.tobytes()
        seen = by_column.get(key)
        if seen is None:  # (months + look, runs): x . w[:, k] for every month and run
            seen = by_column[key] = np.ascontiguousarray((flat @ column).reshape(runs, ahead).T)
        if k == 0:
            total[0] = seen[1 : months + 1]
        else:
            np.add(total[k - 1], seen[k + 1 : k + 1 + months], out=total[k])
    return total


def _run_rate(revenue_total: np.ndarray) -> np.ndarray:
    """Average monthly revenue of months t - 2 .. t (fewer at the start), (runs, months).

    The three months are added directly, oldest first: a difference of running sums
    would cancel a large past (a 1e12 contract that has left) into the last digits of
    a small present."""
    runs, months = revenue_total.shape
    padded = np.concatenate([np.zeros((runs, 2)), revenue_total], axis=1)
    recent = padded[:, :months] + padded[:, 1 : months + 1] + padded[:, 2:]
    return recent / np.minimum(np.arange(1, months + 1), 3)


def _flow_kernel(lines: _Lines, look: int) -> np.ndarray:
    """Expected revenue in month t+h per unit of monthly opportunity rate from month t+1
    on, each deal decided one cycle after it arrives."""
    ahead = np.arange(1, look + 1)
    earning = np.clip(ahead[None, :] - lines.cycle[:, None], 0, None)  # months of decided deals
    recurring = earning * (earning + 1) / 2.0 * lines.monthly_value[:, None]
    one_off = (earning >= 1) * lines.deal_size[:, None]
    return np.where(lines.recurring[:, None], recurring, one_off) * lines.win_rate[:, None]


# --- After the loop: revenue concentration (docs/model.md, section 3, "Concentration").
def _concentration(
    plan: _Plan,
    history: _History,
    *,
    terms: _RevenueTerms,
    runs: slice,
    pooled_units: np.ndarray,
    tables: _LargestTables | None = None,
) -> np.ndarray:
    """Share of the recurring book's value (add-ons included) held by its TOP_ACCOUNTS
    largest accounts at each month end, (runs, months), for a block of runs; 0 with no
    book. Explicit contracts count at their own value, pooled contracts at the expected
    values of the largest ones of their line (``_largest_pooled``, with ``tables`` kept
    over the blocks); ``pooled_units`` is the block's ``_pooled_units`` (read only).

    Worked month-major, (lines or candidates, months, runs), so that every step runs
    along whole rows of runs (see ``_in_force_by_month``); only the candidates are laid
    out one (month, run) per row, for ``_largest`` and their sum.
    """
    contracts = plan.contracts
    n_lines = len(plan.lines.cycle)
    # Whole numbers: one running sum of the wins and renewals started is exact.
    wins, kept = history.wins[runs], history.pooled_kept[:, runs]
    started = np.add(wins.transpose(2, 1, 0), kept.transpose(2, 0, 1), out=_by_month(wins))
    pooled_count = _in_force_by_month(started, terms.lag)
    pooled_count += terms.starting_book_left.T[:, :, None]
    growth = history.growth[:, runs]  # (months, runs)
    pooled_value = np.multiply(pooled_units, growth)
    total = _sum_lines(pooled_value.reshape(n_lines, -1)).reshape(growth.shape)
    mean = _share(pooled_value, pooled_count)
    shown = min(contracts.count, TOP_ACCOUNTS)
    lines = _lines_with_candidates(pooled_count, mean, explicit=shown)
    pooled_candidates = len(lines) * TOP_ACCOUNTS
    # The candidates, one after the other: the largest pooled contracts, then the
    # explicit ones.
    ranked = np.empty((pooled_candidates + shown, *growth.shape))
    line_mean = mean[lines]
    descending = _largest_pooled(
        pooled_count[lines],
        line_mean,
        plan.lines.deal_cv[lines],
        out=ranked[:pooled_candidates],
        tables=tables,
    )
    if contracts.count:
        alive = history.contract_alive[:, :, runs].transpose(1, 0, 2)  # (c, months, runs)
        values = np.empty((contracts.count, *growth.shape))
        np.multiply(alive, contracts.annual_value[:, None, None], out=values)
        values *= growth
        total += _sum_contracts(values)
        if contracts.count > TOP_ACCOUNTS:
            values = _largest(np.ascontiguousarray(values.transpose(1, 2, 0)), TOP_ACCOUNTS)
            values = values.transpose(2, 0, 1)
        ranked[pooled_candidates:] = values
    if len(ranked) > TOP_ACCOUNTS and descending and not line_mean.min(initial=0.0) < 0.0:
        # Each line's candidates are in descending order (a mean of at least 0 times a
        # descending table row): merged, not partitioned.
        top = _sum_of_largest(list(ranked), runs_of=[TOP_ACCOUNTS] * len(lines))
    else:
        candidates = np.ascontiguousarray(ranked.transpose(1, 2, 0))  # (months, runs, cand.)
        top = sum_last_axis(_largest(candidates, TOP_ACCOUNTS, in_place=True))
    share = np.divide(top, total, out=np.zeros_like(total), where=total > NO_BOOK)
    return np.minimum(share, 1.0).T  # at most 1 (the sums round differently)


def _lines_with_candidates(count: np.ndarray, mean: np.ndarray, *, explicit: int) -> list[int]:
    """The lines whose largest pooled contracts ``_concentration`` needs among its
    candidates, given ``explicit`` explicit ones: every line, less those with no pooled
    contract in the block (one-off lines), whose candidates are all +0.0, as long as
    more than TOP_ACCOUNTS candidates are left.

    A speed trick, exact where np.partition leaves the largest TOP_ACCOUNTS in ascending
    order (numpy's SIMD selection does, on x86-64 with AVX2): their sum is then the
    same whatever zeros are dropped (a smaller partition, a line fewer to look up).
    """
    n_lines = len(count)
    if n_lines * TOP_ACCOUNTS + explicit <= TOP_ACCOUNTS:  # no partition: all summed
        return list(range(n_lines))
    empty = [
        i
        for i in range(n_lines)
        if not count[i].any() and not mean[i].any() and not np.signbit(mean[i]).any()
    ]
    while empty and (n_lines - len(empty)) * TOP_ACCOUNTS + explicit <= TOP_ACCOUNTS:
        empty.pop()  # keep enough candidates to partition
    return [i for i in range(n_lines) if i not in empty]


def _sum_contracts(values: np.ndarray) -> np.ndarray:
    """Sum of (contracts, months, runs) values over contracts, as numpy sums them laid out
    month, contract, run (as the explicit contracts' history is): in file order, but
    pairwise (in each month's contiguous row) when there is one run and eight or more
    contracts. Keeps the same rounding when the values are laid out month-major."""
    if values.shape[2] == 1:
        return np.ascontiguousarray(values.transpose(1, 2, 0)).sum(axis=2)
    return np.add.reduce(values, axis=0)


def _in_force_by_month(started: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """``_in_force`` of month-major arrays: contracts (or their value) in force at each
    month end, (lines, months, runs), from those started each month (the same running
    sums and subtractions).

    For speed: each line's sum ``lag`` months back is a slice of its running sum, so
    every operation runs along whole rows of runs (numpy is slow on short inner axes,
    such as lines, and on gathers).
    """
    n_lines, months, n_runs = started.shape
    signed = np.zeros((n_lines, months + 1, n_runs), dtype=started.dtype)  # before month i
    np.cumsum(started, axis=1, out=signed[:, 1:])
    in_force = np.empty_like(started)
    for i, lag_months in enumerate(lag.tolist()):  # lines (at most 8)
        line, sums = in_force[i], signed[i]
        np.subtract(sums[1 : lag_months + 1], sums[:1], out=line[:lag_months])
        np.subtract(
            sums[lag_months + 1 :], sums[1 : months + 1 - lag_months], out=line[lag_months:]
        )
    return in_force


def _by_month(by_run: np.ndarray) -> np.ndarray:
    """An empty month-major (lines, months, runs) array for a (runs, months, lines) one.

    Given as ``out``: numpy would lay out a result like its operands (run-major), and
    the month-major steps would then run along short inner axes.
    """
    n_runs, months, n_lines = by_run.shape
    return np.empty((n_lines, months, n_runs), dtype=by_run.dtype)


def _pooled_units(
    plan: _Plan, history: _History, *, terms: _RevenueTerms, runs: slice
) -> np.ndarray:
    """The pooled contracts in force at each month end in units of the growth index,
    month-major (lines, months, runs): the starting book's left, plus those started (won
    or renewed) within the last term, from the history (as ``_revenue`` does for their
    value)."""
    growth = history.growth[:, runs]
    growth_before = np.empty_like(growth)  # at the start of each month
    growth_before[0] = 1.0
    growth_before[1:] = growth[:-1]
    bookings = history.bookings[runs]
    started = np.multiply(
        bookings.transpose(2, 1, 0), plan.recurring[:, :, None], out=_by_month(bookings)
    )
    started /= growth_before
    started += history.kept_first_units[:, runs].transpose(2, 0, 1)
    started += history.kept_later_units[:, runs].transpose(2, 0, 1)
    units = _in_force_by_month(started, terms.lag)
    units += terms.starting_book_units.T[:, :, None]
    return units


def _largest(values: np.ndarray, k: int, *, in_place: bool = False) -> np.ndarray:
    """The k largest entries along the last axis (all of them if there are fewer), in
    the order ``np.partition`` leaves them; ``in_place``: partitions ``values`` itself."""
    size = values.shape[-1]
    if size <= k:
        return values
    if not in_place:
        return np.partition(values, size - k, axis=-1)[..., size - k :]
    values.partition(size - k, axis=-1)
    return values[..., size - k :]


def _largest_pooled(
    count: np.ndarray,
    mean: np.ndarray,
    cv: np.ndarray,
    *,
    out: np.ndarray,
    tables: _LargestTables | None = None,
) -> bool:
    """The expected values of the TOP_ACCOUNTS largest pooled contracts of each line,
    written into ``out``, (lines x TOP_ACCOUNTS, months, runs), when a line's ``count``
    contracts, (lines, months, runs), have values lognormal with mean ``mean`` and
    coefficient of variation ``cv`` (0: all equal).

    The i-th largest of n is taken as the value between the quantiles 1 - i/n and
    1 - (i - 1)/n: the largest k of n lognormal values hold n x mean x Phi(sigma - z) of
    the total, z the standard normal quantile of 1 - k/n, sigma^2 = ln(1 + cv^2); with
    cv = 0 that is min(k, n) x mean. Either way the i-th largest is the mean times a
    number of n alone: one table row per count (``_distinct``), looked up; ``tables``
    keeps the rows of a line from one block of runs to the next (``_LargestTables``).
    Returns whether every table used is descending along i (so is a line's ``out``
    where its mean is at least 0; a table's rounding could in principle break that).
    """
    n_lines = len(count)
    largest = out.reshape(n_lines, TOP_ACCOUNTS, *count.shape[1:])  # a view
    descending = True
    for i in range(n_lines):  # lines (at most 8)
        if cv[i] > 0:
            table, which = (tables or _LargestTables()).rows(float(cv[i]), count[i])
            descending = descending and bool((table[:, 1:] <= table[:, :-1]).all())
        else:
            table, which = _EQUAL_VALUES, np.minimum(count[i], TOP_ACCOUNTS)
        np.take(table.T, which, axis=1, out=largest[i], mode="clip")  # in range anyway
        np.multiply(largest[i], mean[i], out=largest[i])
    return descending


def _sum_of_largest(rows: list[np.ndarray], *, runs_of: list[int]) -> np.ndarray:
    """The sum of the TOP_ACCOUNTS largest of ``rows`` (arrays of one shape), entry by
    entry, in ascending order as numpy sums a contiguous row (``sum_of_slices``): what
    ``_largest`` and ``sum_last_axis`` give where np.partition leaves the largest in
    ascending order. The first ``sum(runs_of)`` rows come in runs of the given lengths,
    each descending; the rest in any order. Overwrites ``rows``' arrays.

    A speed trick: the runs, and the other rows one at a time, are merged by Batcher's
    odd-even merge (``_merge_plan``), each compare-exchange a minimum and a maximum
    along whole arrays, keeping the largest TOP_ACCOUNTS of each merge; numpy's
    partition works row by row (one call per month and run) on a transposed copy.
    minimum and maximum order the values as a sort does; NaN spreads to both, ending
    at the top, where np.partition puts it too.
    """
    sequences, first = [], 0
    for length in runs_of:
        sequences.append(rows[first : first + length][::-1])  # ascending
        first += length
    singles = [[row] for row in rows[first:]]
    while len(singles) > 1:  # the others sorted first, in balanced merges
        singles = [_merged(*singles[i : i + 2]) for i in range(0, len(singles), 2)]
    sequences += singles
    while len(sequences) > 1:
        sequences = [_merged(*sequences[i : i + 2]) for i in range(0, len(sequences), 2)]
    return sum_of_slices(sequences[0][-TOP_ACCOUNTS:])


def _merged(low: list[np.ndarray], high: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """The largest TOP_ACCOUNTS of two ascending sequences of arrays, ascending."""
    if high is None:
        return low
    values = low + high
    spare = np.empty_like(values[0])
    comparators, top = _merge_plan(len(low), len(high), TOP_ACCOUNTS)
    for x, y in comparators:
        np.minimum(values[x], values[y], out=spare)
        np.maximum(values[x], values[y], out=values[y])
        values[x], spare = spare, values[x]
    return [values[i] for i in top]


@cache
def _merge_plan(a: int, b: int, keep: int) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...]]:
    """Batcher's odd-even merge of ascending sequences of a and b values (0 .. a - 1 and
    a .. a + b - 1): its compare-exchanges (min to the first, max to the second) and the
    values holding the largest ``keep`` of the merge, ascending. Both padded to a power
    of two with -inf below and +inf above, whose compare-exchanges are known moves;
    those that do not lead to the largest ``keep`` are left out."""
    p = 1 << max(a - 1, b - 1, 0).bit_length()
    low, high = -1, -2  # the padding, -inf and +inf
    wires = [low] * (p - a) + list(range(a + b)) + [high] * (p - b)

    def rank(wire: int) -> int:
        return 0 if wire == low else 2 if wire == high else 1

    steps = []
    k = p
    while k >= 1:
        for j in range(k % p, 2 * p - k, 2 * k):
            for i in range(min(k, 2 * p - j - k)):
                x, y = wires[i + j], wires[i + j + k]
                if rank(x) == rank(y) == 1:
                    steps.append((x, y))
                elif rank(x) > rank(y):
                    wires[i + j], wires[i + j + k] = y, x
        k //= 2
    merged = [w for w in wires if w >= 0]
    top = merged[-keep:]
    needed, kept = set(top), []
    for x, y in reversed(steps):
        if x in needed or y in needed:
            kept.append((x, y))
            needed |= {x, y}
    return tuple(reversed(kept)), tuple(top)


_K = np.arange(TOP_ACCOUNTS + 1)  # the largest k, k = 0 .. TOP_ACCOUNTS
_EQUAL_VALUES = (_K[1:] <= _K[:, None]).astype(float)
"""``_largest_pooled``'s table with equal values (cv = 0): the mean each, for k <= n."""


def _largest_table(counts: np.ndarray, cv: float) -> np.ndarray:
    """``_largest_pooled``'s table for a line with spread ``cv`` > 0: row j holds the
    i-th largest of ``counts[j]`` values (i = 1 .. TOP_ACCOUNTS) over their mean."""
    sigma = np.sqrt(np.log1p(cv**2))
    line_n = counts.astype(float)[:, None]
    inside = (_K > 0) & (line_n > _K)
    tail = np.where(inside, _K / np.where(line_n > 0, line_n, 1.0), 0.5)
    part = line_n * _normal_cdf(sigma - _normal_quantile(1.0 - tail))
    held = np.where(inside, part, np.minimum(_K, line_n))
    return np.diff(held, axis=-1)


class _LargestTables:
    """``_largest_table`` for the counts 0 .. the largest seen so far, per spread ``cv``,
    kept from one block of runs to the next.

    A speed helper: the table of counts 0 .. n is worked out once (again only when a
    later block has a larger count) instead of once per block. A row depends on its
    count and the spread alone (computed element by element along a contiguous table),
    so a longer table has the same rows. Counts too sparse for a table of every count
    in their range are tabled by ``_distinct`` and not kept.
    """

    def __init__(self) -> None:
        self.tables: dict[float, np.ndarray] = {}

    def rows(self, cv: float, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The table and, per entry of ``count``, its row (as ``_distinct``)."""
        table = self.tables.get(cv)
        if table is not None and count.min(initial=0) >= 0 and count.max(initial=0) < len(table):
            return table, count
        counts, which = _distinct(count)
        table = _largest_table(counts, cv)
        if len(counts) and counts[0] == 0 and counts[-1] == len(counts) - 1:  # 0 .. most
            self.tables[cv] = table
        return table, which


def _distinct(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a whole-number array, and for each entry the index of its
    value among them (``values[index]`` is ``counts``).

    For the speed of a function of the count alone: computed once per distinct count
    (a few hundred) instead of once per run and month, with the same result per entry.
    """
    low = int(counts.min(initial=0))
    span = int(counts.max(initial=0)) - low + 1
    if span <= counts.size:  # the usual case: a table of every count in the range
        return np.arange(low, low + span, dtype=counts.dtype), counts - low
    values, index = np.unique(counts, return_inverse=True)
    return values, index.reshape(counts.shape)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """The standard normal distribution function Phi(x).

    Computed from the complementary error function of Numerical Recipes (erfcc, a
    Chebyshev fit with a relative error below 1.2e-7 everywhere, also far in the tail),
    since numpy has no erf.
    """
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -1.26551223 + t * (
        1.00002368
        + t
        * (
            0.37409196
            + t
            * (
                0.09678418
                + t
                * (
                    -0.18628806
                    + t
                    * (
                        0.27886807
                        + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                    )
                )
            )
        )
    )
    tail = 0.5 * t * np.exp(-z * z + poly)  # Phi(-|x|)
    return np.where(x >= 0, 1.0 - tail, tail)


_ACKLAM = (
    (
        -3.969683028665376e01,
        2.209460984245205e02,
        -2.759285104469687e02,
        1.383577518672690e02,
        -3.066479806614716e01,
        2.506628277459239e00,
    ),
    (
        -5.447609879822406e01,
        1.615858368580409e02,
        -1.556989798598866e02,
        6.680131188771972e01,
        -1.328068155288572e01,
    ),
    (
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e00,
        -2.549732539343734e00,
        4.374664141464968e00,
        2.938163982698783e00,
    ),
    (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00),
)


def _normal_quantile(p: np.ndarray) -> np.ndarray:
    """The standard normal quantile Phi^-1(p), 0 < p < 1.

    Computed with P. J. Acklam's rational approximation (relative error below 1.2e-9):
    one fit for the centre, one for the tails, since numpy has no inverse erf.
    """
    a, b, c, d = _ACKLAM
    p = np.asarray(p, dtype=float)
    low = 0.02425
    q_tail = np.sqrt(-2.0 * np.log(np.where(p < 0.5, p, 1.0 - p)))
    tail = np.polyval(c, q_tail) / (np.polyval(d, q_tail) * q_tail + 1.0)
    tail = np.where(p < 0.5, tail, -tail)
    q = p - 0.5
    r = q * q
    centre = np.polyval(a, r) * q / (np.polyval(b, r) * r + 1.0)
    return np.where((p < low) | (p > 1.0 - low), tail, centre)


# --- After the loop: net and gross revenue retention (docs/model.md, section 6).
class _Retention:
    """Net and gross revenue retention over the trailing RETENTION_MONTHS at each month
    end, (runs, months) in ``nrr`` and ``grr``; NaN before a full window (and where
    there was no book), filled in a block of runs at a time by ``add_block``.

    The cohort is the recurring accounts in force at the end of month s = t - 12 (day one
    for t = 11). GRR is the share of their value then still in force at t; NRR is what
    they pay at t, add-ons included, over what they paid at s. Every account's value
    grows with the growth index, so NRR = GRR x growth(t) / growth(s). A pooled contract
    that leaves is one of the cohort when it started its term by month s; contracts
    renewed inside the window (terms under a year) are the cohort's in the share their
    renewals were, followed month by month (``_cohort_losses``). Runs are independent,
    so the work goes a block of runs at a time (``_blocks_of_runs``), month-major:
    (months, runs), so that numpy works along rows of runs (``_in_force_by_month``).
    """

    def __init__(self, plan: _Plan, *, runs: int) -> None:
        months = plan.months
        self.nrr = np.full((runs, months), np.nan)
        self.grr = np.full((runs, months), np.nan)
        self.windows = months - RETENTION_MONTHS + 1
        warm = plan.warm
        warm_units = (warm.book_ends.sum(axis=0) * plan.lines.deal_size + warm.expansion).sum()
        self.day_one = float(warm_units + plan.contracts.annual_value.sum())

    def add_block(
        self, plan: _Plan, history: _History, *, runs: slice, pooled_units: np.ndarray
    ) -> None:
        """The retention of a block of runs, from its ``_pooled_units`` (read only)."""
        windows, n_lines = self.windows, len(plan.lines.cycle)
        if windows <= 0:
            return
        explicit_in_force, explicit_left = _explicit_units(plan, history, runs=runs)
        units = _sum_lines(pooled_units.reshape(n_lines, -1)).reshape(pooled_units.shape[1:])
        units += explicit_in_force  # (months, runs)
        n = units.shape[1]
        units_before = np.concatenate([np.full((1, n), self.day_one), units])  # s at s + 1
        growth_before = np.concatenate([np.ones((1, n)), history.growth[:, runs]])
        lost = _cohort_losses(plan, history, windows=windows, runs=runs)  # (windows, runs)
        # Each window's own 12 months summed, not a difference of running totals: a
        # running total holding a large contract that left early swamps a small cohort's
        # cents (2e12 then 1.9: the difference kept 5e-5 of NRR that was not there).
        lost += np.lib.stride_tricks.sliding_window_view(explicit_left, RETENTION_MONTHS, axis=0)[
            :windows
        ].sum(axis=-1)
        cohort = units_before[:windows]
        with np.errstate(divide="ignore", invalid="ignore"):
            booked = cohort > NO_BOOK
            # Clipped to [0, 1]: what is kept of a cohort can be neither negative nor more
            # than it; outside that is the residue of the subtraction above.
            kept = np.where(
                booked, np.clip(1.0 - lost / np.where(booked, cohort, 1.0), 0, 1), np.nan
            )
        self.grr[runs, RETENTION_MONTHS - 1 :] = kept.T
        growth_ratio = growth_before[RETENTION_MONTHS : RETENTION_MONTHS + windows]
        self.nrr[runs, RETENTION_MONTHS - 1 :] = (kept * growth_ratio / growth_before[:windows]).T


def _explicit_units(
    plan: _Plan, history: _History, *, runs: slice
) -> tuple[np.ndarray, np.ndarray]:
    """The annual value of the explicit contracts in force at each month end, and of
    those that left in the month, (months, runs) each (units: they start at index 1)."""
    months = history.growth.shape[0]
    n = len(range(*runs.indices(history.growth.shape[1])))
    values = plan.contracts.annual_value
    if 0 < len(values) <= _EXPLICIT_SETS_FROM:
        return _explicit_units_by_set(values, history.contract_alive[:, :, runs])
    in_force, left = np.zeros((months, n)), np.zeros((months, n))
    for c, value in enumerate(values):  # the file's contracts, once
        alive = history.contract_alive[:, c, runs]  # (months, runs)
        in_force += alive * value
        left[0] += ~alive[0] * value
        left[1:] += (alive[:-1] & ~alive[1:]) * value
    return in_force, left


_EXPLICIT_SETS_FROM = 8
"""``_explicit_units`` looks the sums up by set of contracts up to this many contracts."""


def _explicit_units_by_set(values: np.ndarray, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_explicit_units`` from ``alive``, (months, contracts, runs).

    A speed trick: each sum over the contracts (in force, or left in the month) is one
    of 2^contracts sums of a set of contracts, worked out once, the same products added
    in the same order from 0.0, and looked up by the set's number (bit c: contract c)."""
    count = len(values)
    bits = (np.arange(1 << count)[:, None] >> np.arange(count)) & 1 == 1  # (sets, c)
    by_set = np.zeros(1 << count)
    for c, value in enumerate(values):  # contract order, as the sums per run
        by_set += bits[:, c] * value
    in_set = np.zeros(alive[:, 0].shape, dtype=np.intp)  # (months, runs)
    for c in range(count):
        in_set |= alive[:, c].astype(np.intp) << c
    gone = np.empty_like(in_set)  # in the set a month before, not now
    np.bitwise_and(~in_set[0], (1 << count) - 1, out=gone[0])
    np.bitwise_and(in_set[:-1], ~in_set[1:], out=gone[1:])
    return by_set[in_set], by_set[gone]


def _cohort_losses(plan: _Plan, history: _History, *, windows: int, runs: slice) -> np.ndarray:
    """Units of the pooled contracts in force at the end of month s that left in months
    s + 1 .. s + 12, (windows, runs), for every s = -1 .. months - 13 at once.

    At month m a line's ending contracts are its first renewals (the wins of m - term)
    and its later ones (the renewals of m - term, or the starting book); each kind loses
    its units in proportion. First renewals are the cohort's when m - term <= s; later
    ones when m - term <= s, or else in the cohort's share of what renewed at m - term,
    which is followed the same way (only lines with terms under a year get there).
    Month-major, (months, runs), as ``_Retention``.
    """
    lines = plan.lines
    bookings = history.bookings[runs]
    n, months, _ = bookings.shape
    growth_before = np.concatenate([np.ones((1, n)), history.growth[:, runs]])
    lost = np.zeros((windows, n))
    for i in np.flatnonzero(lines.recurring):  # lines (at most 8)
        term = int(lines.term[i])
        kept_first = history.kept_first_units[:, runs, i]
        kept_later = history.kept_later_units[:, runs, i]
        first = np.zeros((months, n))  # units due at a first renewal in month m
        book = plan.warm.book_ends[:months, i] * plan.warm_unit_value[i]
        later = book[:, None] + np.zeros((1, n))
        if term < months:
            first[term:] = bookings[:, : months - term, i].T / growth_before[: months - term]
            later[term:] += kept_first[: months - term] + kept_later[: months - term]
        if term >= RETENTION_MONTHS:  # every contract that leaves in a window is the cohort's
            lost += _window_sums(first - kept_first + later - kept_later, windows)
        else:
            lost += _cohort_losses_short_term(
                term=term, first=first, later=later, kept_first=kept_first, kept_later=kept_later
            )
    return lost


def _window_sums(monthly: np.ndarray, windows: int) -> np.ndarray:
    """Sums of (months, runs) over months s + 1 .. s + RETENTION_MONTHS, for every window
    start s = -1 .. (windows, runs); computed as differences of one running sum."""
    running = np.concatenate([np.zeros((1, monthly.shape[1])), np.cumsum(monthly, axis=0)])
    return running[RETENTION_MONTHS : RETENTION_MONTHS + windows] - running[:windows]


def _cohort_losses_short_term(
    *,
    term: int,
    first: np.ndarray,
    later: np.ndarray,
    kept_first: np.ndarray,
    kept_later: np.ndarray,
) -> np.ndarray:
    """``_cohort_losses`` of a line whose term is under a year, (windows, runs), from its
    units due and kept per month (months, runs): month by month of the window, the
    cohort's share of the later renewals due is its share of what renewed one term
    before (1 when that was by month s)."""
    months, runs = first.shape
    windows = months - RETENTION_MONTHS + 1
    lost = np.zeros((windows, runs))
    share_kept: dict[int, np.ndarray] = {}  # offset j -> cohort share of what renewed at s + j
    for j in range(1, RETENTION_MONTHS + 1):  # months of the window
        m = slice(j - 1, j - 1 + windows)  # s + j for every window start s = -1 ..
        first_is_cohort = float(j <= term)
        share_later = share_kept.pop(j - term) if j > term else 1.0
        lost += (first[m] - kept_first[m]) * first_is_cohort
        lost += (later[m] - kept_later[m]) * share_later
        kept_cohort = kept_first[m] * first_is_cohort + kept_later[m] * share_later
        share_kept[j] = _ratio(kept_cohort, kept_first[m] + kept_later[m])
    return lost
