"""The levers' registry: each lever reads and writes its fields exactly, its balanced value
and search moves are valid plans, its link text round-trips and refuses garbage by name,
and the app, the link, the diagnosis and the search all use it."""

from __future__ import annotations

import pytest

from simulator import ScenarioError, apply_overrides, list_presets, load_preset
from simulator.diagnose import CAUSES, neutralising_overrides
from simulator.levers import (
    BY_NAME,
    LEVERS,
    LINK_ORDER,
    LINK_PARAMS,
    SEARCHED,
    BuyerContacts,
    Pressure,
    end_months,
    lever,
    overrides,
    reference_levels,
    staggered_ends,
)
from simulator.models import (
    LAST_YEAR,
    SEASONAL_PATTERNS,
    Change,
    Currency,
    Policy,
    ProductLine,
    Seasonality,
    month_index,
)
from simulator.optimize import LEVERS as OPTIMIZE_LEVERS
from ui import controls, links, presets
from ui import session as app_session

PRESETS = sorted(list_presets())
NAMES = [lv.name for lv in LEVERS]

GARBAGE = ["", "x", "1,,2", "nan", "١٢", "1_0", "2013-13", "../..", "1e400", "-", "9" * 40]


@pytest.fixture(scope="module", params=PRESETS)
def preset(request: pytest.FixtureRequest):
    return load_preset(request.param)


@pytest.mark.parametrize("name", NAMES)
def test_writing_what_a_lever_reads_changes_nothing(preset, name: str) -> None:
    chosen = lever(name)
    assert chosen.write(preset, chosen.read(preset)) == preset


def test_a_written_value_is_read_back() -> None:
    scenario = load_preset("team_a_team_b")
    cases = {
        "effort": (0.2, 0.3, 0.1, 0.25, 0.15),
        "focus": (2.0, 1.0),
        "contacts": BuyerContacts(per_account=4, contracts=(2, None)),
        "turnover": 0.4,
        "renewal_dates": (14, 20),
        "months": 24,
        "runs": 300,
        "seed": 7,
        "team": (14.0, 4, 0.15, 2),
        "season": Seasonality(leads=SEASONAL_PATTERNS["summer_dip"]),
        "changes": (Change.model_validate({"from": "2012-07", "reps": 15.0}),),
        "timing": (3,),  # of the change of plan above
        "hiring": (14.0,),
        "change_effort": ((0.3, 0.3, 0.15, 0.15, 0.1),),
        "pressure": Pressure(policy=Policy(quarter_end_push=0.5), quota=400_000.0),
        "lines": (("solo", ProductLine(name="Solo", deal_size=80_000.0, win_rate=0.3)),),
        "revenue_target": 2_500_000.0,
        "start": "2013-04",
        "currency": Currency(code="DKK", symbol="kr.", symbol_after=True),
    }
    assert set(cases) | {"care"} == set(NAMES), "a new lever needs a case here"
    planned = lever("changes").write(scenario, cases["changes"])
    for name, value in cases.items():
        if name in ("timing", "hiring", "change_effort"):  # of the plan's changes
            written = lever(name).write(planned, value)
            assert lever(name).read(written) == value and written != planned
            continue
        if name == "lines":  # the book's contracts are on the preset's lines
            written = lever(name).write(scenario.model_copy(update={"contracts": ()}), value)
            assert lever(name).read(written) == value
            continue
        written = lever(name).write(scenario, value)
        assert lever(name).read(written) == value, name
        assert written != scenario
    moved = lever("renewal_dates").write(scenario, (14, 20))
    assert [c.ends for c in moved.contracts] == ["2013-03", "2013-09"]


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("effort", (0.9, 0.9, 0.0, 0.0, 0.0), "effort"),
        ("focus", (0.0, 0.0), "product_lines"),
        ("contacts", BuyerContacts(per_account=0, contracts=(1, 1)), "contacts_per_account"),
        ("contacts", BuyerContacts(per_account=3, contracts=(99, None)), "contracts.0.contacts"),
        ("turnover", float("nan"), "relationships.champion_turnover"),
        ("renewal_dates", (-1, 0), "contracts.0.ends"),
        ("months", 0, "simulation.months"),
        ("runs", 10**9, "simulation.runs"),
    ],
)
def test_an_invalid_value_is_refused_naming_the_field(name: str, value, field: str) -> None:
    scenario = load_preset("team_a_team_b")
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        lever(name).write(scenario, value)


@pytest.mark.parametrize("cause", CAUSES)
def test_every_balanced_value_is_a_valid_plan_that_stays_balanced(preset, cause: str) -> None:
    chosen = lever(cause)
    fixed = chosen.neutralise(preset)  # the opening plan and its changes; valid, or this raises
    if fixed is None:
        assert chosen.balanced(preset) is None
        return
    assert fixed != preset
    assert chosen.neutralise(fixed) is None  # neutralising twice changes nothing more
    # The shown overrides reproduce the typed edit exactly.
    assert apply_overrides(preset, neutralising_overrides(preset, cause, reference_levels())) == (
        fixed
    )


def test_the_balanced_preset_is_balanced_on_every_cause() -> None:
    balanced = load_preset("balanced")
    assert [lever(c).balanced(balanced) for c in CAUSES] == [None] * len(CAUSES)


def test_every_cause_and_every_searched_lever_is_a_registry_lever() -> None:
    assert set(CAUSES) <= set(BY_NAME) and all(BY_NAME[c].neutral for c in CAUSES)
    assert all(BY_NAME[c].cause for c in CAUSES)
    assert tuple(OPTIMIZE_LEVERS) == SEARCHED
    assert SEARCHED == (
        "effort",
        "focus",
        "contacts",
        "renewal_dates",
        "timing",
        "change_effort",
        "hiring",
        "pressure",
    )


@pytest.mark.parametrize("name", SEARCHED)
def test_every_search_move_is_a_valid_plan_or_refused_by_name(preset, name: str) -> None:
    chosen = lever(name)
    now = chosen.read(preset)
    if name == "focus":
        now = tuple(preset.focus_shares.values())
    moves = [m for step in chosen.steps for m in chosen.moves(now, step)]
    # One product line, or no push or change of plan (tests/test_dynamic_levers.py has them).
    assert moves or name in ("focus", "pressure", "timing", "hiring", "change_effort")
    for value in moves:
        assert value != now
        try:
            moved = chosen.write(preset, value)
        except ScenarioError as exc:  # e.g. an end month before the start
            assert "contracts." in str(exc) or ":" in str(exc)
            continue
        assert apply_overrides(preset, overrides(preset, moved)) == moved


@pytest.mark.parametrize("name", ["effort", "focus"])
def test_share_moves_keep_the_total_at_one(name: str) -> None:
    scenario = load_preset("team_a_team_b")
    chosen = lever(name)
    now = chosen.read(scenario) if name == "effort" else tuple(scenario.focus_shares.values())
    for value in chosen.moves(now, chosen.steps[0]):
        assert sum(value) == pytest.approx(1.0, abs=1e-9)
        assert min(value) >= 0


def test_the_contacts_move_raises_every_account_to_one_more() -> None:
    value = BuyerContacts(per_account=2, contracts=(1, None, 4))
    [moved] = lever("contacts").moves(value, 1)
    assert moved == BuyerContacts(per_account=2, contracts=(2, None, 4))
    assert moved.fewest == 2


# --- Links -------------------------------------------------------------------------------


def test_every_lever_part_has_one_link_parameter_in_the_link_order() -> None:
    names = [param.name for _, param in LINK_PARAMS]
    assert sorted(names) == sorted(LINK_ORDER) and len(set(names)) == len(names)
    assert names == list(LINK_ORDER)


@pytest.mark.parametrize("index", range(len(LINK_PARAMS)), ids=[p.name for _, p in LINK_PARAMS])
def test_link_text_round_trips(preset, index: int) -> None:
    chosen, param = LINK_PARAMS[index]
    text = param.encode(preset, chosen.read(preset))
    assert chosen.write(preset, param.decode(preset, text, chosen.read(preset))) == preset


@pytest.mark.parametrize("index", range(len(LINK_PARAMS)), ids=[p.name for _, p in LINK_PARAMS])
@pytest.mark.parametrize("text", GARBAGE)
def test_link_garbage_is_refused_naming_the_parameter(index: int, text: str) -> None:
    scenario = load_preset("team_a_team_b")
    chosen, param = LINK_PARAMS[index]
    try:
        value = param.decode(scenario, text, chosen.read(scenario))
    except ScenarioError as exc:
        assert str(exc).startswith(f"{param.name}: "), exc
        return
    # Text that reads as a value still has to pass the model, which names the field.
    try:
        chosen.write(scenario, value)
    except ScenarioError as exc:
        assert any(part in str(exc) for part in chosen.fields[0].split(".")[:2]), exc


def test_a_changed_lever_travels_in_the_link_and_back() -> None:
    base = presets.preset_scenario("team_a_team_b")
    changed = lever("contacts").write(base, BuyerContacts(per_account=4, contracts=(2, None)))
    params = links.scenario_to_params(changed, preset="team_a_team_b")
    assert set(params) == {"preset", "contacts", "cc"}
    assert params["cc"] == "2,"
    assert links.scenario_from_params(params) == (changed, "team_a_team_b", [])


# --- The app's control groups --------------------------------------------------------------


def test_the_apps_control_groups_are_exactly_the_registrys() -> None:
    declared = {group for lv in LEVERS for group in lv.groups}
    assert declared == set(controls.CONTROL_GROUPS)
    for group in controls.CONTROL_GROUPS:
        assert controls.group_levers(group), group


@pytest.mark.parametrize("preset_name", PRESETS)
def test_every_control_group_sets_only_its_registry_levers(preset_name: str) -> None:
    scenario = load_preset(preset_name)
    values = controls.widget_values(scenario)
    for group in controls.widget_groups(scenario):
        control, index = controls._parse_group(scenario, group)
        read = control.read(scenario, index, values)
        assert set(read) <= set(controls.group_levers(group.partition(":")[0])), group
        assert controls.apply_group(scenario, group, values) == scenario, group


def test_a_slider_move_goes_through_the_lever() -> None:
    session: dict = {}
    app_session.start_session(session, {"preset": "team_a_team_b"})
    session[controls.W_CONTACTS] = 4
    app_session.on_control_change(session, "relationships")
    scenario = session[app_session.SCENARIO]
    assert lever("contacts").read(scenario).per_account == 4
    session[controls.W_CONTACTS] = 0  # below the model's range: refused by name
    app_session.on_control_change(session, "relationships")
    assert "contacts_per_account" in session[app_session.ERROR]
    assert session[app_session.SCENARIO] == scenario


# --- One staggering, the same in the app and in the diagnosis ------------------------------


def test_stagger_renewals_and_the_diagnosis_use_the_same_calendar(preset) -> None:
    if not preset.contracts:
        return
    staggered = controls.stagger_renewals(preset)
    assert lever("renewal_dates").read(staggered) == staggered_ends(preset)
    neutral = lever("renewal_dates").balanced(preset)
    if neutral is not None:  # the diagnosis neutralises to exactly the button's dates
        assert lever("renewal_dates").write(preset, neutral) == staggered
    else:
        assert staggered == preset


def test_the_button_in_the_app_gives_the_diagnosis_calendar() -> None:
    session: dict = {}
    app_session.start_session(session, {"preset": "team_a_team_b"})
    before = session[app_session.SCENARIO]
    app_session.on_stagger(session)
    after = session[app_session.SCENARIO]
    fixed = apply_overrides(
        before, neutralising_overrides(before, "renewal_dates", reference_levels())
    )
    assert after == fixed
    assert [c.ends for c in after.contracts] == ["2013-02", "2013-08"]  # largest six apart


def test_staggering_spreads_the_largest_over_the_quarters_of_a_year() -> None:
    scenario = load_preset("single_threaded")
    ends = end_months(scenario, staggered_ends(scenario))
    quarters = {month_index(end) // 3 for end in ends}
    assert len(quarters) == len(scenario.contracts) == 4  # one renewal a quarter
    largest = sorted(range(4), key=lambda i: -scenario.contracts[i].annual_value)[:2]
    gap = abs(month_index(ends[largest[0]]) - month_index(ends[largest[1]]))
    assert gap == 6


def test_staggering_never_ends_after_the_calendar() -> None:
    scenario = load_preset("single_threaded")
    late = apply_overrides(
        scenario,
        ['simulation.start="2200-07"'] + [f'contracts.{i}.ends="2200-12"' for i in range(4)],
    )
    ends = end_months(late, staggered_ends(late))
    assert max(ends) <= f"{LAST_YEAR}-12" and min(ends) >= "2200-07"
    assert controls.stagger_renewals(late).contracts  # valid
