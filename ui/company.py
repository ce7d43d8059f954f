"""The company editor's actions: add, rename and remove product lines (the page is
``pages/3_Your_company.py``; its fields are the ``company`` control group of
``ui/controls.py``).

Every action goes through the ``lines`` lever (simulator/levers.py), so the result is
re-validated by the scenario model: a refused action sets the session's error, naming
the field, and changes nothing. Pure functions of a scenario, plus callbacks that take
the session state as a plain mapping (the tests drive them with a dict).
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

from simulator import Scenario, ScenarioError, levers
from simulator.models import LINE_ID, MAX_PRODUCT_LINES, ProductLine

from . import session as app_session

NEW_LINE_NAME = "New product line"


def new_line_id(scenario: Scenario, name: str) -> str:
    """A line id from ``name`` ('Managed services' -> 'managed_services') not yet used."""
    stem = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:24]
    if not stem or not stem[0].isalpha():
        stem = f"line_{stem}" if stem else "line"
    candidate, n = stem, 2
    while candidate in scenario.product_lines:
        candidate, n = f"{stem}_{n}", n + 1
    assert LINE_ID.fullmatch(candidate), candidate
    return candidate


def add_line(scenario: Scenario, name: str = NEW_LINE_NAME) -> Scenario:
    """The scenario with one more product line: the model's defaults, and a focus equal
    to the lines' average, so it takes an equal share of new-business effort."""
    if len(scenario.product_lines) >= MAX_PRODUCT_LINES:
        raise ScenarioError(
            f"product_lines: a scenario has at most {MAX_PRODUCT_LINES} product lines"
        )
    taken = {line.name for line in scenario.product_lines.values()}
    shown, n = name, 2
    while shown in taken:
        shown, n = f"{name} {n}", n + 1
    focus = sum(line.focus for line in scenario.product_lines.values()) / len(
        scenario.product_lines
    )
    line = ProductLine(name=shown, focus=focus if focus > 0 else 1.0)
    lines = (*levers.lever("lines").read(scenario), (new_line_id(scenario, shown), line))
    return levers.lever("lines").write(scenario, lines)


def remove_line(scenario: Scenario, line_id: str) -> Scenario:
    """The scenario without one line. Refused, naming what still uses it, while a
    contract or a change of plan refers to the line, or when it is the last one."""
    if line_id not in scenario.product_lines:
        raise ScenarioError(f"product_lines.{line_id}: there is no such product line")
    name = scenario.product_lines[line_id].name
    if len(scenario.product_lines) == 1:
        raise ScenarioError(
            f"product_lines.{line_id}: {name!r} is the only product line; a scenario needs one"
        )
    using = [i for i, c in enumerate(scenario.contracts) if c.product_line == line_id]
    if using:
        rows = ", ".join(f"contracts.{i}" for i in using[:3]) + (", ..." if len(using) > 3 else "")
        raise ScenarioError(
            f"product_lines.{line_id}: {len(using)} contract(s) in the book are on {name!r} "
            f"({rows}); move them to another line or delete them first"
        )
    changes = [i for i, c in enumerate(scenario.changes) if line_id in (c.focus or {})]
    if changes:
        raise ScenarioError(
            f"product_lines.{line_id}: changes.{changes[0]}.focus sets the focus on {name!r}; "
            "remove that change of plan first"
        )
    lines = tuple(item for item in levers.lever("lines").read(scenario) if item[0] != line_id)
    return levers.lever("lines").write(scenario, lines)


# --- Callbacks ------------------------------------------------------------------------------


def _apply(session: MutableMapping[str, Any], action: Any, *args: Any) -> None:
    scenario: Scenario = session[app_session.SCENARIO]
    try:
        changed = action(scenario, *args)
    except ScenarioError as exc:
        session[app_session.ERROR] = str(exc)
        return
    app_session.set_scenario(session, changed)


def on_add_line(session: MutableMapping[str, Any]) -> None:
    """Callback for "Add a product line"."""
    _apply(session, add_line)


def on_remove_line(session: MutableMapping[str, Any], line_id: str) -> None:
    """Callback for a line's "Remove" button."""
    _apply(session, remove_line, line_id)
