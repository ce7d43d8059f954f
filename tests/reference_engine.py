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
2. each month: with attrition, ``binomial`` (runs, ramp_months + 1) leavers, reps by
   month of tenure and the ramped last; ``poisson`` (runs, lines) arrivals;
   ``binomial`` (2, runs, lines) wins, mature deals then pulled-forward deals;
   ``binomial`` (runs, lines) pooled renewals; ``random`` (runs, contracts due this
   month, in file order) if any contract is due.

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
from simulator.models import PlanPeriod, Relationships, Scenario

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
    """An explicit contract: its line, value, first due month, renewal term, contacts."""

    line: int
    value: float
    first_due: int
    term: int
    contacts: int | None  # its own; None: the book's, then the plan's


def relationship_factor(contacts: int, turnover: float, years: float, orphan_factor: float):
    """Section 4: (1 - orphan chance) + orphan chance x orphan_renewal_factor."""
    orphan = (1.0 - math.exp(-turnover * years)) ** contacts
    return (1.0 - orphan) + orphan * orphan_factor


@dataclass(frozen=True)
class Plan:
    """Everything that is the same in every run: the lines, the contracts and the plan
    in force in each month (section 1, "Plan changes over time")."""

    scenario: Scenario
    lines: list[Line]
    contracts: list[Contract]
    periods: list[PlanPeriod]  # the plan in force, one per month

    @property
    def months(self) -> int:
        return self.scenario.simulation.months

    def focus(self, t: int) -> list[float]:
        """Section 2: focus shares in month t."""
        return list(self.periods[t].focus_shares.values())

    @property
    def start_contacts(self) -> int:
        """Contacts per account of the book on day one: [history]'s, else the plan's."""
        history = self.scenario.history
        if history is not None:
            return history.contacts_per_account
        return self.scenario.relationships.contacts_per_account

    def contacts_since(self, began: int) -> int:
        """Contacts of a contract whose term began in month ``began`` (< 0: before)."""
        if began < 0:
            return self.start_contacts
        return self.periods[min(began, self.months - 1)].contacts_per_account

    def factor(self, contacts: int, years: float) -> float:
        sc = self.scenario
        return relationship_factor(
            contacts,
            sc.relationships.champion_turnover,
            years,
            sc.engagement.orphan_renewal_factor,
        )

    def pool_base(self, i: int, due: int) -> float:
        """Section 4: renewal chance before care of a pooled contract of line i that
        ends in month ``due`` (contacts as when its term began)."""
        ln = self.lines[i]
        years = ln.term / 12.0 if ln.recurring else 1.0
        return ln.renew * self.factor(self.contacts_since(due - ln.term), years)

    def contract_base(self, k: int, due: int) -> float:
        """Section 4: renewal chance before care of explicit contract k due in month
        ``due``: its own contacts, else the book's at the first renewal and the plan's
        when each later term began."""
        c = self.contracts[k]
        if c.contacts is not None:
            contacts = c.contacts
        elif due <= c.first_due:
            contacts = self.start_contacts
        else:
            contacts = self.contacts_since(due - c.term)
        return self.lines[c.line].renew * self.factor(contacts, c.term / 12.0)


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
    contracts = []
    for c in scenario.contracts:
        line = lines[index[c.product_line]]
        contracts.append(
            Contract(
                line=index[c.product_line],
                value=c.annual_value,
                first_due=scenario.contract_end_offset(c),
                term=c.renewal_term_months or line.term or 12,
                contacts=c.contacts,
            )
        )
    periods: list[PlanPeriod] = []
    changes = scenario.plan_periods()
    for t in range(scenario.simulation.months):
        periods.append(next(plan for at, plan in reversed(changes) if at <= t))
    return Plan(scenario=scenario, lines=lines, contracts=contracts, periods=periods)


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
    # Section 1, "Headcount": reps by month of tenure (the ramped last), and the
    # replacements for leavers by the month they start (the last: after the horizon).
    cohorts: list[float] = field(default_factory=list)
    backfills: list[float] = field(default_factory=list)
    pushing: bool = False  # section 2, "Management pressure"
    booked: list[float] = field(default_factory=list)  # bookings value by month


@dataclass
class Effort:
    """Section 1: rep-months on each stage this month, and per line what they make."""

    attract: float
    engage: float
    retain: float
    leverage: float
    capacity: list[float]  # decisions a month (seasonal)
    prospecting: list[float]  # opportunities a month from prospecting
    usual_capacity: list[float]  # the capacity without the push


@dataclass
class Month:
    """What one month of one run produced, for the outputs and forward coverage."""

    rate: list[float]
    won: list[int]
    care_factor: float = 1.0
    lev_cov: float = 1.0
    effort: Effort | None = None


# --- 8. Warm start.
@dataclass
class Warm:
    """The warm start per line: prior arrivals a month, the starting pooled book by
    renewal month, the one-off buyers of the last 12 months, the backlog of mature
    deals (at every mature age but the oldest, and at the oldest), the care index on
    day one and the share of the steady add-ons the starting book has."""

    rates: list[float]
    books: list[list[int]]
    buyers: list[float]
    backlog: list[float]
    backlog_oldest: list[float]
    care: float = 1.0
    add_on_share: float = 1.0


def warm_start(plan: Plan) -> Warm:
    if plan.scenario.history is not None:
        return warm_from_history(plan)
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
        rate = (
            plan.scenario.team.reps * plan.scenario.pipeline.prior_attract * ln.prior_focus
        ) * ln.leads
        rate = rate / max(1.0 - gain, 0.5)
        wins = rate * ln.win
        rates.append(rate)
        books.append(spread_book(ln, wins * life))
        buyers.append(0.0 if ln.recurring else wins * 12.0)
    zeros = [0.0] * len(plan.lines)
    return Warm(rates, books, buyers, backlog=zeros, backlog_oldest=zeros)


def spread_book(ln: Line, total: float) -> list[int]:
    """Recurring lines: ``total`` contracts, renewal dates spread over one term."""
    if not ln.recurring:
        return []
    edges = [math.floor(i * (total / ln.term) + 1e-9) for i in range(ln.term + 1)]
    return [b - a for a, b in itertools.pairwise(edges)]


@dataclass
class Past:
    """Section 8, "A past of its own": the steady flows per line at one care index."""

    arrivals: list[float]
    decided: list[float]
    life: list[float]
    leverage: float
    care: float  # the care index that past's book would get


def past_at(plan: Plan, care: float) -> Past:
    sc = plan.scenario
    history, eng, reps = sc.history, sc.engagement, sc.team.reps
    assert history is not None
    past, typical = history.effort, Relationships()
    life, span, prospecting, closing = [], [], [], []
    for ln in plan.lines:
        years = ln.term / 12.0 if ln.recurring else 1.0
        rel = relationship_factor(
            history.contacts_per_account,
            typical.champion_turnover,
            years,
            eng.orphan_renewal_factor,
        )
        care_factor = 1.0 - eng.care_renewal_penalty * (1.0 - care)
        renewal = min(ln.renew * rel * care_factor, 1.0)
        life.append(ln.term / max(1.0 - renewal, 0.05) if ln.recurring else 0.0)
        span.append(life[-1] if ln.recurring else 12.0)
        prospecting.append(reps * past.attract * ln.prior_focus * ln.leads)
        closing.append(reps * past.close * ln.prior_focus / ln.close_cost)
    on_recurring = sum(plan.lines[c.line].recurring for c in plan.contracts)
    leverage = 1.0
    for _ in range(30):  # referrals from the book, which need leverage effort
        arrivals, decided, clients = [], [], []
        for i, ln in enumerate(plan.lines):
            gain = eng.referral_rate_annual / 12.0 * ln.win * span[i] * leverage
            arrivals.append(
                min(prospecting[i] / max(1.0 - gain, 0.5), prospecting[i] + gain * closing[i])
            )
            decided.append(min(arrivals[i], closing[i]))
            clients.append(decided[i] * ln.win * span[i])
        need = eng.leverage_effort_per_account * (
            float(np.sum(np.array(clients))) + float(on_recurring)
        )
        coverage = stage_coverage(reps * past.leverage, need)
        if coverage == leverage:
            break
        leverage = coverage
    won = float(np.sum(np.array([d * ln.win for d, ln in zip(decided, plan.lines, strict=True)])))
    onboarding = stage_coverage(reps * past.engage, eng.onboarding_effort_per_client * won)
    book = [n if ln.recurring else 0.0 for n, ln in zip(clients, plan.lines, strict=True)]
    accounts = float(np.sum(np.array(book))) + len(plan.contracts)
    account = stage_coverage(reps * past.retain, eng.care_effort_per_account * accounts)
    return Past(arrivals, decided, life, leverage, 0.4 * onboarding + 0.6 * account)


def warm_from_history(plan: Plan) -> Warm:
    """The steady past of [history]'s habits, at the care index its own book would get:
    the care index where care needed and care given meet, by bisection."""
    past = past_at(plan, 1.0)
    if past.care < 1.0:
        low, high = 0.0, 1.0
        for _ in range(50):
            middle = 0.5 * (low + high)
            if past_at(plan, middle).care > middle:
                low = middle
            else:
                high = middle
        past = past_at(plan, low)
    warm = Warm([], [], [], [], [], care=past.care, add_on_share=past.leverage * past.care)
    for i, ln in enumerate(plan.lines):
        wins = past.decided[i] * ln.win
        warm.rates.append(past.arrivals[i])
        warm.books.append(spread_book(ln, wins * past.life[i]))
        warm.buyers.append(0.0 if ln.recurring else wins * 12.0)
        behind = past.arrivals[i] > past.decided[i]  # closing did not keep up
        warm.backlog.append(past.arrivals[i] if behind else 0.0)
        warm.backlog_oldest.append(past.arrivals[i] - past.decided[i] if behind else 0.0)
    return warm


def pipeline_cells(plan: Plan) -> list[tuple[int, int]]:
    """(line, age) of each cell in the engine's draw order: oldest age first per line."""
    return [(i, age) for i, ln in enumerate(plan.lines) for age in range(ln.expiry - 1, -1, -1)]


def start_runs(plan: Plan, *, runs: int, rng: np.random.Generator) -> list[Run]:
    sc = plan.scenario
    warm = sc.pipeline.warm_start
    past = warm_start(plan)
    rates, books, buyers = past.rates, past.books, past.buyers
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
    elif warm:  # Poisson(prior arrivals) at each age below the cycle, the backlog above
        cells = pipeline_cells(plan)
        lam = [
            rates[i]
            if age < plan.lines[i].cycle
            else (past.backlog_oldest[i] if age == plan.lines[i].expiry - 1 else past.backlog[i])
            for i, age in cells
        ]
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
            add_ons = (
                eng.expansion_rate_annual / 12.0 * eng.expansion_term_months * sum(spread) * ln.deal
            )
            expansion.append(add_ons * past.add_on_share if sc.history else add_ons)
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
                care_index=past.care if warm else 1.0,
                cohorts=[0.0] * sc.team.ramp_months + [sc.team.reps],  # all ramped
                backfills=[0.0] * (plan.months + 1),
            )
        )
    return out


# --- 1. Headcount: hires ramp, leavers go and are replaced, cuts are at once.
def ramp_weight(plan: Plan, tenure: int) -> float:
    """Productivity in the (tenure + 1)-th month: the middle of a straight line from 0
    to 1 over ramp_months; 1 once ramped (the last cohort)."""
    ramp = plan.scenario.team.ramp_months
    return 1.0 if tenure == ramp else (tenure + 0.5) / ramp


def attrition_chance(plan: Plan) -> float:
    """Chance a month that a rep leaves: attrition_annual / 12 (at most 1)."""
    return min(plan.scenario.team.attrition_annual / 12.0, 1.0)


def team_moves(plan: Plan) -> bool:
    team = plan.scenario.team
    return team.attrition_annual > 0 or any(p.reps != team.reps for p in plan.periods)


def tenure_and_leavers_at_risk(run: Run) -> list[int]:
    """A month's more tenure; return the whole reps per cohort who may leave."""
    c = run.cohorts
    ramp = len(c) - 1
    if ramp:
        c[ramp] += c[ramp - 1]
        c[1:ramp] = c[: ramp - 1]
        c[0] = 0.0
    return [math.floor(n + 1e-9) for n in c]


def team_month(plan: Plan, run: Run, t: int, leavers: list[int]) -> None:
    """Leavers go and wait for their replacement; the plan hires or cuts; replacements
    due join at the start of their ramp."""
    c = run.cohorts
    if leavers:
        for k, n in enumerate(leavers):
            c[k] -= n
        due = min(t + plan.scenario.team.backfill_months, plan.months)
        run.backfills[due] += sum(leavers)
    change = plan.periods[t].reps - plan.periods[t - 1].reps if t else 0.0
    if change > 0:
        c[0] += change
    elif change < 0:
        cut(run, t, -change)
    if attrition_chance(plan):
        c[0] += run.backfills[t]


def cut(run: Run, t: int, seats: float) -> None:
    """Take seats out: open backfills (the latest due first), then the newest reps."""
    rows = run.backfills[t:][::-1] + run.cohorts
    before = 0.0
    for i, n in enumerate(rows):
        rows[i] = n - min(max(seats - before, 0.0), n)
        before += n
    n_backfills = len(run.backfills) - t
    run.backfills[t:] = rows[:n_backfills][::-1]
    run.cohorts[:] = rows[n_backfills:]


def headcount(run: Run) -> float:
    return sum(run.cohorts[1:], run.cohorts[0])


def productive(plan: Plan, run: Run) -> float:
    w = [n * ramp_weight(plan, k) for k, n in enumerate(run.cohorts)]
    return sum(w[1:], w[0])


# --- 2. Management pressure: the quarter-end push.
def quarter_start(plan: Plan, t: int) -> int:
    return t - (plan.scenario.start_index + t) % 3


def pressure(plan: Plan, run: Run, t: int) -> None:
    """Push to the quarter's end once the bookings management has seen (up to
    perception_delay_months ago) trail push_trigger x the quota of those months."""
    policy = plan.scenario.policy
    first = quarter_start(plan, t)
    if first == t:
        run.pushing = False
    first, seen = max(first, 0), t - policy.perception_delay_months + 1
    if seen > first:
        quota = [(p.targets.quarterly_bookings or 0.0) / 3.0 for p in plan.periods[first:seen]]
        booked = sum(run.booked[first:seen])
        if booked < policy.push_trigger * sum(quota):
            run.pushing = True


def season(values: tuple[float, ...] | None, plan: Plan, t: int) -> float | None:
    """Section 2, "Seasonality": this calendar month's multiplier (None: no season)."""
    return None if values is None else values[(plan.scenario.start_index + t) % 12]


def effort(plan: Plan, run: Run, t: int, reps: float) -> Effort:
    """Section 1: the plan's shares of the productive reps; while pushing, a share of
    prospecting moves to closing. Capacity follows focus and the season of decisions."""
    sc = plan.scenario
    shares = plan.periods[t].effort
    push = sc.policy.quarter_end_push
    if push:
        moved = push * shares.attract * (1.0 if run.pushing else 0.0)
        attract, close = reps * (shares.attract - moved), reps * (shares.close + moved)
    else:
        attract, close = reps * shares.attract, reps * shares.close
    focus = plan.focus(t)
    decisions = season(sc.seasonality.decisions, plan, t)

    def capacity(close: float) -> list[float]:
        out = [close * focus[i] / ln.close_cost for i, ln in enumerate(plan.lines)]
        return out if decisions is None else [c * decisions for c in out]

    return Effort(
        attract=attract,
        engage=reps * shares.engage,
        retain=reps * shares.retain,
        leverage=reps * shares.leverage,
        capacity=capacity(close),
        prospecting=[attract * focus[i] * ln.leads for i, ln in enumerate(plan.lines)],
        usual_capacity=capacity(reps * shares.close),
    )


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
def arrival_rates(plan: Plan, run: Run, t: int, work: Effort, *, follow: set[str]) -> Month:
    """Prospecting plus referrals (which need leverage coverage), times the season."""
    eng = plan.scenario.engagement
    acc = accounts(plan, run, t)
    clients = [
        float(acc[i]) if ln.recurring else recent_buyers(run, i, t, follow=follow)
        for i, ln in enumerate(plan.lines)
    ]
    need = eng.leverage_effort_per_account * float(np.sum(np.array(clients)))
    lev_cov = stage_coverage(work.leverage, need)
    rate = [
        eng.referral_rate_annual / 12.0 * clients[i] * lev_cov + work.prospecting[i]
        for i in range(len(plan.lines))
    ]
    leads = season(plan.scenario.seasonality.leads, plan, t)
    if leads is not None:
        rate = [r * leads for r in rate]
    return Month(rate=rate, won=[], lev_cov=lev_cov, effort=work)


def age_pipeline(run: Run) -> None:
    """One month older; deals reaching the expiry age are lost to 'no decision'."""
    for i, cells in enumerate(run.pipeline):
        run.pipeline[i] = [0, *cells[:-1]]


# --- 2. Decisions: closing capacity, oldest first; pull-forward while pushing, or
# beyond the slack a plan sets.
def decisions(plan: Plan, run: Run, work: Effort) -> tuple[list[int], list[int]]:
    """Deals decided per line this month: (mature, pulled forward)."""
    slack_share = plan.scenario.engagement.pull_forward_slack
    mature_out, pulled_out = [], []
    for i, ln in enumerate(plan.lines):
        cells = run.pipeline[i]
        capacity = work.capacity[i]
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
        if slack_share is not None:
            slack = math.ceil(capacity * slack_share)
        elif run.pushing:  # only the closing time the push adds pulls young deals
            slack = math.ceil(work.usual_capacity[i])
        else:
            slack = budget  # no pull-forward
        spare = budget - waiting - slack
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
    work = month.effort
    assert work is not None
    onboarding = stage_coverage(work.engage, eng.onboarding_effort_per_client * sum(month.won))
    account = stage_coverage(work.retain, eng.care_effort_per_account * sum(acc))
    run.care_index += (0.4 * onboarding + 0.6 * account - run.care_index) / eng.care_memory_months
    month.care_factor = 1.0 - eng.care_renewal_penalty * (1.0 - run.care_index)


def pooled_ending(run: Run, t: int) -> list[int]:
    return [sum(book.get(t, [0, 0, 0])) for book in run.book]


def pooled_keep_chance(plan: Plan, t: int, month: Month) -> list[float]:
    """Section 4: renewal_rate x relationships x care, at most 1."""
    return [min(plan.pool_base(i, t) * month.care_factor, 1.0) for i in range(len(plan.lines))]


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
    plan: Plan,
    run: Run,
    t: int,
    due: list[int],
    draws: list[float],
    month: Month,
    lost: list[float],
) -> tuple[int, int]:
    n_due = n_kept = 0
    for k, u in zip(due, draws, strict=True):
        c = plan.contracts[k]
        if not run.alive[k]:
            continue
        n_due += 1
        if u < min(plan.contract_base(k, t) * month.care_factor, 1.0):
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
            for due, n in run.book[i].items():
                if t < due <= t + h:
                    lapse = 1.0 - plan.pool_base(i, due) * month.care_factor
                    value -= sum(n) * ln.monthly_value * lapse
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
        for k, (c, alive) in enumerate(zip(plan.contracts, run.alive, strict=True)):
            if alive:
                due = next_due(c, t)
                chance = 1.0 if due > t + h else plan.contract_base(k, due) * month.care_factor
                value += c.value / 12.0 * chance
        seen.append(value)
    return seen


def coverage(plan: Plan, t: int, seen: list[float], revenue_so_far: list[float]) -> float:
    """Worst month ahead over the need (target in force, or the last three months'
    run-rate)."""
    target = plan.periods[t].targets.quarterly_revenue
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
        "headcount": np.zeros((runs, months)),
        "productive_reps": np.zeros((runs, months)),
        "pushing": np.zeros((runs, months), dtype=bool),
    }
    state = start_runs(plan, runs=runs, rng=rng)
    totals: list[list[float]] = [[] for _ in range(runs)]
    moves, leaving = team_moves(plan), attrition_chance(plan)
    for t in range(months):
        # Step 0: the team, management's push, the month's effort.
        work = []
        at_risk = [tenure_and_leavers_at_risk(run) if moves else [] for run in state]
        leavers = rng.binomial(np.array(at_risk), leaving).tolist() if leaving else at_risk
        for r, run in enumerate(state):
            if moves:
                team_month(plan, run, t, leavers[r] if leaving else [])
            if scenario.policy.active:
                pressure(plan, run, t)
            reps = productive(plan, run)
            out["headcount"][r, t] = headcount(run)
            out["productive_reps"][r, t] = reps
            out["pushing"][r, t] = run.pushing
            work.append(effort(plan, run, t, reps))
        # Steps 1-2 of 'One month, step by step': age the pipeline; arrivals.
        acc = [accounts(plan, run, t) for run in state]
        book_before = [book_value(plan, run, t, follow=follow) for run in state]
        for run in state:
            age_pipeline(run)
        flows = [arrival_rates(plan, run, t, work[r], follow=follow) for r, run in enumerate(state)]
        arrivals = rng.poisson(np.array([m.rate for m in flows]))
        # Step 3: decisions, then wins.
        decided = []
        for r, run in enumerate(state):
            for i in range(n_lines):
                run.pipeline[i][0] = int(arrivals[r, i])
            decided.append(decisions(plan, run, work[r]))
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
            run.booked.append(float(np.sum(out["bookings"][r, t])))
            out["pipeline_open"][r, t] = [sum(cells) for cells in run.pipeline]
            # Step 4: care.
            care(plan, run, month, acc[r])
            out["care_index"][r, t] = run.care_index
        # Step 5: pooled renewals.
        ending = np.array([pooled_ending(run, t) for run in state], dtype=np.int64)
        p_keep = np.array([pooled_keep_chance(plan, t, m) for m in flows])
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
            n_due, n_kept = explicit_renewals(plan, run, t, due, draws[r].tolist(), month, lost[r])
            out["renewals_due"][r, t] += n_due
            out["renewals_kept"][r, t] += n_kept
            # Steps 7-9: expansion, revenue, forward coverage.
            expansion(plan, run, t, month, book_before=book_before[r], lost=lost[r])
            rev = revenue(plan, run, t, month)
            out["revenue"][r, t] = rev
            totals[r].append(sum(sum(row) for row in rev))
            out["coverage"][r, t] = coverage(plan, t, seen_ahead(plan, run, t, month), totals[r])
    return EngineOutput(**out)
