"""The preset scenarios the picker offers, loaded once per process."""

from __future__ import annotations

import functools

from simulator import Scenario, ScenarioError, list_presets, load_preset

DEFAULT_PRESET = "team_a_team_b"
"""The article's worked example: what a newcomer sees first."""


@functools.lru_cache(maxsize=32)
def preset_scenario(name: str) -> Scenario:
    """A preset by name (read-only repository files, so loaded once per process)."""
    return load_preset(name)


def preset_titles() -> dict[str, str]:
    """Preset names and their titles, for the picker."""
    titles = {}
    for name in list_presets():
        try:
            titles[name] = preset_scenario(name).meta.title
        except ScenarioError:
            continue
    return titles
