"""A plain reading of docs/model.md: the test oracle for ``simulator/engine.py``.

``run_reference`` simulates a scenario the slow, obvious way: a Python loop over runs
and months, counts as Python integers (exact at any size), money in float64, one small
function per section of docs/model.md. It exists so that the optimised engine (float32
windows, matrix products, whole-array post-processing) can be checked against
something a reader can hold next to the document; ``tests/test_reference_engine.py``
is the differential test.

Randomness: the engine draws whole-month arrays from one generator; to compare run by
run, this module draws the same arrays (same shapes, same parameters, same order) and
then applies them run by run:

1. warm start only, and only without ``pipeline.open_deals``: ``poisson`` of shape
   (runs, pipeline cells), cells ordered line by line and, within a line, oldest age
   first (the engine's layout);
2. each month: ``poisson`` (runs, lines) arrivals; ``binomial`` (2, runs, lines) wins,
   mature deals then pulled-forward deals; ``binomial`` (runs, lines) pooled renewals;
   ``random`` (runs, contracts due this month, in file order) if any contract is due.

Two places where the engine does not do what docs/model.md says are reproduced here
by default, so that the oracle checks everything else; each is named in
``ENGINE_DEVIATIONS`` and can be switched off (``follow_engine=()``) to read the
document literally. ``tests/test_reference_engine.py`` keeps a strict xfail test per
deviation: when the engine is fixed it fails, and the deviation should be deleted here.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from simulator.engine import COVERAGE_CAP, SOURCES, EngineOutput
from simulator.models import Relationships, Scenario

EXISTING, NEW, RENEWAL, EXPANSION, ONE_OFF = range(len(SOURCES))
TINY = 1e-12  # the engine's guard against dividing by zero (a need or a book of 0)

ENGINE_DEVIATIONS = {
    "warm_one_off_buyers_stay": (
        "Warm start: the 12 x prior wins of one-off buyers never drop out of 'buyers of "
        "the last 12 months', although 'wins older than 12 months drop out'."
    ),
    "book_before_counts_contracts_twice": (
        "Expansion: the book before renewals values each explicit contract on a recurring "
        "line twice (once at deal_size, once at annual_value), so the 'share of the line's "
        "book kept' is too high."
    ),
}


# --- Parameters (docs/model.md, sections 1-3 and 8).
@dataclass(frozen=True)
class Line:
    """One product line's parameters, with the derived values the sections define."""

    focus: float  # focus share (section 2)
    prior_focus: float
    deal: float
    cycle: int
    win: float
    term: int
    renew: float
    leads: float
    close_cost: float

    @property
    def recurring(self) -> bool:
        return self.term > 0

    @property
    def monthly_value(self) -> float:
        """Revenue a month of one pooled contract (0 on a one-off line)."""
        return self.deal / 12.0 if self.recurring else 0.0

    @property
    def expiry(self) -> int:
        """Age at which a deal is lost to 'no decision'."""
        return self.cycle + max(self.cycle, 3)


@dataclass(frozen=True)
class Contract:
    """An explicit contract: its line, value, first due month, renewal term and chance."""

    line: int
    value: float
    first_due: int
    term: int
    base: float  # renewal_rate x relationship factor, before care


def relationship_factor(contacts: int, turnover: float, years: float, orphan_factor: float):
    """Section 4: (1 - orphan chance) + orphan chance x orphan_renewal_factor."""
    orphan = (1.0 - math.exp(-turnover * years)) ** contacts
    return (1.0 - orphan) + orphan * orphan_factor


@dataclass(frozen=True)
class Plan:
    """Everything that is the same in every run and month."""

    scenario: Scenario
    lines: list[Line]
    contracts: list[Contract]

    @property
    def reps(self) -> float:
        return self.scenario.team.reps

    def fte(self, stage: str) -> float:
        """Section 1: rep-months a month on a stage."""
        return self.reps * getattr(self.scenario.effort, stage)

    def capacity(self, line: Line) -> float:
        """Section 2: decisions a month the line's closers can make."""
        return self.fte("close") * line.focus / line.close_cost

    def pool_base(self, line: Line) -> float:
        """Section 4: renewal chance of a pooled contract before care."""
        rel = self.scenario.relationships
        years = line.term / 12.0 if line.recurring else 1.0
        return line.renew * relationship_factor(
            rel.contacts_per_account,
            rel.champion_turnover,
            years,
            self.scenario.engagement.orphan_renewal_factor,
        )


def make_plan(scenario: Scenario) -> Plan:
    lines = []
    shares, prior = scenario.focus_shares, scenario.prior_focus_shares
    for key, ln in scenario.product_lines.items():
        lines.append(
            Line(
                focus=shares[key],
                prior_focus=prior[key],
                deal=ln.deal_size,
                cycle=ln.sales_cycle_months,
                win=ln.win_rate,
                term=ln.term_months,
                renew=ln.renewal_rate,
                leads=ln.leads_per_rep_month,
                close_cost=ln.close_effort_per_deal,
            )
        )
    index = {key: i for i, key in enumerate(scenario.product_lines)}
    rel, eng = scenario.relationships, scenario.engagement
    contracts = []
    for c in scenario.contracts:
        line = lines[index[c.product_line]]
        term = c.renewal_term_months or line.term or 12
        contacts = c.contacts or rel.contacts_per_account
        factor = relationship_factor(
            contacts, rel.champion_turnover, term / 12.0, eng.orphan_renewal_factor
        )
        contracts.append(
            Contract(
                line=index[c.product_line],
                value=c.annual_value,
                first_due=scenario.contract_end_offset(c),
                term=term,
                base=line.renew * factor,
            )
        )
    return Plan(scenario=scenario, lines=lines, contracts=contracts)


# --- State of one run.
@dataclass
class Run:
    """One run's stocks (docs/model.md, "Stocks and flows")."""

    pipeline: list[list[int]]  # per line, open deals by age
    credit: list[float]  # closing credit per line
    # Pooled contracts per line: month they come up for renewal -> [existing, new, renewal].
    book: list[dict[int, list[int]]]
    one_off_wins: list[list[int]]  # per line, wins by month (one-off lines)
    warm_buyers: list[float]  # per line, one-off buyers from before the start
    care_index: float = 1.0
    expansion: list[float] = field(default_factory=list)  # per line, annual value
    alive: list[bool] = field(default_factory=list)  # per explicit contract
    renewed: list[bool] = field(default_factory=list)


@dataclass
class Month:
    """What one month of one run produced, for the outputs and forward coverage."""

    rate: list[float]
    won: list[int]
    care_factor: float = 1.0
    lev_cov: float = 1.0


# --- 8. Warm start.
def warm_start(plan: Plan) -> tuple[list[float], list[list[int]], list[float]]:
    """Prior arrivals a month, the starting pooled book by renewal month, and the
    one-off buyers of the last 12 months, per line."""
    eng = plan.scenario.engagement
    typical = Relationships()
    rates, books, buyers = [], [], []
    for ln in plan.lines:
        years = ln.term / 12.0 if ln.recurring else 1.0
        p0 = ln.renew * relationship_factor(
            typical.contacts_per_account,
            typical.champion_turnover,
            years,
            eng.orphan_renewal_factor,
        )
        life = ln.term / max(1.0 - p0, 0.05) if ln.recurring else 0.0
        gain = eng.referral_rate_annual / 12.0 * ln.win * (life if ln.recurring else 12.0)
        rate = plan.reps * plan.scenario.pipeline.prior_attract * ln.prior_focus * ln.leads
        rate = rate / max(1.0 - gain, 0.5)
        wins = rate * ln.win
        rates.append(rate)
        if ln.recurring:  # prior wins x L contracts, renewal dates spread over one term
            total = wins * life
            edges = [math.floor(i * (total / ln.term) + 1e-9) for i in range(ln.term + 1)]
            books.append([b - a for a, b in itertools.pairwise(edges)])
        else:
            books.append([])
        buyers.append(0.0 if ln.recurring else wins * 12.0)
    return rates, books, buyers


def pipeline_cells(plan: Plan) -> list[tuple[int, int]]:
    """(line, age) of each cell in the engine's draw order: oldest age first per line."""
    return [(i, age) for i, ln in enumerate(plan.lines) for age in range(ln.expiry - 1, -1, -1)]


def start_runs(plan: Plan, *, runs: int, rng: np.random.Generator) -> list[Run]:
    sc = plan.scenario
    warm = sc.pipeline.warm_start
    rates, books, buyers = warm_start(plan) if warm else ([], [], [])
    pipes = [[[0] * ln.expiry for ln in plan.lines] for _ in range(runs)]
    given = sc.pipeline.open_deals
    if given is not None:  # the real open deals, in every run; no random draw
        for i, (line_id, ln) in enumerate(zip(sc.product_lines, plan.lines, strict=True)):
            for k, n in enumerate(given.get(line_id, ())):
                # Opened k + 1 months before the start: age k before the first ageing;
                # too old to be decided in the first month: the oldest age that can be.
                age = min(k, ln.expiry - 2)
                for r in range(runs):
                    pipes[r][i][age] += n
    elif warm:  # Poisson(prior arrivals) at each age below the cycle: no mature deals
        cells = pipeline_cells(plan)
        lam = [rates[i] if age < plan.lines[i].cycle else 0.0 for i, age in cells]
        drawn = rng.poisson(np.array([lam] * runs))
        for r in range(runs):
            for (i, age), n in zip(cells, drawn[r].tolist(), strict=True):
                pipes[r][i][age] = n
    eng = sc.engagement
    out = []
    for r in range(runs):
        book: list[dict[int, list[int]]] = [{} for _ in plan.lines]
        expansion = []
        for i, ln in enumerate(plan.lines):
            spread = books[i] if warm else []
            for month, n in enumerate(spread):
                book[i][month] = [n, 0, 0]
            expansion.append(
                eng.expansion_rate_annual / 12.0 * eng.expansion_term_months * sum(spread) * ln.deal
            )
        out.append(
            Run(
                pipeline=pipes[r],
                credit=[0.0] * len(plan.lines),
                book=book,
                one_off_wins=[[] for _ in plan.lines],
                warm_buyers=list(buyers) if warm else [0.0] * len(plan.lines),
                expansion=expansion,
                alive=[True] * len(plan.contracts),
                renewed=[False] * len(plan.contracts),
            )
        )
    return out


# --- Counting what is in force.
def pooled_in_force(run: Run, line: int, t: int) -> int:
    """Pooled contracts of a line in force after month t's renewals (due after t)."""
    return sum(sum(n) for due, n in run.book[line].items() if due > t)


def accounts(plan: Plan, run: Run, t: int) -> list[int]:
    """Contracts in force at the start of month t per line, pooled and explicit."""
    counts = [pooled_in_force(run, i, t - 1) for i in range(len(plan.lines))]
    for c, alive in zip(plan.contracts, run.alive, strict=True):
        counts[c.line] += alive
    return counts


def recent_buyers(run: Run, line: int, t: int, *, follow: set[str]) -> float:
    """One-off buyers of the 12 months before month t: the warm ones drop out month by
    month, one twelfth each (unless the engine's deviation is followed)."""
    wins = run.one_off_wins[line]
    if "warm_one_off_buyers_stay" in follow:
        # The engine's running total: warm buyers, then + this month - 12 months ago.
        total = run.warm_buyers[line]
        for s in range(len(wins)):
            if s >= 12:
                total -= wins[s - 12]
            total += wins[s]
        return total
    warm_left = run.warm_buyers[line] * max(12 - t, 0) / 12.0
    return warm_left + sum(wins[max(t - 12, 0) : t])


def stage_coverage(effort: float, need: float) -> float:
    """Sections 5-6: share of a stage's need covered, 0..1; nothing to do is covered."""
    if effort <= 0:
        return 1.0 if need <= 0 else 0.0
    return min(1.0, effort / max(need, TINY))


# --- 2 and 6. Arrivals: prospecting plus referrals, which need leverage coverage.
def arrival_rates(plan: Plan, run: Run, t: int, *, follow: set[str]) -> Month:
    eng = plan.scenario.engagement
    acc = accounts(plan, run, t)
    clients = [
        float(acc[i]) if ln.recurring else recent_buyers(run, i, t, follow=follow)
        for i, ln in enumerate(plan.lines)
    ]
    need = eng.leverage_effort_per_account * float(np.sum(np.array(clients)))
    lev_cov = stage_coverage(plan.fte("leverage"), need)
    rate = [
        eng.referral_rate_annual / 12.0 * clients[i] * lev_cov
        + plan.fte("attract") * ln.focus * ln.leads
        for i, ln in enumerate(plan.lines)
    ]
    return Month(rate=rate, won=[], lev_cov=lev_cov)


def age_pipeline(run: Run) -> None:
    """One month older; deals reaching the expiry age are lost to 'no decision'."""
    for i, cells in enumerate(run.pipeline):
        run.pipeline[i] = [0, *cells[:-1]]


# --- 2. Decisions: closing capacity, oldest first, pull-forward beyond the slack.
def decisions(plan: Plan, run: Run) -> tuple[list[int], list[int]]:
    """Deals decided per line this month: (mature, pulled forward)."""
    slack_share = plan.scenario.engagement.pull_forward_slack
    mature_out, pulled_out = [], []
    for i, ln in enumerate(plan.lines):
        cells = run.pipeline[i]
        capacity = plan.capacity(ln)
        run.credit[i] += capacity
        budget = math.floor(run.credit[i] + 1e-9)
        left = budget
        mature = 0
        waiting = sum(cells[ln.cycle :])
        for age in range(ln.expiry - 1, ln.cycle - 1, -1):  # oldest first
            take = min(cells[age], max(left, 0))
            cells[age] -= take
            left -= take
            mature += take
        spare = budget - waiting - math.ceil(capacity * slack_share)
        pulled = 0
        for age in range(ln.cycle - 1, 0, -1):  # immature, at least one month old
            take = min(cells[age], max(spare, 0))
            cells[age] -= take
            spare -= take
            pulled += take
        run.credit[i] = min(run.credit[i] - mature - pulled, 1.0)
        mature_out.append(mature)
        pulled_out.append(pulled)
    return mature_out, pulled_out


# --- 5. Care index.
def care(plan: Plan, run: Run, month: Month, acc: list[int]) -> None:
    eng = plan.scenario.engagement
    onboarding = stage_coverage(
        plan.fte("engage"), eng.onboarding_effort_per_client * sum(month.won)
    )
    account = stage_coverage(plan.fte("retain"), eng.care_effort_per_account * sum(acc))
    run.care_index += (0.4 * onboarding + 0.6 * account - run.care_index) / eng.care_memory_months
    month.care_factor = 1.0 - eng.care_renewal_penalty * (1.0 - run.care_index)


def pooled_ending(run: Run, t: int) -> list[int]:
    return [sum(book.get(t, [0, 0, 0])) for book in run.book]


def pooled_keep_chance(plan: Plan, month: Month) -> list[float]:
    """Section 4: renewal_rate x relationships x care, at most 1."""
    return [min(plan.pool_base(ln) * month.care_factor, 1.0) for ln in plan.lines]


# --- 4. Pooled renewals; 3. new contracts join the book.
def pooled_renewals(plan: Plan, run: Run, t: int, month: Month, kept: list[int]) -> list[float]:
    """Renew what is due, book this month's recurring wins; returns value lost per line."""
    lost = []
    for i, ln in enumerate(plan.lines):
        ending = sum(run.book[i].get(t, [0, 0, 0]))
        lost.append((ending - kept[i]) * (ln.deal if ln.recurring else 0.0))
        if ln.recurring:
            due = run.book[i].setdefault(t + ln.term, [0, 0, 0])
            due[NEW] += month.won[i]
            due[RENEWAL] += kept[i]
    return lost


def explicit_due(plan: Plan, t: int) -> list[int]:
    """Contracts (file order) whose due month is t: first_due, then every term after."""
    return [
        k
        for k, c in enumerate(plan.contracts)
        if t >= c.first_due and (t - c.first_due) % c.term == 0
    ]


# --- 4. Explicit renewals: one uniform draw per contract due.
def explicit_renewals(
    plan: Plan, run: Run, due: list[int], draws: list[float], month: Month, lost: list[float]
) -> tuple[int, int]:
    n_due = n_kept = 0
    for k, u in zip(due, draws, strict=True):
        c = plan.contracts[k]
        if not run.alive[k]:
            continue
        n_due += 1
        if u < min(c.base * month.care_factor, 1.0):
            run.renewed[k] = True
            n_kept += 1
        else:
            run.alive[k] = False
            lost[c.line] += c.value
    return n_due, n_kept


def explicit_book(plan: Plan, run: Run) -> list[float]:
    """Annual value of the explicit contracts in force, per line."""
    book = [0.0] * len(plan.lines)
    for c, alive in zip(plan.contracts, run.alive, strict=True):
        if alive:
            book[c.line] += c.value
    return book


# --- 6. Expansion.
def book_value(plan: Plan, run: Run, t: int, *, follow: set[str]) -> list[float]:
    """Annual value of the book per line at the start of month t (pooled and explicit)."""
    counts = [pooled_in_force(run, i, t - 1) for i in range(len(plan.lines))]
    if "book_before_counts_contracts_twice" in follow:
        counts = accounts(plan, run, t)  # pooled + explicit, then explicit again below
    con = explicit_book(plan, run)
    return [
        counts[i] * (ln.deal if ln.recurring else 0.0) + con[i] for i, ln in enumerate(plan.lines)
    ]


def expansion(
    plan: Plan,
    run: Run,
    t: int,
    month: Month,
    *,
    book_before: list[float],
    lost: list[float],
) -> None:
    eng = plan.scenario.engagement
    lapse = 1.0 - 1.0 / eng.expansion_term_months
    con_now = explicit_book(plan, run)
    for i, ln in enumerate(plan.lines):
        keep = 1.0 - lost[i] / max(book_before[i], TINY)
        book_now = pooled_in_force(run, i, t) * (ln.deal if ln.recurring else 0.0) + con_now[i]
        run.expansion[i] *= min(max(keep, 0.0), 1.0) * lapse
        run.expansion[i] += (
            eng.expansion_rate_annual / 12.0 * (month.lev_cov * run.care_index) * book_now
        )


# --- 3. Revenue by source.
def revenue(plan: Plan, run: Run, t: int, month: Month) -> list[list[float]]:
    """Money recognised in month t per line and source, after renewals."""
    out = [[0.0] * len(SOURCES) for _ in plan.lines]
    for i, ln in enumerate(plan.lines):
        counts = [0, 0, 0]
        for due, n in run.book[i].items():
            if due > t:
                counts = [a + b for a, b in zip(counts, n, strict=True)]
        for source in (EXISTING, NEW, RENEWAL):
            out[i][source] = counts[source] * ln.monthly_value
        out[i][EXPANSION] = run.expansion[i] / 12.0
        out[i][ONE_OFF] = 0.0 if ln.recurring else month.won[i] * ln.deal
    for c, alive, renewed in zip(plan.contracts, run.alive, run.renewed, strict=True):
        if alive:
            out[c.line][RENEWAL if renewed else EXISTING] += c.value / 12.0
    return out


# --- 9. Forward coverage.
def next_due(c: Contract, t: int) -> int:
    """The contract's first due month after month t."""
    if t < c.first_due:
        return c.first_due
    return c.first_due + c.term * ((t - c.first_due) // c.term + 1)


def seen_ahead(plan: Plan, run: Run, t: int, month: Month) -> list[float]:
    """Revenue visible at the end of month t for each of the next H months."""
    look = plan.scenario.thresholds.coverage_lookahead_months
    seen = []
    contracted = sum(
        pooled_in_force(run, i, t) * ln.monthly_value for i, ln in enumerate(plan.lines)
    )
    flat = sum(run.expansion) / 12.0
    for h in range(1, look + 1):
        value = contracted + flat
        for i, ln in enumerate(plan.lines):
            # Signed contracts ending by t + h count at their renewal chance.
            ending = sum(sum(n) for due, n in run.book[i].items() if t < due <= t + h)
            value -= ending * ln.monthly_value * (1.0 - plan.pool_base(ln) * month.care_factor)
            # Open pipeline: decided in max(cycle - age, 1) months, won at win_rate.
            for age, n in enumerate(run.pipeline[i]):
                decide_in = max(ln.cycle - age, 1)
                if ln.recurring and decide_in <= h:
                    value += n * ln.win * ln.monthly_value
                elif not ln.recurring and decide_in == h:
                    value += n * ln.win * ln.deal
            # Prospecting at this month's rate from t + 1, each decided one cycle later.
            earning = max(h - ln.cycle, 0)
            if ln.recurring:
                value += month.rate[i] * ln.win * ln.monthly_value * earning * (earning + 1) / 2
            elif earning >= 1:
                value += month.rate[i] * ln.win * ln.deal
        for c, alive in zip(plan.contracts, run.alive, strict=True):
            if alive:
                sure = next_due(c, t) > t + h
                value += c.value / 12.0 * (1.0 if sure else c.base * month.care_factor)
        seen.append(value)
    return seen


def coverage(plan: Plan, seen: list[float], revenue_so_far: list[float]) -> float:
    """Worst month ahead over the need (target, or the last three months' run-rate)."""
    target = plan.scenario.targets.quarterly_revenue
    recent = revenue_so_far[-3:]
    need = target / 3.0 if target else sum(recent) / len(recent)
    if need <= 0:
        return COVERAGE_CAP
    return min(max(min(seen) / need, 0.0), COVERAGE_CAP)


# --- The simulation: every run, month by month, in the order of docs/model.md.
def run_reference(
    scenario: Scenario,
    *,
    runs: int,
    rng: np.random.Generator,
    follow_engine: tuple[str, ...] = tuple(ENGINE_DEVIATIONS),
) -> EngineOutput:
    """Simulate like ``simulator.engine.run_engine``, one run and month at a time."""
    follow = set(follow_engine)
    plan = make_plan(scenario)
    months = scenario.simulation.months
    n_lines = len(plan.lines)
    out = {
        "revenue": np.zeros((runs, months, n_lines, len(SOURCES))),
        "bookings": np.zeros((runs, months, n_lines)),
        "wins": np.zeros((runs, months, n_lines), dtype=np.int64),
        "renewals_due": np.zeros((runs, months), dtype=np.int64),
        "renewals_kept": np.zeros((runs, months), dtype=np.int64),
        "coverage": np.zeros((runs, months)),
        "care_index": np.zeros((runs, months)),
        "pipeline_open": np.zeros((runs, months, n_lines)),
    }
    state = start_runs(plan, runs=runs, rng=rng)
    totals: list[list[float]] = [[] for _ in range(runs)]
    for t in range(months):
        # Steps 1-2 of 'One month, step by step': age the pipeline; arrivals.
        acc = [accounts(plan, run, t) for run in state]
        book_before = [book_value(plan, run, t, follow=follow) for run in state]
        for run in state:
            age_pipeline(run)
        flows = [arrival_rates(plan, run, t, follow=follow) for run in state]
        arrivals = rng.poisson(np.array([m.rate for m in flows]))
        # Step 3: decisions, then wins.
        decided = []
        for r, run in enumerate(state):
            for i in range(n_lines):
                run.pipeline[i][0] = int(arrivals[r, i])
            decided.append(decisions(plan, run))
        n_decided = np.array([[d[0] for d in decided], [d[1] for d in decided]], dtype=np.int64)
        win_p = np.array(
            [
                [ln.win for ln in plan.lines],
                [ln.win * scenario.engagement.pull_forward_win_factor for ln in plan.lines],
            ]
        )
        won = rng.binomial(n_decided, win_p[:, None, :])
        for r, (run, month) in enumerate(zip(state, flows, strict=True)):
            month.won = [int(a) + int(b) for a, b in zip(won[0, r], won[1, r], strict=True)]
            for i, ln in enumerate(plan.lines):
                run.one_off_wins[i].append(0 if ln.recurring else month.won[i])
            out["wins"][r, t] = month.won
            out["bookings"][r, t] = [
                n * ln.deal for n, ln in zip(month.won, plan.lines, strict=True)
            ]
            out["pipeline_open"][r, t] = [sum(cells) for cells in run.pipeline]
            # Step 4: care.
            care(plan, run, month, acc[r])
            out["care_index"][r, t] = run.care_index
        # Step 5: pooled renewals.
        ending = np.array([pooled_ending(run, t) for run in state], dtype=np.int64)
        p_keep = np.array([pooled_keep_chance(plan, m) for m in flows])
        kept = rng.binomial(ending, p_keep)
        lost = []
        for r, (run, month) in enumerate(zip(state, flows, strict=True)):
            lost.append(pooled_renewals(plan, run, t, month, [int(k) for k in kept[r]]))
            out["renewals_due"][r, t] = int(ending[r].sum())
            out["renewals_kept"][r, t] = int(kept[r].sum())
        # Step 6: explicit renewals.
        due = explicit_due(plan, t)
        draws = rng.random((runs, len(due))) if due else np.zeros((runs, 0))
        for r, (run, month) in enumerate(zip(state, flows, strict=True)):
            n_due, n_kept = explicit_renewals(plan, run, due, draws[r].tolist(), month, lost[r])
            out["renewals_due"][r, t] += n_due
            out["renewals_kept"][r, t] += n_kept
            # Steps 7-9: expansion, revenue, forward coverage.
            expansion(plan, run, t, month, book_before=book_before[r], lost=lost[r])
            rev = revenue(plan, run, t, month)
            out["revenue"][r, t] = rev
            totals[r].append(sum(sum(row) for row in rev))
            out["coverage"][r, t] = coverage(plan, seen_ahead(plan, run, t, month), totals[r])
    return EngineOutput(**out)
