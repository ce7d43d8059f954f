"""The Monte Carlo engine: a scenario in, revenue paths for every run out.

State is held in arrays over all runs and advanced one month at a time; there is no
Python loop over runs, deals or contracts. Only what needs the month-to-month
feedback (pipeline, closing capacity, care, renewals, expansion) is computed in the
monthly loop; revenue by source and the forward coverage are derived afterwards in
whole-array operations from the stored histories, a cache-sized block of runs at a
time. Randomness comes only from the ``numpy.random.Generator`` passed in, so the
same seed gives the same result bit for bit. ``docs/model.md`` states every equation
in plain words.

Speed notes (``python -m bench.engine``; figures in ``docs/benchmarks.md``): per-line
state is stored lines x runs and the pipeline cells x runs, so that numpy works along
long contiguous rows; random draws are given the (runs, lines) view, which fixes the
order of the draws. Whole-number counts are summed in whatever order is fastest (the
sums are exact); sums of money keep one fixed order of additions, because that order
decides the rounding and results must not move when the code is rearranged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .budget import SimulationCancelled
from .models import Relationships, Scenario

SOURCES = ("existing", "new", "renewal", "expansion", "one_off")
"""Revenue sources: the starting book, first-term new contracts, renewed contracts,
expansion (up-sell and cross-sell) and one-off (transactional) sales."""

COVERAGE_CAP = 10.0
"""Forward coverage is reported up to this ratio (a plan 10x covered is simply 'covered')."""
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


def orphan_probability(contacts, turnover: float, years):
    """Chance that every buyer contact has left by renewal: (1 - exp(-turnover*years))^contacts."""
    gone_one = 1.0 - np.exp(-turnover * np.asarray(years, dtype=float))
    return gone_one ** np.asarray(contacts, dtype=float)


def relationship_factor(scenario: Scenario, contacts, years):
    """Renewal multiplier from relationships: orphaned accounts renew far less often."""
    orphan = orphan_probability(contacts, scenario.relationships.champion_turnover, years)
    return (1.0 - orphan) + orphan * scenario.engagement.orphan_renewal_factor


def _sum_lines(x: np.ndarray) -> np.ndarray:
    """Sum of a (lines, runs) array over lines, as numpy sums each run's (lines,) row.

    Numpy adds fewer than eight numbers in order, which adding whole rows reproduces;
    eight are summed pairwise, so then numpy's own sum is used (the order of additions
    decides the rounding of fractions).
    """
    if len(x) < 8:
        return np.add.reduce(x, axis=0)
    return np.ascontiguousarray(x.T).sum(axis=1)


_ONE_THREAD = 1 << 19
"""OpenBLAS shares a matrix product out over threads from about this many
multiply-adds; on a busy machine the threads then wait for each other."""


def _product(a: np.ndarray, b: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    """``a @ b`` into ``out``, a block of runs (columns) at a time so that each product
    stays on one thread. For whole numbers only: the blocks do not change the sums."""
    cols = max(1, _ONE_THREAD // (a.shape[0] * a.shape[1]))
    for first in range(0, b.shape[1], cols):  # blocks of runs, usually one
        np.matmul(a, b[:, first : first + cols], out=out[:, first : first + cols])
    return out


def _stage_coverage(effort: float, need: np.ndarray) -> np.ndarray:
    """Share of a stage's need its effort covers, 0..1; nothing to do counts as covered."""
    if effort <= 0:
        return (need <= 0).astype(float)
    return np.minimum(1.0, effort / np.maximum(need, _TINY))


def _int_spread(total: float, months: int) -> np.ndarray:
    """Spread ``total`` contracts evenly over ``months`` as whole numbers."""
    if months <= 0:
        return np.zeros(0, dtype=np.int64)
    edges = np.floor(np.arange(months + 1) * (total / months) + 1e-9)
    return np.diff(edges).astype(np.int64)


@dataclass(frozen=True)
class _Lines:
    """Per-product-line parameters as arrays (one entry per line)."""

    focus: np.ndarray
    deal: np.ndarray
    cycle: np.ndarray
    win: np.ndarray
    term: np.ndarray
    renew: np.ndarray
    leads: np.ndarray
    close_cost: np.ndarray
    recurring: np.ndarray
    monthly_value: np.ndarray  # recurring value per month of one contract (0 for one-off)


def _lines(scenario: Scenario) -> _Lines:
    lines = list(scenario.product_lines.values())
    term = np.array([ln.term_months for ln in lines])
    deal = np.array([ln.deal_size for ln in lines], dtype=float)
    recurring = term > 0
    return _Lines(
        focus=np.array(list(scenario.focus_shares.values())),
        deal=deal,
        cycle=np.array([ln.sales_cycle_months for ln in lines]),
        win=np.array([ln.win_rate for ln in lines]),
        term=term,
        renew=np.array([ln.renewal_rate for ln in lines]),
        leads=np.array([ln.leads_per_rep_month for ln in lines]),
        close_cost=np.array([ln.close_effort_per_deal for ln in lines]),
        recurring=recurring,
        monthly_value=np.where(recurring, deal / 12.0, 0.0),
    )


@dataclass(frozen=True)
class _Pipeline:
    """Layout of the pipeline: one flat axis of (line, age) cells, oldest first per line.

    Line ``l`` owns ``expiry[l]`` cells; a deal at age ``cycle`` is mature and one that
    reaches its expiry age is lost to "no decision". The state is stored cells x runs,
    as rows ``[cells | closing budget per line | 1]`` of a float32 window that slides
    down a taller buffer one row a month: sliding is the ageing (each line's oldest
    cell moves into the previous line's youngest, which is then refilled), and "budget
    left for this cell once the older deals of its line are decided" and "deals
    decided per line" are each one matrix product with the window. All entries are
    whole numbers, exact in float32 below 2**24 in any order (float64 beyond: see
    _pipeline_dtype).
    """

    size: int
    line_of: np.ndarray  # (cells,) line of each cell
    age: np.ndarray  # (cells,) age in months
    youngest: np.ndarray  # (lines,) cell of age 0
    budget_left: np.ndarray  # (cells, cells + lines + 1): budget - slack - older eligible deals
    decided: np.ndarray  # (2 * lines, cells): deals taken per line, mature | pulled forward


def _pipeline(lines: _Lines, slack: np.ndarray) -> _Pipeline:
    """``slack``: idle capacity per line above which closers pull immature deals forward."""
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
    # its line), budget per line, constant 1 (minus the slack). A cell that cannot be
    # decided gets -1, so nothing is taken from it.
    budget_left = np.zeros((size + n_lines + 1, size))
    budget_left[:size] = -1.0 * (eligible[:, None] & same_line & (cells[:, None] < cells[None, :]))
    budget_left[size + line_of, cells] = 1.0
    budget_left[-1] = -np.ceil(slack)[line_of] * pulled
    budget_left[:, ~eligible] = 0.0
    budget_left[-1, ~eligible] = -1.0
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


_FLOAT32_EXACT = 2**24
"""Whole numbers up to here are exact in float32, and so are sums that stay below it."""


def _pipeline_dtype(
    scenario: Scenario,
    ln: _Lines,
    *,
    capacity: np.ndarray,
    prior_rate: np.ndarray,
    prior_clients: np.ndarray,
) -> type[np.floating]:
    """float32 for the pipeline window (fast) while no line's open deals plus its
    closing budget and slack can reach 2**24; float64 (exact to 2**53) otherwise.

    A cell holds at most one month's arrivals; the most a month can bring is the
    prospecting rate plus referrals from every client the warm book, the contracts and
    a win at every decision could make, plus 12 standard deviations of the draw.
    """
    months = scenario.simulation.months
    ids = list(scenario.product_lines)
    on_line = [ids.index(c.product_line) for c in scenario.contracts]
    contracts = np.bincount(on_line, minlength=len(ids))
    clients = prior_clients * scenario.pipeline.warm_start + contracts + months * (capacity + 1)
    rate = scenario.team.reps * scenario.effort.attract * ln.focus * ln.leads
    rate = rate + scenario.engagement.referral_rate_annual / 12.0 * clients
    rate = np.maximum(rate, prior_rate)
    most = rate + 12.0 * np.sqrt(rate) + 100.0
    largest = (ln.cycle + np.maximum(ln.cycle, 3)) * most + 2.0 * (capacity + 1.0)
    return np.float32 if (largest < _FLOAT32_EXACT).all() else np.float64


StopCheck = Callable[[], bool] | None
"""Asked once a month (and once per block of runs after the loop): True cancels the run."""


def _stop_if_asked(should_stop: StopCheck) -> None:
    if should_stop is not None and should_stop():
        raise SimulationCancelled("the simulation was cancelled: its caller went away")


def run_engine(
    scenario: Scenario,
    *,
    runs: int,
    rng: np.random.Generator,
    should_stop: StopCheck = None,
) -> EngineOutput:
    """Simulate ``runs`` independent futures of ``scenario`` month by month.

    ``should_stop`` is asked every month; when it returns True the run ends with
    :class:`~simulator.budget.SimulationCancelled` (nothing is returned or kept).
    """
    months = scenario.simulation.months
    n_lines = len(scenario.product_lines)
    reps = scenario.team.reps
    effort = scenario.effort
    eng = scenario.engagement
    rel = scenario.relationships
    look = scenario.thresholds.coverage_lookahead_months
    ln = _lines(scenario)
    capacity = reps * effort.close * ln.focus / ln.close_cost
    pl = _pipeline(ln, capacity * eng.pull_forward_slack)
    rec = ln.recurring
    rec_f = rec.astype(float)
    deal_rec = ln.deal * rec_f

    attract_fte = reps * effort.attract
    engage_fte = reps * effort.engage
    retain_fte = reps * effort.retain
    leverage_fte = reps * effort.leverage
    referral_monthly = eng.referral_rate_annual / 12.0
    expansion_monthly = eng.expansion_rate_annual / 12.0
    lapse = 1.0 - 1.0 / eng.expansion_term_months  # add-ons run for a year, then lapse
    memory = eng.care_memory_months

    # Renewal chance of pooled (new-business) contracts before care: base x relationships.
    pool_years = np.where(rec, ln.term / 12.0, 1.0)
    pool_base = ln.renew * relationship_factor(scenario, rel.contacts_per_account, pool_years)

    # --- Warm start: a team that had prospected steadily at prior_attract. The book
    # on day one is history, so it is built with typical relationships (the model's
    # defaults), not with today's levers: moving a slider changes the future only.
    prior_focus = np.array(list(scenario.prior_focus_shares.values()))
    typical = Relationships()
    typical_rel = (
        1.0
        - orphan_probability(typical.contacts_per_account, typical.champion_turnover, pool_years)
    ) + orphan_probability(
        typical.contacts_per_account, typical.champion_turnover, pool_years
    ) * eng.orphan_renewal_factor
    lifetime = np.where(rec, ln.term / np.maximum(1.0 - ln.renew * typical_rel, 0.05), 0.0)
    loop_gain = referral_monthly * ln.win * np.where(rec, lifetime, 12.0)
    prior_rate = reps * scenario.pipeline.prior_attract * prior_focus * ln.leads
    prior_rate = prior_rate / np.maximum(1.0 - loop_gain, 0.5)  # referrals from the warm book
    prior_wins = prior_rate * ln.win
    warm = scenario.pipeline.warm_start
    pipe_dtype = _pipeline_dtype(
        scenario,
        ln,
        capacity=capacity,
        prior_rate=prior_rate,
        prior_clients=np.where(rec, prior_wins * lifetime, 12.0 * prior_wins),
    )

    padded = months + look + 1
    exist_sched = np.zeros((padded, n_lines), dtype=np.int64)
    recent_buyers0 = np.zeros(n_lines)
    expansion0 = np.zeros(n_lines)
    # Pipeline window rows [cells | budget | 1] start at row t + 1 in month t; see _Pipeline.
    window = pl.size + n_lines + 1
    pipe_buf = np.zeros((months + window, runs), dtype=pipe_dtype)
    if warm:
        young = pl.age < ln.cycle[pl.line_of]
        lam = np.where(young, prior_rate[pl.line_of], 0.0)
        pipe_buf[: pl.size] = rng.poisson(np.broadcast_to(lam, (runs, pl.size))).T
        for i in np.flatnonzero(rec):  # a loop over product lines (at most 8)
            spread = _int_spread(prior_wins[i] * lifetime[i], int(ln.term[i]))
            exist_sched[: min(len(spread), padded), i] = spread[:padded]
            exist_sched[-1, i] += spread[padded:].sum()  # due after the horizon: in force
            expansion0[i] = (
                expansion_monthly * eng.expansion_term_months * spread.sum() * ln.deal[i]
            )
        recent_buyers0 = np.where(rec, 0.0, prior_wins * 12.0)

    # --- Explicit contracts: their due months are fixed (end, end + term, ...).
    contracts = scenario.contracts
    n_con = len(contracts)
    line_index = {lid: i for i, lid in enumerate(scenario.product_lines)}
    con_line = np.array([line_index[c.product_line] for c in contracts], dtype=np.int64)
    con_value = np.array([c.annual_value for c in contracts], dtype=float)
    con_term = np.array(
        [
            c.renewal_term_months or (int(ln.term[line_index[c.product_line]]) or 12)
            for c in contracts
        ],
        dtype=np.int64,
    )
    con_end0 = np.array([scenario.contract_end_offset(c) for c in contracts], dtype=np.int64)
    con_contacts = np.array(
        [c.contacts or rel.contacts_per_account for c in contracts], dtype=float
    )
    con_base = (
        ln.renew[con_line] * relationship_factor(scenario, con_contacts, con_term / 12.0)
        if n_con
        else np.zeros(0)
    )
    con_onehot = np.zeros((n_con, n_lines))
    con_onehot[np.arange(n_con), con_line] = 1.0
    due_cols: dict[int, list[int]] = {}
    for c in range(n_con):
        for month in range(int(con_end0[c]), months, int(con_term[c])):
            due_cols.setdefault(month, []).append(c)
    con_alive = np.ones((runs, n_con), dtype=bool)
    con_renewed = np.zeros((runs, n_con), dtype=bool)
    con_accounts = np.repeat(con_onehot.sum(axis=0)[:, None], runs, axis=1)  # lines x runs
    con_book = np.repeat((con_value @ con_onehot)[:, None], runs, axis=1)

    # --- Histories for the whole-array steps after the loop (see _History) and the
    # outputs written month by month. Counts are whole numbers, exact in any order of
    # additions, so the loop keeps running totals and per-month counts, and contracts
    # in force by source are rebuilt after the loop (_in_force).
    horizon = months + look
    due_sched = np.zeros((horizon + 1, n_lines, runs), dtype=np.int64)  # pooled ends by month
    due_row = np.where(rec, ln.term, horizon)  # months from start to end; one-off: never read
    wins = np.empty((runs, months, n_lines), dtype=np.int64)
    kept_hist = np.empty((runs, months, n_lines), dtype=np.int64)
    rate_tm = np.empty((months, runs, n_lines))
    revenue = np.empty((runs, months, n_lines, len(SOURCES)))  # expansion, one-off: here
    care_hist = np.empty((runs, months))
    factor_hist = np.empty((runs, months))
    expansion_total = np.empty((runs, months))
    forecast_tm = np.empty((months, runs, look), dtype=np.float32)
    pipeline_open = np.empty((runs, months, n_lines))
    pipe_month = np.empty((runs, look + n_lines), dtype=pipe_dtype)  # forecast | open deals
    due_hist = np.empty((runs, months), dtype=np.int64)
    kept_sum_hist = np.empty((runs, months), dtype=np.int64)
    alive_tm = np.zeros((months, n_con, runs), dtype=bool)  # runs last: see _coverage
    renewed_tm = np.zeros((months, n_con, runs), dtype=bool)

    line_cells = (pl.line_of[:, None] == np.arange(n_lines)[None, :]).astype(np.float32)
    pipe_kernel = np.concatenate([_pipeline_kernel(ln, pl, look), line_cells], axis=1).astype(
        np.float32
    )
    # Per-line state is held lines x runs: per-line constants (columns) and per-run
    # factors (rows) then both broadcast along contiguous rows. Random draws are given
    # the (runs, lines) view, which keeps the order of the draws.
    line_idx = np.arange(n_lines)
    rec_col = rec_f[:, None]
    rec_i = rec.astype(np.int64)[:, None]
    one_off = (1.0 - rec_f)[:, None]
    deal_rec_col = deal_rec[:, None]
    pool_base_col = pool_base[:, None]
    base_rate = (attract_fte * ln.focus * ln.leads)[:, None]
    has_one_off = bool(one_off.any())
    one_off_value = ln.deal * ~rec
    buyers_year = np.empty((12 if has_one_off else 0, n_lines, runs))  # one-off buyers by month
    # Pooled contracts in force (starting book + new + renewed); whole numbers.
    pooled = np.repeat(exist_sched.sum(axis=0)[:, None], runs, axis=1).astype(float)
    expansion = np.repeat(expansion0[:, None], runs, axis=1)
    recent_buyers = np.repeat(recent_buyers0[:, None], runs, axis=1)
    care_index = np.ones(runs)
    credit = np.zeros((n_lines, runs))  # closing capacity carried over
    capacity_col = capacity[:, None]
    win_p = np.stack([ln.win, ln.win * eng.pull_forward_win_factor])[:, None, :]
    rate = np.empty((n_lines, runs))
    # float32 matrices times a float64 window multiply in float64 (numpy upcasts).
    take = np.empty((pl.size, runs), dtype=pipe_dtype)
    decided = np.empty((2 * n_lines, runs), dtype=pipe_dtype)  # (2 * lines, runs)

    for t in range(months):
        _stop_if_asked(should_stop)
        # 1. Age the pipeline one month (oldest cells drop off: lost to "no decision").
        state = pipe_buf[t + 1 : t + 1 + window]
        pipe = state[: pl.size]  # (cells, runs)

        # 2. New opportunities: prospecting on each line plus referrals from clients,
        #    which need leverage effort in proportion to the client base.
        accounts = pooled + con_accounts
        clients = accounts * rec_col + recent_buyers * one_off
        lev_cov = _stage_coverage(
            leverage_fte, eng.leverage_effort_per_account * _sum_lines(clients)
        )
        np.multiply(referral_monthly, clients, out=rate)
        rate *= lev_cov
        rate += base_rate
        rate_tm[t] = rate.T
        pipe[pl.youngest] = rng.poisson(rate.T).T

        # 3. Decisions, oldest first: closing capacity works mature deals, and capacity
        #    idle beyond the slack pulls immature deals forward at a lower win rate.
        credit += capacity_col
        np.floor(credit + 1e-9, out=state[pl.size : -1])
        state[-1] = 1.0
        _product(pl.budget_left, state, out=take)
        np.maximum(take, 0.0, out=take)
        np.minimum(take, pipe, out=take)
        pipe -= take
        _product(pl.decided, take, out=decided)  # mature | pulled forward
        credit = np.minimum(credit - decided[:n_lines] - decided[n_lines:], 1.0)
        # Both win draws in one call, in (runs, lines) order: all mature, then all pulled.
        n_decided = decided.astype(np.int64).reshape(2, n_lines, runs).transpose(0, 2, 1)
        won_mp = rng.binomial(n_decided, win_p)
        won_rl = won_mp[0] + won_mp[1]
        wins[:, t] = won_rl
        won = np.ascontiguousarray(won_rl.T)
        # Win-weighted forecast and open deals: one product over all runs, as before
        # (fractions, so splitting it differently would move the last digits).
        np.matmul(pipe.T, pipe_kernel, out=pipe_month)
        forecast_tm[t] = pipe_month[:, :look]
        pipeline_open[:, t] = pipe_month[:, look:]
        np.multiply(won_rl, one_off_value, out=revenue[:, t, :, 4])
        if has_one_off:  # one-off buyers count as clients for a year
            if t >= 12:
                recent_buyers -= buyers_year[t % 12]
            np.multiply(won, one_off, out=buyers_year[t % 12])
            recent_buyers += buyers_year[t % 12]

        # 4. Care: onboarding for new clients and account care for the book, smoothed.
        #    A stage with nothing to do is fully covered, even with no one on it.
        n_won = _sum_lines(won)
        cov_eng = _stage_coverage(engage_fte, eng.onboarding_effort_per_client * n_won)
        n_accounts = _sum_lines(accounts)
        cov_ret = _stage_coverage(retain_fte, eng.care_effort_per_account * n_accounts)
        care_index += (0.4 * cov_eng + 0.6 * cov_ret - care_index) / memory
        care_hist[:, t] = care_index
        care_factor = 1.0 - eng.care_renewal_penalty * (1.0 - care_index)
        factor_hist[:, t] = care_factor

        # 5. Pooled contracts (starting book, new business, renewed) reaching their end.
        #    Contracts that start now are booked into the month they will end.
        ending = due_sched[t] + exist_sched[t][:, None]
        p_keep = np.minimum(pool_base_col * care_factor, 1.0)
        kept_rl = rng.binomial(ending.T, p_keep.T)
        kept_hist[:, t] = kept_rl
        kept = np.ascontiguousarray(kept_rl.T)
        starts = won * rec_i + kept
        due_sched[np.minimum(t + due_row, horizon), line_idx] = starts
        book_before = accounts * deal_rec_col + con_book
        lost_value = (ending - kept) * deal_rec_col
        pooled += starts - ending
        np.add.reduce(ending, axis=0, out=due_hist[:, t])
        np.add.reduce(kept, axis=0, out=kept_sum_hist[:, t])

        # 6. Explicit contracts due this month renew or leave (computed runs x contracts).
        cols = due_cols.get(t)
        if cols:
            p_con = np.minimum(con_base[cols] * care_factor[:, None], 1.0)
            ok = rng.random((runs, len(cols))) < p_con
            due = con_alive[:, cols]
            dropped = due & ~ok
            con_alive[:, cols] = due & ok
            con_renewed[:, cols] |= due & ok
            onehot = con_onehot[cols]
            lost_value += ((dropped * con_value[cols]) @ onehot).T
            con_accounts = np.ascontiguousarray((con_alive @ con_onehot).T)
            con_book = np.ascontiguousarray(((con_alive * con_value) @ con_onehot).T)
            due_hist[:, t] += due.sum(axis=1)
            kept_sum_hist[:, t] += (due & ok).sum(axis=1)
        if n_con:
            alive_tm[t] = con_alive.T
            renewed_tm[t] = con_renewed.T

        # 7. Expansion: lost accounts take their add-ons with them, add-ons lapse after
        #    a year, and cared-for clients buy more in proportion to leverage effort.
        keep_share = 1.0 - lost_value / np.maximum(book_before, _TINY)
        book_now = pooled * deal_rec_col + con_book
        expansion *= np.clip(keep_share, 0.0, 1.0) * lapse
        expansion += expansion_monthly * (lev_cov * care_index) * book_now
        np.divide(expansion.T, 12.0, out=revenue[:, t, :, 3])
        expansion_total[:, t] = _sum_lines(expansion)

    history = _History(
        wins=wins,
        kept=kept_hist,
        due_sched=due_sched,
        exist_sched=exist_sched,
        rate=rate_tm,
        expansion_total=expansion_total,
        factor=factor_hist,
        forecast=forecast_tm,
        alive=alive_tm,
        renewed=renewed_tm,
    )
    coverage = _summarise(
        scenario=scenario,
        revenue=revenue,
        ln=ln,
        history=history,
        pool_base=pool_base,
        contracts=(con_end0, con_term, con_value, con_base, con_onehot),
        should_stop=should_stop,
    )
    return EngineOutput(
        revenue=revenue,
        bookings=wins * ln.deal,
        wins=wins,
        renewals_due=due_hist,
        renewals_kept=kept_sum_hist,
        coverage=coverage,
        care_index=care_hist,
        pipeline_open=pipeline_open,
    )


@dataclass(frozen=True)
class _History:
    """What the monthly loop keeps for the whole-array steps after it."""

    wins: np.ndarray  # (runs, months, lines) deals won
    kept: np.ndarray  # (runs, months, lines) pooled contracts renewed
    due_sched: np.ndarray  # (months + look + 1, lines, runs) new/renewed pooled contracts ending
    exist_sched: np.ndarray  # (months + look + 1, lines) starting-book contracts ending
    rate: np.ndarray  # (months, runs, lines) opportunity rate
    expansion_total: np.ndarray  # (runs, months) add-on value per year, all lines
    factor: np.ndarray  # (runs, months) care factor on renewal chances
    forecast: np.ndarray  # (months, runs, look) float32: win-weighted pipeline revenue ahead
    alive: np.ndarray  # (months, contracts, runs) explicit contract in force
    renewed: np.ndarray  # (months, contracts, runs) explicit contract renewed at least once


_BLOCK = 1 << 17
"""Elements per run block in the whole-array steps: small enough to stay in cache."""


def _summarise(
    *,
    scenario: Scenario,
    revenue: np.ndarray,
    ln: _Lines,
    history: _History,
    pool_base: np.ndarray,
    contracts: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    should_stop: StopCheck = None,
) -> np.ndarray:
    """Fill in revenue from contracts in force (the loop wrote expansion and one-off
    sales) and return the forward coverage per run and month.

    Runs are independent here, so this works through them a block at a time: the
    block's temporaries stay in cache instead of streaming through memory.
    """
    hist = history
    runs, months, n_lines = hist.wins.shape
    look = hist.forecast.shape[2]
    con_value, con_onehot = contracts[2], contracts[4]
    coverage = np.empty((runs, months))
    terms = _coverage_terms(scenario=scenario, ln=ln, pool_base=pool_base, contracts=contracts)
    # A contract signed in month s is in force from s to s + term - 1: a running sum of
    # contracts signed, minus the same sum ``term`` months earlier (one-off: none).
    lag = np.maximum(np.arange(1, months + 1)[:, None] - np.where(ln.recurring, ln.term, 0), 0)
    exist_left = hist.exist_sched.sum(axis=0) - np.cumsum(hist.exist_sched[:months], axis=0)
    exist_revenue = exist_left * ln.monthly_value
    monthly_con = con_onehot * (con_value / 12.0)[:, None]  # (contracts, lines)
    block = max(1, _BLOCK // ((months + look) * (2 * look + n_lines)))
    for first in range(0, runs, block):  # blocks of runs, each vectorised over its runs
        _stop_if_asked(should_stop)
        sl = slice(first, min(first + block, runs))
        n_new = _in_force(hist.wins[sl], lag)
        n_ren = _in_force(hist.kept[sl], lag)
        rev = revenue[sl]
        alive = hist.alive[:, :, sl]
        if con_value.size:
            renewed = hist.renewed[:, :, sl]
            # One (months, contracts) @ (contracts, lines) product per run, each matrix
            # contiguous by contract as BLAS wants it.
            con_fresh = _per_run(alive & ~renewed) @ monthly_con
            con_again = _per_run(alive & renewed) @ monthly_con
        for i in range(n_lines):  # a loop over product lines (at most 8): long inner loops
            out = rev[:, :, i]
            mv = ln.monthly_value[i]
            out[..., 0] = exist_revenue[:, i]
            np.multiply(n_new[:, :, i], mv, out=out[..., 1])
            np.multiply(n_ren[:, :, i], mv, out=out[..., 2])
            if con_value.size:
                out[..., 0] += con_fresh[:, :, i]
                out[..., 2] += con_again[:, :, i]
        act_total = np.empty((months, rev.shape[0], n_lines)).transpose(1, 0, 2)
        np.add(n_new, n_ren, out=act_total)
        act_total += exist_left
        coverage[sl] = _coverage(
            terms=terms,
            revenue_total=rev.sum(axis=(2, 3)),
            act_total=act_total,
            ends_sched=hist.due_sched[: months + look, :, sl].transpose(2, 0, 1),
            exist_sched=hist.exist_sched[: months + look],
            factor=hist.factor[sl],
            expansion_total=hist.expansion_total[sl],
            pipe_forecast=hist.forecast[:, sl],
            rate=hist.rate[:, sl].transpose(1, 0, 2),
            alive=alive,
        )
    return coverage


def _per_run(flags: np.ndarray) -> np.ndarray:
    """(months, contracts, runs) flags as float (runs, months, contracts), contract-contiguous."""
    return np.ascontiguousarray(flags.transpose(0, 2, 1), dtype=float).transpose(1, 0, 2)


def _in_force(started: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Contracts in force at each month end, (runs, months, lines), from those started."""
    runs, months, n_lines = started.shape
    signed = np.zeros((runs, months + 1, n_lines), dtype=np.int64)  # signed before month i
    np.cumsum(started, axis=1, out=signed[:, 1:])
    return signed[:, 1:] - signed[:, lag, np.arange(n_lines)]


def _pipeline_kernel(ln: _Lines, pl: _Pipeline, look: int) -> np.ndarray:
    """Expected revenue in each of the next ``look`` months per open deal in each cell."""
    hs = np.arange(1, look + 1)
    line = pl.line_of
    decide_in = np.maximum(ln.cycle[line] - pl.age, 1)[:, None]
    recurring = np.where(decide_in <= hs, ln.monthly_value[line][:, None], 0.0)
    one_off = np.where(decide_in == hs, ln.deal[line][:, None], 0.0)
    per_deal = np.where(ln.recurring[line][:, None], recurring, one_off)
    return per_deal * ln.win[line][:, None]


@dataclass(frozen=True)
class _CoverageTerms:
    """Per-scenario constants of the forward coverage, shared by every block of runs."""

    weights: np.ndarray  # (lines, 2 * look): value | likely-renewed value of contracts ending
    mv: np.ndarray  # (lines,) monthly value of one pooled contract
    flow: np.ndarray  # (lines, look) revenue per unit of opportunity rate
    contract_values: np.ndarray  # (months, contracts, 2 * look): in force | up for renewal
    target: float | None


def _coverage_terms(
    *,
    scenario: Scenario,
    ln: _Lines,
    pool_base: np.ndarray,
    contracts: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> _CoverageTerms:
    """The parts of the forward coverage that do not depend on the run."""
    months = scenario.simulation.months
    look = scenario.thresholds.coverage_lookahead_months
    mv = ln.monthly_value
    # Contracts known to end by t + h are weighted by their renewal chance, which is
    # pool_base x care factor (both at most 1), so the sum over lines splits into two
    # weighted sums of the ending schedule, computed for every h at once.
    hs = np.arange(1, look + 1)
    signed = hs[None, :] <= ln.term[:, None]  # (lines, look): ends known at month t
    weights = np.concatenate([signed * mv[:, None], signed * (mv * pool_base)[:, None]], axis=1)
    con_end0, con_term, con_value, con_base, _ = contracts
    t_idx = np.arange(months)
    # Next end month after each month t, per contract (due months are fixed).
    passed = np.maximum(t_idx[None, :] - con_end0[:, None], -1)
    next_end = np.where(
        t_idx[None, :] < con_end0[:, None],
        con_end0[:, None],
        con_end0[:, None] + con_term[:, None] * (passed // con_term[:, None] + 1),
    )  # (contracts, months)
    in_force = next_end.T[:, :, None] > t_idx[:, None, None] + hs  # (months, contracts, look)
    # Value of each explicit contract at month t + h: certain while in force, else its
    # renewal chance before care (the care factor multiplies it per run).
    sure = in_force * (con_value / 12.0)[:, None]
    maybe = ~in_force * (con_value * con_base / 12.0)[:, None]
    return _CoverageTerms(
        weights=weights,
        mv=mv,
        flow=_flow_kernel(ln, look),
        contract_values=np.concatenate([sure, maybe], axis=2),
        target=scenario.targets.quarterly_revenue,
    )


def _coverage(
    *,
    terms: _CoverageTerms,
    revenue_total: np.ndarray,
    act_total: np.ndarray,
    ends_sched: np.ndarray,
    exist_sched: np.ndarray,
    factor: np.ndarray,
    expansion_total: np.ndarray,
    pipe_forecast: np.ndarray,
    rate: np.ndarray,
    alive: np.ndarray,
) -> np.ndarray:
    """Forward coverage at each month end: what the next months can already see coming
    (signed contracts, likely renewals, win-weighted pipeline, prospecting at the current
    rate) over what those months need (target or run-rate); the worst month counts."""
    runs, months = revenue_total.shape
    look = terms.flow.shape[1]
    # Pooled contracts scheduled to end in month u, as known from history: (runs, u, lines).
    ends = np.empty(ends_sched.shape)
    np.add(ends_sched, exist_sched, out=ends)
    ends_w = ends @ terms.weights  # (runs, months + look, 2 * look)
    contracted = act_total @ terms.mv  # (runs, months): pooled revenue in force at month t
    seen_base = expansion_total / 12.0 + contracted
    if alive.shape[1]:
        # Value of explicit contracts per run, month and h, summed over contracts in
        # contract order: (months, 2 * look, runs). Runs are the fastest axis, so the
        # sum over contracts is a plain running sum (the order fixes the rounding).
        con_seen = np.einsum("tcr,tck->tkr", alive.astype(float), terms.contract_values)
    gone_value = np.zeros((runs, months))
    gone_kept = np.zeros((runs, months))
    worst = np.full((runs, months), np.inf)
    for h in range(1, look + 1):  # a loop over the look-ahead months (at most 24)
        gone_value += ends_w[:, h : h + months, h - 1]
        gone_kept += ends_w[:, h : h + months, look + h - 1]
        seen = seen_base - gone_value + factor * gone_kept
        # Win-weighted pipeline, plus prospecting at the current rate (one matrix-vector
        # product per run, each rounded by BLAS the same way whatever the block).
        seen += pipe_forecast[:, :, h - 1].T + rate @ terms.flow[:, h - 1]
        if alive.shape[1]:
            seen += con_seen[:, h - 1].T
            seen += factor * con_seen[:, look + h - 1].T
        np.minimum(worst, seen, out=worst)

    if terms.target:
        need = np.full((runs, months), terms.target / 3.0)
    else:  # run-rate: average monthly revenue over the last three months
        csum = np.cumsum(revenue_total, axis=1)
        lagged = np.concatenate([np.zeros((runs, 3)), csum[:, :-3]], axis=1)[:, :months]
        need = (csum - lagged) / np.minimum(np.arange(1, months + 1), 3)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(need > 0, worst / np.where(need > 0, need, 1.0), COVERAGE_CAP)
    return np.clip(ratio, 0.0, COVERAGE_CAP)


def _flow_kernel(ln: _Lines, look: int) -> np.ndarray:
    """Expected revenue in month t+h per unit of monthly opportunity rate from month t+1 on."""
    hs = np.arange(1, look + 1)
    earning = np.clip(hs[None, :] - ln.cycle[:, None], 0, None)  # months of decided deals
    recurring = earning * (earning + 1) / 2.0 * ln.monthly_value[:, None]
    one_off = (earning >= 1) * ln.deal[:, None]
    return np.where(ln.recurring[:, None], recurring, one_off) * ln.win[:, None]
