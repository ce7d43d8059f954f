"""Workshop sequences as data: steps, questions, predictions and fixes, validated.

A trainer's session is a TOML file in ``scenarios/workshops/``: a title, an
introduction and a list of steps. Each step names a preset, the kind of
prediction the room makes, the fix as ``--set`` style overrides and, optionally,
its own texts (otherwise the preset's ``[meta]`` texts are used). Loading
validates everything up front, including that every fix applies to its preset,
so a typo shows as one line naming the step and field, not mid-session.

This module also scores a prediction against a simulation (pure numpy), so the
page only lays out what it is given.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from .models import MAX_TEXT, Scenario, _Frozen
from .money import money_text
from .results import ResultSummary, full_quarters, simulate
from .scenario_io import (
    MAX_FILE_BYTES,
    PRESET_DIR,
    ScenarioError,
    apply_overrides,
    format_validation_error,
    list_presets,
    load_preset,
)
from .verdict import MAJORITY
from .verdict_text import percent

WORKSHOP_DIR = PRESET_DIR / "workshops"
DEFAULT_WORKSHOP = "four_causes"
HOLDS = "It holds"
"""The quarter prediction that says revenue holds: no whiplash in most futures."""
MAX_STEPS = 20
MAX_FIX_OVERRIDES = 60

PredictionKind = Literal["quarter", "level"]
RevealChart = Literal["quarters", "attainment", "warning", "sources", "lines", "calendar"]
"""Charts a reveal can show beside the prediction chart: revenue per quarter, quota
attainment (the bookings lens), the early warning, revenue by source, by product line,
and the renewal calendar."""


class WorkshopStep(_Frozen):
    """One step of a session: a preset, a question for the room and the fix."""

    preset: str = Field(..., min_length=1, max_length=100)
    title: str = Field("", max_length=200, description="Default: the preset's meta.title.")
    story: str = Field("", max_length=MAX_TEXT, description="Default: meta.description.")
    question: str = Field("", max_length=MAX_TEXT, description="Default: meta.question.")
    prediction: PredictionKind = "quarter"
    level_quarter: str = Field(
        "",
        max_length=6,
        description="For a 'level' prediction: the quarter (e.g. 2013Q4) the room predicts; "
        "default: the last full quarter.",
    )
    fix: tuple[str, ...] = Field((), max_length=MAX_FIX_OVERRIDES, strict=False)
    fix_title: str = Field("Apply the fix", max_length=200)
    why: str = Field("", max_length=MAX_TEXT, description="Default: meta.fix.")
    lesson: str = Field("", max_length=MAX_TEXT, description="Default: meta.lesson.")
    charts: tuple[RevealChart, ...] = Field(
        (),
        max_length=4,
        strict=False,
        description="The charts the lesson points at, shown with the reveal.",
    )

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, name: str) -> str:
        presets = list_presets()
        if name not in presets:
            raise ValueError(
                f"{name!r} is not a preset in scenarios/ (available: {', '.join(presets)})"
            )
        return name

    @field_validator("fix")
    @classmethod
    def _overrides(cls, items: tuple[str, ...]) -> tuple[str, ...]:
        for item in items:
            if "=" not in item:
                raise ValueError(f"{item!r} is not dotted.path=value (e.g. effort.attract=0.25)")
        return items


class Workshop(_Frozen):
    """A whole session, in the order the trainer runs it."""

    title: str = Field("Sales whiplash workshop", min_length=1, max_length=200)
    intro: str = Field("", max_length=MAX_TEXT)
    steps: tuple[WorkshopStep, ...] = Field(..., min_length=1, max_length=MAX_STEPS, strict=False)

    @model_validator(mode="after")
    def _fixes_apply(self) -> Workshop:
        for i, step in enumerate(self.steps):
            scenario = load_preset(step.preset)
            if step.fix:
                try:
                    apply_overrides(scenario, step.fix)
                except ScenarioError as exc:
                    raise ValueError(f"steps.{i}.fix: {exc}") from None
            if step.prediction == "level" and step.level_quarter:
                quarters = quarter_labels(scenario)
                if step.level_quarter not in quarters:
                    raise ValueError(
                        f"steps.{i}.level_quarter: {step.level_quarter!r} is not a full quarter "
                        f"of {step.preset} ({quarters[0]} to {quarters[-1]})"
                    )
        return self


def quarter_labels(scenario: Scenario) -> list[str]:
    """The full calendar quarters of the scenario's horizon, e.g. ['2012Q1', ...]."""
    return full_quarters(scenario.start_index, scenario.simulation.months)[0]


@dataclass(frozen=True)
class StepContent:
    """A step with its scenario, its fixed scenario and every text resolved."""

    index: int
    step: WorkshopStep
    scenario: Scenario
    fixed: Scenario | None
    title: str
    story: str
    question: str
    why: str
    lesson: str

    @property
    def prediction(self) -> PredictionKind:
        return self.step.prediction

    @property
    def quarters(self) -> list[str]:
        return quarter_labels(self.scenario)

    def quarter_options(self) -> list[str]:
        """What the room can answer to 'in which quarter does whiplash first hit?'."""
        return [HOLDS, *self.quarters[1:]]

    @property
    def level_quarter(self) -> str:
        return self.step.level_quarter or self.quarters[-1]


def resolve(workshop: Workshop, index: int) -> StepContent:
    """The step's scenario, fix and texts, falling back to the preset's [meta] texts."""
    step = workshop.steps[index]
    scenario = load_preset(step.preset)
    meta = scenario.meta
    fixed = apply_overrides(scenario, step.fix) if step.fix else None
    return StepContent(
        index=index,
        step=step,
        scenario=scenario,
        fixed=fixed,
        title=step.title or meta.title,
        story=(step.story or meta.description).strip(),
        question=(step.question or meta.question).strip(),
        why=(step.why or meta.fix).strip(),
        lesson=(step.lesson or meta.lesson).strip(),
    )


# --- Loading -------------------------------------------------------------------------


def workshop_from_dict(data: dict) -> Workshop:
    """Validate parsed TOML into a Workshop; errors name the step and field."""
    flat = dict(data.get("workshop", {})) if isinstance(data.get("workshop"), dict) else {}
    extra = {k: v for k, v in data.items() if k != "workshop"}
    try:
        return Workshop.model_validate(flat | extra)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc)) from None


def parse_workshop(text: str | bytes, *, source: str = "workshop") -> Workshop:
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise ScenarioError(f"{source}: the file is larger than {MAX_FILE_BYTES:,} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError(f"{source}: the file is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML ({exc})") from None
    try:
        return workshop_from_dict(data)
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None


def list_workshops() -> dict[str, Path]:
    """Workshop files by stem, read only from scenarios/workshops/."""
    if not WORKSHOP_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(WORKSHOP_DIR.glob("*.toml")) if p.is_file()}


def load_workshop(name: str = DEFAULT_WORKSHOP) -> Workshop:
    """Load a workshop by name; only files in scenarios/workshops/ are accepted."""
    known = list_workshops()
    if name not in known:
        raise ScenarioError(
            f"workshop {name!r} does not exist (available: {', '.join(known) or 'none'})"
        )
    path = known[name]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
    return parse_workshop(raw, source=str(path.relative_to(PRESET_DIR.parent)))


# --- Predictions against the simulation -----------------------------------------------


@dataclass(frozen=True)
class PredictionCheck:
    """A room's prediction next to what the simulation says, in plain words."""

    kind: PredictionKind
    prediction: str
    """The prediction as shown ('2013Q1', 'It holds', '$1.2M in 2013Q4', or '' if none)."""
    simulated: str
    """The simulation's answer in the same terms ('2013Q1', 'It holds', '$0.9M')."""
    verdict: Literal["right", "close", "wrong", "none"]
    sentence: str
    share_in_predicted: float | None = None
    """Share of runs whose whiplash first hits in the predicted quarter (quarter
    predictions)."""


def whiplash_words(result: ResultSummary) -> str:
    """What counts as whiplash for this plan, for the room before it predicts: the
    verdict's bars (raised by the plan's deal luck, as the key figures say)."""
    return (
        f"Whiplash: revenue {percent(result.whiplash.mild_bar)} or more below a level it "
        "had reached within the year before, or a boom followed by a bust."
    )


def starting_revenue(result: ResultSummary) -> tuple[str, float]:
    """The first full quarter and its revenue in the middle future: the figure a
    dollar prediction starts from."""
    row = result.quarter_table.iloc[0]
    return str(row.quarter), float(row.p50)


def starting_sentence(result: ResultSummary) -> str:
    """'Starting point: revenue in 2012Q1, the first quarter, is $1.11M in the middle
    future.' (a level question is about a full quarter, so there is a first one)."""
    quarter, revenue = starting_revenue(result)
    return (
        f"Starting point: revenue in {quarter}, the first quarter, is {money_text(revenue)} "
        "in the middle future."
    )


def first_break_shares(result: ResultSummary) -> dict[str, float]:
    """Share of runs whose whiplash first shows in each quarter, by the verdict's rules,
    plus the share with no whiplash (under HOLDS): on a horizon of at most three years
    the shares other than HOLDS add up to the headline's whiplash share."""
    labels = result.quarter_labels
    first = result.first_whiplash  # quarter index, -1 for none
    counts = Counter(first.tolist())
    runs = len(first)
    shares = {HOLDS: counts.get(-1, 0) / runs}
    for i, label in enumerate(labels[1:], start=1):
        shares[label] = counts.get(i, 0) / runs
    return shares


def simulated_break(result: ResultSummary) -> str:
    """Where whiplash first hits: the most common quarter when at least half the runs
    have whiplash (the verdict's majority), else HOLDS. Of quarters whose shares read
    the same whole percent the earliest is named: the room cannot tell them apart."""
    shares = first_break_shares(result)
    if shares[HOLDS] > 1.0 - MAJORITY:
        return HOLDS
    busts = {k: v for k, v in shares.items() if k != HOLDS}
    top = percent(max(busts.values()))
    return next(k for k, v in busts.items() if percent(v) == top)


def check_quarter(result: ResultSummary, prediction: str | None) -> PredictionCheck:
    """Score 'in which quarter does whiplash first hit?' against every run's first
    whiplash quarter (the verdict's rules, so the shares are the headline's)."""
    shares = first_break_shares(result)
    answer = simulated_break(result)
    whiplash = percent(1 - shares[HOLDS])
    if answer == HOLDS:
        said = (
            f"revenue holds: no whiplash in {percent(shares[HOLDS])} of futures "
            f"(whiplash in {whiplash})"
        )
    else:
        said = (
            f"whiplash most often first hits in {answer} ({percent(shares[answer])} of "
            f"futures); whiplash in {whiplash} of futures"
        )
    if not prediction:
        return PredictionCheck(
            "quarter", "", answer, "none", f"No prediction. The simulation: {said}."
        )
    share = shares.get(prediction)
    if prediction == answer:
        verdict, lead = "right", "Right"
    elif share is not None and share >= 0.15:
        verdict, lead = "close", f"Plausible ({percent(share)} of futures first hit there)"
    else:
        verdict, lead = "wrong", "Not this time"
    return PredictionCheck(
        kind="quarter",
        prediction=prediction,
        simulated=answer,
        verdict=verdict,
        sentence=f"{lead}: the room said {prediction}; the simulation says {said}.",
        share_in_predicted=share,
    )


def check_level(result: ResultSummary, prediction: float | None, quarter: str) -> PredictionCheck:
    """Score a predicted quarterly revenue against the runs' p10-p90 band in ``quarter``."""
    table = result.quarter_table.set_index("quarter")
    if quarter not in table.index:
        raise ScenarioError(f"level_quarter: {quarter!r} is not a quarter of this scenario")
    row = table.loc[quarter]
    band = f"{money_text(row.p10)} to {money_text(row.p90)}"
    said = (
        f"revenue in {quarter} is {money_text(row.p50)} in the middle future (8 in 10 "
        f"futures: {band})"
    )
    simulated = money_text(row.p50)
    if prediction is None:
        return PredictionCheck(
            "level", "", simulated, "none", f"No prediction. The simulation: {said}."
        )
    shown = f"{money_text(prediction)} in {quarter}"
    if row.p10 <= prediction <= row.p90:
        inside = abs(prediction - row.p50) <= 0.1 * max(row.p50, 1.0)
        verdict, lead = ("right", "Right") if inside else ("close", "Inside the band")
    else:
        side = "too high" if prediction > row.p90 else "too low"
        verdict, lead = "wrong", f"Not this time ({side})"
    return PredictionCheck(
        kind="level",
        prediction=shown,
        simulated=simulated,
        verdict=verdict,
        sentence=f"{lead}: the room said {money_text(prediction)}; the simulation says {said}.",
    )


@dataclass(frozen=True)
class FixComparison:
    """The original plan against the fixed one: the verdict's figures the room sees
    change (the same as the main page's headline and key figures)."""

    probability: tuple[float, float]
    severe_probability: tuple[float, float]
    largest_fall: tuple[float, float]
    """The middle future's largest fall within a year, before and after."""
    revenue: tuple[float, float]
    """Median total revenue over the horizon, before and after."""
    verdict: tuple[str, str] = ("none", "none")

    @staticmethod
    def change_in_points(pair: tuple[float, float]) -> float:
        """After minus before, in percentage points."""
        return (pair[1] - pair[0]) * 100.0

    @property
    def sentence(self) -> str:
        p, s, f, r = self.probability, self.severe_probability, self.largest_fall, self.revenue
        return (
            f"Whiplash in {percent(p[0])} → {percent(p[1])} of futures (severe: "
            f"{percent(s[0])} → {percent(s[1])}); largest fall in a year {percent(f[0])} → "
            f"{percent(f[1])} in the middle future; revenue over the horizon "
            f"{money_text(r[0])} → {money_text(r[1])} (middle future)."
        )


def compare_fix(before: ResultSummary, after: ResultSummary) -> FixComparison:
    b, a = before.whiplash, after.whiplash
    return FixComparison(
        probability=(b.probability, a.probability),
        severe_probability=(b.severe_probability, a.severe_probability),
        largest_fall=(b.largest_fall, a.largest_fall),
        revenue=(before.median_revenue, after.median_revenue),
        verdict=(b.verdict, a.verdict),
    )


def fix_effect(before: ResultSummary, after: ResultSummary) -> str:
    """One line on what the fix changed: futures with whiplash, severe whiplash, the
    largest fall in a year and revenue."""
    return compare_fix(before, after).sentence


# --- The trainer's answer sheet (``whiplash workshop [NAME]``) ----------------------


def answer_sheet(workshop: Workshop) -> list[str]:
    """Each step's answer and the fix's effect, for a trainer preparing a session."""
    lines = [workshop.title, ""]
    for i in range(len(workshop.steps)):
        content = resolve(workshop, i)
        result = simulate(content.scenario).summary_only()
        lines.append(f"{i + 1}. {content.title} ({content.step.preset})")
        lines.append(f"   Q: {content.question}")
        if content.prediction == "level":
            lines.append(f"   {starting_sentence(result)}")
            answer = check_level(result, None, content.level_quarter).sentence
        else:
            answer = check_quarter(result, None).sentence
        lines.append(f"   A: {answer.removeprefix('No prediction. The simulation: ')}")
        if content.fixed is not None:
            fixed = simulate(content.fixed).summary_only()
            lines.append(f"   Fix ({content.step.fix_title}): {fix_effect(result, fixed)}")
        lines.append("")
    return lines


if __name__ == "__main__":  # ``python -m simulator.workshop [NAME]``: the CLI prints it
    import sys

    from .cli import main

    sys.exit(main(["workshop", *sys.argv[1:]]))
