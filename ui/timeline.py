"""The plan timeline: a change of plan drafted in the sidebar, and the changes in words.

A change is drafted in widgets the scenario does not drive (the month, what changes and
its new values); "Add change" turns the draft into a :class:`Change` and writes
``Scenario.changes`` through the ``changes`` lever (simulator/levers.py), so a bad
combination is refused naming the field and the draft stays as the user set it. Pure
functions of a scenario and a mapping of widget values: the tests drive them with dicts.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from simulator import Scenario, ScenarioError, levers
from simulator.models import MAX_CHANGES, Change, ChangeTargets, Relationships, Team

from .controls import (
    EffortControls,
    effort_controls,
    effort_from_controls,
    limits,
)
from .format import money, percent

# --- Draft widget keys.
W_MONTH = "w_change_month"
W_SET_EFFORT = "w_change_set_effort"
W_SET_FOCUS = "w_change_set_focus"
W_SET_REPS = "w_change_set_reps"
W_SET_CONTACTS = "w_change_set_contacts"
W_NEW_BUSINESS = "w_change_new_business"
W_CLOSING = "w_change_closing"
W_ENGAGE = "w_change_engage"
W_RETAIN = "w_change_retain"
W_LEVERAGE = "w_change_leverage"
W_FOCUS_SPLIT = "w_change_focus_split"
W_REPS = "w_change_reps"
W_CONTACTS = "w_change_contacts"
EFFORT_KEYS = (W_NEW_BUSINESS, W_CLOSING, W_ENGAGE, W_RETAIN, W_LEVERAGE)
WHAT = {
    W_SET_EFFORT: "the effort split",
    W_SET_FOCUS: "product focus",
    W_SET_REPS: "headcount",
    W_SET_CONTACTS: "buyer contacts",
}
"""The draft's tick boxes: what the change sets."""


def focus_key(line_id: str) -> str:
    return f"w_change_focus_{line_id}"


def remove_key(index: int) -> str:
    return f"w_change_remove_{index}"


REPS = limits(Team, "reps")
CONTACTS = limits(Relationships, "contacts_per_account")


def default_month(scenario: Scenario) -> str:
    """Six months in (the middle of a short horizon): where a mid-year change lands."""
    labels = scenario.month_labels()
    return labels[min(6, len(labels) // 2)]


def focus_draft_keys(scenario: Scenario) -> list[str]:
    """The focus widgets of the draft: one split for two lines, one per line for more."""
    lines = scenario.line_ids
    if len(lines) == 2:
        return [W_FOCUS_SPLIT]
    return [focus_key(line) for line in lines] if len(lines) > 2 else []


def draft_defaults(scenario: Scenario) -> dict[str, Any]:
    """The draft's values before the user touches it: the opening plan, changed at nothing."""
    controls = effort_controls(scenario.effort)
    values: dict[str, Any] = {
        W_MONTH: default_month(scenario),
        **{key: False for key in WHAT},
        W_NEW_BUSINESS: controls.new_business,
        W_CLOSING: controls.closing,
        W_ENGAGE: controls.engage,
        W_RETAIN: controls.retain,
        W_LEVERAGE: controls.leverage,
        W_REPS: float(scenario.team.reps),
        W_CONTACTS: scenario.relationships.contacts_per_account,
    }
    shares = scenario.focus_shares
    lines = scenario.line_ids
    if len(lines) == 2:
        values[W_FOCUS_SPLIT] = shares[lines[0]] * 100
    elif len(lines) > 2:
        values.update({focus_key(line): shares[line] * 100 for line in lines})
    return values


def prepare_draft(session: MutableMapping[str, Any], scenario: Scenario) -> None:
    """Fill in the draft's missing values (Streamlit drops a hidden widget's value), and
    move a month the horizon no longer has back to the default."""
    for key, value in draft_defaults(scenario).items():
        if key not in session:
            session[key] = value
    if session[W_MONTH] not in scenario.month_labels():
        session[W_MONTH] = default_month(scenario)


def _number(values: Mapping[str, Any], key: str) -> float:
    value = values[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"changes: {value!r} is not a number")
    return float(value)


def _focus(scenario: Scenario, values: Mapping[str, Any]) -> dict[str, float]:
    lines = scenario.line_ids
    if len(lines) == 2:
        first = min(max(_number(values, W_FOCUS_SPLIT) / 100, 0.0), 1.0)
        return {lines[0]: round(first, 6), lines[1]: round(1.0 - first, 6)}
    return {line: round(max(_number(values, focus_key(line)), 0.0) / 100, 6) for line in lines}


def change_from_draft(scenario: Scenario, values: Mapping[str, Any]) -> Change:
    """The change the draft describes (not yet validated against the scenario)."""
    chosen = [key for key in WHAT if values.get(key)]
    if W_SET_FOCUS in chosen and len(scenario.line_ids) < 2:
        chosen.remove(W_SET_FOCUS)
    if not chosen:
        what = ", ".join(WHAT.values())
        raise ScenarioError(f"changes: tick what changes ({what})")
    fields: dict[str, Any] = {"from_": str(values[W_MONTH])}
    if W_SET_EFFORT in chosen:
        draft = EffortControls(*(values[key] for key in EFFORT_KEYS))
        fields["effort"] = effort_from_controls(draft)
    if W_SET_FOCUS in chosen:
        fields["focus"] = _focus(scenario, values)
    if W_SET_REPS in chosen:
        fields["reps"] = _number(values, W_REPS)
    if W_SET_CONTACTS in chosen:
        fields["contacts_per_account"] = int(_number(values, W_CONTACTS))
    return Change.model_construct(**fields)


def changes_with_draft(scenario: Scenario, values: Mapping[str, Any]) -> tuple[Change, ...]:
    """The scenario's changes and the drafted one after them. The same change twice in a
    row (a click delivered twice) is there once."""
    change = change_from_draft(scenario, values)
    if scenario.changes and scenario.changes[-1] == change:
        return scenario.changes
    if len(scenario.changes) >= MAX_CHANGES:
        raise ScenarioError(f"changes: a plan holds at most {MAX_CHANGES} changes")
    return (*scenario.changes, change)


def add_change(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """The scenario with the drafted change added, validated (ScenarioError naming the
    field, e.g. ``changes.2.reps``)."""
    return levers.lever("changes").write(scenario, changes_with_draft(scenario, values))


def remove_change(scenario: Scenario, index: int, change: Change) -> Scenario:
    """The scenario without change ``index``, if that is still ``change`` (a second click
    on a button that has gone removes nothing more)."""
    if not 0 <= index < len(scenario.changes) or scenario.changes[index] != change:
        return scenario
    kept = scenario.changes[:index] + scenario.changes[index + 1 :]
    return levers.lever("changes").write(scenario, kept)


# --- The changes in the user's words.


def _reps(reps: float) -> str:
    return f"{reps:g} rep" + ("" if reps == 1 else "s")


def _focus_words(scenario: Scenario, focus: Mapping[str, float]) -> str:
    names = {k: line.name for k, line in scenario.product_lines.items()}
    total = sum(focus.values())
    if set(focus) == set(names) and total > 0:
        parts = [f"{names[k]} {percent(focus[k] / total)}" for k in scenario.line_ids]
        return "focus " + ", ".join(parts)
    parts = [f"{names.get(k, k)} {v:g}" for k, v in focus.items()]
    return "focus weight " + ", ".join(parts) + " (other lines as before)"


def _targets_words(targets: ChangeTargets) -> list[str]:
    out = []
    if targets.quarterly_bookings is not None:
        out.append(f"quota {money(targets.quarterly_bookings)} a quarter")
    if targets.quarterly_revenue is not None:
        out.append(f"revenue target {money(targets.quarterly_revenue)} a quarter")
    return out


def describe_change(scenario: Scenario, change: Change) -> str:
    """One change as a sales leader would say it: "From 2012-07: 15 reps; effort
    attract 35%, close 25%, ..."."""
    parts = []
    if change.reps is not None:
        parts.append(_reps(change.reps))
    if change.effort is not None:
        shares = change.effort.as_dict()
        parts.append("effort " + ", ".join(f"{s} {percent(v)}" for s, v in shares.items()))
    if change.focus is not None:
        parts.append(_focus_words(scenario, change.focus))
    if change.contacts_per_account is not None:
        n = change.contacts_per_account
        parts.append(f"{n} buyer contact{'' if n == 1 else 's'} per account")
    if change.targets is not None:
        parts += _targets_words(change.targets)
    return f"From {change.from_}: " + ("; ".join(parts) or "no change")


def listed_changes(scenario: Scenario) -> list[tuple[int, Change, str]]:
    """(index in the file, change, its words) in the order they take effect: by month,
    then as written (a later one wins within a month)."""
    order = sorted(range(len(scenario.changes)), key=lambda i: (scenario.changes[i].from_, i))
    return [(i, scenario.changes[i], describe_change(scenario, scenario.changes[i])) for i in order]


def opening_words(scenario: Scenario) -> str:
    """The plan the timeline starts from."""
    return f"From {scenario.simulation.start}: {_reps(scenario.team.reps)}, the plan above."
