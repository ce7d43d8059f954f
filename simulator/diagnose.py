"""Cause diagnosis: which of the article's causes drives this scenario's whiplash?

Each cause is neutralised on its own, to the level of the balanced preset (the
article's target state), and the scenario is simulated again with the same seed
(common random numbers), so the difference is the cause's effect and not noise.
The causes are kept independent of each other: *effort balance* re-mixes
prospecting, closing and growing without touching onboarding and account care,
and *care* raises onboarding and account care without changing that mix.

Each cause is a lever of :mod:`simulator.levers`, neutralised to its balanced value
there; the neutralisation is also shown as ``--set`` style overrides, so the app and
the CLI can show it and apply it exactly. Besides the article's habits, the dynamics
are causes when the plan has them: the quarter-end push (neutral: no push), the timing
of the plan's reaction (neutral: reacting at once) and reps leaving (neutral: nobody
leaves); their sentences give the figures before and after. Concentration, a book
held by a few accounts, is not a lever: the diagnosis names it from the result. Pure
numpy; no UI imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .engine import SOURCES
from .levers import (
    CAUSES,
    Reference,
    balanced_mix,
    lever,
    month_words,
    reference_levels,
)
from .levers import overrides as edit_overrides
from .models import Change, Scenario, month_index
from .money import money_text
from .results import SimulationResult, quarter_label, simulate
from .verdict import TREND_BAND
from .verdict_text import percent

CAUSE_LABELS = {cause: lever(cause).cause for cause in CAUSES}
LUMPINESS = "deal_lumpiness"
"""The id ``top_causes`` leads with when the swing is mostly deal luck (not a lever)."""
LUMPINESS_LABEL = "Deal lumpiness"
DIAGNOSIS_MAX_RUNS = 2000
"""Above this many runs the diagnosis uses this many (and says so): six simulations
of a 20,000-run scenario would take seconds and change no ranking."""
MATTERS = 0.05
"""Score below which a neutralised cause 'makes little difference here'."""
CONCENTRATION = "concentration"
CONCENTRATION_LABEL = "Concentration"
TOP_ACCOUNTS = 10
CONCENTRATED = 0.5
"""Share of the recurring book its largest accounts (at most :data:`TOP_ACCOUNTS`) hold
from which the diagnosis names concentration: losing one of them is a cliff no habit
prevents (judgement)."""


def neutralised(scenario: Scenario, cause: str, reference: Reference) -> Scenario | None:
    """The scenario with one cause set to its balanced level (None if it is there already).

    Each cause is a lever of :mod:`simulator.levers`; its balanced value comes from there,
    and applies to the plan's changes too (a change that sets the habit again keeps it).
    """
    if cause not in CAUSES:
        raise ValueError(f"unknown cause {cause!r} (known: {', '.join(CAUSES)})")
    return lever(cause).neutralise(scenario, reference)


def neutralising_overrides(scenario: Scenario, cause: str, reference: Reference) -> list[str]:
    """The ``--set`` overrides that set one cause to the reference level ([] if it is there
    already), so the app and the CLI can show the neutralisation and apply it exactly."""
    fixed = neutralised(scenario, cause, reference)
    return [] if fixed is None else edit_overrides(scenario, fixed)


# --- Outcomes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """The whiplash figures a comparison needs, from one simulation's verdict
    (``result.whiplash``: the figures the headline shows)."""

    probability: float
    severe_probability: float
    largest_fall: float
    """Largest fall within a year in the middle future (median over runs)."""
    tail_fall: float
    """Largest fall within a year that 1 future in 10 reaches (90th percentile)."""
    revenue: float
    trend_rate: float = 0.0
    lumpy: bool = False
    """Most of the swing is the luck of few, lumpy deals (the verdict's ``lumpy``)."""
    luck_share: float = 0.0
    luck_swing: float = 0.0
    deals_per_quarter: float = 0.0

    @classmethod
    def of(cls, result: SimulationResult) -> Outcome:
        v = result.whiplash
        return cls(
            probability=v.probability,
            severe_probability=v.severe_probability,
            largest_fall=v.largest_fall,
            tail_fall=v.largest_fall_p90,
            revenue=float(np.median(result.total_revenue)),
            trend_rate=v.trend_rate,
            lumpy=v.lumpy or not v.judged,
            luck_share=v.luck_share,
            luck_swing=v.luck_swing,
            deals_per_quarter=v.deals_per_quarter,
        )

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def _relative_cut(before: float, after: float) -> float:
    return (before - after) / before if before > 1e-9 else 0.0


def improvement(before: Outcome, after: Outcome) -> float:
    """How much whiplash went away: the mean relative cut in the share of futures with
    whiplash, the middle future's largest fall and the 1-in-10 future's (1 = all gone;
    negative = worse)."""
    return (
        _relative_cut(before.probability, after.probability)
        + _relative_cut(before.largest_fall, after.largest_fall)
        + _relative_cut(before.tail_fall, after.tail_fall)
    ) / 3.0


def lumpiness_sentence(outcome: Outcome) -> str:
    """'Deal lumpiness: ...' when most of the swing is deal luck, else ''."""
    if not outcome.lumpy:
        return ""
    return (
        f"{LUMPINESS_LABEL}: about {outcome.deals_per_quarter:.1f} new deals a quarter, so "
        f"the luck of which deals close alone swings revenue about {_pct(outcome.luck_swing)} "
        f"a quarter ({_pct(outcome.luck_share)} of the swing). No habit causes that: more, "
        "smaller deals or a larger recurring book would smooth it; the habits below move "
        "the rest."
    )


# --- Plain-words facts ---------------------------------------------------------------


_pct = percent


def _count_of(k: int, n: int, noun: str) -> str:
    if k == n == 2:
        return f"both {noun}s"
    if k == n:
        return f"all {n} {noun}s" if n > 1 else f"the only {noun}"
    return f"{k} of {n} {noun}s"


def renewal_fact(scenario: Scenario) -> str:
    """Where the contracted book's renewals pile up: the quarter with the most value."""
    contracts = scenario.contracts
    if not contracts:
        return "there are no contracts in the book"
    total = sum(c.annual_value for c in contracts)
    by_quarter: dict[str, list] = {}
    for c in contracts:
        by_quarter.setdefault(quarter_label(month_index(c.ends)), []).append(c)
    quarter, group = max(by_quarter.items(), key=lambda kv: sum(c.annual_value for c in kv[1]))
    value = sum(c.annual_value for c in group)
    if len(group) == 1:
        return (
            f"renewals are spread out (no quarter holds more than {_pct(value / total)} of the "
            "contracted book)"
        )
    months = {c.ends for c in group}
    when = next(iter(months)) if len(months) == 1 else quarter
    big = "big contract" if value >= 0.5 * total else "contract"
    return (
        f"{_count_of(len(group), len(contracts), big)} ({money_text(value)} a year, "
        f"{_pct(value / total)} of the contracted book) end in {when}"
    )


def contacts_fact(scenario: Scenario, minimum: int) -> str:
    rel = scenario.relationships
    thin = [c for c in scenario.contracts if scenario.contacts_of(c) < minimum]
    parts = []
    if thin:
        fewest = min(scenario.contacts_of(c) for c in thin)
        buyer = "a single buyer" if fewest == 1 else f"{fewest} buyers"
        value = sum(c.annual_value for c in thin)
        noun = _count_of(len(thin), len(scenario.contracts), "big account")
        parts.append(f"{noun} ({money_text(value)} a year) hang on {buyer}")
    if rel.contacts_per_account < minimum:
        who = (
            "one contact"
            if rel.contacts_per_account == 1
            else f"{rel.contacts_per_account} contacts"
        )
        parts.append(f"new accounts get {who} each")
    return " and ".join(parts) if parts else f"every account has at least {minimum} contacts"


def effort_fact(scenario: Scenario) -> str:
    e = scenario.effort
    return f"prospecting gets {_pct(e.attract)} of the team's time and closing {_pct(e.close)}"


def care_fact(scenario: Scenario) -> str:
    e = scenario.effort
    if e.engage == 0 and e.retain == 0:
        return "nobody onboards new clients or looks after the book (0% of the team's time)"
    return f"onboarding gets {_pct(e.engage)} of the team's time and account care {_pct(e.retain)}"


def focus_fact(scenario: Scenario) -> str:
    shares = scenario.focus_shares
    top = max(shares, key=lambda k: shares[k])
    name = scenario.product_lines[top].name
    starved = [scenario.product_lines[k].name for k, v in shares.items() if v == 0]
    fact = f"{_pct(shares[top])} of new-business effort goes to {name}"
    if starved:
        fact += f" and {', '.join(starved)} gets none"
    return fact


def push_fact(scenario: Scenario) -> str:
    policy = scenario.policy
    quota = scenario.targets.quarterly_bookings
    of_quota = f" ({money_text(quota)} a quarter)" if quota else ""
    late = policy.perception_delay_months
    return (
        f"while a quarter's bookings (seen {late} month{'s' if late > 1 else ''} late) trail "
        f"{_pct(policy.push_trigger)} of the pro-rata quota{of_quota}, management moves "
        f"{_pct(policy.quarter_end_push)} of prospecting time to closing and closers pull "
        "young deals forward"
    )


def change_words(change: Change) -> str:
    """What a change of plan sets, in a few words: 'headcount to 15, a new effort split'."""
    parts = []
    if change.reps is not None:
        parts.append(f"headcount to {change.reps:g}")
    if change.effort is not None:
        e = change.effort
        parts.append(f"prospecting {_pct(e.attract)}, closing {_pct(e.close)}")
    if change.focus is not None:
        parts.append("a new product focus")
    if change.contacts_per_account is not None:
        parts.append(f"{change.contacts_per_account} contacts per new account")
    if change.targets is not None:
        parts.append("new targets")
    return ", ".join(parts) or "no field"


def _first_change(scenario: Scenario) -> Change:
    return min(scenario.changes, key=lambda c: month_index(c.from_))


def timing_fact(scenario: Scenario) -> str:
    first = _first_change(scenario)
    months = month_index(first.from_) - scenario.start_index
    fact = (
        f"the plan first changes in {month_words(first.from_)} ({change_words(first)})"
        f", {months} month{'s' if months != 1 else ''} in"
    )
    more = len(scenario.changes) - 1
    if more:
        fact += f", and {more} more change{'s follow' if more > 1 else ' follows'}"
    return fact


def team_fact(scenario: Scenario) -> str:
    team = scenario.team
    return (
        f"{_pct(team.attrition_annual)} of reps leave in a year; a seat stays empty "
        f"{team.backfill_months} months and the new rep ramps over {team.ramp_months}"
    )


def _action(cause: str, scenario: Scenario, reference: Reference) -> str:
    ref = reference.effort
    if cause == "effort":
        mix = balanced_mix(scenario.effort.as_dict(), reference)
        return (
            f"the balanced mix (prospecting {_pct(mix['attract'])}, closing "
            f"{_pct(mix['close'])}, growing accounts {_pct(mix['leverage'])})"
        )
    if cause == "care":
        return (
            f"raising onboarding to {_pct(max(scenario.effort.engage, ref['engage']))} and "
            f"account care to {_pct(max(scenario.effort.retain, ref['retain']))}"
        )
    if cause == "contacts":
        return f"at least {reference.contacts} contacts per account"
    if cause == "renewal_dates":
        return "staggering them over the quarters of a year (largest first)"
    if cause == "focus":
        return f"splitting it evenly over the {len(scenario.product_lines)} lines"
    if cause == "pressure":
        return "no push"
    if cause == "timing":
        first = _first_change(scenario)
        start = scenario.simulation.start
        every = " (every change as much earlier)" if len(scenario.changes) > 1 else ""
        hires = first.reps is not None and first.effort is None and first.focus is None
        verb = "hiring" if hires and first.contacts_per_account is None else "reacting"
        return f"{verb} in {month_words(start)} instead of {month_words(first.from_)}{every}"
    if cause == "team":
        return "nobody leaving"
    raise ValueError(cause)


_FACTS = {
    "effort": lambda s, r: effort_fact(s),
    "care": lambda s, r: care_fact(s),
    "contacts": lambda s, r: contacts_fact(s, r.contacts),
    "renewal_dates": lambda s, r: renewal_fact(s),
    "focus": lambda s, r: focus_fact(s),
    "pressure": lambda s, r: push_fact(s),
    "timing": lambda s, r: timing_fact(s),
    "team": lambda s, r: team_fact(s),
}


def effect_phrase(before: Outcome, after: Outcome) -> str:
    """What neutralising did, in words: the figures that moved, or 'little difference'."""
    score = improvement(before, after)
    runs = f"whiplash {_pct(before.probability)} → {_pct(after.probability)} of futures"
    if score < -MATTERS:
        return f"makes it worse here ({runs})"
    if score < MATTERS:
        return f"makes little difference here ({runs})"
    parts = []
    if before.probability - after.probability >= 0.02:
        parts.append(
            f"cuts whiplash from {_pct(before.probability)} to {_pct(after.probability)} of futures"
        )
    cuts = []
    fall = _relative_cut(before.largest_fall, after.largest_fall)
    tail = _relative_cut(before.tail_fall, after.tail_fall)
    if fall >= 0.02:
        cuts.append(f"{_pct(fall)} of the largest fall in a year")
    if tail >= 0.02:
        cuts.append(f"{_pct(tail)} of the fall in the worst 1 future in 10")
    if cuts:
        parts.append("removes " + " and ".join(cuts))
    decline = decline_phrase(before, after)
    if decline:
        parts.append(decline)
    return " and ".join(parts) if parts else f"helps a little ({runs})"


def decline_phrase(before: Outcome, after: Outcome) -> str:
    """'slows revenue's decline from 38% to 2% a year' when the plan declines and the
    change slows it by at least the trend band, else ''."""
    if before.trend_rate > -TREND_BAND or after.trend_rate - before.trend_rate < TREND_BAND:
        return ""
    if after.trend_rate > -TREND_BAND:
        return f"turns revenue's decline of {_pct(-before.trend_rate)} a year flat or better"
    return (
        f"slows revenue's decline from {_pct(-before.trend_rate)} to "
        f"{_pct(-after.trend_rate)} a year"
    )


def figures_phrase(before: Outcome, after: Outcome) -> str:
    """The verdict's figures before and after: 'whiplash 94% → 3% of futures, largest
    fall in a year 31% → 4%' (the worst 1 in 10 and the decline when they move)."""
    parts = [
        f"whiplash {_pct(before.probability)} → {_pct(after.probability)} of futures",
        f"largest fall in a year {_pct(before.largest_fall)} → {_pct(after.largest_fall)}",
    ]
    if abs(_relative_cut(before.tail_fall, after.tail_fall)) >= 0.1:
        parts.append(
            f"{_pct(before.tail_fall)} → {_pct(after.tail_fall)} in the worst 1 future in 10"
        )
    if decline_phrase(before, after):
        was = _pct(-before.trend_rate)
        now = "flat or better" if after.trend_rate > -TREND_BAND else _pct(-after.trend_rate)
        parts.append(f"revenue's decline {was} a year → {now}")
    return ", ".join(parts)


def figures_effect(action: str, before: Outcome, after: Outcome) -> str:
    """'no push: whiplash 94% → 3% of futures, ...', or that it makes little difference
    or makes it worse, with the same figures."""
    score = improvement(before, after)
    figures = figures_phrase(before, after)
    if score < -MATTERS:
        return f"{action} makes it worse here: {figures}"
    if score < MATTERS:
        return f"{action} makes little difference here: {figures}"
    return f"{action}: {figures}"


@dataclass(frozen=True)
class CauseEffect:
    """One cause: the fact in this plan, what neutralising it changed, and the sentence."""

    cause: str
    label: str
    applies: bool
    fact: str
    overrides: tuple[str, ...]
    before: Outcome
    after: Outcome
    sentence: str

    @property
    def score(self) -> float:
        return improvement(self.before, self.after) if self.applies else 0.0

    @property
    def probability_cut(self) -> float:
        """Percentage points of runs that no longer have whiplash."""
        return self.before.probability - self.after.probability

    @property
    def fall_cut(self) -> float:
        """Share of the middle future's largest fall within a year removed."""
        return _relative_cut(self.before.largest_fall, self.after.largest_fall)

    @property
    def tail_cut(self) -> float:
        """Share of the 1-in-10 future's largest fall within a year removed."""
        return _relative_cut(self.before.tail_fall, self.after.tail_fall)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cause": self.cause,
            "label": self.label,
            "applies": self.applies,
            "fact": self.fact,
            "sentence": self.sentence,
            "score": self.score,
            "probability_cut": self.probability_cut,
            "fall_cut": self.fall_cut,
            "tail_cut": self.tail_cut,
            "after": self.after.as_dict(),
            "overrides": list(self.overrides),
        }


@dataclass(frozen=True)
class Concentration:
    """How much of the recurring book its largest accounts hold."""

    accounts: int
    share: float

    @property
    def named(self) -> bool:
        """Concentrated enough for the diagnosis to name (see CONCENTRATED)."""
        return self.share >= CONCENTRATED

    def sentence(self) -> str:
        who = (
            "the largest account holds"
            if self.accounts == 1
            else f"the {self.accounts} largest accounts hold"
        )
        return (
            f"{CONCENTRATION_LABEL}: {who} {_pct(self.share)} of the recurring book, so losing "
            "one is a cliff no habit prevents; staggering their renewals and more buyer "
            "contacts in them soften it, more and smaller accounts remove it."
        )


def book_concentration(result: SimulationResult) -> Concentration | None:
    """The top accounts' share of the recurring book: the report's measure when the engine
    gives one (``top_accounts_share``), else the contracts listed in the book against the
    whole starting book (pooled accounts are many and small, so the listed ones are the
    largest); None without a book."""
    share = getattr(result.report, "top_accounts_share", None)
    if share is not None:
        return Concentration(TOP_ACCOUNTS, float(share))
    contracts = result.scenario.contracts
    if not contracts:
        return None
    existing = result.output.revenue[:, 0, :, SOURCES.index("existing")].sum(axis=1)
    book = 12.0 * float(np.median(existing))
    if book <= 0:
        return None
    largest = sorted((c.annual_value for c in contracts), reverse=True)[:TOP_ACCOUNTS]
    return Concentration(len(largest), min(sum(largest) / book, 1.0))


@dataclass(frozen=True)
class Diagnosis:
    """Every cause's effect on one scenario, strongest first."""

    title: str
    runs: int
    seed: int
    baseline: Outcome
    effects: tuple[CauseEffect, ...]
    note: str = ""
    scenario_runs: int = field(default=0, repr=False)
    concentration: Concentration | None = None
    """The top accounts' share of the book (named when it is CONCENTRATED or more)."""

    @property
    def ranked(self) -> list[CauseEffect]:
        """Causes that apply, strongest first (the tornado chart's order)."""
        return [e for e in self.effects if e.applies]

    @property
    def lumpy(self) -> bool:
        """Most of the swing is the luck of few, lumpy deals, not a habit."""
        return self.baseline.lumpy

    @property
    def lumpiness(self) -> str:
        """The sentence naming deal lumpiness ('' when the swing is not mostly luck)."""
        return lumpiness_sentence(self.baseline)

    @property
    def concentration_sentence(self) -> str:
        """'Concentration: the 10 largest accounts hold 80% of ...', or '' below
        CONCENTRATED."""
        c = self.concentration
        return c.sentence() if c is not None and c.named else ""

    @property
    def top_causes(self) -> list[str]:
        """Ids of the causes that make a real difference, strongest first; led by
        ``deal_lumpiness`` when the swing is mostly deal luck."""
        habits = [e.cause for e in self.ranked if e.score >= MATTERS]
        return [LUMPINESS, *habits] if self.lumpy else habits

    def effect(self, cause: str) -> CauseEffect:
        return next(e for e in self.effects if e.cause == cause)

    def lines(self) -> list[str]:
        """The plain-text report the CLI prints."""
        b = self.baseline
        out = [
            f"Diagnosis: {self.title}",
            f"Now: whiplash in {_pct(b.probability)} of futures (severe in "
            f"{_pct(b.severe_probability)}), largest fall in a year {_pct(b.largest_fall)} in "
            f"the middle future and {_pct(b.tail_fall)} in 1 future in 10 ({self.runs} "
            f"futures, seed {self.seed})",
        ]
        if self.note:
            out.append(self.note)
        if self.lumpy:
            out.append(self.lumpiness)
        if self.concentration_sentence:
            out.append(self.concentration_sentence)
        out.append("Habits, strongest first (each neutralised alone to the balanced level):")
        for rank, e in enumerate(self.effects, start=1):
            marker = f"{rank}." if e.applies else "-"
            out.append(f"  {marker} {e.sentence}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.title,
            "runs": self.runs,
            "seed": self.seed,
            "note": self.note,
            "baseline": self.baseline.as_dict(),
            "deal_lumpiness": self.lumpiness,
            CONCENTRATION: self.concentration_sentence,
            "top_accounts_share": None if self.concentration is None else self.concentration.share,
            "top_causes": self.top_causes,
            "causes": [e.as_dict() for e in self.effects],
        }


def _changed_fact(scenario: Scenario, variant: Scenario, *, cause: str) -> str:
    """', and from April 2012 prospecting 3%, closing 77%': the first change of plan the
    neutralisation rebalances, so the fact names the habit where the plan sets it."""
    moved = [b for b, a in zip(scenario.changes, variant.changes, strict=True) if b != a]
    first = min(moved, key=lambda c: month_index(c.from_))
    said = change_words(first)
    if cause == "care" and first.effort is not None:
        said = f"onboarding {_pct(first.effort.engage)}, account care {_pct(first.effort.retain)}"
    return f", and from {month_words(first.from_)} {said}"


def _sentence(cause: str, fact: str, action: str, before: Outcome, after: Outcome) -> str:
    if not lever(cause).said_when_balanced:  # a dynamic: the figures before and after
        return f"{CAUSE_LABELS[cause]}: {fact}; {figures_effect(action, before, after)}."
    return f"{CAUSE_LABELS[cause]}: {fact}; {action} {effect_phrase(before, after)}."


def simulations(scenario: Scenario, reference: Reference | None = None) -> int:
    """Simulations a diagnosis of ``scenario`` makes: the plan, then each cause that is
    not balanced already (so a caller can budget its runs)."""
    reference = reference or reference_levels()
    return 1 + sum(neutralised(scenario, cause, reference) is not None for cause in CAUSES)


def diagnosis_runs(scenario: Scenario, runs: int | None) -> tuple[int, str]:
    """Runs to diagnose with, and a note when fewer than the scenario's are used."""
    if runs is not None:
        return int(runs), ""
    own = scenario.simulation.runs
    if own > DIAGNOSIS_MAX_RUNS:
        return DIAGNOSIS_MAX_RUNS, (
            f"Diagnosed with {DIAGNOSIS_MAX_RUNS:,} futures (runs; the scenario asks for "
            f"{own:,}) to answer within a second; the ranking does not change with more."
        )
    return own, ""


def diagnose(
    scenario: Scenario,
    *,
    runs: int | None = None,
    seed: int | None = None,
    reference: Reference | None = None,
) -> Diagnosis:
    """Neutralise each cause alone, re-simulate with the same seed and rank the effects."""
    reference = reference or reference_levels()
    n_runs, note = diagnosis_runs(scenario, runs)
    used_seed = scenario.simulation.seed if seed is None else int(seed)
    baseline = simulate(scenario, runs=n_runs, seed=used_seed)
    before, concentration = Outcome.of(baseline), book_concentration(baseline)
    del baseline  # one simulation's arrays at a time (ui/runtime.py budgets for one)
    effects = []
    for cause in CAUSES:
        variant = neutralised(scenario, cause, reference)
        if variant is None and not lever(cause).said_when_balanced:
            continue  # a dynamic this plan does not have
        fact = _FACTS[cause](scenario, reference)
        if variant is None:
            sentence = f"{CAUSE_LABELS[cause]}: {fact}; already balanced, so not a cause here."
            effects.append(
                CauseEffect(cause, CAUSE_LABELS[cause], False, fact, (), before, before, sentence)
            )
            continue
        after = Outcome.of(simulate(variant, runs=n_runs, seed=used_seed))
        action = _action(cause, scenario, reference)
        if lever(cause).neutral_changes is not None and variant.changes != scenario.changes:
            fact += _changed_fact(scenario, variant, cause=cause)
            action += " (from the start and in the plan's changes)"
        effects.append(
            CauseEffect(
                cause=cause,
                label=CAUSE_LABELS[cause],
                applies=True,
                fact=fact,
                overrides=tuple(edit_overrides(scenario, variant)),
                before=before,
                after=after,
                sentence=_sentence(cause, fact, action, before, after),
            )
        )
    effects.sort(key=lambda e: (not e.applies, -e.score))
    return Diagnosis(
        title=scenario.meta.title,
        runs=n_runs,
        seed=used_seed,
        baseline=before,
        effects=tuple(effects),
        note=note,
        scenario_runs=scenario.simulation.runs,
        concentration=concentration,
    )
