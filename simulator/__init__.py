"""Sales-whiplash simulator engine: scenarios in, revenue paths and a verdict out.

Pure Python and numpy (no UI imports). Typical use::

    from simulator import load_scenario, simulate
    result = simulate(load_scenario("scenarios/team_a_team_b.toml"), seed=1)
    print(result.whiplash.verdict, result.whiplash.probability)
"""

from .engine import SOURCES
from .metrics import VERDICTS, WhiplashReport
from .models import Scenario
from .results import ResultSummary, SimulationResult, simulate
from .scenario_io import (
    ScenarioError,
    apply_overrides,
    dump_scenario,
    list_presets,
    load_preset,
    load_scenario,
    parse_scenario,
    scenario_from_dict,
    scenario_to_dict,
)

__all__ = [
    "SOURCES",
    "VERDICTS",
    "ResultSummary",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "WhiplashReport",
    "apply_overrides",
    "dump_scenario",
    "list_presets",
    "load_preset",
    "load_scenario",
    "parse_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
    "simulate",
]
