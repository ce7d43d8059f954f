"""Plan bundles: up to four named plans compared side by side, saved as one TOML file.

The format (docs/scenario-format.md, "Plan bundles")::

    [bundle]
    version = 1

    [[plans]]
    name = "Base"
    [plans.scenario]        # a whole scenario, exactly as a scenario file writes it
    ...

A bundle is validated at this boundary like a scenario file: its size, its TOML shape
(scaled to four plans), its keys, the plans' count and names, and each plan's scenario
through the scenario model, so a refused bundle names the plan and the field
("plans.1 ('Best case'): simulation.runs: ...") and changes nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import tomli_w

from .models import Scenario
from .scenario_io import (
    MAX_FILE_BYTES,
    MAX_KEYS,
    MAX_TABLES,
    ScenarioError,
    read_toml,
    scenario_from_dict,
    scenario_to_dict,
)

BUNDLE_VERSION = 1
MAX_PLANS = 4
"""Plans held for comparison at once (base / best / worst and one more)."""
MAX_PLAN_NAME = 40
MAX_BUNDLE_BYTES = MAX_PLANS * MAX_FILE_BYTES + 4096
"""Largest bundle file: four scenario files and the bundle's own lines."""


@dataclass(frozen=True)
class Plan:
    """One named plan of a comparison."""

    name: str
    scenario: Scenario


def check_name(name: Any, *, where: str = "name") -> str:
    """A plan's name, trimmed: 1 to MAX_PLAN_NAME characters, no control characters."""
    if not isinstance(name, str):
        raise ScenarioError(f"{where}: a plan's name is text")
    shown = " ".join(name.split())
    if not shown:
        raise ScenarioError(f"{where}: a plan needs a name (e.g. Base, Best case)")
    if len(shown) > MAX_PLAN_NAME:
        raise ScenarioError(f"{where}: a plan's name has at most {MAX_PLAN_NAME} characters")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in shown):
        raise ScenarioError(f"{where}: the name has a control or invisible character")
    return shown


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def put_plan(plans: Sequence[Plan], name: str, scenario: Scenario) -> tuple[Plan, ...]:
    """``plans`` with ``scenario`` held as ``name``: a plan of that name (in any case) is
    replaced in its place; a new one joins at the end, at most MAX_PLANS in all."""
    name = check_name(name)
    out = list(plans)
    for i, plan in enumerate(out):
        if _same(plan.name, name):
            out[i] = Plan(name=name, scenario=scenario)
            return tuple(out)
    if len(out) >= MAX_PLANS:
        raise ScenarioError(
            f"plans: at most {MAX_PLANS} plans are compared at once; remove one first"
        )
    return (*out, Plan(name=name, scenario=scenario))


def remove_plan(plans: Sequence[Plan], name: str) -> tuple[Plan, ...]:
    """``plans`` without the one called ``name``."""
    kept = tuple(p for p in plans if not _same(p.name, name))
    if len(kept) == len(plans):
        raise ScenarioError(f"plans: there is no plan called {name[:MAX_PLAN_NAME]!r}")
    return kept


def bundle_to_dict(plans: Iterable[Plan]) -> dict[str, Any]:
    return {
        "bundle": {"version": BUNDLE_VERSION},
        "plans": [{"name": p.name, "scenario": scenario_to_dict(p.scenario)} for p in plans],
    }


def dump_bundle(plans: Iterable[Plan]) -> str:
    """TOML text that :func:`parse_bundle` reads back to the same plans."""
    return tomli_w.dumps(bundle_to_dict(plans))


def _unknown(data: Mapping[str, Any], known: set[str], where: str) -> None:
    extra = [str(k) for k in data if k not in known]
    if extra:
        raise ScenarioError(
            f"{where}{extra[0][:40]!r} is not a known field (known: {', '.join(sorted(known))})"
        )


def bundle_from_dict(data: Any) -> tuple[Plan, ...]:
    """Plans from parsed TOML; ScenarioError naming the plan and the field."""
    if not isinstance(data, Mapping):
        raise ScenarioError("a bundle is a table with [bundle] and [[plans]]")
    _unknown(data, {"bundle", "plans"}, "")
    if "plans" not in data and not isinstance(data.get("bundle"), Mapping):
        raise ScenarioError(
            "this is not a bundle of plans (no [bundle] or [[plans]]); a single plan "
            "opens with 'Open a scenario file'"
        )
    header = data.get("bundle", {"version": BUNDLE_VERSION})
    if not isinstance(header, Mapping):
        raise ScenarioError("bundle: is a table with version = 1")
    _unknown(header, {"version"}, "bundle.")
    if header.get("version") != BUNDLE_VERSION or isinstance(header.get("version"), bool):
        raise ScenarioError(f"bundle.version: this app reads version {BUNDLE_VERSION}")
    plans = data.get("plans")
    if not isinstance(plans, list) or not plans:
        raise ScenarioError("plans: a bundle lists one or more [[plans]]")
    if len(plans) > MAX_PLANS:
        raise ScenarioError(f"plans: {len(plans):,} plans; a bundle holds at most {MAX_PLANS}")
    out: list[Plan] = []
    for i, raw in enumerate(plans):
        if not isinstance(raw, Mapping):
            raise ScenarioError(f"plans.{i}: is a table with name and scenario")
        _unknown(raw, {"name", "scenario"}, f"plans.{i}.")
        name = check_name(raw.get("name"), where=f"plans.{i}.name")
        if any(_same(p.name, name) for p in out):
            raise ScenarioError(f"plans.{i}.name: {name!r} is the name of another plan")
        scenario = raw.get("scenario")
        if not isinstance(scenario, Mapping):
            raise ScenarioError(f"plans.{i}.scenario: is required (a whole scenario table)")
        try:
            out.append(Plan(name=name, scenario=scenario_from_dict(scenario)))
        except ScenarioError as exc:
            raise ScenarioError(f"plans.{i} ({name!r}): {exc}") from None
    return tuple(out)


def parse_bundle(text: str | bytes, *, source: str = "bundle") -> tuple[Plan, ...]:
    """Read a bundle file's text or bytes; ScenarioError naming what is wrong."""
    data = read_toml(
        text,
        source=source,
        max_bytes=MAX_BUNDLE_BYTES,
        max_keys=MAX_PLANS * MAX_KEYS + 16,
        max_tables=MAX_PLANS * MAX_TABLES + 16,
    )
    try:
        return bundle_from_dict(data)
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
