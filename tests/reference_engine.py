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
   ``binomial`` (2, runs, lines) wins, mature deals then pulled-forward deals; if any
   line has a deal-size spread, ``gamma`` (runs, lines) for the value of each line's
   wins; ``binomial`` (2, runs, lines) pooled renewals, first renewals then later ones;
   ``random`` (runs, contracts due this month, in file order) if any contract is due.

Where the engine does not do what docs/model.md says, the deviation is reproduced here
by default, so that the oracle checks everything else; each is named in
``ENGINE_DEVIATIONS`` and can be switched off (``follow_engine=()``) to read the
document literally. ``tests/test_reference_engine.py`` keeps a strict xfail test per
deviation: when the engine is fixed it fails, and the deviation should be deleted here.

Net and gross revenue retention are followed literally: at the end of every month (and
on day one) the accounts in force are a cohort, and each cohort's share of every
renewal is carried month by month for a year. The top-account share uses the exact
normal distribution (``statistics.NormalDist``), the engine an approximation to 1e-7.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from simulator.engine import (
    COVERAGE_CAP,
    NO_BOOK,
    ONBOARDING_WEIGHT,
    RETENTION_MONTHS,
    SMALLEST_SPREAD,
    SOURCES,
    TOP_ACCOUNTS,
    EngineOutput,
)
from simulator.models import PlanPeriod, Relationships, Scenario

EXISTING, NEW, RENEWAL, EXPANSION, ONE_OFF = range(len(SOURCES))
TINY = 1e-12  # the engine's guard against dividing by zero (a need or a book of 0)

ENGINE_DEVIATIONS = {
    "warm_one_off_buyers_stay": (
        "Warm start: the 12 x prior wins of one-off buyers never drop out of 'buyers of "
        "the last 12 months', although 'wins older than 12 months drop out'."
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
    cv: float = 0.0  # deal_size_cv

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
                cv=ln.deal_size_cv if ln.deal_size_cv >= SMALLEST_SPREAD else 0.0,
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
class Slot:
    """The pooled contracts of one line that come up for renewal in one month, by kind:
    at their first renewal (won in the simulation, ``new`` revenue), from the starting
    book (``existing``) and renewed before (``renewal``). Value is kept twice: the base
    (annual value without add-ons) and units of the growth index (section 6)."""

    first_n: int = 0
    first_base: float = 0.0
    first_units: float = 0.0
    onboarding: float = 1.0  # onboarding coverage of the month the first ones were won
    exist_n: int = 0
    exist_base: float = 0.0
    exist_units: float = 0.0
    ren_n: int = 0
    ren_base: float = 0.0
    ren_units: float = 0.0

    @property
    def n(self) -> int:
        return self.first_n + self.exist_n + self.ren_n

    @property
    def base(self) -> float:
        return self.first_base + self.exist_base + self.ren_base

    @property
    def units(self) -> float:
        return self.first_units + self.exist_units + self.ren_units


@dataclass
class Cohort:
    """The accounts in force at the end of month ``start`` (-1: day one), followed for a
    year for the revenue retention (section 6): their units per line and due month, by
    kind (first renewal or later), and the explicit contracts among them."""

    start: int
    growth: float
    units: float
    first: list[dict[int, float]]
    later: list[dict[int, float]]
    alive: set[int]


@dataclass
class Run:
    """One run's stocks (docs/model.md, "Stocks and flows")."""

    pipeline: list[list[int]]  # per line, open deals by age
    credit: list[float]  # closing credit per line
    book: list[dict[int, Slot]]  # pooled contracts per line, by the month they are due
    one_off_wins: list[list[int]]  # per line, wins by month (one-off lines)
    warm_buyers: list[float]  # per line, one-off buyers from before the start
    care_index: float = 1.0
    growth: float = 1.0  # the growth index of the add-ons
    alive: list[bool] = field(default_factory=list)  # per explicit contract
    renewed: list[bool] = field(default_factory=list)
    cohorts: list[Cohort] = field(default_factory=list)
    # Section 1, "Headcount": reps by month of tenure (the ramped last), and the
    # replacements for leavers by the month they start (the last: after the horizon).
    tenure: list[float] = field(default_factory=list)
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
    values: list[float] = field(default_factory=list)  # value of the wins per line
    care_factor: float = 1.0
    lev_cov: float = 1.0
    onboarding: float = 1.0
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


def warm_unit_value(plan: Plan, spread: list[int], line: Line, add_on_share: float) -> float:
    """Value of one starting contract: deal_size plus its share of the starting add-ons,
    one year's worth (expansion_rate_annual x the book, x the past's leverage x care
    with ``[history]``)."""
    add_ons = plan.scenario.engagement.expansion_rate_annual * sum(spread) * line.deal
    return line.deal + add_ons * add_on_share / max(sum(spread), 1)


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
    out = []
    for r in range(runs):
        book: list[dict[int, Slot]] = [{} for _ in plan.lines]
        for i, ln in enumerate(plan.lines):
            spread = books[i] if warm else []
            share = past.add_on_share if sc.history else 1.0
            unit = warm_unit_value(plan, spread, ln, share)
            for month, n in enumerate(spread):
                book[i][month] = Slot(exist_n=n, exist_base=n * ln.deal, exist_units=n * unit)
        run = Run(
            pipeline=pipes[r],
            credit=[0.0] * len(plan.lines),
            book=book,
            one_off_wins=[[] for _ in plan.lines],
            warm_buyers=list(buyers) if warm else [0.0] * len(plan.lines),
            alive=[True] * len(plan.contracts),
            renewed=[False] * len(plan.contracts),
            care_index=past.care if warm else 1.0,
            tenure=[0.0] * sc.team.ramp_months + [sc.team.reps],  # all ramped
            backfills=[0.0] * (plan.months + 1),
        )
        run.cohorts.append(new_cohort(plan, run, -1))
        out.append(run)
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
    c = run.tenure
    ramp = len(c) - 1
    if ramp:
        c[ramp] += c[ramp - 1]
        c[1:ramp] = c[: ramp - 1]
        c[0] = 0.0
    return [math.floor(n + 1e-9) for n in c]


def team_month(plan: Plan, run: Run, t: int, leavers: list[int]) -> None:
    """Leavers go and wait for their replacement; the plan hires or cuts; replacements
    due join at the start of their ramp."""
    c = run.tenure
    if leavers:
        for k, n in enumerate(leavers):
            c[k] -= n
        due = min(t + plan.scenario.team.backfill_months, plan.months)
        run.backfills[due] += sum(leavers)
    before = plan.periods[t - 1].reps if t else plan.scenario.team.reps
    change = plan.periods[t].reps - before
    if change > 0:
        c[0] += change
    elif change < 0:
        cut(run, t, -change)
    if attrition_chance(plan):
        c[0] += run.backfills[t]


def cut(run: Run, t: int, seats: float) -> None:
    """Take seats out: open backfills (the latest due first), then the newest reps."""
    rows = run.backfills[t:][::-1] + run.tenure
    before = 0.0
    for i, n in enumerate(rows):
        rows[i] = n - min(max(seats - before, 0.0), n)
        before += n
    n_backfills = len(run.backfills) - t
    run.backfills[t:] = rows[:n_backfills][::-1]
    run.tenure[:] = rows[n_backfills:]


def headcount(run: Run) -> float:
    return sum(run.tenure[1:], run.tenure[0])


def productive(plan: Plan, run: Run) -> float:
    w = [n * ramp_weight(plan, k) for k, n in enumerate(run.tenure)]
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
def in_force(run: Run, line: int, t: int) -> list[Slot]:
    """The slots of a line in force after month t's renewals (due after t)."""
    return [slot for due, slot in run.book[line].items() if due > t]


def pooled_in_force(run: Run, line: int, t: int) -> int:
    """Pooled contracts of a line in force after month t's renewals (due after t)."""
    return sum(slot.n for slot in in_force(run, line, t))


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


# --- 3. The value of the wins: deal_size each, or a Gamma draw for a line's sum.
def deal_value_draws(plan: Plan, won: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """(runs, lines) values of the month's wins on the lines with a spread, drawn with the
    sum's mean and variance: Gamma(n / cv^2, deal_size x cv^2); None without a spread."""
    if not any(ln.cv > 0 for ln in plan.lines):
        return None
    cv2 = np.array([ln.cv**2 if ln.cv > 0 else 1.0 for ln in plan.lines])
    shape = np.array(
        [
            [
                n / cv2[i] if ln.cv > 0 else 0.0
                for i, (n, ln) in enumerate(zip(row, plan.lines, strict=True))
            ]
            for row in won.tolist()
        ]
    )
    return rng.gamma(shape, np.array([ln.deal for ln in plan.lines]) * cv2)


# --- 5. Care: onboarding per cohort, account care book-wide.
def care(plan: Plan, run: Run, month: Month, acc: list[int]) -> None:
    eng = plan.scenario.engagement
    work = month.effort
    assert work is not None
    month.onboarding = stage_coverage(
        work.engage, eng.onboarding_effort_per_client * sum(month.won)
    )
    account = stage_coverage(work.retain, eng.care_effort_per_account * sum(acc))
    run.care_index += (account - run.care_index) / eng.care_memory_months
    month.care_factor = 1.0 - eng.care_renewal_penalty * (1.0 - run.care_index)


def first_renewal_chance(plan: Plan, i: int, run: Run, onboarding: float, due: int) -> float:
    """Section 4: a first renewal's care is ONBOARDING_WEIGHT x its cohort's onboarding
    plus the rest x the care index."""
    penalty = plan.scenario.engagement.care_renewal_penalty
    care_now = ONBOARDING_WEIGHT * onboarding + (1.0 - ONBOARDING_WEIGHT) * run.care_index
    return min(plan.pool_base(i, due) * (1.0 - penalty * (1.0 - care_now)), 1.0)


def later_renewal_chance(plan: Plan, i: int, month: Month, due: int) -> float:
    """Section 4: renewal_rate x relationships (as when the term began) x care factor,
    at most 1."""
    return min(plan.pool_base(i, due) * month.care_factor, 1.0)


def share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


# --- 4. Pooled renewals; 3. new contracts join the book.
def pooled_renewals(
    plan: Plan, run: Run, t: int, month: Month, kept_first: list[int], kept_later: list[int]
) -> None:
    """Renew what is due (each kind keeps its average value per contract), book this
    month's recurring wins and renewals into the month they end."""
    for i, ln in enumerate(plan.lines):
        slot = run.book[i].get(t, Slot())
        first_share = share(kept_first[i], slot.first_n)
        later_share = share(kept_later[i], slot.exist_n + slot.ren_n)
        for cohort in run.cohorts:  # each cohort keeps its part in the same shares
            old = cohort.first[i].pop(t, 0.0) * first_share
            old += cohort.later[i].pop(t, 0.0) * later_share
            if ln.recurring and old:
                cohort.later[i][t + ln.term] = cohort.later[i].get(t + ln.term, 0.0) + old
        if not ln.recurring:
            continue
        kept_base = slot.first_base * first_share + (slot.ren_base + slot.exist_base) * later_share
        kept_units = slot.first_units * first_share
        kept_units += (slot.ren_units + slot.exist_units) * later_share
        due = run.book[i].setdefault(t + ln.term, Slot())
        due.first_n += month.won[i]
        due.first_base += month.values[i]
        due.first_units += month.values[i] / run.growth
        due.onboarding = month.onboarding
        due.ren_n += kept_first[i] + kept_later[i]
        due.ren_base += kept_base
        due.ren_units += kept_units


def explicit_due(plan: Plan, t: int) -> list[int]:
    """Contracts (file order) whose due month is t: first_due, then every term after."""
    return [
        k
        for k, c in enumerate(plan.contracts)
        if t >= c.first_due and (t - c.first_due) % c.term == 0
    ]


# --- 4. Explicit renewals: one uniform draw per contract due.
def explicit_renewals(
    plan: Plan, run: Run, t: int, due: list[int], draws: list[float], month: Month
) -> tuple[int, int]:
    n_due = n_kept = 0
    for k, u in zip(due, draws, strict=True):
        if not run.alive[k]:
            continue
        n_due += 1
        if u < min(plan.contract_base(k, t) * month.care_factor, 1.0):
            run.renewed[k] = True
            n_kept += 1
        else:  # it leaves, and with it its add-ons (and its place in every cohort)
            run.alive[k] = False
            for cohort in run.cohorts:
                cohort.alive.discard(k)
    return n_due, n_kept


def explicit_book(plan: Plan, run: Run) -> list[float]:
    """Annual value of the explicit contracts in force, per line (without add-ons)."""
    book = [0.0] * len(plan.lines)
    for c, alive in zip(plan.contracts, run.alive, strict=True):
        if alive:
            book[c.line] += c.value
    return book


# --- 6. Expansion: every account grows with the growth index.
def expansion(plan: Plan, run: Run, month: Month) -> None:
    eng = plan.scenario.engagement
    run.growth *= 1.0 + eng.expansion_rate_annual / 12.0 * (month.lev_cov * run.care_index)


def add_ons(plan: Plan, run: Run, t: int) -> list[float]:
    """Annual value of the add-ons per line: the book's value (units x growth index)
    above its base value (never below 0: the engine guards its rounding)."""
    con = explicit_book(plan, run)
    out = []
    for i in range(len(plan.lines)):
        slots = in_force(run, i, t)
        units = sum(slot.units for slot in slots) + con[i]
        base = sum(slot.base for slot in slots) + con[i]
        out.append(max(run.growth * units - base, 0.0))
    return out


# --- 3. Revenue by source.
def revenue(plan: Plan, run: Run, t: int, month: Month) -> list[list[float]]:
    """Money recognised in month t per line and source, after renewals."""
    out = [[0.0] * len(SOURCES) for _ in plan.lines]
    extra = add_ons(plan, run, t)
    for i, ln in enumerate(plan.lines):
        slots = in_force(run, i, t)
        out[i][EXISTING] = sum(slot.exist_base for slot in slots) / 12.0
        out[i][NEW] = sum(slot.first_base for slot in slots) / 12.0
        out[i][RENEWAL] = sum(slot.ren_base for slot in slots) / 12.0
        out[i][EXPANSION] = extra[i] / 12.0
        out[i][ONE_OFF] = 0.0 if ln.recurring else month.values[i]
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
        sum(slot.base for slot in in_force(run, i, t)) / 12.0 for i in range(len(plan.lines))
    )
    flat = sum(add_ons(plan, run, t)) / 12.0
    for h in range(1, look + 1):
        value = contracted + flat
        for i, ln in enumerate(plan.lines):
            # Signed contracts ending by t + h count at their renewal chance as of now.
            for due, slot in run.book[i].items():
                if t < due <= t + h:
                    first = first_renewal_chance(plan, i, run, slot.onboarding, due)
                    later = later_renewal_chance(plan, i, month, due)
                    value -= slot.first_base / 12.0 * (1.0 - first)
                    value -= (slot.exist_base + slot.ren_base) / 12.0 * (1.0 - later)
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


# --- 6. Net and gross revenue retention: a cohort per month, followed for a year.
def new_cohort(plan: Plan, run: Run, start: int) -> Cohort:
    """The accounts in force at the end of month ``start``, as units of the growth index."""
    first = [{d: s.first_units for d, s in book.items() if d > start} for book in run.book]
    later = [
        {d: s.exist_units + s.ren_units for d, s in book.items() if d > start} for book in run.book
    ]
    alive = {k for k, a in enumerate(run.alive) if a}
    units = sum(sum(f.values()) + sum(g.values()) for f, g in zip(first, later, strict=True))
    units += sum(plan.contracts[k].value for k in alive)
    return Cohort(start, run.growth, units, first, later, alive)


def retention(plan: Plan, run: Run, t: int) -> tuple[float, float]:
    """(NRR, GRR) at the end of month t for the cohort of month t - 12, NaN before."""
    cohort = next((c for c in run.cohorts if c.start == t - RETENTION_MONTHS), None)
    if cohort is None or cohort.units <= NO_BOOK:
        return math.nan, math.nan
    left = sum(
        sum(f.values()) + sum(g.values()) for f, g in zip(cohort.first, cohort.later, strict=True)
    )
    left += sum(plan.contracts[k].value for k in cohort.alive)
    gross = left / cohort.units
    return gross * run.growth / cohort.growth, gross


# --- 3. Revenue concentration.
def top_accounts_share(plan: Plan, run: Run, t: int) -> float:
    """Share of the recurring book's value held by its TOP_ACCOUNTS largest accounts:
    explicit contracts at their value, a pooled line's contracts at the expected values
    of its largest ones (lognormal values around the line's average)."""
    values = [c.value * run.growth for c, a in zip(plan.contracts, run.alive, strict=True) if a]
    total = sum(values)
    for i, ln in enumerate(plan.lines):
        slots = in_force(run, i, t)
        n = sum(slot.n for slot in slots)
        worth = sum(slot.units for slot in slots) * run.growth
        total += worth
        if n == 0:
            continue
        mean = worth / n
        sigma = math.sqrt(math.log1p(ln.cv**2))

        def held(k: int, n: int = n, sigma: float = sigma, cv: float = ln.cv) -> float:
            """Contracts' worth (in means) held by the largest k of n."""
            if k >= n or cv == 0:
                return float(min(k, n))
            if k == 0:
                return 0.0
            return n * NormalDist().cdf(sigma - NormalDist().inv_cdf(1.0 - k / n))

        values += [(held(k) - held(k - 1)) * mean for k in range(1, TOP_ACCOUNTS + 1)]
    top = sum(sorted(values, reverse=True)[:TOP_ACCOUNTS])
    return min(top / total, 1.0) if total > NO_BOOK else 0.0


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
        "onboarding": np.zeros((runs, months)),
        "nrr": np.zeros((runs, months)),
        "grr": np.zeros((runs, months)),
        "top_accounts_share": np.zeros((runs, months)),
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
        for run in state:
            age_pipeline(run)
        flows = [arrival_rates(plan, run, t, work[r], follow=follow) for r, run in enumerate(state)]
        arrivals = rng.poisson(np.array([m.rate for m in flows]))
        # Step 3: decisions, then wins and their value.
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
        drawn = deal_value_draws(plan, won[0] + won[1], rng)
        for r, (run, month) in enumerate(zip(state, flows, strict=True)):
            month.won = [int(a) + int(b) for a, b in zip(won[0, r], won[1, r], strict=True)]
            month.values = [
                float(drawn[r, i]) if ln.cv > 0 else n * ln.deal
                for i, (n, ln) in enumerate(zip(month.won, plan.lines, strict=True))
            ]
            for i, ln in enumerate(plan.lines):
                run.one_off_wins[i].append(0 if ln.recurring else month.won[i])
            out["wins"][r, t] = month.won
            out["bookings"][r, t] = month.values
            run.booked.append(float(np.sum(out["bookings"][r, t])))
            out["pipeline_open"][r, t] = [sum(cells) for cells in run.pipeline]
            # Step 4: care.
            care(plan, run, month, acc[r])
            out["care_index"][r, t] = run.care_index
            out["onboarding"][r, t] = month.onboarding
        # Step 5: pooled renewals, first renewals then later ones.
        n_due = np.zeros((2, runs, n_lines), dtype=np.int64)
        p_keep = np.zeros((2, runs, n_lines))
        for r, (run, month) in enumerate(zip(state, flows, strict=True)):
            for i in range(n_lines):
                slot = run.book[i].get(t, Slot())
                n_due[:, r, i] = (slot.first_n, slot.exist_n + slot.ren_n)
                p_keep[0, r, i] = first_renewal_chance(plan, i, run, slot.onboarding, t)
                p_keep[1, r, i] = later_renewal_chance(plan, i, month, t)
        kept = rng.binomial(n_due, p_keep)
        for r, (run, month) in enumerate(zip(state, flows, strict=True)):
            first, later = [int(k) for k in kept[0, r]], [int(k) for k in kept[1, r]]
            pooled_renewals(plan, run, t, month, first, later)
            out["renewals_due"][r, t] = int(n_due[:, r].sum())
            out["renewals_kept"][r, t] = int(kept[:, r].sum())
        # Step 6: explicit renewals.
        due = explicit_due(plan, t)
        draws = rng.random((runs, len(due))) if due else np.zeros((runs, 0))
        for r, (run, month) in enumerate(zip(state, flows, strict=True)):
            n_due_x, n_kept_x = explicit_renewals(plan, run, t, due, draws[r].tolist(), month)
            out["renewals_due"][r, t] += n_due_x
            out["renewals_kept"][r, t] += n_kept_x
            # Steps 7-9: expansion, revenue, forward coverage; retention, concentration.
            expansion(plan, run, month)
            rev = revenue(plan, run, t, month)
            out["revenue"][r, t] = rev
            totals[r].append(sum(sum(row) for row in rev))
            out["coverage"][r, t] = coverage(plan, t, seen_ahead(plan, run, t, month), totals[r])
            out["nrr"][r, t], out["grr"][r, t] = retention(plan, run, t)
            out["top_accounts_share"][r, t] = top_accounts_share(plan, run, t)
            run.cohorts = [c for c in run.cohorts if c.start > t - RETENTION_MONTHS]
            run.cohorts.append(new_cohort(plan, run, t))
    return EngineOutput(**out)
