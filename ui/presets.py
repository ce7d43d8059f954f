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


def preset_labels() -> dict[str, str]:
    """Preset names and the picker's labels: each title up to its colon ("The 2012
    client", not "The 2012 client: Team A and Team B"), which fits the sidebar's
    selectbox at 1280 px, where Streamlit cuts a longer one with "…"; the caption under
    the picker gives the whole title. A short label two presets share stays whole."""
    titles = preset_titles()
    short = {name: title.split(": ", 1)[0].strip() or title for name, title in titles.items()}
    counts = {label: list(short.values()).count(label) for label in short.values()}
    return {name: short[name] if counts[short[name]] == 1 else titles[name] for name in titles}
