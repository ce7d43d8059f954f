"""The Monte Carlo engine: a scenario in, revenue paths for every run out.

State is held in arrays shaped (runs, ...) and advanced one month at a time; there
is no Python loop over runs, deals or contracts. Only what needs the month-to-month
feedback (pipeline, closing capacity, care, renewals, expansion) is computed in the
monthly loop; revenue by source and the forward coverage are derived afterwards in
whole-array operations from the stored histories. Randomness comes only from the
``numpy.random.Generator`` passed in, so the same seed gives the same result bit for
bit. ``docs/model.md`` states every equation in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    reaches its expiry age is lost to "no decision". Keeping each line's cells oldest
    first makes "decide the oldest deals first" a running sum along the axis.
    """

    size: int
    line_of: np.ndarray  # (cells,) line of each cell
    age: np.ndarray  # (cells,) age in months
    starts: np.ndarray  # (lines,) first cell of each line
    youngest: np.ndarray  # (lines,) cell of age 0
    eligible: np.ndarray  # (cells,) 1.0 where a deal can be decided this month
    pulled: np.ndarray  # (cells,) True where a decision would be a pull-forward
    base_idx: np.ndarray  # (cells,) last cell of the previous line (for per-line sums)
    has_base: np.ndarray  # (cells,) 0.0 for the first line
    split: np.ndarray  # reduceat indices: [start, first immature] per line


def _pipeline(lines: _Lines) -> _Pipeline:
    expiry = lines.cycle + np.maximum(lines.cycle, 3)
    starts = np.concatenate([[0], np.cumsum(expiry)[:-1]])
    line_of = np.repeat(np.arange(len(expiry)), expiry)
    offset = np.arange(line_of.size) - starts[line_of]
    age = expiry[line_of] - 1 - offset
    cycle = lines.cycle[line_of]
    mature = age >= cycle
    pulled = (age < cycle) & (age >= 1)
    n_mature = expiry - lines.cycle
    return _Pipeline(
        size=int(line_of.size),
        line_of=line_of,
        age=age,
        starts=starts,
        youngest=starts + expiry - 1,
        eligible=(mature | pulled).astype(np.float32),
        pulled=pulled,
        base_idx=np.maximum(starts[line_of] - 1, 0),
        has_base=(line_of > 0).astype(np.float32),
        split=np.column_stack([starts, starts + n_mature]).ravel(),
    )


def run_engine(scenario: Scenario, *, runs: int, rng: np.random.Generator) -> EngineOutput:
    """Simulate ``runs`` independent futures of ``scenario`` month by month."""
    months = scenario.simulation.months
    n_lines = len(scenario.product_lines)
    reps = scenario.team.reps
    effort = scenario.effort
    eng = scenario.engagement
    rel = scenario.relationships
    look = scenario.thresholds.coverage_lookahead_months
    ln = _lines(scenario)
    pl = _pipeline(ln)
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

    padded = months + look + 1
    exist_sched = np.zeros((padded, n_lines), dtype=np.int64)
    recent_buyers0 = np.zeros(n_lines)
    expansion0 = np.zeros(n_lines)
    pipe = np.zeros((runs, pl.size), dtype=np.float32)
    if warm:
        young = pl.age < ln.cycle[pl.line_of]
        lam = np.where(young, prior_rate[pl.line_of], 0.0)
        pipe[:] = rng.poisson(np.broadcast_to(lam, (runs, pl.size)))
        for i in np.flatnonzero(rec):  # a loop over product lines (at most 8)
            spread = _int_spread(prior_wins[i] * lifetime[i], int(ln.term[i]))[:padded]
            exist_sched[: len(spread), i] = spread
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
    con_accounts = np.broadcast_to(con_onehot.sum(axis=0), (runs, n_lines)).copy()
    con_book = np.broadcast_to(con_value @ con_onehot, (runs, n_lines)).copy()

    # --- Histories (index ``months`` is an all-zero row for look-ups before the start).
    # Stored month-major, so that writing one month is one contiguous block.
    wins_tm = np.zeros((months + 1, runs, n_lines), dtype=np.int64)
    renew_tm = np.zeros((months + 1, runs, n_lines), dtype=np.int64)
    act_tm = np.zeros((3, months, runs, n_lines))  # existing, new, renewed contracts
    expansion_tm = np.zeros((months, runs, n_lines))
    rate_tm = np.zeros((months, runs, n_lines))
    care_tm = np.zeros((months, runs))
    factor_tm = np.zeros((months, runs))
    pipe_tm = np.zeros((months, runs, look + n_lines), dtype=np.float32)  # forecast | open
    due_tm = np.zeros((months, runs), dtype=np.int64)
    kept_tm = np.zeros((months, runs), dtype=np.int64)
    alive_tm = np.zeros((months, runs, n_con), dtype=bool)
    renewed_tm = np.zeros((months, runs, n_con), dtype=bool)

    line_cells = (pl.line_of[:, None] == np.arange(n_lines)[None, :]).astype(np.float32)
    pipe_kernel = np.concatenate([_pipeline_kernel(ln, pl, look), line_cells], axis=1).astype(
        np.float32
    )
    line_idx = np.arange(n_lines)
    act_exist = np.broadcast_to(exist_sched.sum(axis=0), (runs, n_lines)).astype(float)
    act_new = np.zeros((runs, n_lines))
    act_ren = np.zeros((runs, n_lines))
    expansion = np.broadcast_to(expansion0, (runs, n_lines)).copy()
    recent_buyers = np.broadcast_to(recent_buyers0, (runs, n_lines)).copy()
    care_index = np.ones(runs)
    credit = np.zeros((runs, n_lines))
    capacity = reps * effort.close * ln.focus / ln.close_cost
    # Closers push immature deals only when more than this much capacity would sit idle.
    slack = (np.ceil(capacity * eng.pull_forward_slack)[pl.line_of] * pl.pulled).astype(np.float32)
    base_rate = attract_fte * ln.focus * ln.leads
    win_pulled = ln.win * eng.pull_forward_win_factor

    for t in range(months):
        # 1. Age the pipeline one month (oldest cells drop off: lost to "no decision").
        pipe[:, :-1] = pipe[:, 1:]

        # 2. New opportunities: prospecting on each line plus referrals from clients,
        #    which need leverage effort in proportion to the client base.
        accounts = act_exist + act_new + act_ren + con_accounts
        clients = accounts * rec_f + recent_buyers * (1.0 - rec_f)
        need_lev = eng.leverage_effort_per_account * clients.sum(axis=1)
        lev_cov = _stage_coverage(leverage_fte, need_lev)
        rate = base_rate + referral_monthly * clients * lev_cov[:, None]
        rate_tm[t] = rate
        pipe[:, pl.youngest] = rng.poisson(rate)

        # 3. Decisions, oldest first: closing capacity works mature deals, and capacity
        #    idle beyond the slack pulls immature deals forward at a lower win rate.
        credit += capacity
        budget = np.floor(credit + 1e-9).astype(np.float32)
        eligible = pipe * pl.eligible
        running = np.cumsum(eligible, axis=1)
        older = running - eligible - running[:, pl.base_idx] * pl.has_base
        allowed = budget[:, pl.line_of] - slack
        take = np.minimum(np.maximum(allowed - older, 0.0), eligible)
        pipe -= take
        decided = np.add.reduceat(take, pl.split, axis=1)
        decided_m, decided_p = decided[:, 0::2], decided[:, 1::2]
        credit = np.minimum(credit - decided_m - decided_p, 1.0)
        won = rng.binomial(decided_m.astype(np.int64), ln.win) + rng.binomial(
            decided_p.astype(np.int64), win_pulled
        )
        wins_tm[t] = won
        np.matmul(pipe, pipe_kernel, out=pipe_tm[t])
        if t >= 12:
            recent_buyers -= wins_tm[t - 12] * (1.0 - rec_f)
        recent_buyers += won * (1.0 - rec_f)

        # 4. Care: onboarding for new clients and account care for the book, smoothed.
        #    A stage with nothing to do is fully covered, even with no one on it.
        cov_eng = _stage_coverage(engage_fte, eng.onboarding_effort_per_client * won.sum(axis=1))
        cov_ret = _stage_coverage(retain_fte, eng.care_effort_per_account * accounts.sum(axis=1))
        care_index += (0.4 * cov_eng + 0.6 * cov_ret - care_index) / memory
        care_tm[t] = care_index
        care_factor = 1.0 - eng.care_renewal_penalty * (1.0 - care_index)
        factor_tm[t] = care_factor

        # 5. Pooled contracts (starting book, new business, renewed) reaching their end.
        src = np.where(rec & (t - ln.term >= 0), t - ln.term, months)
        end_new = wins_tm[src, :, line_idx].T * rec_f
        end_ren = renew_tm[src, :, line_idx].T
        end_exist = exist_sched[t]
        ending = (end_new + end_ren + end_exist).astype(np.int64)
        kept = rng.binomial(ending, np.minimum(pool_base * care_factor[:, None], 1.0))
        renew_tm[t] = kept
        book_before = accounts * deal_rec + con_book
        lost_value = (ending - kept) * deal_rec
        act_exist -= end_exist
        act_new += won * rec_f - end_new
        act_ren += kept - end_ren
        due_tm[t] = ending.sum(axis=1)
        kept_tm[t] = kept.sum(axis=1)

        # 6. Explicit contracts due this month renew or leave.
        cols = due_cols.get(t)
        if cols:
            p_con = np.minimum(con_base[cols] * care_factor[:, None], 1.0)
            ok = rng.random((runs, len(cols))) < p_con
            due = con_alive[:, cols]
            dropped = due & ~ok
            con_alive[:, cols] = due & ok
            con_renewed[:, cols] |= due & ok
            onehot = con_onehot[cols]
            lost_value += (dropped * con_value[cols]) @ onehot
            con_accounts = con_alive @ con_onehot
            con_book = (con_alive * con_value) @ con_onehot
            due_tm[t] += due.sum(axis=1)
            kept_tm[t] += (due & ok).sum(axis=1)
        if n_con:
            alive_tm[t] = con_alive
            renewed_tm[t] = con_renewed

        # 7. Expansion: lost accounts take their add-ons with them, add-ons lapse after
        #    a year, and cared-for clients buy more in proportion to leverage effort.
        keep_share = 1.0 - lost_value / np.maximum(book_before, _TINY)
        book_now = (act_exist + act_new + act_ren) * deal_rec + con_book
        expansion *= np.clip(keep_share, 0.0, 1.0) * lapse
        expansion += expansion_monthly * (lev_cov * care_index)[:, None] * book_now
        expansion_tm[t] = expansion
        act_tm[0, t] = act_exist
        act_tm[1, t] = act_new
        act_tm[2, t] = act_ren

    # Run-major views for the whole-array steps below.
    wins_hist = wins_tm.transpose(1, 0, 2)
    renew_hist = renew_tm.transpose(1, 0, 2)
    act_hist = act_tm.transpose(0, 2, 1, 3)
    expansion_hist = expansion_tm.transpose(1, 0, 2)
    rate_hist = rate_tm.transpose(1, 0, 2)
    factor_hist = factor_tm.T
    alive_hist = alive_tm.transpose(1, 0, 2)
    renewed_hist = renewed_tm.transpose(1, 0, 2)
    pipe_forecast = pipe_tm[:, :, :look].transpose(1, 0, 2).astype(float)
    wins = np.ascontiguousarray(wins_hist[:, :months])
    revenue = _revenue(
        ln=ln,
        act_hist=act_hist,
        expansion_hist=expansion_hist,
        wins=wins,
        alive_hist=alive_hist,
        renewed_hist=renewed_hist,
        con_value=con_value,
        con_onehot=con_onehot,
    )
    coverage = _coverage(
        scenario=scenario,
        ln=ln,
        revenue_total=revenue.sum(axis=(2, 3)),
        act_total=act_hist.sum(axis=0),
        wins_hist=wins_hist,
        renew_hist=renew_hist,
        exist_sched=exist_sched,
        factor_hist=factor_hist,
        pool_base=pool_base,
        expansion_total=expansion_hist.sum(axis=2),
        pipe_forecast=pipe_forecast,
        rate_hist=rate_hist,
        alive_hist=alive_hist,
        contracts=(con_end0, con_term, con_value, con_base),
    )
    return EngineOutput(
        revenue=revenue,
        bookings=wins * ln.deal,
        wins=wins,
        renewals_due=np.ascontiguousarray(due_tm.T),
        renewals_kept=np.ascontiguousarray(kept_tm.T),
        coverage=coverage,
        care_index=np.ascontiguousarray(care_tm.T),
        pipeline_open=np.ascontiguousarray(pipe_tm[:, :, look:].transpose(1, 0, 2), dtype=float),
    )


def _pipeline_kernel(ln: _Lines, pl: _Pipeline, look: int) -> np.ndarray:
    """Expected revenue in each of the next ``look`` months per open deal in each cell."""
    hs = np.arange(1, look + 1)
    line = pl.line_of
    decide_in = np.maximum(ln.cycle[line] - pl.age, 1)[:, None]
    recurring = np.where(decide_in <= hs, ln.monthly_value[line][:, None], 0.0)
    one_off = np.where(decide_in == hs, ln.deal[line][:, None], 0.0)
    per_deal = np.where(ln.recurring[line][:, None], recurring, one_off)
    return per_deal * ln.win[line][:, None]


def _revenue(
    *,
    ln: _Lines,
    act_hist: np.ndarray,
    expansion_hist: np.ndarray,
    wins: np.ndarray,
    alive_hist: np.ndarray,
    renewed_hist: np.ndarray,
    con_value: np.ndarray,
    con_onehot: np.ndarray,
) -> np.ndarray:
    """Revenue recognised per month by line and source, (runs, months, lines, sources)."""
    runs, months, n_lines = wins.shape
    revenue = np.empty((runs, months, n_lines, len(SOURCES)))
    mv = ln.monthly_value
    revenue[..., 0] = act_hist[0] * mv
    revenue[..., 1] = act_hist[1] * mv
    revenue[..., 2] = act_hist[2] * mv
    revenue[..., 3] = expansion_hist / 12.0
    revenue[..., 4] = wins * (ln.deal * ~ln.recurring)
    if con_value.size:
        monthly = con_onehot * (con_value / 12.0)[:, None]  # (contracts, lines)
        fresh = alive_hist & ~renewed_hist
        again = alive_hist & renewed_hist
        revenue[..., 0] += fresh.astype(float) @ monthly
        revenue[..., 2] += again.astype(float) @ monthly
    return revenue


def _coverage(
    *,
    scenario: Scenario,
    ln: _Lines,
    revenue_total: np.ndarray,
    act_total: np.ndarray,
    wins_hist: np.ndarray,
    renew_hist: np.ndarray,
    exist_sched: np.ndarray,
    factor_hist: np.ndarray,
    pool_base: np.ndarray,
    expansion_total: np.ndarray,
    pipe_forecast: np.ndarray,
    rate_hist: np.ndarray,
    alive_hist: np.ndarray,
    contracts: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """Forward coverage at each month end: what the next months can already see coming
    (signed contracts, likely renewals, win-weighted pipeline, prospecting at the current
    rate) over what those months need (target or run-rate); the worst month counts."""
    runs, months = revenue_total.shape
    n_lines = len(ln.term)
    look = pipe_forecast.shape[2]
    line_idx = np.arange(n_lines)

    # Pooled contracts scheduled to end in month u, as known from history: (runs, u, lines).
    u = np.arange(months + look)
    src = u[:, None] - ln.term[None, :]
    known = ln.recurring[None, :] & (src >= 0) & (src < months)
    src = np.where(known, src, months)  # the all-zero history row
    ends = (wins_hist[:, src, line_idx] * ln.recurring + renew_hist[:, src, line_idx]).astype(float)
    ends += exist_sched[np.minimum(u, exist_sched.shape[0] - 1)]

    mv = ln.monthly_value
    flow = _flow_kernel(ln, look)  # (lines, look)
    # Contracts known to end by t + h are weighted by their renewal chance, which is
    # pool_base x care factor (both at most 1), so the sum over lines splits into two
    # weighted sums of the ending schedule, computed for every h at once.
    hs = np.arange(1, look + 1)
    signed = hs[None, :] <= ln.term[:, None]  # (lines, look): ends known at month t
    weights = np.concatenate([signed * mv[:, None], signed * (mv * pool_base)[:, None]], axis=1)
    ends_w = ends @ weights  # (runs, months + look, 2 * look)
    contracted = act_total @ mv  # (runs, months): pooled revenue in force at month t
    con_end0, con_term, con_value, con_base = contracts
    t_idx = np.arange(months)
    if con_value.size:
        # Next end month after each month t, per contract (due months are fixed).
        passed = np.maximum(t_idx[None, :] - con_end0[:, None], -1)
        next_end = np.where(
            t_idx[None, :] < con_end0[:, None],
            con_end0[:, None],
            con_end0[:, None] + con_term[:, None] * (passed // con_term[:, None] + 1),
        )  # (contracts, months)
        alive_f = alive_hist.astype(float)

    seen_base = expansion_total / 12.0 + contracted
    gone_value = np.zeros((runs, months))
    gone_kept = np.zeros((runs, months))
    worst = np.full((runs, months), np.inf)
    for h in range(1, look + 1):  # a loop over the look-ahead months (at most 24)
        gone_value += ends_w[:, h : h + months, h - 1]
        gone_kept += ends_w[:, h : h + months, look + h - 1]
        seen = seen_base - gone_value + factor_hist * gone_kept
        seen += pipe_forecast[:, :, h - 1] + rate_hist @ flow[:, h - 1]
        if con_value.size:
            in_force = (next_end > t_idx[None, :] + h).T  # (months, contracts)
            sure = in_force * (con_value / 12.0)
            maybe = ~in_force * (con_value * con_base / 12.0)
            seen += np.einsum("rtc,tc->rt", alive_f, sure)
            seen += factor_hist * np.einsum("rtc,tc->rt", alive_f, maybe)
        np.minimum(worst, seen, out=worst)

    target = scenario.targets.quarterly_revenue
    if target:
        need = np.full((runs, months), target / 3.0)
    else:  # run-rate: average monthly revenue over the last three months
        csum = np.cumsum(revenue_total, axis=1)
        lagged = np.concatenate([np.zeros((runs, 3)), csum[:, :-3]], axis=1)[:, :months]
        need = (csum - lagged) / np.minimum(t_idx + 1, 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(need > 0, worst / np.where(need > 0, need, 1.0), COVERAGE_CAP)
    return np.clip(ratio, 0.0, COVERAGE_CAP)


def _flow_kernel(ln: _Lines, look: int) -> np.ndarray:
    """Expected revenue in month t+h per unit of monthly opportunity rate from month t+1 on."""
    hs = np.arange(1, look + 1)
    earning = np.clip(hs[None, :] - ln.cycle[:, None], 0, None)  # months of decided deals
    recurring = earning * (earning + 1) / 2.0 * ln.monthly_value[:, None]
    one_off = (earning >= 1) * ln.deal[:, None]
    return np.where(ln.recurring[:, None], recurring, one_off) * ln.win[:, None]
