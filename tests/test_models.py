"""Scenario validation: every bad value gets a clear error naming the field."""

import pytest

from simulator import (
    ScenarioError,
    dump_scenario,
    list_presets,
    load_preset,
    parse_scenario,
    scenario_from_dict,
)
from simulator.models import Effort, ProductLine, Scenario

MINIMAL = """
[product_lines.core]
name = "Core"
"""


def error_for(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text)
    return str(caught.value)


def test_defaults_come_from_the_models():
    scenario = parse_scenario(MINIMAL)
    assert scenario.effort == Effort()
    assert scenario.product_lines["core"].win_rate == ProductLine.model_fields["win_rate"].default
    assert scenario.simulation.months == 36 and scenario.simulation.runs == 1000


def test_models_are_frozen():
    scenario = parse_scenario(MINIMAL)
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError
        scenario.team.reps = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[effort]\nattract = 0.5\nclose = 0.5\nengage = 0.5\n",
            "effort: the five effort shares (attract, close, engage, retain, leverage) "
            "must sum to 1; they sum to 1.85",
        ),
        ('[product_lines.core]\nname = "C"\ndeal_size = -1\n', "product_lines.core.deal_size"),
        ('[product_lines.core]\nname = "C"\nwin_rate = nan\n', "product_lines.core.win_rate"),
        ('[simulation]\nstart = "2012-13"\n', "simulation.start"),
        ('[simulation]\nstart = "Jan 2012"\n', "YYYY-MM"),
        ("[simulation]\nmonths = 500\n", "simulation.months"),
        ('[team]\nreps = "ten"\n', "team.reps"),
        ("[teem]\nreps = 3\n", "teem: is not a known field"),
        (
            MINIMAL + '[[contracts]]\nname = "X"\nproduct_line = "other"\n'
            'annual_value = 5\nends = "2013-01"\n',
            "contracts.0.product_line: 'other' is not a product line",
        ),
        (
            MINIMAL + '[[contracts]]\nname = "X"\nproduct_line = "core"\n'
            'annual_value = 5\nends = "2011-01"\n',
            "contracts.0.ends: 2011-01 is before simulation.start",
        ),
        ('[product_lines."Bad Id"]\nname = "C"\n', "product line id 'Bad Id'"),
        ("this is not toml", "not valid TOML"),
        (
            "[simulation]\nruns = 20000\nmonths = 120\n"
            + "".join(f'[product_lines.l{i}]\nname = "L{i}"\n' for i in range(3)),
            "runs x simulation.months x product lines = 7,200,000 is above the limit",
        ),
    ],
)
def test_bad_values_name_the_field(text, expected):
    assert expected in error_for(text)


def test_error_shows_the_bad_value():
    assert "(got -1" in error_for('[product_lines.core]\nname = "C"\ndeal_size = -1\n')


def test_focus_all_zero_is_rejected():
    message = error_for('[product_lines.a]\nname = "A"\nfocus = 0\n')
    assert "focus above 0" in message


@pytest.mark.parametrize("name", sorted(list_presets()))
def test_every_preset_round_trips_through_toml(name):
    scenario = load_preset(name)
    assert parse_scenario(dump_scenario(scenario)) == scenario


def test_scenario_from_dict_rejects_non_mappings():
    with pytest.raises(ScenarioError):
        scenario_from_dict(["not", "a", "table"])  # type: ignore[arg-type]


def test_json_schema_describes_every_section():
    schema = Scenario.model_json_schema()
    assert set(schema["properties"]) == set(Scenario.model_fields)
