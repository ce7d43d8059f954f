"""A saved scenario always loads back to the same state: files, dicts, --set and links.

Every preset and generated valid scenarios (values up to the ends of every range, odd
Unicode in the texts) go through each way a scenario leaves and re-enters the product.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from simulator import (
    Scenario,
    apply_overrides,
    dump_scenario,
    list_presets,
    load_preset,
    load_scenario,
    parse_scenario,
    scenario_from_dict,
    scenario_to_dict,
    simulate,
)
from tests.support.fuzz import valid_scenarios
from ui import links

PRESETS = sorted(list_presets())
GENERATED = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_toml_round_trip(scenario: Scenario) -> None:
    text = dump_scenario(scenario)
    back = parse_scenario(text)
    assert back == scenario
    assert dump_scenario(back) == text  # stable: saving twice gives the same file
    assert parse_scenario(text.encode("utf-8")) == scenario  # as an upload's bytes


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_round_trips_through_toml(name: str) -> None:
    assert_toml_round_trip(load_preset(name))


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_round_trips_through_a_file(name: str, tmp_path) -> None:
    scenario = load_preset(name)
    path = tmp_path / "saved.toml"
    path.write_text(dump_scenario(scenario), encoding="utf-8")
    assert load_scenario(path) == scenario


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_round_trips_through_a_link(name: str) -> None:
    scenario = load_preset(name)
    assert links.decode_scenario(links.encode_scenario(scenario)) == scenario
    params = links.scenario_to_params(scenario, preset=name)
    assert params == {"preset": name}  # an unchanged preset is a short link
    back, preset, notes = links.scenario_from_params(params)
    assert (back, preset, notes) == (scenario, name, [])


@pytest.mark.parametrize("name", PRESETS)
def test_the_same_file_gives_the_same_result(name: str) -> None:
    scenario = load_preset(name)
    back = parse_scenario(dump_scenario(scenario))
    first = simulate(scenario, runs=50, seed=7).quarter_table
    again = simulate(back, runs=50, seed=7).quarter_table
    assert first.equals(again)


@GENERATED
@given(valid_scenarios())
def test_generated_scenarios_round_trip_through_toml(scenario: Scenario) -> None:
    assert_toml_round_trip(scenario)


@GENERATED
@given(valid_scenarios())
def test_generated_scenarios_round_trip_through_plain_data(scenario: Scenario) -> None:
    assert scenario_from_dict(scenario_to_dict(scenario)) == scenario


@GENERATED
@given(valid_scenarios())
def test_generated_scenarios_round_trip_through_a_link(scenario: Scenario) -> None:
    params = links.scenario_to_params(scenario, preset=None)
    back, preset, notes = links.scenario_from_params(params)
    assert notes == []
    assert preset is None
    assert back == scenario


@GENERATED
@given(valid_scenarios())
def test_setting_every_field_to_its_own_value_changes_nothing(scenario: Scenario) -> None:
    overrides = [
        f"{section}.{name}={_toml(value)}"
        for section in ("simulation", "team", "effort", "relationships", "engagement")
        for name, value in scenario_to_dict(scenario)[section].items()
    ]
    assert apply_overrides(scenario, overrides) == scenario


def _toml(value: object) -> str:
    """A value as ``--set`` reads it (TOML syntax)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


@pytest.mark.parametrize("name", PRESETS)
def test_changed_presets_round_trip_through_a_link(name: str) -> None:
    """A preset with every lever moved reopens exactly, whichever link form it takes."""
    scenario = load_preset(name)
    moved = apply_overrides(
        scenario,
        [
            "effort.attract=0.3",
            "effort.close=0.3",
            "effort.engage=0.1",
            "effort.retain=0.2",
            "effort.leverage=0.1",
            "relationships.contacts_per_account=5",
            "relationships.champion_turnover=0.15",
            "simulation.months=48",
            "simulation.runs=321",
            "simulation.seed=99",
        ],
    )
    if moved.contracts:
        moved = apply_overrides(moved, ["contracts.0.ends=2014-02", "contracts.0.contacts=6"])
    params = links.scenario_to_params(moved, preset=name)
    back, _, notes = links.scenario_from_params(params)
    assert notes == []
    assert back == moved
