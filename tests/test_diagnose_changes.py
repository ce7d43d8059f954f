"""The diagnosis neutralises a habit wherever the plan sets it: in the opening plan and
in every change of plan (``[[changes]]``), so a team that switches to closing in April
is diagnosed with its effort balance, not told it is "already balanced"."""

from __future__ import annotations

import pytest

from simulator import apply_overrides, load_preset
from simulator.diagnose import MATTERS, diagnose, neutralised, neutralising_overrides
from simulator.levers import favours_one_line, reference_levels
from simulator.models import Scenario

RUNS = 300


def with_change(preset: str, change: str) -> Scenario:
    """The preset with one change of plan from July 2012 (a TOML inline table)."""
    return apply_overrides(load_preset(preset), [f'changes=[{{from = "2012-07", {change}}}]'])


def test_a_switch_to_closing_in_april_is_an_effort_imbalance() -> None:
    scenario = load_preset("close_close_close")
    assert scenario.effort.attract == scenario.effort.close  # balanced until April
    fixed = neutralised(scenario, "effort", reference_levels())
    assert fixed is not None
    for _, plan in fixed.plan_periods():
        assert plan.effort.attract == pytest.approx(plan.effort.close, abs=1e-3)
    april = fixed.changes[0].effort  # re-mixed, its care time kept
    assert april.attract > 0.3
    assert (april.engage, april.retain) == (0.05, 0.10)
    effect = diagnose(scenario, runs=RUNS).effect("effort")
    assert effect.applies and effect.score > MATTERS
    assert effect.after.largest_fall < effect.before.largest_fall
    assert "in the plan's changes" in effect.sentence
    assert "from April 2012 prospecting 3%, closing 77%" in effect.sentence


def test_favouring_a_line_in_the_changes_is_a_focus_imbalance() -> None:
    scenario = load_preset("new_product_splash")
    fixed = neutralised(scenario, "focus", reference_levels())
    assert fixed is not None
    assert all(c.focus == {"subscriptions": 0.5, "platform": 0.5} for c in fixed.changes)
    assert not any(
        favours_one_line(plan.focus_shares, reference_levels()) for _, plan in fixed.plan_periods()
    )
    effect = diagnose(scenario, runs=RUNS).effect("focus")
    assert effect.applies and effect.score > MATTERS


@pytest.mark.parametrize(
    ("cause", "change", "check"),
    [
        ("contacts", "contacts_per_account = 1", lambda c: c.contacts_per_account == 3),
        (
            "care",
            "effort = {attract = 0.40, close = 0.40, engage = 0, retain = 0, leverage = 0.20}",
            lambda c: c.effort.engage >= 0.15 and c.effort.retain >= 0.20,
        ),
        (
            "effort",
            "effort = {attract = 0.05, close = 0.65, engage = 0.15, retain = 0, leverage = 0.15}",
            lambda c: c.effort.attract == pytest.approx(c.effort.close),
        ),
    ],
)
def test_a_habit_set_in_a_change_is_neutralised_there(cause: str, change: str, check) -> None:
    scenario = with_change("balanced", change)
    reference = reference_levels()
    overrides = neutralising_overrides(scenario, cause, reference)
    assert any(o.startswith("changes.0.") for o in overrides)  # shown and applied exactly
    fixed = apply_overrides(scenario, overrides)
    assert fixed == neutralised(scenario, cause, reference)
    assert check(fixed.changes[0])
    assert fixed.changes[0].from_ == "2012-07"  # only the habit moves, not the timing
    assert neutralised(fixed, cause, reference) is None  # neutralising twice: nothing more


def test_a_change_that_keeps_the_habit_balanced_is_left_alone() -> None:
    scenario = with_change(
        "balanced",
        "reps = 15, contacts_per_account = 4, "
        "effort = { attract = 0.25, close = 0.25, engage = 0.15, retain = 0.20, leverage = 0.15 }",
    )
    reference = reference_levels()
    for cause in ("effort", "care", "contacts", "focus"):
        assert neutralised(scenario, cause, reference) is None, cause
