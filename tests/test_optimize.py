"""Suggest a fix: smoother plans within the user's limits, never a worse one."""

from __future__ import annotations

import json

import pytest

from simulator import apply_overrides, load_preset, simulate
from simulator.cli import main
from simulator.diagnose import reference_levels
from simulator.models import month_index
from simulator.optimize import Limits, suggest_fix
from simulator.scenario_io import PRESET_DIR, ScenarioError

WHIPLASH_PRESETS = [
    "team_a_team_b",
    "single_threaded",
    "close_close_close",
    "new_product_splash",
    "hand_off_after_close",
]


@pytest.fixture(scope="module")
def suggestions():
    return {name: suggest_fix(load_preset(name)) for name in [*WHIPLASH_PRESETS, "balanced"]}


def test_presets_under_test_do_have_whiplash():
    # Whiplash in at least 1 future in 10: something for the search to remove.
    for name in WHIPLASH_PRESETS:
        assert simulate(load_preset(name)).whiplash.probability >= 0.1, name


@pytest.mark.parametrize("preset", WHIPLASH_PRESETS)
def test_fix_lowers_whiplash_and_keeps_the_revenue_floor(suggestions, preset):
    s = suggestions[preset]
    assert s.improved and s.changes
    assert s.after.probability < s.before.probability
    assert s.after.revenue >= 0.95 * s.before.revenue
    assert s.after.largest_fall < s.before.largest_fall


def test_fix_does_not_make_balanced_worse(suggestions):
    s = suggestions["balanced"]
    assert s.after.probability <= s.before.probability
    assert s.after.revenue >= 0.95 * s.before.revenue


@pytest.mark.parametrize("preset", [*WHIPLASH_PRESETS, "balanced"])
def test_suggestion_is_reproducible_from_its_overrides(suggestions, preset):
    s = suggestions[preset]
    assert apply_overrides(s.original, s.overrides) == s.suggested
    assert s.suggested.team.reps == s.original.team.reps  # headcount fixed
    rerun = simulate(s.suggested, runs=s.runs, seed=s.seed).whiplash.probability
    assert rerun == pytest.approx(s.after.probability)


def test_changes_are_described_in_user_words(suggestions):
    s = suggestions["hand_off_after_close"]
    labels = {c.label for c in s.changes}
    assert "Onboarding (engage)" in labels or "Account care (retain)" in labels
    for change in s.changes:
        assert change.before != change.after
    text = "\n".join(s.lines())
    assert "→" in text and "Whiplash:" in text


def test_dates_stay_within_the_shift_limit():
    scenario = load_preset("single_threaded")
    s = suggest_fix(scenario, limits=Limits(max_shift_months=2, levers=("renewal_dates",)))
    for before, after in zip(scenario.contracts, s.suggested.contracts, strict=True):
        assert abs(month_index(after.ends) - month_index(before.ends)) <= 2
    assert all(c.field.endswith(".ends") for c in s.changes)


def test_only_the_allowed_levers_move():
    scenario = load_preset("team_a_team_b")
    s = suggest_fix(scenario, limits=Limits(levers=("contacts",), max_contacts=3))
    assert s.improved
    assert s.suggested.effort == scenario.effort
    assert s.suggested.product_lines == scenario.product_lines
    assert [c.ends for c in s.suggested.contracts] == [c.ends for c in scenario.contracts]
    assert max(c.contacts for c in s.suggested.contracts) <= 3


def test_an_unreachable_revenue_floor_keeps_the_current_plan():
    scenario = load_preset("team_a_team_b")
    s = suggest_fix(scenario, limits=Limits(keep_revenue=2.0, levers=("contacts",)))
    assert not s.improved
    assert s.suggested == scenario and s.overrides == ()
    assert "current plan stays" in s.message


def test_progress_is_reported_up_to_done():
    seen: list[float] = []
    suggest_fix(
        load_preset("new_product_splash"),
        limits=Limits(levers=("focus",)),
        progress=lambda fraction, _text: seen.append(fraction),
    )
    assert seen and seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen)
    assert seen == sorted(seen)


def test_bad_limits_are_named():
    with pytest.raises(ScenarioError, match="keep_revenue"):
        Limits(keep_revenue=-1)
    with pytest.raises(ScenarioError, match="levers"):
        Limits(levers=("headcount",))


def run_cli(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


def test_cli_optimize_json(capsys):
    path = str(PRESET_DIR / "single_threaded.toml")
    assert (
        run_cli(["optimize", path, "--json", "--levers", "contacts", "--keep-revenue", "0.9"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["improved"] is True
    assert data["after"]["probability"] < data["before"]["probability"]
    assert all("contacts" in o for o in data["overrides"])


@pytest.mark.parametrize(
    "extra",
    [["--keep-revenue", "lots"], ["--max-shift-months", "-3"], ["--levers", "headcount"]],
)
def test_cli_optimize_bad_options_exit_2(capsys, extra):
    assert run_cli(["optimize", str(PRESET_DIR / "balanced.toml"), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("preset", [*WHIPLASH_PRESETS, "balanced"])
def test_suggestion_keeps_every_stage_and_line_alive(suggestions, preset):
    s = suggestions[preset]
    ref = reference_levels()
    before, after = s.original.effort.as_dict(), s.suggested.effort.as_dict()
    for stage, share in after.items():
        assert share >= min(before[stage], 0.5 * ref.effort[stage]) - 1e-9, stage
    shares = list(s.suggested.focus_shares.values())
    now = list(s.original.focus_shares.values())
    ratio = max(shares) / min(shares) if min(shares) > 0 else float("inf")
    now_ratio = max(now) / min(now) if min(now) > 0 else float("inf")
    assert ratio <= max(now_ratio, ref.focus_ratio * 1.01)


# --- The main page's section (ui/diagnosis.py), driven through AppTest.
def _diagnosis_page():
    import streamlit as st

    from simulator import load_preset
    from ui import session
    from ui.diagnosis import render_diagnosis

    if session.SCENARIO not in st.session_state:
        st.session_state[session.SCENARIO] = load_preset("single_threaded")
    render_diagnosis(st.session_state[session.SCENARIO], workshop_link=False)


def test_app_section_diagnoses_suggests_and_applies():
    from streamlit.testing.v1 import AppTest

    from ui import session

    at = AppTest.from_function(_diagnosis_page, default_timeout=60).run()
    assert not at.exception and not at.get("vega_lite_chart")  # nothing until asked
    at.toggle(key="dx_w_on").set_value(True).run()
    assert not at.exception
    assert at.get("vega_lite_chart"), "the tornado chart"
    assert any(m.value.startswith("1. Relationships") for m in at.markdown)
    next(b for b in at.button if b.label == "Suggest a fix").click().run()
    assert not at.exception
    assert at.metric[0].label == "Whiplash"  # the main page's key figure, same figure
    before = at.session_state[session.SCENARIO]
    at.button(key="dx_apply").click().run()
    assert not at.exception
    assert at.session_state[session.BASELINE] == before
    applied = at.session_state[session.SCENARIO]
    assert applied != before and applied.relationships.contacts_per_account > 1
