"""The Monte Carlo engine: a scenario in, revenue paths for every run out.

State is held in arrays shaped (runs, product lines[, ...]) and advanced one month
at a time; there is no Python loop over runs, deals or contracts. Randomness comes
only from the ``numpy.random.Generator`` passed in, so the same seed gives the
same result bit for bit. ``docs/model.md`` states every equation in plain words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .models import Scenario

SOURCES = ("existing", "new", "renewal", "expansion", "one_off")
"""Revenue sources: the starting book, first-term new contracts, renewed contracts,
expansion (up-sell and cross-sell) and one-off (transactional) sales."""
SRC_EXISTING, SRC_NEW, SRC_RENEWAL, SRC_EXPANSION, SRC_ONE_OFF = range(5)


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


def orphan_probability(contacts: np.ndarray | float, turnover: float, years: np.ndarray | float):
    """Chance that every buyer contact has left by renewal: (1 - exp(-turnover*years))^contacts."""
    gone_one = 1.0 - np.exp(-turnover * np.asarray(years, dtype=float))
    return gone_one ** np.asarray(contacts, dtype=float)


def relationship_factor(scenario: Scenario, contacts, years):
    """Renewal multiplier from relationships: orphaned accounts renew far less often."""
    orphan = orphan_probability(contacts, scenario.relationships.champion_turnover, years)
    return (1.0 - orphan) + orphan * scenario.engagement.orphan_renewal_factor


def _int_spread(total: float, months: int) -> np.ndarray:
    """Spread ``total`` contracts evenly over ``months`` as whole numbers."""
    if months <= 0:
        return np.zeros(0, dtype=np.int64)
    edges = np.floor(np.arange(months + 1) * (total / months) + 1e-9)
    return np.diff(edges).astype(np.int64)


def _take_oldest(counts: np.ndarray, budget: np.ndarray) -> np.ndarray:
    """Take up to ``budget`` deals per (run, line) from ``counts`` (…, ages), oldest first."""
    older_or_same = np.cumsum(counts[..., ::-1], axis=-1)[..., ::-1]
    older = older_or_same - counts
    return np.clip(budget[..., None] - older, 0, counts)


def run_engine(scenario: Scenario, *, runs: int, rng: np.random.Generator) -> EngineOutput:
    """Simulate ``runs`` independent futures of ``scenario`` month by month."""
    sim = scenario.simulation
    months = sim.months
    lines = list(scenario.product_lines.values())
    n_lines = len(lines)
    reps = scenario.team.reps
    effort = scenario.effort
    eng = scenario.engagement
    rel = scenario.relationships
    look = scenario.thresholds.coverage_lookahead_months

    focus = np.array(list(scenario.focus_shares.values()))
    prior_focus = np.array(list(scenario.prior_focus_shares.values()))
    deal = np.array([ln.deal_size for ln in lines])
    cycle = np.array([ln.sales_cycle_months for ln in lines])
    win = np.array([ln.win_rate for ln in lines])
    term = np.array([ln.term_months for ln in lines])
    renew_base = np.array([ln.renewal_rate for ln in lines])
    leads = np.array([ln.leads_per_rep_month for ln in lines])
    close_cost = np.array([ln.close_effort_per_deal for ln in lines])
    recurring = term > 0
    monthly_value = np.where(recurring, deal / 12.0, 0.0)

    attract_fte = reps * effort.attract
    close_fte = reps * effort.close
    engage_fte = reps * effort.engage
    retain_fte = reps * effort.retain
    leverage_fte = reps * effort.leverage
    referral_monthly = eng.referral_rate_annual / 12.0
    expansion_monthly = eng.expansion_rate_annual / 12.0
    lapse = 1.0 - 1.0 / eng.expansion_term_months  # add-ons run for a year, then lapse

    # Relationship factor for pooled (new-business) contracts, per line.
    pool_years = np.where(recurring, term / 12.0, 1.0)
    pool_rel = relationship_factor(scenario, rel.contacts_per_account, pool_years)

    # --- Pipeline geometry: ages 0..max_age-1; a deal at age >= cycle is mature and
    # is dropped (lost to "no decision") once it reaches its expiry age.
    expiry = cycle + np.maximum(cycle, 3)
    max_age = int(expiry.max())
    ages = np.arange(max_age)
    mature_mask = ages[None, :] >= cycle[:, None]
    alive_mask = ages[None, :] < expiry[:, None]
    pull_mask = (ages[None, :] >= np.maximum(1, cycle[:, None] // 2)) & ~mature_mask

    # --- Warm start: a team that had prospected steadily at prior_attract.
    prior_rate = reps * scenario.pipeline.prior_attract * prior_focus * leads
    prior_wins = prior_rate * win
    base_p = renew_base * pool_rel
    lifetime = np.where(recurring, term / np.maximum(1.0 - base_p, 0.05), 0.0)
    # Referrals from the warm book raise the steady inflow: rate = prior / (1 - loop gain).
    loop_gain = referral_monthly * win * np.where(recurring, lifetime, 12.0)
    prior_rate = prior_rate / np.maximum(1.0 - loop_gain, 0.5)
    prior_wins = prior_rate * win
    warm = scenario.pipeline.warm_start

    pipe = np.zeros((runs, n_lines, max_age), dtype=np.int64)
    if warm:
        lam = np.where(ages[None, :] < cycle[:, None], prior_rate[:, None], 0.0)
        pipe = rng.poisson(np.broadcast_to(lam, (runs, n_lines, max_age)))

    horizon_pad = months + look + 1
    exist_sched = np.zeros((n_lines, horizon_pad), dtype=np.int64)
    exist_active = np.zeros(n_lines, dtype=np.int64)
    one_off_recent = np.zeros(n_lines)
    expansion0 = np.zeros(n_lines)
    if warm:
        for i in range(n_lines):
            if recurring[i]:
                book = prior_wins[i] * lifetime[i]
                spread = _int_spread(book, int(term[i]))
                n = min(len(spread), horizon_pad)
                exist_sched[i, :n] = spread[:n]
                exist_active[i] = spread.sum()
                expansion0[i] = eng.expansion_rate_annual * exist_active[i] * deal[i]
            else:
                one_off_recent[i] = prior_wins[i] * 12.0

    # --- Explicit contracts: (runs, contracts) state.
    contracts = scenario.contracts
    n_con = len(contracts)
    line_index = {lid: i for i, lid in enumerate(scenario.product_lines)}
    con_line = np.array([line_index[c.product_line] for c in contracts], dtype=np.int64)
    con_value = np.array([c.annual_value for c in contracts], dtype=float)
    con_term = np.array(
        [
            c.renewal_term_months or (lines[line_index[c.product_line]].term_months or 12)
            for c in contracts
        ],
        dtype=np.int64,
    )
    con_contacts = np.array(
        [c.contacts or rel.contacts_per_account for c in contracts], dtype=float
    )
    con_rel = relationship_factor(scenario, con_contacts, con_term / 12.0) if n_con else con_value
    con_renew_base = renew_base[con_line] * con_rel if n_con else con_value
    con_end = np.broadcast_to(
        np.array([scenario.contract_end_offset(c) for c in contracts], dtype=np.int64),
        (runs, n_con),
    ).copy()
    con_alive = np.ones((runs, n_con), dtype=bool)
    con_renewed = np.zeros((runs, n_con), dtype=bool)
    con_onehot = np.zeros((n_con, n_lines))
    if n_con:
        con_onehot[np.arange(n_con), con_line] = 1.0

    # --- Outputs and running state.
    revenue = np.zeros((runs, months, n_lines, len(SOURCES)))
    bookings = np.zeros((runs, months, n_lines))
    wins_hist = np.zeros((runs, months, n_lines), dtype=np.int64)
    renew_hist = np.zeros((runs, months, n_lines), dtype=np.int64)
    oneoff_hist = np.zeros((runs, months, n_lines), dtype=np.int64)
    renewals_due = np.zeros((runs, months), dtype=np.int64)
    renewals_kept = np.zeros((runs, months), dtype=np.int64)
    coverage = np.zeros((runs, months))
    care_hist = np.zeros((runs, months))
    pipe_open = np.zeros((runs, months, n_lines))

    active_exist = np.broadcast_to(exist_active, (runs, n_lines)).copy()
    active_new = np.zeros((runs, n_lines), dtype=np.int64)
    active_ren = np.zeros((runs, n_lines), dtype=np.int64)
    expansion = np.broadcast_to(expansion0, (runs, n_lines)).copy()
    recent_buyers = np.broadcast_to(one_off_recent, (runs, n_lines)).copy()
    care_index = np.ones(runs)
    credit = np.zeros((runs, n_lines))
    cap = close_fte * focus / close_cost
    win_pulled = win * eng.pull_forward_win_factor
    # Closers push immature deals only when more than this much capacity would sit idle.
    slack = np.ceil(cap * eng.pull_forward_slack).astype(np.int64)
    line_idx = np.arange(n_lines)

    # Forecast kernels for forward coverage (per unit of pipeline or prospecting).
    hs = np.arange(1, look + 1)
    decide_in = np.maximum(cycle[:, None] - ages[None, :], 1)  # (lines, ages)
    pipe_kernel = np.where(
        recurring[:, None, None],
        (decide_in[:, :, None] <= hs[None, None, :]) * monthly_value[:, None, None],
        (decide_in[:, :, None] == hs[None, None, :]) * deal[:, None, None],
    ) * (win[:, None, None] * alive_mask[:, :, None])
    pipe_kernel = pipe_kernel.reshape(n_lines * max_age, look)
    months_earning = np.clip(hs[None, :] - cycle[:, None], 0, None)  # wins from j=1.. by h
    flow_kernel = np.where(
        recurring[:, None],
        months_earning * (months_earning + 1) / 2.0 * monthly_value[:, None],
        (months_earning >= 1) * deal[:, None],
    ) * win[:, None]  # (lines, look)
    target_monthly = (
        scenario.targets.quarterly_revenue / 3.0 if scenario.targets.quarterly_revenue else None
    )

    for t in range(months):
        # 1. Age the pipeline; deals past their expiry age are lost to "no decision".
        pipe[..., 1:] = pipe[..., :-1]
        pipe[..., 0] = 0
        pipe *= alive_mask

        # 2. New opportunities: prospecting on each line plus referrals from clients.
        accounts = active_exist + active_new + active_ren + con_alive @ con_onehot
        clients = np.where(recurring, accounts, recent_buyers)
        total_clients = clients.sum(axis=1)
        need_lev = eng.leverage_effort_per_account * total_clients
        lev_cov = np.where(need_lev > 0, np.minimum(1.0, leverage_fte / np.maximum(need_lev, 1e-12)), 1.0)
        rate = attract_fte * focus * leads + referral_monthly * clients * lev_cov[:, None]
        pipe[..., 0] = rng.poisson(rate)

        # 3. Decisions: closing capacity works mature deals first, spare capacity pulls
        #    immature deals forward at a lower win rate.
        credit += cap
        budget = np.floor(credit + 1e-9).astype(np.int64)
        mature = pipe * mature_mask
        take_m = _take_oldest(mature, budget)
        decided_m = take_m.sum(axis=-1)
        spare = np.maximum(budget - decided_m - slack, 0)
        take_p = _take_oldest(pipe * pull_mask, spare)
        decided_p = take_p.sum(axis=-1)
        pipe -= take_m + take_p
        credit = np.minimum(credit - decided_m - decided_p, 1.0)
        won = rng.binomial(decided_m, win) + rng.binomial(decided_p, win_pulled)
        wins_hist[:, t] = won
        bookings[:, t] = won * deal
        new_rec = np.where(recurring, won, 0)
        oneoff_hist[:, t] = won - new_rec
        recent_buyers = recent_buyers + (won - new_rec)
        if t >= 12:
            recent_buyers = recent_buyers - oneoff_hist[:, t - 12]

        # 4. Care: onboarding for new clients and account care for the book.
        need_eng = eng.onboarding_effort_per_client * won.sum(axis=1)
        need_ret = eng.care_effort_per_account * accounts.sum(axis=1)
        cov_eng = np.where(need_eng > 0, np.minimum(1.0, engage_fte / np.maximum(need_eng, 1e-12)), 1.0)
        cov_ret = np.where(need_ret > 0, np.minimum(1.0, retain_fte / np.maximum(need_ret, 1e-12)), 1.0)
        care_month = 0.4 * cov_eng + 0.6 * cov_ret
        care_index = care_index + (care_month - care_index) / eng.care_memory_months
        care_hist[:, t] = care_index
        care_factor = 1.0 - eng.care_renewal_penalty * (1.0 - care_index)

        # 5. Renewals of pooled contracts (starting book, new business, renewed).
        book_before = accounts * np.where(recurring, deal, 0.0) + (con_alive * con_value) @ con_onehot
        src_t = t - term
        has_src = recurring & (src_t >= 0)
        src_idx = np.where(has_src, src_t, 0)
        end_new = np.where(has_src, wins_hist[:, src_idx, line_idx], 0)
        end_new = np.where(recurring, end_new, 0)
        end_ren = np.where(has_src, renew_hist[:, src_idx, line_idx], 0)
        end_exist = exist_sched[:, t] if warm else np.zeros(n_lines, dtype=np.int64)
        ending = end_new + end_ren + end_exist
        p_pool = np.clip(renew_base * pool_rel * care_factor[:, None], 0.0, 1.0)
        kept = rng.binomial(ending, p_pool)
        renew_hist[:, t] = kept
        active_exist = active_exist - end_exist
        active_new = active_new - end_new + new_rec
        active_ren = active_ren - end_ren + kept
        lost_value = (ending - kept) * np.where(recurring, deal, 0.0)
        due_total = ending.sum(axis=1)
        kept_total = kept.sum(axis=1)

        # 6. Renewals of the explicit contracts due this month.
        if n_con:
            due = con_alive & (con_end == t)
            cols = np.flatnonzero(due.any(axis=0))
            if cols.size:
                p_con = np.clip(con_renew_base[cols] * care_factor[:, None], 0.0, 1.0)
                ok = rng.random((runs, cols.size)) < p_con
                d = due[:, cols]
                renewed_now = d & ok
                dropped = d & ~ok
                con_alive[:, cols] &= ~dropped
                con_end[:, cols] += renewed_now * con_term[cols]
                con_renewed[:, cols] |= renewed_now
                lost_value += (dropped * con_value[cols]) @ con_onehot[cols]
                due_total = due_total + d.sum(axis=1)
                kept_total = kept_total + renewed_now.sum(axis=1)
        renewals_due[:, t] = due_total
        renewals_kept[:, t] = kept_total

        # 7. Expansion: lost accounts take their expansion with them; active clients
        #    buy more in proportion to leverage effort (and only if they are cared for).
        keep_share = np.where(book_before > 0, 1.0 - lost_value / np.maximum(book_before, 1e-12), 0.0)
        con_value_now = (con_alive * con_value) @ con_onehot if n_con else 0.0
        book_now = (active_exist + active_new + active_ren) * np.where(recurring, deal, 0.0) + con_value_now
        expansion = expansion * np.clip(keep_share, 0.0, 1.0) * lapse
        expansion = expansion + expansion_monthly * (lev_cov * care_index)[:, None] * book_now

        # 8. Revenue recognised this month, by line and source.
        revenue[:, t, :, SRC_EXISTING] = active_exist * monthly_value
        revenue[:, t, :, SRC_NEW] = active_new * monthly_value
        revenue[:, t, :, SRC_RENEWAL] = active_ren * monthly_value
        if n_con:
            fresh = (con_alive & ~con_renewed) * con_value / 12.0
            again = (con_alive & con_renewed) * con_value / 12.0
            revenue[:, t, :, SRC_EXISTING] += fresh @ con_onehot
            revenue[:, t, :, SRC_RENEWAL] += again @ con_onehot
        revenue[:, t, :, SRC_EXPANSION] = expansion / 12.0
        revenue[:, t, :, SRC_ONE_OFF] = (won - new_rec) * deal
        pipe_open[:, t] = pipe.sum(axis=-1)

        # 9. Forward coverage: what we can see coming in each of the next months
        #    (signed contracts, likely renewals, win-weighted pipeline and prospecting)
        #    over what those months need; the worst month in the window counts.
        fut = t + hs  # absolute months in the window
        src_f = fut[None, :] - term[:, None]  # (lines, look) month the ending contract began
        valid = recurring[:, None] & (src_f >= 0) & (src_f <= t)
        sf = np.where(valid, src_f, 0)
        end_f = np.where(valid[None], wins_hist[:, sf, line_idx[:, None]] * (term[:, None] > 0), 0)
        end_f = end_f + np.where(valid[None], renew_hist[:, sf, line_idx[:, None]], 0)
        if warm:
            end_f = end_f + exist_sched[:, np.minimum(fut, horizon_pad - 1)][None]
        gone = np.cumsum(end_f, axis=-1)  # (runs, lines, look) ended by each month
        active_now = (active_exist + active_new + active_ren)[..., None]
        p_now = p_pool[..., None]
        pooled = (active_now - gone + gone * p_now) * monthly_value[None, :, None]
        seen = pooled.sum(axis=1) + expansion.sum(axis=1)[:, None] / 12.0
        if n_con:
            in_force = con_alive[:, :, None] & (con_end[:, :, None] > fut[None, None, :])
            ending_c = con_alive[:, :, None] & ~in_force
            p_c = np.clip(con_renew_base[None, :] * care_factor[:, None], 0.0, 1.0)
            seen += np.einsum(
                "rch,c->rh", in_force + ending_c * p_c[:, :, None], con_value / 12.0
            )
        seen += pipe.reshape(runs, -1).astype(float) @ pipe_kernel
        seen += rate @ flow_kernel
        if target_monthly is not None:
            need = np.full(runs, target_monthly)
        else:
            lo = max(0, t - 2)
            need = revenue[:, lo : t + 1].sum(axis=(2, 3)).mean(axis=1)
        worst = seen.min(axis=1)
        coverage[:, t] = np.where(need > 0, worst / np.maximum(need, 1e-12), math.inf)
        coverage[:, t] = np.minimum(coverage[:, t], 10.0)

    return EngineOutput(
        revenue=revenue,
        bookings=bookings,
        wins=wins_hist,
        renewals_due=renewals_due,
        renewals_kept=renewals_kept,
        coverage=coverage,
        care_index=care_hist,
        pipeline_open=pipe_open,
    )
