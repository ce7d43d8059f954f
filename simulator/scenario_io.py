"""Reading, writing and overriding scenario files, with errors that name the field.

Scenarios are TOML data validated at this boundary into frozen :class:`Scenario`
models. Every failure becomes a :class:`ScenarioError` whose message names the
field, the bad value and what is allowed, so the CLI and the app can show one
clear line instead of a traceback.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from .models import Scenario

PRESET_DIR = Path(__file__).resolve().parent.parent / "scenarios"
MAX_FILE_BYTES = 256 * 1024
"""Largest scenario file accepted (also the app's upload limit)."""


class ScenarioError(ValueError):
    """A scenario that cannot be used, with a message fit to show a user."""


MAX_DEPTH = 16
"""Deepest nesting of tables and lists accepted (a real scenario needs 3)."""


def _key(part: Any) -> str:
    """A key as it appears in a field path; odd keys (newlines, huge) are quoted and cut."""
    text = str(part)
    return text if re.fullmatch(r"[\w-]{1,40}", text) else _short(text, 40)


def _describe_location(loc: Iterable[Any]) -> str:
    parts = [_key(p) for p in loc if p not in ("function-after", "function-before")]
    return ".".join(parts) if parts else "scenario"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_validation_error(error: ValidationError) -> str:
    """One line per problem: 'field.path: what is wrong (got value)'."""
    lines = []
    for item in error.errors(include_url=False):
        loc = _describe_location(item.get("loc", ()))
        msg = item.get("msg", "invalid value")
        msg = msg.removeprefix("Value error, ")
        if item.get("type") == "extra_forbidden":
            msg = "is not a known field (check the spelling in docs/scenario-format.md)"
        elif item.get("type") == "missing":
            msg = "is required"
        if "input" in item and item.get("type") not in ("missing", "model_type"):
            got = item["input"]
            if not isinstance(got, dict | list):
                msg = f"{msg} (got {_short(got)})"
        if loc == "scenario" or msg.startswith(loc + ":"):
            lines.append(msg)
        else:
            lines.append(f"{loc}: {msg}")
    return "; ".join(lines)


def _reject_non_finite(data: Any) -> None:
    """NaN and infinity anywhere, and nesting deeper than MAX_DEPTH (without recursion)."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise ScenarioError(f"{path or 'value'}: {value!r} is not a finite number")
        if isinstance(value, dict | list | tuple):
            if depth >= MAX_DEPTH:
                raise ScenarioError(f"{path}: nested more than {MAX_DEPTH} levels deep")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            children = [(v, f"{path}.{_key(k)}" if path else _key(k), depth + 1) for k, v in items]
            stack.extend(reversed(children))  # report the first problem in document order


def scenario_from_dict(data: Mapping[str, Any]) -> Scenario:
    """Validate a plain mapping (parsed TOML, JSON, form state) into a Scenario."""
    if not isinstance(data, Mapping):
        raise ScenarioError("a scenario must be a table of sections such as [effort]")
    _reject_non_finite(dict(data))
    try:
        return Scenario.model_validate(dict(data))
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc)) from None
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise ScenarioError(f"scenario: {exc}") from None


def parse_scenario(text: str | bytes, *, source: str = "scenario") -> Scenario:
    """Parse TOML text (an upload, a file's content) into a validated Scenario."""
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise ScenarioError(
                f"{source}: the file is {len(text):,} bytes; the limit is {MAX_FILE_BYTES:,}"
            )
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError(f"{source}: the file is not UTF-8 text") from None
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(f"{source}: the text is longer than {MAX_FILE_BYTES:,} characters")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML ({exc})") from None
    except ValueError as exc:  # e.g. a whole number with more than 4,300 digits
        reason = str(exc).split(";")[0]
        raise ScenarioError(f"{source}: a value cannot be read ({reason})") from None
    except RecursionError:
        raise ScenarioError(f"{source}: the TOML is nested too deeply") from None
    return scenario_from_dict(data)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                f"{path}: the file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}"
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a folder, not a scenario file") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
    return parse_scenario(raw, source=str(path))


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data in the file's layout (no None values, TOML-ready)."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    data["contracts"] = list(data.get("contracts", []))
    if not data["contracts"]:
        del data["contracts"]
    return data


def dump_scenario(scenario: Scenario) -> str:
    """TOML text that loads back to an equal Scenario."""
    return tomli_w.dumps(scenario_to_dict(scenario))


def _coerce(text: str) -> Any:
    """Read an override's value as TOML (numbers, booleans, quoted text), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (ValueError, RecursionError):  # not TOML, or a number too long to read
        return text


def apply_overrides(scenario: Scenario, overrides: Iterable[str]) -> Scenario:
    """Apply ``dotted.path=value`` overrides (the CLI's --set) and re-validate."""
    data = copy.deepcopy(scenario_to_dict(scenario))
    data.setdefault("contracts", [])
    for item in overrides:
        if "=" not in item:
            raise ScenarioError(f"--set {item!r}: expected dotted.path=value")
        path, _, raw = item.partition("=")
        keys = [k.strip() for k in path.strip().split(".") if k.strip()]
        if not keys:
            raise ScenarioError(f"--set {item!r}: the field path is empty")
        node: Any = data
        for depth, key in enumerate(keys[:-1]):
            where = ".".join(keys[: depth + 1])
            if isinstance(node, list):
                if not key.isdigit() or int(key) >= len(node):
                    raise ScenarioError(f"--set {path}: {where} is not an existing list entry")
                node = node[int(key)]
            elif isinstance(node, dict):
                if key not in node:
                    node[key] = {}
                node = node[key]
            else:
                raise ScenarioError(f"--set {path}: {where} is a value, not a section")
        last = keys[-1]
        value = _coerce(raw.strip())
        if isinstance(node, list):
            if not last.isdigit() or int(last) >= len(node):
                raise ScenarioError(f"--set {path}: {last!r} is not an existing list entry")
            node[int(last)] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ScenarioError(f"--set {path}: cannot set a field inside a value")
    return scenario_from_dict(data)


def list_presets() -> dict[str, Path]:
    """Preset scenarios by file stem, read only from the scenarios/ folder."""
    if not PRESET_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(PRESET_DIR.glob("*.toml")) if p.is_file()}


def load_preset(name: str) -> Scenario:
    """Load a preset by name; only names listed by :func:`list_presets` are accepted."""
    presets = list_presets()
    if name not in presets:
        raise ScenarioError(
            f"preset {name!r} does not exist (available: {', '.join(presets) or 'none'})"
        )
    return load_scenario(presets[name])
