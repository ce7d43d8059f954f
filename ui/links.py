"""The shareable link: a scenario as query parameters, and back.

A link names a preset plus the levers that differ from it (one compact parameter per
lever part, declared in simulator/levers.py), or carries the whole scenario compressed
when that is the only exact way. Everything read from a link is bounded and checked: a
malformed or invalid parameter is skipped with a note naming it, so a tampered link
still opens a valid scenario.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from simulator import Scenario, ScenarioError, dump_scenario, list_presets, parse_scenario
from simulator.levers import LINK_PARAMS, Lever, LinkParam, shorten

from .presets import DEFAULT_PRESET, preset_scenario

MAX_PARAM_CHARS = 12_000
"""Longest query-parameter value read from a link (a compressed scenario fits easily)."""

MAX_LINK_BYTES = 64 * 1024
"""Largest scenario a link may inflate to (a real one is a few KB of TOML): 12,000
characters of zlib can otherwise inflate to many megabytes of hostile TOML."""


_PARAM_ORDER = tuple(param.name for _, param in LINK_PARAMS)
"""The link's compact parameters, from the levers' registry (simulator/levers.py)."""
OTHER_PARAMS = ("plans",)
"""Parameters the link carries besides the scenario: the plans compared (ui/compare.py)."""


def _group_params(scenario: Scenario) -> dict[str, str]:
    """Every compact parameter for ``scenario`` (before dropping those equal to the preset)."""
    return {
        param.name: param.encode(scenario, lever.read(scenario)) for lever, param in LINK_PARAMS
    }


def encode_scenario(scenario: Scenario) -> str:
    """A whole scenario as a compact URL-safe string (zlib-compressed TOML)."""
    packed = zlib.compress(dump_scenario(scenario).encode("utf-8"), 9)
    return base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode_scenario(text: str) -> Scenario:
    """The inverse of :func:`encode_scenario`; any damage becomes a ScenarioError."""
    if len(text) > MAX_PARAM_CHARS:
        raise ScenarioError(f"the link's scenario is longer than {MAX_PARAM_CHARS:,} characters")
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_LINK_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise ScenarioError(
            "the link's scenario is damaged (it is not a shared scenario)"
        ) from None
    except MemoryError:
        raise ScenarioError("the link's scenario is too large") from None
    if len(raw) > MAX_LINK_BYTES or inflater.unconsumed_tail:
        raise ScenarioError(
            f"the link's scenario is too large (more than {MAX_LINK_BYTES:,} bytes of TOML)"
        )
    if not inflater.eof:
        raise ScenarioError("the link's scenario is cut short (copy the whole link)")
    if inflater.unused_data:  # bytes after the scenario: not a link the app wrote
        raise ScenarioError("the link's scenario is damaged (it is not a shared scenario)")
    try:
        return parse_scenario(raw, source="the link's scenario")
    except (MemoryError, RecursionError):
        raise ScenarioError("the link's scenario cannot be read (it is too complex)") from None


def scenario_to_params(scenario: Scenario, *, preset: str | None) -> dict[str, str]:
    """Query parameters that reopen ``scenario``: the preset plus what differs, when that
    reproduces it exactly; otherwise the whole scenario, compressed."""
    if preset is not None and preset in list_presets():
        base = preset_scenario(preset)
        mine, theirs = _group_params(scenario), _group_params(base)
        params = {"preset": preset}
        params.update({k: v for k, v in mine.items() if v != theirs[k]})
        try:
            back, notes = apply_params(base, params)
        except ScenarioError:
            back, notes = None, ["failed"]
        if back == scenario and not notes:
            return params
    encoded = encode_scenario(scenario)
    if len(encoded) > MAX_PARAM_CHARS:  # a link this long would not open again
        raise ScenarioError(
            f"the scenario needs {len(encoded):,} characters in a link; the limit is "
            f"{MAX_PARAM_CHARS:,}"
        )
    return {"scenario": encoded}


def _apply_param(scenario: Scenario, lever: Lever, param: LinkParam, text: str) -> Scenario:
    """The scenario with one parameter's text read into its lever (ScenarioError naming
    the parameter, or the field the model refuses)."""
    return lever.write(scenario, param.decode(scenario, text, lever.read(scenario)))


def _one_value(value: str | Sequence[str]) -> str:
    if isinstance(value, str):
        return value
    return str(value[-1]) if value else ""


def apply_params(base: Scenario, params: Mapping[str, Any]) -> tuple[Scenario, list[str]]:
    """``base`` with the link's compact parameters applied one at a time.

    A parameter that is malformed or makes the scenario invalid is skipped with a note
    naming it, so a tampered link still opens a valid scenario.
    """
    scenario = base
    notes = []
    for lever, param in LINK_PARAMS:
        key = param.name
        if key not in params:
            continue
        text = _one_value(params[key])
        if len(text) > MAX_PARAM_CHARS:
            notes.append(f"The link's {key} value is too long and was ignored.")
            continue
        try:
            scenario = _apply_param(scenario, lever, param, text)
        except ScenarioError as exc:
            notes.append(f"The link's {key}={shorten(text)} was ignored: {exc}")
    return scenario, notes


def _unknown_params_note(params: Mapping[str, Any]) -> list[str]:
    """One note naming a few of the link's unknown parameters and counting the rest,
    in time bounded by the number of known ones (a link may carry thousands)."""
    names = ("scenario", "preset", *_PARAM_ORDER, *OTHER_PARAMS)
    known = sum(1 for key in names if key in params)
    count = len(params) - known
    if count <= 0:
        return []
    unknown = (k for k in params if k not in names)
    names = [shorten(str(k), 20) for k in itertools.islice(unknown, 3)]
    listed = ", ".join(names) + (", ..." if count > len(names) else "")
    noun = "parameter that was" if count == 1 else "parameters that were"
    return [f"The link has {count:,} unknown {noun} ignored ({listed})."]


def scenario_from_params(params: Mapping[str, Any]) -> tuple[Scenario, str | None, list[str]]:
    """The scenario a link opens, its preset (None if it carries a whole scenario) and notes
    about anything in the link that was invalid and replaced by a valid value."""
    notes: list[str] = _unknown_params_note(params)
    if "scenario" in params:
        try:
            return decode_scenario(_one_value(params["scenario"])), None, notes
        except ScenarioError as exc:
            notes.append(f"The link's scenario could not be opened ({exc}); showing a preset.")
    name = _one_value(params.get("preset", DEFAULT_PRESET))
    presets = list_presets()
    if name not in presets:
        notes.append(
            f"The link's preset={shorten(name)} does not exist; showing "
            f"{preset_scenario(DEFAULT_PRESET).meta.title!r} instead."
        )
        name = DEFAULT_PRESET
    scenario, more = apply_params(preset_scenario(name), params)
    return scenario, name, notes + more
