"""A plan with no contracts (a new company, or one whose contracts were all removed)
travels in a link: its empty per-contract parameters (``cc=``, ``ends=``) read back as
no entries, not as one empty entry ("cc: expected 0 entries, got 1")."""

from __future__ import annotations

import pytest

from simulator import dump_scenario, list_presets, load_preset, parse_scenario
from simulator.levers import LINK_PARAMS, BuyerContacts, apply, revalidate
from simulator.models import Scenario
from ui import links


def without_contracts(preset: str) -> Scenario:
    """The preset with every contract removed, as a user's saved file would have it."""
    scenario = revalidate(load_preset(preset).model_copy(update={"contracts": ()}))
    assert scenario.contracts == ()
    return scenario


@pytest.mark.parametrize("preset", list_presets())
def test_every_link_parameter_of_a_plan_without_contracts_reads_back(preset: str) -> None:
    scenario = without_contracts(preset)
    for lever, param in LINK_PARAMS:
        value = lever.read(scenario)
        text = param.encode(scenario, value)
        assert param.decode(scenario, text, value) == value, param.name


def test_a_link_on_a_plan_without_contracts_applies_without_notes() -> None:
    scenario = without_contracts("balanced")
    params = {
        param.name: param.encode(scenario, lever.read(scenario)) for lever, param in LINK_PARAMS
    }
    assert params["cc"] == "" and params["ends"] == ""
    back, notes = links.apply_params(scenario, params)
    assert notes == []
    assert back == scenario


def test_a_contractless_plan_with_a_lever_moved_reopens_exactly() -> None:
    """A saved plan without contracts, opened as the base of a link, with the effort
    changed: the link reopens the same plan and says nothing was ignored."""
    base = parse_scenario(dump_scenario(without_contracts("balanced")), source="saved file")
    moved = apply(
        base,
        {
            "effort": (0.30, 0.30, 0.15, 0.15, 0.10),
            "contacts": BuyerContacts(per_account=4, contracts=()),
        },
    )
    params = links.scenario_to_params(moved, preset=None)
    reopened, preset, notes = links.scenario_from_params(params)
    assert preset is None
    assert reopened == moved and notes == []
    back, notes = links.apply_params(base, {"cc": "", "ends": "", "contacts": "4"})
    assert notes == [] and back.relationships.contacts_per_account == 4


def test_an_empty_entry_still_counts_when_there_are_contracts() -> None:
    """One contract with no contact count of its own writes ``cc=``: that is one entry."""
    scenario = load_preset("balanced")
    scenario = revalidate(scenario.model_copy(update={"contracts": scenario.contracts[:1]}))
    back, notes = links.apply_params(scenario, {"cc": ""})
    assert notes == [] and back.contracts[0].contacts is None
    _, notes = links.apply_params(scenario, {"cc": "3,4"})
    assert notes and "cc: expected 1 entries, got 2" in notes[0]
