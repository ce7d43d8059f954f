"""Suggest a fix: the smoothest plan the user's limits allow, at (almost) the same revenue.

The levers are the ones the diagnosis tests: the effort split (headcount stays
fixed), product-line focus, contacts per account and the contracts' renewal
months (each moved by at most ``max_shift_months``), and the dynamics a plan may
have: the quarter-end push (lowered or off), the months of the plan's changes (a
reaction or a hire a quarter earlier or later, at most ``max_shift_months`` from
where it is) and the hires in them (fewer, or at most ``max_extra_reps`` more).
The search is a batched
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
from .diagnose import Outcome, change_words
from .levers import (
    SEARCHED,
    BuyerContacts,
    Pressure,
    Reference,
    apply,
    balanced_mix,
    lever,
    month_words,
    reference_levels,
    round_shares,
    staggered_ends,
    with_care,
)
from .levers import overrides as edit_overrides
from .models import MAX_REPS, STAGES, Scenario, month_index
from .models import Change as ChangeOfPlan
from .money import money_text
from .results import ResultSummary, SimulationResult, simulate
from .scenario_io import ScenarioError
from .verdict_text import percent

LEVERS = SEARCHED
"""The levers the search may move (``--levers``), declared in simulator/levers.py."""
OPT_IN = ("hiring",)
"""Levers the search moves only when asked: how many reps to hire is the user's call."""
DEFAULT_LEVERS = tuple(name for name in LEVERS if name not in OPT_IN)
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

HEADLINE_CHANGES = 3
"""Changes the headline names; it counts the rest (the table lists them all)."""

ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class Limits:
    """What the suggestion may change. The opening headcount is fixed; a change of plan's
    month moves by at most ``max_shift_months``, as the renewal dates do, and only when
    ``levers`` names ``hiring`` may its hires shrink or grow, by at most
    ``max_extra_reps`` (default none: no more reps than the plan's)."""

    keep_revenue: float = 0.95
    max_shift_months: int = 6
    max_contacts: int = 4
    levers: tuple[str, ...] = DEFAULT_LEVERS
    max_extra_reps: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.keep_revenue <= 2.0:
            raise ScenarioError(f"keep_revenue: {self.keep_revenue} is outside 0..2")
        if not 0 <= self.max_shift_months <= 36:
            raise ScenarioError(f"max_shift_months: {self.max_shift_months} is outside 0..36")
        if not 1 <= self.max_contacts <= 20:
            raise ScenarioError(f"max_contacts: {self.max_contacts} is outside 1..20")
        if not 0.0 <= self.max_extra_reps <= MAX_REPS:  # also refuses nan
            raise ScenarioError(f"max_extra_reps: {self.max_extra_reps} is outside 0..{MAX_REPS}")
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
    timing: tuple[int, ...]
    """Each change of plan's month, counted from the start."""
    hiring: tuple[float | None, ...]
    """Each change of plan's headcount (None: it leaves headcount as it is)."""
    change_effort: tuple[tuple[float, ...] | None, ...]
    """Each change of plan's effort split (None: it keeps the split in force)."""
    pressure: Pressure
    """The quarter-end push and its quota."""

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
    words: str = ""
    """The change as a sentence ('React in July 2012 instead of January 2013'); '' when
    'label: before → after' says it."""

    @property
    def said(self) -> str:
        return self.words or f"{self.label} {self.before} → {self.after}"

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

    @property
    def headline(self) -> str:
        """The dynamics the suggestion changes, with the figures before and after: 'React
        in July 2012 instead of January 2013: largest fall in a year 41% → 18%, ...'
        ('' when it changes none of them: the table says the rest)."""
        if not any(c.words for c in self.changes):
            return ""
        ordered = sorted(self.changes, key=lambda c: not c.words)  # the dynamics first
        said = [c.said for c in ordered[:HEADLINE_CHANGES]]
        more = len(ordered) - HEADLINE_CHANGES
        if more > 0:
            said.append(f"{more} more setting{'s' if more > 1 else ''} below")
        b, a = self.before, self.after
        return (
            f"{'; '.join(said)}: largest fall in a year {percent(b.largest_fall)} → "
            f"{percent(a.largest_fall)}, whiplash {percent(b.probability)} → "
            f"{percent(a.probability)} of futures"
        )

    def lines(self) -> list[str]:
        """The plain-text report the CLI prints."""
        b, a = self.before, self.after
        out = [
            f"Suggest a fix: {self.original.meta.title}",
            f"Limits: revenue at least {self.limits.keep_revenue:.0%} of the current plan's, "
            f"{_dates_moved(self.original)} moved by at most {self.limits.max_shift_months} "
            f"months, at most {self.limits.max_contacts} contacts per account, "
            f"{_headcount_limit(self.original, self.limits)}",
            self.message,
        ]
        if self.headline:
            out.append(self.headline)
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
                "max_extra_reps": self.limits.max_extra_reps,
                "levers": list(self.limits.levers),
            },
            "headline": self.headline,
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


def _dates_moved(scenario: Scenario) -> str:
    return "renewal dates and the plan's changes" if scenario.changes else "renewal dates"


def _headcount_limit(scenario: Scenario, limits: Limits) -> str:
    hires = any(change.reps is not None for change in scenario.changes)
    if not hires or "hiring" not in limits.levers:
        return "headcount fixed"
    if limits.max_extra_reps <= 0:
        return "no more reps than the plan's"
    return f"at most {limits.max_extra_reps:g} more reps than the plan's"


# --- Search space --------------------------------------------------------------------


def _current_plan(scenario: Scenario) -> Plan:
    values = {name: lever(name).read(scenario) for name in LEVERS}
    values["focus"] = tuple(scenario.focus_shares.values())  # shares, as the moves keep them
    return Plan(**values)


def _shares(effort: dict[str, float]) -> tuple[float, ...]:
    """An effort split as rounded shares in STAGES order (summing to exactly 1)."""
    rounded = round_shares(effort)
    return tuple(rounded[s] for s in STAGES)


def _balanced_shares(
    shares: Sequence[float], reference: Reference, *, care: bool
) -> tuple[float, ...]:
    """An effort split with prospecting, closing and growing in the balanced ratio (and,
    with ``care``, onboarding and account care raised to the reference)."""
    mix = balanced_mix(dict(zip(STAGES, shares, strict=True)), reference)
    return _shares(with_care(mix, reference) if care else mix)


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
    changes += _dynamics_changes(scenario, suggested)
    changes += _change_effort_changes(scenario, suggested)
    return changes


def _change_effort_changes(scenario: Scenario, suggested: Scenario) -> list[Change]:
    """Each stage whose share a change of plan's effort split moves, from that month."""
    out = []
    for i, (b, a) in enumerate(zip(scenario.changes, suggested.changes, strict=True)):
        if b.effort is None or a.effort is None:
            continue
        before, after = b.effort.as_dict(), a.effort.as_dict()
        for s in STAGES:
            if abs(before[s] - after[s]) >= 0.0005:
                out.append(
                    Change(
                        f"changes.{i}.effort.{s}",
                        f"{STAGE_LABELS[s]} from {month_words(a.from_)}",
                        f"{before[s]:.0%}",
                        f"{after[s]:.0%}",
                    )
                )
    return out


def _headcount_before(scenario: Scenario, i: int) -> float:
    """The headcount in force just before change ``i`` of ``scenario`` takes effect."""
    at = month_index(scenario.changes[i].from_) - scenario.start_index
    before = scenario.team.reps
    for offset, period in scenario.plan_periods():
        if offset >= at:
            break
        before = period.reps
    return before


def _timing_change(scenario: Scenario, i: int, moved: ChangeOfPlan) -> Change:
    """Change ``i`` of ``scenario`` in another month (``moved``: as suggested, whose
    headcount may differ too): a hire, a cut or a reaction."""
    change = scenario.changes[i]
    old, new = month_words(change.from_), month_words(moved.from_)
    sets_plan = any(
        value is not None for value in (change.effort, change.focus, change.contacts_per_account)
    )
    if moved.reps is not None and not sets_plan:
        more = moved.reps > _headcount_before(scenario, i)
        verb = f"{'Hire' if more else 'Cut headcount'} to {moved.reps:g} reps"
        label = f"{'Hiring' if more else 'Cutting'} to {moved.reps:g} reps"
    else:
        verb, label = "React", f"Change of plan ({change_words(change)})"
    return Change(f"changes.{i}.from", label, old, new, words=f"{verb} in {new} instead of {old}")


def _dynamics_changes(scenario: Scenario, suggested: Scenario) -> list[Change]:
    """The push, the months of the plan's changes and their hires, in the user's words."""
    out = []
    push, pushed = scenario.policy.quarter_end_push, suggested.policy.quarter_end_push
    if push != pushed:
        words = (
            "Stop the quarter-end push"
            if pushed == 0
            else f"Push with {percent(pushed)} of prospecting time instead of {percent(push)}"
        )
        out.append(
            Change(
                "policy.quarter_end_push",
                "Quarter-end push (prospecting time moved to closing)",
                percent(push),
                "off" if pushed == 0 else percent(pushed),
                words=words,
            )
        )
    for i, (b, a) in enumerate(zip(scenario.changes, suggested.changes, strict=True)):
        only_reps = all(v is None for v in (b.effort, b.focus, b.contacts_per_account))
        before = _headcount_before(scenario, i)
        dropped = only_reps and a.reps == before  # the change no longer hires or cuts
        if b.from_ != a.from_ and not dropped:
            out.append(_timing_change(scenario, i, a))
        if b.reps != a.reps and b.reps is not None and a.reps is not None:
            month = month_words(a.from_)
            words = (
                f"No change of headcount in {month_words(b.from_)}: stay at {before:g} reps "
                f"instead of {b.reps:g}"
                if dropped
                else f"Headcount {a.reps:g} instead of {b.reps:g} from {month}"
            )
            out.append(
                Change(
                    f"changes.{i}.reps",
                    f"Headcount from {month_words(b.from_ if dropped else a.from_)}",
                    f"{b.reps:g}",
                    f"{a.reps:g}",
                    words=words,
                )
            )
    return out


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
        """Within the floors: no stage or product line starved beyond where it already is,
        in the opening plan nor in any change of plan's effort split."""
        splits = [(plan.effort, self.now.effort)]
        splits += [
            (moved, now)
            for moved, now in zip(plan.change_effort, self.now.change_effort, strict=True)
            if moved is not None and now is not None
        ]
        for shares, now in splits:
            for i, stage in enumerate(STAGES):
                floor = min(now[i], FLOOR_SHARE * self.reference.effort[stage])
                if shares[i] < floor - 1e-9:
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

    def within_timing(self, timing: Sequence[int]) -> bool:
        """Every change within the shift limit of its month and inside the horizon."""
        n, months = self.limits.max_shift_months, self.scenario.simulation.months
        return all(
            0 <= t < months and abs(t - now) <= n
            for t, now in zip(timing, self.now.timing, strict=True)
        )

    def within_hiring(self, hiring: Sequence[float | None]) -> bool:
        """No change hires more than ``max_extra_reps`` above the plan's headcount."""
        extra = self.limits.max_extra_reps
        return all(
            reps is None or now is None or reps <= now + extra + 1e-9
            for reps, now in zip(hiring, self.now.hiring, strict=True)
        )

    def simplify(self, plan: Plan, value: float) -> Plan:
        """Undo each change that the plan does not need (within SIMPLIFY_TOLERANCE)."""
        now = self.now
        undo: list[Callable[[Plan], Plan]] = [
            lambda p: replace(p, effort=now.effort),
            lambda p: replace(p, focus=now.focus),
            lambda p: replace(p, contacts=now.contacts),
            lambda p: replace(p, pressure=now.pressure),
            lambda p: replace(p, timing=now.timing),
            lambda p: replace(p, hiring=now.hiring),
            lambda p: replace(p, change_effort=now.change_effort),
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
        if "change_effort" in levers and any(e is not None for e in self.now.change_effort):
            # The diagnosis' neutralisations of a change's effort (simulator/levers.py).
            for care in (False, True):
                singles.append(
                    replace(
                        self.now,
                        change_effort=tuple(
                            None if e is None else _balanced_shares(e, reference, care=care)
                            for e in self.now.change_effort
                        ),
                    )
                )
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
        no_push = lever("pressure").balanced(self.scenario, reference)
        if "pressure" in levers and no_push is not None:
            singles.append(replace(self.now, pressure=no_push))
        if "timing" in levers and self.now.timing:  # react as early as the limits allow
            earlier = min(min(self.now.timing), self.limits.max_shift_months)
            if earlier > 0:
                singles.append(
                    replace(self.now, timing=tuple(t - earlier for t in self.now.timing))
                )
        combined = self.now
        for plan in singles:
            combined = replace(
                combined,
                **{
                    name: getattr(plan, name)
                    for name in (
                        "effort",
                        "focus",
                        "renewal_dates",
                        "pressure",
                        "timing",
                        "change_effort",
                    )
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
            if name in ("renewal_dates", "timing"):  # dates: within the shift limit
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
                if name == "timing" and not self.within_timing(value):
                    continue
                if name == "hiring" and not self.within_hiring(value):
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
