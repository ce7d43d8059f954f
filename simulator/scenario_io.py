"""Reading, writing and overriding scenario files, with errors that name the field.

Scenarios are TOML data validated at this boundary into frozen :class:`Scenario`
models. Every failure becomes a :class:`ScenarioError` whose message names the
field, the bad value and what is allowed, so the CLI and the app can show one
clear line instead of a traceback.
"""

from __future__ import annotations

import copy
import math
import os
import re
import stat
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


MAX_PROBLEMS = 5
"""Problems an error message lists; the rest are counted ("... and 3,695 more problems")."""

MAX_MESSAGE_CHARS = 600
"""Longest error message shown (a hostile file must not fill a screen or a log)."""


def bounded_message(text: str) -> str:
    """``text`` cut to MAX_MESSAGE_CHARS, saying that it was cut."""
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    suffix = " ... (cut short)"
    return text[: MAX_MESSAGE_CHARS - len(suffix)] + suffix


class ScenarioError(ValueError):
    """A scenario that cannot be used, with a message fit to show a user (bounded)."""

    def __init__(self, message: object = "the scenario cannot be used") -> None:
        super().__init__(bounded_message(str(message)))


MAX_DEPTH = 16
"""Deepest nesting of tables and lists accepted (a real scenario needs 3)."""

MAX_LINE_CHARS = 32_768
"""Longest line of a scenario document; the longest real one is a description of
MAX_TEXT characters (at most 12,000 when every character is escaped)."""

MAX_KEY_PARTS = 8
"""Most dotted parts in one key or table header (``contracts.0.ends`` has 3): ``tomllib``
builds a table for every prefix of a dotted key, so a 131,000-part key costs gigabytes."""

MAX_KEY_CHARS = 200
"""Longest key or table header as written, dots and quotes included (a real one is
under 50 characters)."""

MAX_KEYS = 5_000
"""Most ``key = value`` pairs in a document; a full book of MAX_CONTRACTS contracts
needs about 1,300."""

MAX_TABLES = 1_000
"""Most ``[table]`` and ``[[array]]`` headers in a document (a real one has under 250)."""

_TOKEN = re.compile(
    r"""
    (?P<newline>(?:[ \t\r]*+(?:\#[^\n]*+)?\n)++)
    | [ \t\r]++
    | \#[^\n]*+
    | (?P<string>
          \"\"\"(?:[^"\\]++|\\[\s\S]|"(?!""))*+\"\"\"(?:""?)?+
        | '''(?:[^']++|'(?!''))*+'''(?:''?)?+
        | "(?:[^"\\\n]++|\\.)*+"
        | '[^'\n]*+'
      )
    | (?P<word>[A-Za-z0-9_+\-:]++)
    | (?P<dot>\.)
    | (?P<equals>=)
    | (?P<open>[\[{])
    | (?P<close>[\]}])
    | (?P<other>[\s\S])
    """,
    re.VERBOSE,
)


def check_toml_shape(
    text: str, *, source: str, max_keys: int = MAX_KEYS, max_tables: int = MAX_TABLES
) -> None:
    """Refuse a document whose shape would make ``tomllib`` exhaust memory or recurse.

    A single linear pass over the tokens (strings and comments are skipped whole, so
    brackets, dots and ``=`` inside them do not count) that stops at the first limit
    crossed, before any parsing: it bounds line length, dotted keys, the number of keys
    and tables, and how deeply brackets nest.
    """
    start, line_no = 0, 1
    while start <= len(text):  # str.find: no copy of the lines
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if end - start > MAX_LINE_CHARS:
            raise ScenarioError(
                f"{source}: line {line_no:,} is {end - start:,} characters long; "
                f"the limit is {MAX_LINE_CHARS:,}"
            )
        start, line_no = end + 1, line_no + 1
    line_no, depth, keys, tables = 1, 0, 0, 0
    parts, key_start, key_end, after_dot, line_start, header = 0, 0, 0, False, True, False

    def refuse(what: str) -> ScenarioError:
        return ScenarioError(f"{source}: line {line_no:,}: {what}")

    def check_key_length() -> None:
        if parts and key_end - key_start > MAX_KEY_CHARS:
            key = _short(text[key_start:key_end], 40)
            raise refuse(
                f"the key {key} is {key_end - key_start:,} characters long; "
                f"the limit is {MAX_KEY_CHARS}"
            )

    for token in _TOKEN.finditer(text):
        kind = token.lastgroup
        if kind is None:  # spaces or a comment: a dotted key may have spaces around its dots
            continue
        if kind == "newline":  # one or more line ends, with any blank or comment lines
            line_no += token.group().count("\n")
            parts, after_dot, line_start = 0, False, True
            continue
        if kind in ("word", "string"):
            if after_dot:
                parts += 1
            else:
                parts, key_start = 1, token.start()
            key_end, after_dot, line_start = token.end(), False, False
            if parts > MAX_KEY_PARTS:
                key = _short(text[key_start : token.end()], 40)
                raise refuse(
                    f"the key {key} has more than {MAX_KEY_PARTS} dotted parts "
                    "(the most a scenario key may have)"
                )
            continue
        if kind == "dot" and parts and not after_dot:
            after_dot = True
            continue
        if kind == "equals":
            check_key_length()
            keys += 1
            if keys > max_keys:
                raise refuse(f"too many keys (a TOML document may have at most {max_keys:,})")
        elif kind == "open":
            if line_start and depth == 0 and token.group() == "[":
                tables, header = tables + 1, True
                if tables > max_tables:
                    raise refuse(
                        f"too many [tables] (a TOML document may have at most {max_tables:,})"
                    )
            depth += 1
            if depth > MAX_DEPTH:
                raise refuse(f"the TOML is nested more than {MAX_DEPTH} levels deep")
        elif kind == "close":
            if header:
                check_key_length()
            depth = max(depth - 1, 0)
            header = header and depth > 0
        parts, after_dot, line_start = 0, False, False


_INDEX = re.compile(r"[0-9]{1,4}")
"""A list index written in text (ASCII digits only: ``'²'.isdigit()`` is true)."""

_OUT_OF_MEMORY = "it needs more memory than this machine has"


def _key(part: Any) -> str:
    """A key as it appears in a field path; odd keys (newlines, huge) are quoted and cut."""
    text = str(part)
    return text if re.fullmatch(r"[A-Za-z0-9_-]{1,40}", text) else _short(text, 40)


def _describe_location(loc: Iterable[Any]) -> str:
    parts = [_key(p) for p in loc if p not in ("function-after", "function-before")]
    return ".".join(parts) if parts else "scenario"


def _short(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int past Python's 4,300-digit limit (TOML's hex has none)
        text = "a number too long to show"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_validation_error(error: ValidationError) -> str:
    """'field.path: what is wrong (got value)' for the first MAX_PROBLEMS problems, then
    how many more there are."""
    lines = []
    for item in error.errors(include_url=False)[:MAX_PROBLEMS]:
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
    more = error.error_count() - len(lines)
    if more > 0:
        lines.append(f"... and {more:,} more problem{'s' if more > 1 else ''}")
    return bounded_message("; ".join(lines))


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
    try:
        _reject_non_finite(dict(data))
        return Scenario.model_validate(dict(data))
    except ScenarioError:
        raise
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc)) from None
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise ScenarioError(f"scenario: {exc}") from None
    except MemoryError:
        raise ScenarioError(f"scenario: cannot be checked ({_OUT_OF_MEMORY})") from None


def read_toml(
    text: str | bytes,
    *,
    source: str,
    max_bytes: int = MAX_FILE_BYTES,
    max_keys: int = MAX_KEYS,
    max_tables: int = MAX_TABLES,
) -> dict[str, Any]:
    """TOML text or bytes as plain data, within the size and shape limits: the one
    bounded reader every file format goes through (scenarios, plan bundles), so each
    refusal is a short ScenarioError naming ``source``."""
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            raise ScenarioError(
                f"{source}: the file is {len(text):,} bytes; the limit is {max_bytes:,}"
            )
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError(f"{source}: the file is not UTF-8 text") from None
    if len(text) > max_bytes:
        raise ScenarioError(f"{source}: the text is longer than {max_bytes:,} characters")
    try:
        check_toml_shape(text, source=source, max_keys=max_keys, max_tables=max_tables)
        return tomllib.loads(text)
    except ScenarioError:
        raise
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML ({exc})") from None
    except ValueError as exc:  # e.g. a whole number with more than 4,300 digits
        reason = str(exc).split(";")[0]
        raise ScenarioError(f"{source}: a value cannot be read as TOML ({reason})") from None
    except RecursionError:
        raise ScenarioError(f"{source}: the TOML is nested too deeply") from None
    except MemoryError:
        raise ScenarioError(f"{source}: cannot be read ({_OUT_OF_MEMORY})") from None


def parse_scenario(text: str | bytes, *, source: str = "scenario") -> Scenario:
    """Parse TOML text (an upload, a file's content) into a validated Scenario."""
    return scenario_from_dict(read_toml(text, source=source))


def _read_regular_file(path: Path) -> tuple[bytes, int]:
    """At most MAX_FILE_BYTES + 1 bytes of a regular file, and the file's size.

    Opened without blocking and checked with fstat before reading, so a FIFO cannot hang
    the CLI and a device such as /dev/zero cannot be read until memory runs out.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        mode = info.st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError
        if not stat.S_ISREG(mode):
            raise ScenarioError(f"{path}: is not a regular file (a device, pipe or socket)")
        chunks, left = [], MAX_FILE_BYTES + 1
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        raw = b"".join(chunks)
        return raw, max(info.st_size, len(raw))
    finally:
        os.close(fd)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file (regular files only)."""
    path = Path(path)
    try:
        raw, size = _read_regular_file(path)
    except ScenarioError:
        raise
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a folder, not a scenario file") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except ValueError:  # e.g. a NUL character in the path
        raise ScenarioError(f"{path!r}: is not a usable file name") from None
    if size > MAX_FILE_BYTES:
        raise ScenarioError(f"{path}: the file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
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


def _coerce(text: str, *, source: str) -> Any:
    """Read an override's value as TOML (numbers, booleans, quoted text), else a string."""
    document = f"v = {text}"
    check_toml_shape(document, source=source)
    try:
        return tomllib.loads(document)["v"]
    except (ValueError, RecursionError):  # not TOML, or a number too long to read
        return text
    except MemoryError:
        raise ScenarioError(f"{source}: the value cannot be read ({_OUT_OF_MEMORY})") from None


def apply_overrides(scenario: Scenario, overrides: Iterable[str]) -> Scenario:
    """Apply ``dotted.path=value`` overrides (the CLI's --set) and re-validate."""
    data = copy.deepcopy(scenario_to_dict(scenario))
    data.setdefault("contracts", [])
    for item in overrides:
        if "=" not in item:
            raise ScenarioError(f"--set {item!r}: expected dotted.path=value")
        path, _, raw = item.partition("=")
        shown = path if len(path) <= 60 else path[:57] + "..."
        keys = [k.strip() for k in path.strip().split(".", MAX_KEY_PARTS) if k.strip()]
        if not keys:
            raise ScenarioError(f"--set {item!r}: the field path is empty")
        if len(keys) > MAX_KEY_PARTS or len(path) > MAX_KEY_CHARS:
            raise ScenarioError(
                f"--set {_short(path)}: a field path has at most {MAX_KEY_PARTS} parts "
                f"and {MAX_KEY_CHARS} characters"
            )
        node: Any = data
        for depth, key in enumerate(keys[:-1]):
            where = ".".join(keys[: depth + 1])
            where = where if len(where) <= 60 else where[:57] + "..."
            if isinstance(node, list):
                if not _INDEX.fullmatch(key) or int(key) >= len(node):
                    raise ScenarioError(f"--set {shown}: {where} is not an existing list entry")
                node = node[int(key)]
            elif isinstance(node, dict):
                if key not in node:
                    node[key] = {}
                node = node[key]
            else:
                raise ScenarioError(f"--set {shown}: {where} is a value, not a section")
        last = keys[-1]
        value = _coerce(raw.strip(), source=f"--set {shown}")
        if isinstance(node, list):
            if not _INDEX.fullmatch(last) or int(last) >= len(node):
                raise ScenarioError(f"--set {shown}: {_short(last)} is not an existing list entry")
            node[int(last)] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ScenarioError(f"--set {shown}: cannot set a field inside a value")
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
