"""Plan bundles: saved plans load back exactly; a hostile or broken bundle is refused with
a message naming the plan and the field, in bounded time and memory; the link's copy of
the plans is bounded the same way."""

from __future__ import annotations

import base64
import zlib

import pytest

from simulator import ScenarioError, dump_scenario, load_preset
from simulator.bundle import (
    MAX_BUNDLE_BYTES,
    MAX_PLAN_NAME,
    MAX_PLANS,
    Plan,
    dump_bundle,
    parse_bundle,
    put_plan,
    remove_plan,
)
from ui import compare

BASE = load_preset("team_a_team_b")
BEST = load_preset("balanced")


def three() -> tuple[Plan, ...]:
    plans: tuple[Plan, ...] = ()
    for name, scenario in (("Base", BASE), ("Best case", BEST), ("Worst", BASE)):
        plans = put_plan(plans, name, scenario)
    return plans


def test_a_bundle_round_trips_exactly() -> None:
    plans = three()
    text = dump_bundle(plans)
    assert text.startswith('[bundle]\nversion = 1\n\n[[plans]]\nname = "Base"')
    assert parse_bundle(text) == plans
    assert parse_bundle(text.encode("utf-8")) == plans
    assert dump_bundle(parse_bundle(text)) == text


def test_a_plan_of_the_same_name_is_updated_and_a_fifth_refused() -> None:
    plans = three()
    updated = put_plan(plans, "best CASE", BASE)
    assert [p.name for p in updated] == ["Base", "best CASE", "Worst"]
    assert updated[1].scenario == BASE
    full = put_plan(plans, "Plan D", BEST)
    assert len(full) == MAX_PLANS
    with pytest.raises(ScenarioError, match="at most 4 plans"):
        put_plan(full, "Plan E", BEST)
    assert [p.name for p in remove_plan(full, "worst")] == ["Base", "Best case", "Plan D"]


@pytest.mark.parametrize(
    ("name", "why"),
    [("", "needs a name"), ("x" * (MAX_PLAN_NAME + 1), "at most 40"), ("a\u202eb", "control")],
)
def test_bad_plan_names_are_refused(name: str, why: str) -> None:
    with pytest.raises(ScenarioError, match=why):
        put_plan((), name, BASE)


def _plan_toml(name: str = "Base", body: str | None = None) -> str:
    scenario = body if body is not None else dump_scenario(BASE)
    lines = []
    for line in scenario.splitlines():
        if line.startswith("[["):
            lines.append("[[plans.scenario." + line[2:])
        elif line.startswith("["):
            lines.append("[plans.scenario." + line[1:])
        else:
            lines.append(line)
    return f'[[plans]]\nname = "{name}"\n[plans.scenario]\n' + "\n".join(lines) + "\n"


HOSTILE = [
    ("", "not a bundle"),
    ('[meta]\ntitle = "a scenario"\n', "is not a known field"),
    ("[bundle]\nversion = 2\n" + _plan_toml(), "bundle.version"),
    ("[bundle]\nversion = true\n" + _plan_toml(), "bundle.version"),
    ("[bundle]\nversion = 1\n", "plans: a bundle lists one or more"),
    ("plans = 3\n", "plans: a bundle lists one or more"),
    ("plans = [1]\n", "plans.0: is a table"),
    ('[[plans]]\nname = "A"\n', "plans.0.scenario: is required"),
    ("[[plans]]\nname = 7\n[plans.scenario]\n", "plans.0.name"),
    ('[[plans]]\nname = "A"\nextra = 1\n[plans.scenario]\n', "plans.0.'extra'"),
    (_plan_toml("A") + _plan_toml("a"), "plans.1.name: 'a' is the name of another plan"),
    ("".join(_plan_toml(f"P{i}") for i in range(5)), "a bundle holds at most 4"),
    (_plan_toml("A").replace("runs = 1000", "runs = 1000000"), "plans.0 ('A'): simulation.runs"),
    (_plan_toml("A").replace('code = "USD"', 'code = "usd"'), "plans.0 ('A'): currency.code"),
    ("[[plans]]\n" + "a." * 20 + "b = 1\n", "dotted parts"),
    ("x = " + "[" * 40 + "]" * 40 + "\n", "nested more than"),
    ("not toml = = 1", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "why"), HOSTILE, ids=[w for _, w in HOSTILE])
def test_hostile_bundles_are_refused_naming_the_problem(text: str, why: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_bundle(text.encode("utf-8"), source="plans.toml")
    message = str(caught.value)
    assert message.startswith("plans.toml: ") and why in message, message
    assert len(message) <= 600


def test_an_oversized_or_binary_bundle_is_refused_before_parsing() -> None:
    with pytest.raises(ScenarioError, match="the limit is"):
        parse_bundle(b" " * (MAX_BUNDLE_BYTES + 1))
    with pytest.raises(ScenarioError, match="not UTF-8"):
        parse_bundle(b"\xff\xfe[[plans]]")


def test_the_links_plans_round_trip_and_damage_is_refused() -> None:
    plans = three()
    text = compare.encode_plans(plans)
    assert len(text) < 12_000
    assert compare.decode_plans(text) == plans
    with pytest.raises(ScenarioError, match="damaged"):
        compare.decode_plans("not*base64")
    with pytest.raises(ScenarioError, match="damaged or cut short"):
        compare.decode_plans(text[: len(text) // 8 * 4])  # whole base64 groups: cut, not garbled
    bomb = base64.urlsafe_b64encode(zlib.compress(b"#" * 5_000_000, 9)).decode().rstrip("=")
    with pytest.raises(ScenarioError, match="too large"):
        compare.decode_plans(bomb)


def test_a_damaged_link_still_opens_with_a_note() -> None:
    session: dict = {}
    compare.start(session, {"plans": "garbage"})
    assert session[compare.PLANS] == ()
    assert any("plans were ignored" in n for n in session["link_notes"])
    session = {}
    compare.start(session, {"plans": compare.encode_plans(three())})
    assert [p.name for p in session[compare.PLANS]] == ["Base", "Best case", "Worst"]


def test_the_documented_bundle_example_loads() -> None:
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "scenario-format.md").read_text()
    section = doc[doc.index("## Plan bundles") :]
    example = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    plans = parse_bundle(example)
    assert [p.name for p in plans] == ["Base", "Best case"]
    assert [p.scenario.team.reps for p in plans] == [12, 15]
