"""What a round plays and what a team may change of it.

A round's scenario is a preset or a workshop step (:mod:`simulator.workshop`). A team's
plan is that scenario with the team's own values of :data:`TEAM_LEVERS` and nothing
else: whatever else a submitted scenario says (the book, the runs, the seed, the
headcount) is the round's, so every team plays the same market and is simulated the
same way. A team's changes of plan are bounded too (:func:`check_changes`): hiring
costs nothing in the model, so a team hires only up to the round's own headcount.
"""

from __future__ import annotations

from collections.abc import Sequence, Sized
from dataclasses import dataclass
from functools import cache

from simulator import Scenario, ScenarioError, levers, list_presets, load_preset
from simulator.models import Change
from simulator.workshop import list_workshops, load_workshop, resolve

from .errors import RoomError

TEAM_LEVERS = ("effort", "focus", "contacts", "renewal_dates", "changes", "pressure")
"""The levers (simulator/levers.py) a team sets: the habits, the plan timeline (changes
of plan at a month) and the quarter-end push with the quota it reacts to."""
MAX_TEAM_CHANGES = 12
"""Changes of plan in one team's plan (a workshop plan needs a few; the model allows
:data:`simulator.models.MAX_CHANGES`)."""


@dataclass(frozen=True)
class RoundSource:
    """Where a round's scenario comes from: a preset, or a step of a workshop file."""

    preset: str = ""
    workshop: str = ""
    step: int = 0
    title: str = ""
    """The round's name in headings and the debrief ('Balanced: ...')."""

    @property
    def label(self) -> str:
        """The name and where it comes from, for the picker ('Preset: Balanced: ...'); a
        workshop step's title already says its workshop."""
        return f"Preset: {self.title}" if self.preset else self.title

    @property
    def key(self) -> str:
        return f"workshop:{self.workshop}:{self.step}" if self.workshop else f"preset:{self.preset}"


@cache
def round_sources() -> tuple[RoundSource, ...]:
    """Every preset, then every step of every workshop file, with a label to pick it by."""
    out = []
    for name in list_presets():
        out.append(RoundSource(preset=name, title=load_preset(name).meta.title))
    for name in list_workshops():
        try:
            workshop = load_workshop(name)
        except ScenarioError:  # a broken trainer file is left out, not fatal
            continue
        for i in range(len(workshop.steps)):
            title = resolve(workshop, i).title
            named = f"{workshop.title}, step {i + 1}: {title}"
            out.append(RoundSource(workshop=name, step=i, title=named))
    return tuple(out)


def source_scenario(source: RoundSource) -> Scenario:
    """The scenario a round source plays."""
    if source.workshop:
        return resolve(load_workshop(source.workshop), source.step).scenario
    return load_preset(source.preset)


def _book(scenario: Scenario) -> list[tuple[str, str]]:
    return [(c.name, c.product_line) for c in scenario.contracts]


def headcount_ceiling(round_scenario: Scenario) -> float:
    """The most reps a team's plan may have at any month: the round's largest headcount
    (at the start or in one of its own changes of plan)."""
    planned = [c.reps for c in round_scenario.changes if c.reps is not None]
    return max([round_scenario.team.reps, *planned])


def check_count(changes: Sized) -> None:
    """RoomError when a team's plan has more than :data:`MAX_TEAM_CHANGES` changes
    (checked before the changes are validated one by one)."""
    if len(changes) > MAX_TEAM_CHANGES:
        raise RoomError(
            f"changes: {len(changes):,} changes of plan; a team's plan holds at most "
            f"{MAX_TEAM_CHANGES}"
        )


def check_changes(round_scenario: Scenario, changes: Sequence[Change]) -> None:
    """RoomError naming the field when a team's (validated) changes of plan are too many
    or hire beyond the round's headcount (the model checks everything else)."""
    check_count(changes)
    ceiling = headcount_ceiling(round_scenario)
    for i, change in enumerate(changes):
        if change.reps is not None and change.reps > ceiling:
            raise RoomError(
                f"changes.{i}.reps: {change.reps:g} reps; in this round a team has at most "
                f"{ceiling:g} (hiring is free in the model, so the round sets the headcount)"
            )


def team_plan(round_scenario: Scenario, submitted: Scenario) -> Scenario:
    """The round's scenario with the team's levers taken from ``submitted``.

    RoomError when ``submitted`` is a plan for another scenario (other product lines or
    another contract book), or its levers are not valid on the round's scenario (too
    many changes of plan, a hire beyond the round's headcount, a value out of range),
    naming the field.
    """
    if submitted.line_ids != round_scenario.line_ids:
        raise RoomError("plan.product_lines: the plan is for other product lines than the round")
    if _book(submitted) != _book(round_scenario):
        raise RoomError("plan.contracts: the plan is for another contract book than the round")
    try:
        values = {name: levers.lever(name).read(submitted) for name in TEAM_LEVERS}
        check_count(values["changes"])
        plan = levers.apply(round_scenario, values)
        check_changes(round_scenario, plan.changes)
        return plan
    except (ScenarioError, ValueError) as exc:
        raise RoomError(f"plan: {exc}") from None
    except (AttributeError, TypeError):  # a hand-built object, not a scenario's parts
        raise RoomError("plan: not a scenario's levers (effort, changes, policy, ...)") from None
