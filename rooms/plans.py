"""What a round plays and what a team may change of it.

A round's scenario is a preset or a workshop step (:mod:`simulator.workshop`). A team's
plan is that scenario with the team's own values of :data:`TEAM_LEVERS` and nothing
else: whatever else a submitted scenario says (the book, the runs, the seed) is the
round's, so every team plays the same market and is simulated the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from simulator import Scenario, ScenarioError, levers, list_presets, load_preset
from simulator.workshop import list_workshops, load_workshop, resolve

from .errors import RoomError

TEAM_LEVERS = ("effort", "focus", "contacts", "renewal_dates")
"""The levers (simulator/levers.py) a team sets; the dynamics levers join when they land."""


@dataclass(frozen=True)
class RoundSource:
    """Where a round's scenario comes from: a preset, or a step of a workshop file."""

    preset: str = ""
    workshop: str = ""
    step: int = 0
    label: str = ""

    @property
    def key(self) -> str:
        return f"workshop:{self.workshop}:{self.step}" if self.workshop else f"preset:{self.preset}"


@cache
def round_sources() -> tuple[RoundSource, ...]:
    """Every preset, then every step of every workshop file, with a label to pick it by."""
    out = [
        RoundSource(preset=name, label=f"Preset: {load_preset(name).meta.title}")
        for name in list_presets()
    ]
    for name in list_workshops():
        try:
            workshop = load_workshop(name)
        except ScenarioError:  # a broken trainer file is left out, not fatal
            continue
        for i in range(len(workshop.steps)):
            title = resolve(workshop, i).title
            out.append(
                RoundSource(workshop=name, step=i, label=f"{workshop.title}, step {i + 1}: {title}")
            )
    return tuple(out)


def source_scenario(source: RoundSource) -> Scenario:
    """The scenario a round source plays."""
    if source.workshop:
        return resolve(load_workshop(source.workshop), source.step).scenario
    return load_preset(source.preset)


def _book(scenario: Scenario) -> list[tuple[str, str]]:
    return [(c.name, c.product_line) for c in scenario.contracts]


def team_plan(round_scenario: Scenario, submitted: Scenario) -> Scenario:
    """The round's scenario with the team's levers taken from ``submitted``.

    RoomError when ``submitted`` is a plan for another scenario (other product lines or
    another contract book), naming the part that differs.
    """
    if submitted.line_ids != round_scenario.line_ids:
        raise RoomError("plan.product_lines: the plan is for other product lines than the round")
    if _book(submitted) != _book(round_scenario):
        raise RoomError("plan.contracts: the plan is for another contract book than the round")
    values = {name: levers.lever(name).read(submitted) for name in TEAM_LEVERS}
    try:
        return levers.apply(round_scenario, values)
    except (ScenarioError, ValueError) as exc:
        raise RoomError(f"plan: {exc}") from None
