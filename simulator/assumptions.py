"""Assumptions: how the verdict moves across each judgement constant's plausible range.

Some model constants are measured (a survey or a vendor figure backs them), others are
judgement. :data:`JUDGEMENTS` names each one once, with its plausible low and high and
its source (docs/model.md, "Assumptions and their ranges", prints the same table).
:func:`assess_assumptions` simulates the scenario at each constant's low and high, one
constant at a time, with the same seed as the scenario itself (common random numbers),
so a difference is the constant's doing and not luck; the verdict is *robust* to a
constant when it is the same at the low, the scenario's value and the high.

The defaults are read from :mod:`simulator.models`, never repeated here. Pure Python and
numpy; no UI imports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .budget import MAX_REQUEST_SECONDS, estimate
from .levers import revalidate
from .models import Scenario
from .money import money_text
from .results import SimulationResult, simulate
from .scenario_io import ScenarioError
from .verdict_text import percent

LEVELS = ("low", "default", "high")
"""The three points of a range; ``default`` is the scenario's own value (the model's
default unless the scenario sets it)."""
ASSUMPTIONS_MAX_RUNS = 1000
"""Above this many runs each simulation uses this many (and the report says so): a
thousand runs give the share of runs with whiplash to about two points."""
ASSUMPTIONS_SECONDS = float(MAX_REQUEST_SECONDS)
"""Expected seconds (:func:`simulator.budget.estimate`) all the simulations of one
assessment may take together: the bound on one simulation request."""


@dataclass(frozen=True)
class Judgement:
    """One model constant whose value is uncertain, and its plausible range."""

    path: str
    """The scenario field, ``section.field`` (e.g. ``engagement.orphan_renewal_factor``)."""
    label: str
    """What it means, in the user's words (with its unit)."""
    low: float
    high: float
    source: str
    """Where the range comes from: a cited figure, or ``Judgement: ...``."""
    percent: bool = False
    """Shown as a percentage (a share or a rate a year)."""

    @property
    def section(self) -> str:
        return self.path.split(".", 1)[0]

    @property
    def field(self) -> str:
        return self.path.split(".", 1)[1]

    @property
    def cited(self) -> bool:
        """True when a published figure backs the range, False when it is judgement."""
        return not self.source.startswith("Judgement")

    @property
    def default(self) -> float:
        """The model's default (simulator/models.py), read from the section's model."""
        section = Scenario.model_fields[self.section].default
        return float(getattr(section, self.field))

    def value_in(self, scenario: Scenario) -> float:
        """The value ``scenario`` uses."""
        return float(getattr(getattr(scenario, self.section), self.field))

    def write(self, scenario: Scenario, value: float) -> Scenario:
        """``scenario`` with this constant at ``value``, re-validated through the model."""
        section = getattr(scenario, self.section).model_copy(update={self.field: float(value)})
        return revalidate(scenario.model_copy(update={self.section: section}))

    def value_text(self, value: float) -> str:
        """The value as the table shows it: '30%' or '0.3'."""
        if self.percent:
            return f"{round(value * 100, 1):g}%"
        return f"{value:g}"


JUDGEMENTS: tuple[Judgement, ...] = (
    Judgement(
        path="engagement.orphan_renewal_factor",
        label="Renewal chance of an orphaned account (× usual)",
        low=0.2,
        high=0.7,
        source="A vendor study (Sturdy): about half of accounts churn within a year after "
        "their champion leaves, so about 0.5; losing the sponsor is a major churn reason [14].",
        percent=True,
    ),
    Judgement(
        path="engagement.care_renewal_penalty",
        label="Renewal chance lost with no care at all",
        low=0.3,
        high=0.8,
        source="Judgement: no survey measures renewals without care; from a mild 30% to a "
        "harsh 80% of the renewal chance lost.",
        percent=True,
    ),
    Judgement(
        path="engagement.pull_forward_win_factor",
        label="Win rate of a deal pulled forward (× usual)",
        low=0.3,
        high=0.8,
        source="Judgement: a deal pushed before the buyer is ready wins less often; 40–60% "
        "of deals already end in no decision [15].",
        percent=True,
    ),
    Judgement(
        path="relationships.champion_turnover",
        label="Buyer contacts who leave their job a year",
        low=0.15,
        high=0.35,
        source="B2B contact data decays about 22.5–30% a year [8]; a median job tenure of "
        "3.9 years is about 26% a year [9].",
        percent=True,
    ),
    Judgement(
        path="engagement.expansion_rate_annual",
        label="Add-ons bought a year (share of the book)",
        low=0.05,
        high=0.2,
        source="Median net revenue retention about 100–110% with gross retention about "
        "88–93% (SaaS Capital, Benchmarkit) [10][11].",
        percent=True,
    ),
    Judgement(
        path="engagement.referral_rate_annual",
        label="Referred opportunities per client a year",
        low=0.03,
        high=0.25,
        source="Judgement: published referral statistics are marketing surveys of uneven quality.",
    ),
    Judgement(
        path="engagement.care_memory_months",
        label="Months clients remember good or poor care",
        low=3.0,
        high=12.0,
        source="Judgement: from a quarter to a year.",
    ),
    Judgement(
        path="engagement.onboarding_effort_per_client",
        label="Rep-months to onboard a new client",
        low=0.15,
        high=0.6,
        source="Judgement: three to twelve working days a client.",
    ),
    Judgement(
        path="engagement.care_effort_per_account",
        label="Rep-months of care per account a month",
        low=0.005,
        high=0.02,
        source="Published ratios: one rep per 50–125 accounts in the mid-market, 200+ in "
        "SMB [12][13].",
    ),
)
"""Every judgement constant the assumptions panel varies, most debated first."""


def judgement(path: str) -> Judgement:
    """The registry entry of a field path (``engagement.orphan_renewal_factor``)."""
    for item in JUDGEMENTS:
        if item.path == path:
            return item
    known = ", ".join(j.path for j in JUDGEMENTS)
    raise ScenarioError(f"{path!r} is not a judgement constant (known: {known})")


# --- Outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelOutcome:
    """What one simulation at one value of a constant shows."""

    level: str
    value: float | None
    """The constant's value (None for the scenario as it is)."""
    verdict: str
    probability: float
    """Share of futures (runs) with whiplash (mild or severe): the verdict's."""
    severe_probability: float
    largest_fall: float
    """The middle future's largest fall within a year (the verdict's)."""
    median_revenue: float

    @classmethod
    def of(cls, level: str, value: float | None, result: SimulationResult) -> LevelOutcome:
        v = result.whiplash
        return cls(
            level=level,
            value=value,
            verdict=v.verdict,
            probability=v.probability,
            severe_probability=v.severe_probability,
            largest_fall=v.largest_fall,
            median_revenue=float(np.median(result.total_revenue)),
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Sensitivity:
    """One constant at its low, the scenario's value and its high."""

    judgement: Judgement
    levels: tuple[LevelOutcome, ...]
    """In the order of :data:`LEVELS`."""

    @property
    def robust(self) -> bool:
        """The verdict is the same at every level."""
        return len({o.verdict for o in self.levels}) == 1

    @property
    def value_texts(self) -> list[str]:
        """The low, the scenario's and the high value as shown ('20%', '0.3')."""
        return [self.judgement.value_text(o.value) for o in self.levels if o.value is not None]

    def at(self, level: str) -> LevelOutcome:
        return next(o for o in self.levels if o.level == level)

    @property
    def swing(self) -> float:
        """Points of futures with whiplash between the lowest and the highest level."""
        shares = [o.probability for o in self.levels]
        return max(shares) - min(shares)

    @property
    def own_is_default(self) -> bool:
        """The scenario uses the model's default (not a value of its own)."""
        return self.at("default").value == self.judgement.default

    def phrase(self) -> str:
        """'severe at 20% and 30% (default), mild at 70%': the verdict at each value (an
        end of the range equal to the scenario's value is said once)."""
        own = self.at("default").value
        mark = " (default)" if self.own_is_default else " (this plan)"
        groups: list[tuple[str, list[str]]] = []
        for o, text in zip(self.levels, self.value_texts, strict=True):
            if o.level != "default" and o.value == own:
                continue
            shown = text + mark if o.level == "default" else text
            if groups and groups[-1][0] == o.verdict:
                groups[-1][1].append(shown)
            else:
                groups.append((o.verdict, [shown]))
        return ", ".join(f"{verdict} at {' and '.join(values)}" for verdict, values in groups)

    def as_dict(self) -> dict[str, Any]:
        j = self.judgement
        return {
            "field": j.path,
            "label": j.label,
            "low": j.low,
            "high": j.high,
            "model_default": j.default,
            "source": j.source,
            "cited": j.cited,
            "robust": self.robust,
            "levels": {o.level: o.as_dict() for o in self.levels},
        }


@dataclass(frozen=True)
class AssumptionsReport:
    """Every judgement constant's effect on one scenario's verdict."""

    title: str
    runs: int
    seed: int
    baseline: LevelOutcome
    sensitivities: tuple[Sensitivity, ...]
    note: str = ""

    @property
    def robust(self) -> bool:
        """The verdict holds across every constant's plausible range."""
        return all(s.robust for s in self.sensitivities)

    @property
    def depends_on(self) -> list[Sensitivity]:
        """The constants the verdict depends on, largest swing first."""
        return sorted((s for s in self.sensitivities if not s.robust), key=lambda s: -s.swing)

    @property
    def sentence(self) -> str:
        """The panel's one sentence: the verdict holds, or what it depends on."""
        if self.robust:
            return (
                f"The verdict ({self.baseline.verdict}) holds across every assumption's "
                "plausible range."
            )
        parts = [f"{s.judgement.label.lower()}: {s.phrase()}" for s in self.depends_on]
        return "The verdict depends on " + "; and on ".join(parts) + "."

    def lines(self) -> list[str]:
        """The plain-text table the CLI prints."""
        b = self.baseline
        out = [
            f"Assumptions: {self.title}",
            f"Now: {b.verdict.upper()} (whiplash in {percent(b.probability)} of futures, "
            f"largest fall in a year {percent(b.largest_fall)}; {self.runs:,} futures (runs) "
            f"each, seed {self.seed})",
        ]
        if self.note:
            out.append(self.note)
        header = (
            "Assumption",
            "Low / default / high",
            "Verdict",
            "Whiplash (futures)",
            "Largest fall in a year",
            "Median revenue",
            "",
        )
        rows = [header]
        for s in self.sensitivities:
            j = s.judgement
            rows.append(
                (
                    j.label,
                    " / ".join(s.value_texts),
                    " / ".join(o.verdict for o in s.levels),
                    " / ".join(percent(o.probability) for o in s.levels),
                    " / ".join(percent(o.largest_fall) for o in s.levels),
                    " / ".join(money_text(o.median_revenue) for o in s.levels),
                    "robust" if s.robust else "DEPENDS",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            out.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        out.append(self.sentence)
        return [line.rstrip() for line in out]

    def to_dict(self) -> dict[str, Any]:
        """The CLI's --json object."""
        return {
            "scenario": self.title,
            "runs": self.runs,
            "seed": self.seed,
            "note": self.note,
            "baseline": self.baseline.as_dict(),
            "robust": self.robust,
            "depends_on": [s.judgement.path for s in self.depends_on],
            "sentence": self.sentence,
            "assumptions": [s.as_dict() for s in self.sensitivities],
        }


# --- Running it ---------------------------------------------------------------------------


def simulations_needed(judgements: Sequence[Judgement] = JUDGEMENTS) -> int:
    """The scenario once, then each constant at its low and its high."""
    return 1 + 2 * len(judgements)


def assumption_runs(
    scenario: Scenario, runs: int | None, *, judgements: Sequence[Judgement] = JUDGEMENTS
) -> tuple[int, str]:
    """Runs per simulation so all of them fit :data:`ASSUMPTIONS_SECONDS`, and a note when
    fewer than the scenario's are used; an explicit ``runs`` that does not fit is refused."""
    sims = simulations_needed(judgements)
    cost = estimate(scenario, 1)
    fitting = max(1, int((ASSUMPTIONS_SECONDS / sims - cost.fixed_seconds) / cost.seconds_per_run))
    if runs is not None:
        n = int(runs)
        if n > fitting:
            seconds = sims * estimate(scenario, n).seconds
            raise ScenarioError(
                f"runs: {n:,} runs for each of the {sims} simulations take about "
                f"{seconds:.0f} s; the limit is {ASSUMPTIONS_SECONDS:.0f} s: use at most "
                f"{fitting:,} runs"
            )
        return n, ""
    own = scenario.simulation.runs
    used = min(own, ASSUMPTIONS_MAX_RUNS, fitting)
    if used < own:
        return used, (
            f"Each assumption checked with {used:,} futures (runs; the scenario asks for "
            f"{own:,}), "
            f"{sims} simulations in about {ASSUMPTIONS_SECONDS:.0f} s at most."
        )
    return used, ""


def assess_assumptions(
    scenario: Scenario,
    *,
    runs: int | None = None,
    seed: int | None = None,
    judgements: Sequence[Judgement] = JUDGEMENTS,
    should_stop: Callable[[], bool] | None = None,
) -> AssumptionsReport:
    """Simulate each constant at its low and high with the scenario's seed and compare.

    The scenario's own value is the middle level, simulated once for all constants; a
    level equal to it reuses that simulation. ``should_stop`` is passed to every
    simulation (True ends the assessment with ``SimulationCancelled``).
    """
    n_runs, note = assumption_runs(scenario, runs, judgements=judgements)
    used_seed = scenario.simulation.seed if seed is None else int(seed)

    def run(variant: Scenario, level: str, value: float | None) -> LevelOutcome:
        result = simulate(variant, runs=n_runs, seed=used_seed, should_stop=should_stop)
        return LevelOutcome.of(level, value, result)

    base = run(scenario, "scenario", None)
    sensitivities = []
    for item in judgements:
        own = item.value_in(scenario)
        outcomes = []
        for level, value in zip(LEVELS, (item.low, own, item.high), strict=True):
            if value == own:
                outcomes.append(LevelOutcome(**{**base.as_dict(), "level": level, "value": own}))
            else:
                outcomes.append(run(item.write(scenario, value), level, value))
        sensitivities.append(Sensitivity(judgement=item, levels=tuple(outcomes)))
    return AssumptionsReport(
        title=scenario.meta.title,
        runs=n_runs,
        seed=used_seed,
        baseline=base,
        sensitivities=tuple(sensitivities),
        note=note,
    )
