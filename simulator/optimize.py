"""Suggest a fix: the smoothest plan the user's limits allow, at (almost) the same revenue.

The levers are the ones the diagnosis tests: the effort split (headcount stays
fixed), product-line focus, contacts per account and the contracts' renewal
months (each moved by at most ``max_shift_months``). The search is a batched
coordinate descent with common random numbers: every candidate is simulated with
the same seed, first with few runs (screening), starting from the diagnosis'
neutralisations and their combination, then moving the best lever one step at a
time. The winner is confirmed at the scenario's full runs; if it does not lower
the whiplash probability or breaks the revenue floor there, the search walks back
along its path, and suggests no change rather than a worse plan.

Pure numpy; no UI imports.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .budget import estimate
from .diagnose import Outcome
from .levers import (
    SEARCHED,
    BuyerContacts,
    Reference,
    apply,
    balanced_mix,
    lever,
    reference_levels,
    round_shares,
    staggered_ends,
    with_care,
)
from .levers import overrides as edit_overrides
from .models import STAGES, Scenario
from .money import money_text
from .results import ResultSummary, SimulationResult, simulate
from .scenario_io import ScenarioError
from .verdict_text import percent

LEVERS = SEARCHED
"""The levers the search may move (``--levers``), declared in simulator/levers.py."""
LEVER_LABELS = {name: lever(name).label.lower() for name in LEVERS}
STAGE_LABELS = {
    "attract": "Prospecting (attract)",
    "close": "Closing",
    "engage": "Onboarding (engage)",
    "retain": "Account care (retain)",
    "leverage": "Up-sell and referrals (leverage)",
}
SCREEN_RUNS = 300
"""Runs per candidate while searching; the winner is confirmed at the scenario's runs."""
MAX_EVALUATIONS = 400
"""Upper bound on screened candidates, so the search ends in seconds on 2 cores."""
SEARCH_SECONDS = 10.0
"""A typical search's time budget, in the cost model's expected seconds
(:func:`simulator.budget.estimate`): screening :data:`TYPICAL_EVALUATIONS` plans gets
:data:`SCREEN_SECONDS`, the confirmation at full runs the rest. A scenario too big for
it is screened and confirmed with fewer runs, and the report says so. The longest
search (:data:`MAX_EVALUATIONS` plans) is then at most about 30 s. Counting estimated
rather than wall-clock seconds keeps a suggestion reproducible under load."""
SCREEN_SECONDS = 8.0
TYPICAL_EVALUATIONS = 120
"""Plans a search usually screens (the presets 87 to 169): the screening runs are
chosen so that this many fit in :data:`SCREEN_SECONDS`."""
MIN_SCREEN_RUNS = 50
CONFIRMATIONS = 4
"""Simulations at full runs the confirmation budgets for (the plan, then the winner and
the walk back along the path, which usually stops at the first)."""
MAX_ROUNDS = 12
MOVABLE_CONTRACTS = 6
"""Only the largest contracts' dates are searched (the small ones cannot make a cliff)."""
EARLIEST_RENEWAL_MONTH = 3
"""A renewal cannot be moved into the first quarter of the horizon: that quarter is
already under way, and a loss there would hide in the yardstick quarter."""
FLOOR_SHARE = 0.5
"""No stage of the engagement cycle drops below half its balanced level, and no product
line below half an equal share (unless the plan already has less), nor may the lines'
focus differ more than in the plan or the balanced preset: the article asks for
balance, so the suggestion may not starve a stage or favour a line to smooth revenue."""
SIMPLIFY_TOLERANCE = 0.02
"""A change is dropped from the suggestion if the plan without it is at most this much
worse on the search objective: fewer changes are easier to act on."""
STEP_SIZES = max(len(lever(name).steps) for name in LEVERS)
"""Rounds of step sizes: each lever moves by its first step, then (when no move helps) by
its next one (simulator/levers.py declares each lever's steps)."""

ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class Limits:
    """What the suggestion may change; headcount is always fixed."""

    keep_revenue: float = 0.95
    max_shift_months: int = 6
    max_contacts: int = 4
    levers: tuple[str, ...] = LEVERS

    def __post_init__(self) -> None:
        if not 0.0 <= self.keep_revenue <= 2.0:
            raise ScenarioError(f"keep_revenue: {self.keep_revenue} is outside 0..2")
        if not 0 <= self.max_shift_months <= 36:
            raise ScenarioError(f"max_shift_months: {self.max_shift_months} is outside 0..36")
        if not 1 <= self.max_contacts <= 20:
            raise ScenarioError(f"max_contacts: {self.max_contacts} is outside 1..20")
        unknown = set(self.levers) - set(LEVERS)
        if unknown:
            raise ScenarioError(
                f"levers: {', '.join(sorted(unknown))} unknown (choose from {', '.join(LEVERS)})"
            )


@dataclass(frozen=True)
class Plan:
    """One point in the search space: each searched lever's value (named as in
    simulator/levers.py), hashable for the cache."""

    effort: tuple[float, ...]
    focus: tuple[float, ...]
    """Focus shares of the product lines (sum to 1)."""
    contacts: BuyerContacts
    renewal_dates: tuple[int, ...]
    """Each contract's end month, counted from the start."""

    def with_effort(self, effort: dict[str, float]) -> Plan:
        rounded = round_shares(effort)
        return replace(self, effort=tuple(rounded[s] for s in STAGES))

    def with_focus(self, shares: Sequence[float]) -> Plan:
        total = sum(shares)
        rounded = round_shares({str(i): v / total for i, v in enumerate(shares)})
        return replace(self, focus=tuple(rounded[str(i)] for i in range(len(shares))))

    def with_lever(self, name: str, value: object) -> Plan:
        return replace(self, **{name: value})


@dataclass(frozen=True)
class Change:
    """One setting the suggestion changes, in the user's words."""

    field: str
    label: str
    before: str
    after: str

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Suggestion:
    """The suggested plan, what changed and the before/after simulations (full runs)."""

    original: Scenario
    suggested: Scenario
    overrides: tuple[str, ...]
    changes: tuple[Change, ...]
    before: Outcome
    after: Outcome
    before_result: ResultSummary = field(repr=False)
    after_result: ResultSummary = field(repr=False)
    limits: Limits
    runs: int
    seed: int
    evaluations: int
    seconds: float
    message: str
    screen_runs: int = SCREEN_RUNS
    fewer_runs: str = ""
    """Why the search used fewer runs than usual (empty when it did not)."""

    @property
    def improved(self) -> bool:
        return bool(self.changes)

    @property
    def revenue_ratio(self) -> float:
        return self.after.revenue / self.before.revenue if self.before.revenue > 0 else 1.0

    def lines(self) -> list[str]:
        """The plain-text report the CLI prints."""
        b, a = self.before, self.after
        out = [
            f"Suggest a fix: {self.original.meta.title}",
            f"Limits: revenue at least {self.limits.keep_revenue:.0%} of the current plan's, "
            f"renewal dates moved by at most {self.limits.max_shift_months} months, at most "
            f"{self.limits.max_contacts} contacts per account, headcount fixed",
            self.message,
        ]
        if self.changes:
            out.append("Change:")
            width = max(len(c.label) for c in self.changes)
            out += [f"  {c.label:<{width}}  {c.before} → {c.after}" for c in self.changes]
        out.append(
            f"Whiplash: {percent(b.probability)} → {percent(a.probability)} of futures "
            f"(severe: {percent(b.severe_probability)} → {percent(a.severe_probability)}); "
            f"largest fall in a year {percent(b.largest_fall)} → {percent(a.largest_fall)}; "
            f"revenue (middle future) {money_text(b.revenue)} → {money_text(a.revenue)} "
            f"({self.revenue_ratio:.0%})"
        )
        out.append(
            f"({self.evaluations} plans screened at {self.screen_runs} runs, confirmed at "
            f"{self.runs} runs, seed {self.seed}, in {self.seconds:.1f} s)"
        )
        if self.fewer_runs:
            out.append(self.fewer_runs)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.original.meta.title,
            "improved": self.improved,
            "message": self.message,
            "limits": {
                "keep_revenue": self.limits.keep_revenue,
                "max_shift_months": self.limits.max_shift_months,
                "max_contacts": self.limits.max_contacts,
                "levers": list(self.limits.levers),
            },
            "changes": [c.as_dict() for c in self.changes],
            "overrides": list(self.overrides),
            "before": self.before.as_dict(),
            "after": self.after.as_dict(),
            "runs": self.runs,
            "seed": self.seed,
            "evaluations": self.evaluations,
            "screen_runs": self.screen_runs,
            "seconds": self.seconds,
            "fewer_runs": self.fewer_runs,
        }


# --- Search space --------------------------------------------------------------------


def _current_plan(scenario: Scenario) -> Plan:
    return Plan(
        effort=lever("effort").read(scenario),
        focus=tuple(scenario.focus_shares.values()),
        contacts=lever("contacts").read(scenario),
        renewal_dates=lever("renewal_dates").read(scenario),
    )


def _focus_ratio(shares: Sequence[float]) -> float:
    """Largest over smallest focus share (infinite when a line gets none)."""
    low = min(shares)
    return max(shares) / low if low > 0 else float("inf")


def plan_scenario(scenario: Scenario, plan: Plan) -> Scenario:
    """``scenario`` with the plan's levers set (only those that changed), re-validated."""
    now = _current_plan(scenario)
    changed = {
        name: getattr(plan, name) for name in LEVERS if getattr(plan, name) != getattr(now, name)
    }
    return apply(scenario, changed)


def plan_overrides(scenario: Scenario, plan: Plan) -> list[str]:
    """The ``--set`` overrides that turn ``scenario`` into ``plan`` (only what changed)."""
    return edit_overrides(scenario, plan_scenario(scenario, plan))


def describe_changes(scenario: Scenario, suggested: Scenario) -> list[Change]:
    """The settings that differ, as (field, label, before, after) in the user's words."""
    changes = []
    before_e, after_e = scenario.effort.as_dict(), suggested.effort.as_dict()
    for s in STAGES:
        if abs(before_e[s] - after_e[s]) >= 0.0005:
            changes.append(
                Change(f"effort.{s}", STAGE_LABELS[s], f"{before_e[s]:.0%}", f"{after_e[s]:.0%}")
            )
    before_f, after_f = scenario.focus_shares, suggested.focus_shares
    for k, line in scenario.product_lines.items():
        if abs(before_f[k] - after_f[k]) >= 0.0005:
            changes.append(
                Change(
                    f"product_lines.{k}.focus",
                    f"Focus on {line.name}",
                    f"{before_f[k]:.0%}",
                    f"{after_f[k]:.0%}",
                )
            )
    b_rel, a_rel = scenario.relationships, suggested.relationships
    if b_rel.contacts_per_account != a_rel.contacts_per_account:
        changes.append(
            Change(
                "relationships.contacts_per_account",
                "Contacts per new account",
                str(b_rel.contacts_per_account),
                str(a_rel.contacts_per_account),
            )
        )
    for i, (b, a) in enumerate(zip(scenario.contracts, suggested.contracts, strict=True)):
        b_contacts = scenario.contacts_of(b)
        a_contacts = suggested.contacts_of(a)
        if b.contacts is not None and b_contacts != a_contacts:
            changes.append(
                Change(
                    f"contracts.{i}.contacts",
                    f"Contacts at {b.name}",
                    str(b_contacts),
                    str(a_contacts),
                )
            )
        if b.ends != a.ends:
            changes.append(Change(f"contracts.{i}.ends", f"{b.name} renews", b.ends, a.ends))
    return changes


class _Search:
    """Screens plans with common random numbers and remembers every result."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        limits: Limits,
        reference: Reference,
        seed: int,
        progress: ProgressCallback | None,
        screen_runs: int = SCREEN_RUNS,
        max_evaluations: int = MAX_EVALUATIONS,
    ) -> None:
        self.scenario = scenario
        self.screen_runs = screen_runs
        self.max_evaluations = max_evaluations
        self.reference = reference
        self.limits = limits
        self.seed = seed
        self.progress = progress
        self.now = _current_plan(scenario)
        self.cache: dict[Plan, tuple[float, Outcome] | None] = {}
        self.floor = 0.0
        self.evaluations = 0
        order = sorted(
            range(len(scenario.contracts)), key=lambda i: -scenario.contracts[i].annual_value
        )
        self.movable = sorted(order[:MOVABLE_CONTRACTS])

    def objective(self, out: Outcome) -> float:
        """Lower is smoother: the share of futures with whiplash first, severity and the
        middle future's largest fall to break ties."""
        return out.probability + 0.5 * out.severe_probability + 0.5 * out.largest_fall

    def allowed(self, plan: Plan) -> bool:
        """Within the floors: no stage or product line starved beyond where it already is."""
        for i, stage in enumerate(STAGES):
            floor = min(self.now.effort[i], FLOOR_SHARE * self.reference.effort[stage])
            if plan.effort[i] < floor - 1e-9:
                return False
        equal = 1.0 / len(plan.focus)
        if not all(
            share >= min(now, FLOOR_SHARE * equal) - 1e-9
            for share, now in zip(plan.focus, self.now.focus, strict=True)
        ):
            return False
        # No more favouritism than the plan already has or the balanced plan allows, so
        # the diagnosis never blames the suggestion for favouring one line.
        return _focus_ratio(plan.focus) <= max(
            _focus_ratio(self.now.focus), self.reference.focus_ratio * 1.01
        )

    def evaluate(self, plan: Plan) -> tuple[float, Outcome] | None:
        """Screen one plan; None when it is invalid, starves a stage or a line, or falls
        below the revenue floor."""
        if plan in self.cache:
            return self.cache[plan]
        if not self.allowed(plan):
            self.cache[plan] = None
            return None
        self.evaluations += 1
        try:
            variant = plan_scenario(self.scenario, plan)
        except ScenarioError:
            self.cache[plan] = None
            return None
        out = Outcome.of(simulate(variant, runs=self.screen_runs, seed=self.seed))
        value = None if out.revenue < self.floor else (self.objective(out), out)
        self.cache[plan] = value
        return value

    def best_of(self, plans: list[Plan], *, stage: str) -> tuple[Plan, float] | None:
        best: tuple[Plan, float] | None = None
        for plan in plans:
            if self.evaluations >= self.max_evaluations:
                break
            value = self.evaluate(plan)
            if value is not None and (best is None or value[0] < best[1]):
                best = (plan, value[0])
            if self.progress:
                self.progress(min(self.evaluations / self.max_evaluations, 0.95), stage)
        return best

    # --- Candidate moves.
    def clamp_ends(self, ends: Sequence[int]) -> tuple[int, ...]:
        n = self.limits.max_shift_months
        out = list(self.now.renewal_dates)
        for i in self.movable:
            now = self.now.renewal_dates[i]
            earliest = min(now, max(now - n, EARLIEST_RENEWAL_MONTH))
            out[i] = max(earliest, min(ends[i], now + n))
        return tuple(out)

    def simplify(self, plan: Plan, value: float) -> Plan:
        """Undo each change that the plan does not need (within SIMPLIFY_TOLERANCE)."""
        now = self.now
        undo: list[Callable[[Plan], Plan]] = [
            lambda p: replace(p, effort=now.effort),
            lambda p: replace(p, focus=now.focus),
            lambda p: replace(p, contacts=now.contacts),
        ]
        for i in self.movable:
            undo.append(
                lambda p, i=i: replace(
                    p,
                    renewal_dates=(
                        *p.renewal_dates[:i],
                        now.renewal_dates[i],
                        *p.renewal_dates[i + 1 :],
                    ),
                )
            )
        for revert in undo:
            simpler = revert(plan)
            if simpler == plan:
                continue
            found = self.evaluate(simpler)
            if found is not None and found[0] <= value + SIMPLIFY_TOLERANCE:
                plan = simpler
            if self.progress:
                self.progress(0.95, "Dropping changes the plan does not need")
        return plan

    def starts(self, reference: Reference) -> list[Plan]:
        """The current plan, each diagnosis neutralisation alone and all of them together."""
        levers = self.limits.levers
        effort = self.scenario.effort.as_dict()
        singles = []
        if "effort" in levers:
            singles.append(self.now.with_effort(balanced_mix(effort, reference)))
            singles.append(self.now.with_effort(with_care(effort, reference)))
            both = with_care(balanced_mix(effort, reference), reference)
            singles.append(self.now.with_effort(both))
        if "focus" in levers and len(self.now.focus) > 1:
            singles.append(self.now.with_focus([1.0] * len(self.now.focus)))
            singles.append(self.now.with_focus(list(self.scenario.prior_focus_shares.values())))
        fewest = self.now.contacts.fewest
        contacts = min(max(reference.contacts, fewest), self.limits.max_contacts)
        if "contacts" in levers and contacts > fewest:
            singles.append(replace(self.now, contacts=self.now.contacts.at_least(contacts)))
        if "renewal_dates" in levers and len(self.now.renewal_dates) > 1:
            ends = self.clamp_ends(staggered_ends(self.scenario))  # "Stagger renewals"
            singles.append(replace(self.now, renewal_dates=ends))
        combined = self.now
        for plan in singles:
            combined = replace(
                combined,
                **{
                    name: getattr(plan, name)
                    for name in ("effort", "focus", "renewal_dates")
                    if getattr(plan, name) != getattr(self.now, name)
                },
            )
            if plan.contacts.fewest > combined.contacts.fewest:
                combined = replace(combined, contacts=plan.contacts)
        return [self.now, *singles, combined]

    def neighbours(self, plan: Plan, *, step_index: int) -> list[Plan]:
        """Every searched lever moved one step (simulator/levers.py), within the limits."""
        out: list[Plan] = []
        for name in LEVERS:
            if name not in self.limits.levers:
                continue
            moved = lever(name)
            step = moved.steps[min(step_index, len(moved.steps) - 1)]
            if name == "renewal_dates":
                if self.limits.max_shift_months <= 0:
                    continue
                step = max(1, min(int(step), self.limits.max_shift_months))
            for value in moved.moves(getattr(plan, name), step):
                if name == "contacts" and value.fewest > self.limits.max_contacts:
                    continue
                if name == "renewal_dates":
                    value = self.clamp_ends(value)
                    if value == plan.renewal_dates:
                        continue
                out.append(plan.with_lever(name, value))
        return out


def _most_runs_within(scenario: Scenario, seconds: float, *, most: int) -> int:
    """The most runs (at most ``most``, at least 1) whose expected seconds fit."""
    cost = estimate(scenario, 1)
    fitting = (seconds - cost.fixed_seconds) / cost.seconds_per_run
    return max(1, min(most, int(fitting)))


@dataclass(frozen=True)
class SearchPlan:
    """Runs and candidates a search can afford within :data:`SEARCH_SECONDS`."""

    screen_runs: int
    confirm_runs: int
    max_evaluations: int
    note: str


def search_plan(scenario: Scenario, runs: int) -> SearchPlan:
    """Pick the screening and confirmation runs from the cost model (see SEARCH_SECONDS)."""
    per_screen = SCREEN_SECONDS / TYPICAL_EVALUATIONS
    screen = max(MIN_SCREEN_RUNS, _most_runs_within(scenario, per_screen, most=SCREEN_RUNS))
    screen = min(screen, SCREEN_RUNS)
    one = estimate(scenario, screen).seconds
    longest = SCREEN_SECONDS * MAX_EVALUATIONS / TYPICAL_EVALUATIONS
    max_evals = max(1, min(MAX_EVALUATIONS, int(longest / one)))
    per_confirm = (SEARCH_SECONDS - SCREEN_SECONDS) / CONFIRMATIONS
    confirm = _most_runs_within(scenario, per_confirm, most=runs)
    notes = []
    if screen < SCREEN_RUNS or max_evals < MAX_EVALUATIONS:
        notes.append(f"screened at most {max_evals} plans at {screen:,} runs")
    if confirm < runs:
        notes.append(f"confirmed at {confirm:,} runs instead of the scenario's {runs:,}")
    note = ""
    if notes:
        note = (
            f"This scenario is large, so the search {' and '.join(notes)} to finish in "
            f"about {SEARCH_SECONDS:.0f} s; the suggestion is less certain than usual."
        )
    return SearchPlan(screen, confirm, max_evals, note)


def suggest_fix(
    scenario: Scenario,
    *,
    limits: Limits | None = None,
    runs: int | None = None,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
    reference: Reference | None = None,
) -> Suggestion:
    """Search the levers for the plan with the lowest whiplash probability whose median
    revenue stays at least ``limits.keep_revenue`` of the current plan's."""
    started = time.perf_counter()
    limits = limits or Limits()
    reference = reference or reference_levels()
    asked = scenario.simulation.runs if runs is None else int(runs)
    budget = search_plan(scenario, asked)
    n_runs = budget.confirm_runs
    used_seed = scenario.simulation.seed if seed is None else int(seed)
    search = _Search(
        scenario,
        limits=limits,
        reference=reference,
        seed=used_seed,
        progress=progress,
        screen_runs=budget.screen_runs,
        max_evaluations=budget.max_evaluations,
    )

    base = Outcome.of(simulate(scenario, runs=budget.screen_runs, seed=used_seed))
    search.floor = limits.keep_revenue * base.revenue
    path: list[Plan] = []
    start = search.best_of(search.starts(reference), stage="Trying the balanced levels")
    current, value = start if start is not None else (search.now, search.objective(base))
    path.append(current)
    step_index = 0
    for _ in range(MAX_ROUNDS):
        if search.evaluations >= search.max_evaluations:
            break
        moves = search.neighbours(current, step_index=step_index)
        found = search.best_of(moves, stage="Refining the plan one lever at a time")
        if found is not None and found[1] < value - 1e-9:
            current, value = found
            path.append(current)
        elif step_index + 1 < STEP_SIZES:
            step_index += 1
        else:
            break
    if current != search.now:
        simpler = search.simplify(current, value)
        if simpler != current and simpler != search.now:
            path.append(simpler)

    if progress:
        progress(0.96, "Confirming the best plan at full runs")
    before_result = simulate(scenario, runs=n_runs, seed=used_seed)
    before = Outcome.of(before_result)
    floor = limits.keep_revenue * before.revenue
    chosen: tuple[Scenario, SimulationResult] | None = None
    for plan in reversed(path):
        if plan == search.now:
            break
        candidate = plan_scenario(scenario, plan)
        result = simulate(candidate, runs=n_runs, seed=used_seed)
        out = Outcome.of(result)
        if out.revenue >= floor and out.probability < before.probability:
            chosen = (candidate, result)
            break
    if chosen is None:
        suggested, after_result = scenario, before_result
        message = (
            "No plan within these limits lowers the whiplash probability while keeping "
            f"{limits.keep_revenue:.0%} of the revenue; the current plan stays."
        )
    else:
        suggested, after_result = chosen
        message = "A smoother plan within your limits:"
    after = Outcome.of(after_result)
    overrides = tuple(edit_overrides(scenario, suggested))
    if progress:
        progress(1.0, "Done")
    return Suggestion(
        original=scenario,
        suggested=suggested,
        overrides=overrides if chosen else (),
        changes=tuple(describe_changes(scenario, suggested)) if chosen else (),
        before=before,
        after=after,
        before_result=before_result.summary_only(),  # kept in session state: summaries only
        after_result=after_result.summary_only(),
        limits=limits,
        runs=n_runs,
        seed=used_seed,
        evaluations=search.evaluations,
        seconds=time.perf_counter() - started,
        message=message,
        screen_runs=budget.screen_runs,
        fewer_runs=budget.note,
    )
