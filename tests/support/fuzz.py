"""Hypothesis strategies and oracles for the scenario boundary, shared by the tests
and ``make fuzz`` (``python -m bench.fuzz``).

The strategies generate malformed and extreme scenario documents (wrong types, missing
and extra keys, NaN, inf, 1e308, negative and zero values, empty tables, huge arrays,
odd Unicode, deep nesting, huge strings) as dicts, as TOML text, as ``--set`` overrides
and as command lines. Each oracle (``check_*``) accepts one of two endings:

* a validated scenario whose simulation (with few runs) is finite and non-negative, or
* a :class:`ScenarioError` whose one-line message names the field (for the CLI: exit
  status 2, one line on stderr, no traceback),

and raises :class:`FuzzFailure` on anything else (an uncaught exception, a NaN in a
result, a message naming nothing). ``tests/test_fuzz.py`` runs them with a small budget;
``bench/fuzz.py`` runs at least 10,000 cases.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w
from hypothesis import strategies as st
from pydantic import BaseModel

from simulator import (
    Scenario,
    ScenarioError,
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
from simulator.budget import estimate
from simulator.cli import main as cli_main
from simulator.models import (
    LINE_ID,
    MAX_CELLS,
    MAX_CONTRACTS,
    MAX_OPEN_DEALS,
    MAX_PRODUCT_LINES,
    STAGES,
    Engagement,
    Meta,
    Pipeline,
    ProductLine,
    Relationships,
    Simulation,
    Targets,
    Team,
    Thresholds,
)
from simulator.scenario_io import MAX_FILE_BYTES, _key

ROOT = Path(__file__).resolve().parents[2]
FUZZ_RUNS = 4
"""Monte Carlo runs per simulated case: enough to exercise every code path, fast."""


class FuzzFailure(AssertionError):
    """A case that ended neither in a valid result nor in a clear error."""


# --- Field names: what an error message must name.
def _field_names(model: type[BaseModel], into: set[str]) -> set[str]:
    for name, info in model.model_fields.items():
        into.add(name)
        for arg in (info.annotation, *getattr(info.annotation, "__args__", ())):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                _field_names(arg, into)
            for inner in getattr(arg, "__args__", ()):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    _field_names(inner, into)
    return into


FIELD_NAMES = frozenset(_field_names(Scenario, set()))
DOCUMENT_WORDS = ("scenario", "TOML", "UTF-8", "bytes", "characters", "--set", "--runs", "--seed")
"""Words that name the whole document or the option at fault (syntax, size, encoding)."""


def _keys(data: Any, into: set[str], depth: int = 0) -> set[str]:
    if depth > 50:
        return into
    if isinstance(data, Mapping):
        for key, value in data.items():
            into.update((str(key), str(key).strip(), _key(str(key).strip())))
            _keys(value, into, depth + 1)
    elif isinstance(data, list | tuple):
        for value in data:
            _keys(value, into, depth + 1)
    return into


def check_message(message: str, *, document: Any = None) -> None:
    """A ScenarioError's message: one non-empty line that names a field or the document."""
    if not message.strip():
        raise FuzzFailure("empty error message")
    if "\n" in message.strip() or "Traceback" in message:
        raise FuzzFailure(f"error message is not one line: {message!r}")
    names = set(FIELD_NAMES) | (_keys(document, set()) if document is not None else set())
    if not any(word in message for word in (*names, *DOCUMENT_WORDS)):
        raise FuzzFailure(f"error message names no field: {message!r}")


# --- Results: finite and non-negative.
def _check_numbers(path: str, values: Any, *, non_negative: bool) -> None:
    array = np.asarray(values, dtype=float)
    if array.size and not np.isfinite(array).all():
        raise FuzzFailure(f"{path}: non-finite values in the result")
    if non_negative and array.size and (array < 0).any():
        raise FuzzFailure(f"{path}: negative values in the result (min {array.min()})")


def _walk_json(path: str, value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise FuzzFailure(f"{path}: {value} in the JSON result")
    if isinstance(value, dict):
        for key, inner in value.items():
            _walk_json(f"{path}.{key}", inner)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _walk_json(f"{path}.{i}", inner)


def check_simulation(scenario: Scenario, *, runs: int = FUZZ_RUNS) -> None:
    """Simulate with few runs: every output, summary and report figure finite, levels >= 0."""
    result = simulate(scenario, runs=min(runs, scenario.simulation.runs), seed=0)
    out = result.output
    for name in ("revenue", "bookings", "wins", "coverage", "care_index", "pipeline_open"):
        _check_numbers(f"output.{name}", getattr(out, name), non_negative=True)
    for name in ("renewals_due", "renewals_kept"):
        _check_numbers(f"output.{name}", getattr(out, name), non_negative=True)
    if (out.renewals_kept > out.renewals_due).any():
        raise FuzzFailure("more renewals kept than were due")
    _check_numbers("quarterly_revenue", result.quarterly_revenue, non_negative=True)
    monthly = result.monthly
    _check_numbers("monthly", monthly[["mean", "p10", "p50", "p90"]], non_negative=True)
    _walk_json("to_dict", result.to_dict())
    json.dumps(result.to_dict(), allow_nan=False)
    report = result.report
    for name in ("probability", "severe_probability", "mild_probability"):
        value = getattr(report, name)
        if not 0.0 <= value <= 1.0:
            raise FuzzFailure(f"report.{name} = {value} is not a probability")
    if report.verdict not in ("none", "mild", "severe"):
        raise FuzzFailure(f"report.verdict = {report.verdict!r}")


# --- Oracles: run one case, return its outcome, raise FuzzFailure if it broke the contract.
def _validated(make: Callable[[], Scenario], document: Any) -> str:
    try:
        scenario = make()
    except ScenarioError as exc:
        check_message(str(exc), document=document)
        return "rejected"
    except Exception as exc:
        raise FuzzFailure(f"uncaught {type(exc).__name__}: {exc!s:.300}") from exc
    if not isinstance(scenario, Scenario):
        raise FuzzFailure(f"returned {type(scenario).__name__}, not a Scenario")
    try:
        check_simulation(scenario)
    except FuzzFailure:
        raise
    except Exception as exc:
        raise FuzzFailure(f"simulate raised {type(exc).__name__}: {exc!s:.300}") from exc
    return "valid"


def check_dict(data: Any) -> str:
    """``scenario_from_dict`` on any Python data."""
    return _validated(lambda: scenario_from_dict(data), data)


def _document_of(text: str | bytes) -> Any:
    """The keys a user wrote in a TOML text, when it parses (for :func:`check_message`)."""
    try:
        raw = text.decode("utf-8") if isinstance(text, bytes) else text
        return tomllib.loads(raw)
    except (ValueError, RecursionError):
        return None


def check_text(text: str | bytes) -> str:
    """``parse_scenario`` on any text or bytes (an upload)."""
    return _validated(lambda: parse_scenario(text, source="upload.toml"), _document_of(text))


def check_file(text: str | bytes) -> str:
    """``load_scenario`` on a real file with this content."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.toml"
        path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
        return _validated(lambda: load_scenario(path), _document_of(text))


def check_overrides(scenario: Scenario, overrides: list[str]) -> str:
    """``apply_overrides`` (the CLI's ``--set``) on a valid scenario."""
    document = {key: None for o in overrides for key in o.partition("=")[0].split(".")}
    return _validated(lambda: apply_overrides(scenario, overrides), document)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``whiplash`` in-process: exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli_main(argv)
        except SystemExit as exc:  # argparse inside a plugin may still exit
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def check_cli_result(
    code: int, out: str, err: str, *, json_output: bool, document: Any = None
) -> str:
    """Exit status 0 with a finite result, or 2 with one line on stderr; never a traceback."""
    if "Traceback" in out or "Traceback" in err:
        raise FuzzFailure(f"traceback from the CLI: {err[-500:]}")
    if code == 0:
        if json_output:
            try:
                data = json.loads(out)
            except ValueError as exc:
                raise FuzzFailure(f"--json printed invalid JSON: {out[:200]!r}") from exc
            _walk_json("json", data)
            if data["totals"]["revenue"] < 0 or data["totals"]["bookings"] < 0:
                raise FuzzFailure(f"negative totals: {data['totals']}")
        elif "Verdict:" not in out:
            raise FuzzFailure(f"exit 0 without a summary: {out[:200]!r}")
        return "exit 0"
    if code != 2:
        raise FuzzFailure(f"exit status {code}: {err[-300:]!r}")
    lines = err.strip().splitlines()
    if len(lines) != 1 or not lines[0].startswith("whiplash: error:"):
        raise FuzzFailure(f"exit 2 without exactly one error line: {err[-500:]!r}")
    if out:
        raise FuzzFailure(f"exit 2 but printed to stdout: {out[:200]!r}")
    check_message(lines[0].removeprefix("whiplash: error:"), document=document)
    return "exit 2"


def check_cli(content: str | bytes, args: list[str]) -> str:
    """``whiplash run <file> args`` in-process, on a file with this content."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.toml"
        path.write_bytes(
            content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
        )
        code, out, err = run_cli(["run", str(path), *args])
    sets = {key: None for a in args for key in a.partition("=")[0].split(".")}
    document = {"file": _document_of(content), "set": sets}
    return check_cli_result(code, out, err, json_output="--json" in args, document=document)


# --- Strategies: building blocks.
def _bounds(model: type[BaseModel], name: str) -> tuple[Any, Any, bool, bool]:
    """(low, high, low exclusive, high exclusive) as declared on the model field."""
    low = high = None
    low_open = high_open = False
    for item in model.model_fields[name].metadata:
        if getattr(item, "ge", None) is not None:
            low = item.ge
        if getattr(item, "gt", None) is not None:
            low, low_open = item.gt, True
        if getattr(item, "le", None) is not None:
            high = item.le
        if getattr(item, "lt", None) is not None:
            high, high_open = item.lt, True
    return low, high, low_open, high_open


def _kind(model: type[BaseModel], name: str) -> type:
    annotation = model.model_fields[name].annotation
    for candidate in (bool, int, float, str):
        if annotation is candidate or candidate in getattr(annotation, "__args__", ()):
            return candidate
    raise TypeError(f"{model.__name__}.{name}: no strategy for {annotation!r}")


def in_range(model: type[BaseModel], name: str) -> st.SearchStrategy[Any]:
    """Valid values of a numeric field, weighted towards the ends of its range."""
    low, high, low_open, high_open = _bounds(model, name)
    kind = _kind(model, name)
    if kind is bool:
        return st.booleans()
    if kind is int:
        lo = int(low) + (1 if low_open else 0)
        hi = int(high) - (1 if high_open else 0)
        return st.one_of(st.sampled_from([lo, hi]), st.integers(lo, hi))
    lo = math.nextafter(low, math.inf) if low_open else float(low)
    hi = math.nextafter(high, -math.inf) if high_open else float(high)
    edges = [lo, hi]
    if low_open:
        edges.append(1e-9 if hi > 1e-9 else lo)  # tiny but not denormal
    return st.one_of(
        st.sampled_from(edges),
        st.floats(lo, hi, allow_nan=False, allow_infinity=False),
    )


def _section(model: type[BaseModel], *, skip: tuple[str, ...] = ()) -> st.SearchStrategy:
    """A table of a simple section: each field left out (default) or in range."""
    fields = [n for n in model.model_fields if n not in skip and _kind(model, n) is not str]
    return st.fixed_dictionaries({}, optional={n: in_range(model, n) for n in fields})


TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs",)),  # TOML cannot carry lone surrogates
    max_size=40,
)
ODD_TEXT = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "**bold** _it_ [link](javascript:alert(1)) $x$ :red[x]",
        "\u202eevil\u202c",
        "zero\u200bwidth",
        "e\u0301\u0301\u0301",
        "🙂" * 50,
        "\t\r\n\x0b\x0c",
        "\x00nul",
        '\\ " \' """',
        "ﷺ" * 20,
        "𝕬𝖇𝖈",
        "''' \"\"\" ```",
    ]
)


def _text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.one_of(TEXT, ODD_TEXT).filter(lambda s: min_size <= len(s) <= max_size)


LINE_IDS = st.from_regex(LINE_ID, fullmatch=True)


def _year_month(low: int = 1900 * 12, high: int = 2200 * 12 + 11) -> st.SearchStrategy[str]:
    """'YYYY-MM' between two month indexes (months since year 0), ends included."""
    months = st.one_of(st.sampled_from([low, high]), st.integers(low, high))
    return months.map(lambda m: f"{m // 12:04d}-{m % 12 + 1:02d}")


@st.composite
def _effort(draw: st.DrawFn) -> dict[str, float]:
    shape = draw(st.sampled_from(["one-hot", "weights", "tolerance"]))
    if shape == "one-hot":
        stage = draw(st.sampled_from(STAGES))
        return {s: (1.0 if s == stage else 0.0) for s in STAGES}
    weights = draw(
        st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5).filter(lambda w: sum(w) > 1e-3)
    )
    total = sum(weights)
    shares = {s: w / total for s, w in zip(STAGES, weights, strict=True)}
    if shape == "tolerance":  # a hand-written file a hair off 1 (within EFFORT_TOLERANCE)
        stage = draw(st.sampled_from(STAGES))
        shares[stage] = min(1.0, shares[stage] + 0.0009)
    return shares


@st.composite
def _thresholds(draw: st.DrawFn) -> dict[str, Any]:
    data = draw(_section(Thresholds))
    for low, high in (("bust_drop", "severe_drop"), ("mild_drawdown", "severe_drawdown")):
        a = data.get(low, Thresholds.model_fields[low].default)
        b = data.get(high, Thresholds.model_fields[high].default)
        if b < a:
            data[low], data[high] = b, a
    return data


@st.composite
def _pipeline(draw: st.DrawFn, ids: list[str]) -> dict[str, Any]:
    """``[pipeline]``, sometimes with real open deals on some of the lines."""
    data = draw(_section(Pipeline, skip=("open_deals",)))
    if draw(st.booleans()):
        counts = st.one_of(st.integers(0, 30), st.sampled_from([0, 10**5]))
        data["open_deals"] = {
            line_id: _within_limit(draw(st.lists(counts, max_size=draw(st.sampled_from([3, 80])))))
            for line_id in draw(st.lists(st.sampled_from(ids), unique=True))
        }
    return data


def _within_limit(counts: list[int]) -> list[int]:
    """Open deals by age with at most MAX_OPEN_DEALS in all (up to exactly the limit):
    80 ages of 10**5 would be an invalid document."""
    kept, total = [], 0
    for count in counts:
        kept.append(min(count, MAX_OPEN_DEALS - total))
        total += kept[-1]
    return kept


@st.composite
def valid_documents(draw: st.DrawFn, *, max_contracts: int = 12) -> dict[str, Any]:
    """A valid scenario document with values drawn up to the ends of every range."""
    n_lines = draw(st.one_of(st.just(MAX_PRODUCT_LINES), st.integers(1, MAX_PRODUCT_LINES)))
    ids = draw(st.lists(LINE_IDS, min_size=n_lines, max_size=n_lines, unique=True))
    lines = {}
    for line_id in ids:
        line = draw(_section(ProductLine))
        line["name"] = draw(_text(1, 100))
        lines[line_id] = line
    if sum(line.get("focus", 1.0) for line in lines.values()) <= 0:
        lines[ids[0]]["focus"] = draw(st.floats(1e-6, 1e6))
    simulation = draw(_section(Simulation, skip=("start",)))
    start = draw(_year_month())
    simulation["start"] = start
    cells_per_run = simulation.get("months", 36) * n_lines
    runs = simulation.get("runs", Simulation.model_fields["runs"].default)
    simulation["runs"] = max(1, min(runs, MAX_CELLS // cells_per_run))
    start_index = int(start[:4]) * 12 + int(start[5:]) - 1
    count = draw(st.one_of(st.integers(0, max_contracts), st.just(0)))
    contracts = []
    for _ in range(count):
        contract: dict[str, Any] = {
            "name": draw(_text(1, 100)),
            "product_line": draw(st.sampled_from(ids)),
            "annual_value": draw(in_range(_contract_model(), "annual_value")),
            "ends": draw(_year_month(start_index)),
        }
        for name in ("contacts", "renewal_term_months"):
            if draw(st.booleans()):
                contract[name] = draw(in_range(_contract_model(), name))
        contracts.append(contract)
    document: dict[str, Any] = {
        "simulation": simulation,
        "team": draw(_section(Team)),
        "effort": draw(_effort()),
        "relationships": draw(_section(Relationships)),
        "product_lines": lines,
        "pipeline": draw(_pipeline(ids)),
        "engagement": draw(_section(Engagement)),
        "thresholds": draw(_thresholds()),
    }
    if contracts:
        document["contracts"] = contracts
    if draw(st.booleans()):
        document["targets"] = draw(_section(Targets))
    meta = {"title": draw(_text(1, 200))}
    for name in ("description", "lesson", "question", "fix"):
        if draw(st.booleans()):
            meta[name] = draw(
                st.one_of(
                    _text(0, 200), st.just("x" * Meta.model_fields[name].metadata[0].max_length)
                )
            )
    document["meta"] = meta
    # Within the per-request cost bound as well (simulator/budget.py): the most runs that fit.
    probe = scenario_from_dict({**document, "simulation": {**simulation, "runs": 1}})
    simulation["runs"] = max(1, min(simulation["runs"], estimate(probe).max_runs()))
    return document


def _contract_model() -> type[BaseModel]:
    from simulator.models import Contract

    return Contract


def valid_scenarios(**kwargs: Any) -> st.SearchStrategy[Scenario]:
    """Validated scenarios from :func:`valid_documents` (every one must validate)."""
    return valid_documents(**kwargs).map(scenario_from_dict)


PRESET_DOCUMENTS = {name: scenario_to_dict(load_preset(name)) for name in list_presets()}


def base_documents() -> st.SearchStrategy[dict[str, Any]]:
    """A preset's or a generated valid document, to be damaged."""
    presets = st.sampled_from(sorted(PRESET_DOCUMENTS)).map(
        lambda name: copy.deepcopy(PRESET_DOCUMENTS[name])
    )
    return st.one_of(presets, valid_documents(max_contracts=4))


# --- Strategies: damage.
def _nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"x": value}
    return value


NASTY_CONSTANTS = [
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    1.7976931348623157e308,
    5e-324,
    -5e-324,
    0,
    0.0,
    -0.0,
    -1,
    -1.5,
    2**31,
    2**53 + 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**400,
    True,
    False,
    "",
    " ",
    "nan",
    "inf",
    "1e308",
    "0",
    "-1",
    "12",
    "2013-13",
    "2013-00",
    "0000-01",
    "9999-12",
    "2013-1",
    "2013-01-01",
    "core",
    "../../etc/passwd",
    "x" * 300_000,
    "🙂" * 5_000,
    [],
    {},
    [1, 2, 3],
    [math.nan],
    list(range(10_000)),
    [{"name": "x"}] * 500,
    {"a": {"b": {"c": {}}}},
    None,
]


def nasty_values() -> st.SearchStrategy[Any]:
    """Wrong types, non-finite and extreme numbers, odd strings, empty and huge containers."""
    return st.one_of(
        st.sampled_from(NASTY_CONSTANTS).map(copy.deepcopy),  # cases must not share lists
        st.integers(),
        st.floats(),
        st.text(max_size=30),
        ODD_TEXT,
        st.booleans(),
        st.dates(),
        st.datetimes(),
        st.lists(st.floats(), max_size=5),
        st.dictionaries(st.text(max_size=8), st.integers(), max_size=4),
        st.integers(1, 3000).map(_nested),
    )


def _paths(data: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Key paths in a document (dict keys and list indexes), at most six levels deep."""
    if len(prefix) >= 6:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data[:20]):
            yield (*prefix, i)
            yield from _paths(value, (*prefix, i))


def _parent(data: Any, path: tuple) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


@st.composite
def malformed_documents(draw: st.DrawFn) -> Any:
    """A valid document with one to four kinds of damage applied, or junk at the top."""
    if draw(st.integers(0, 19)) == 0:
        return draw(nasty_values())  # not a table at all
    data = draw(base_documents())
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(data))
        kind = draw(st.sampled_from(["set", "set", "set", "delete", "extra", "empty", "grow"]))
        if not paths:
            kind = "extra"
        path = draw(st.sampled_from(paths)) if paths else ()
        if kind == "set":
            _parent(data, path)[path[-1]] = draw(nasty_values())
        elif kind == "delete":
            parent = _parent(data, path)
            if isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent.pop(path[-1])
        elif kind == "extra":
            target = data
            if path and isinstance(_parent(data, path)[path[-1]], dict):
                target = _parent(data, path)[path[-1]]
            key = draw(st.one_of(st.text(max_size=20), st.sampled_from(sorted(FIELD_NAMES))))
            target[key] = draw(nasty_values())
        elif kind == "empty":
            _parent(data, path)[path[-1]] = draw(st.sampled_from([{}, [], ""]))
        else:  # grow a table or list past its limit
            data.update(draw(_oversized()))
    return data


@st.composite
def _oversized(draw: st.DrawFn) -> dict[str, Any]:
    what = draw(st.sampled_from(["lines", "contracts", "cells", "months", "runs", "text"]))
    if what == "lines":
        n = draw(st.integers(MAX_PRODUCT_LINES + 1, 40))
        return {"product_lines": {f"l{i}": {"name": f"L{i}"} for i in range(n)}}
    if what == "contracts":
        n = draw(st.integers(MAX_CONTRACTS + 1, 2_000))
        row = {"name": "c", "product_line": "core", "annual_value": 1.0, "ends": "2013-01"}
        return {
            "contracts": [dict(row) for _ in range(n)],
            "product_lines": {"core": {"name": "C"}},
        }
    if what == "cells":
        return {"simulation": {"runs": 20_000, "months": 120}}
    if what == "months":
        return {"simulation": {"months": draw(st.integers(121, 10**9))}}
    if what == "runs":
        return {"simulation": {"runs": draw(st.integers(20_001, 10**12))}}
    return {"meta": {"title": "t", "description": "x" * draw(st.integers(2_001, 100_000))}}


def _sanitize_for_toml(data: Any, depth: int = 0) -> Any:
    """What TOML can carry: no None, string keys, ints within 64 bits, no surrogates;
    nesting past 100 levels is cut (deep TOML text comes from :func:`malformed_texts`)."""
    if depth > 100:
        return "deep"
    if isinstance(data, dict):
        return {
            str(k).encode("utf-8", "replace").decode(): _sanitize_for_toml(v, depth + 1)
            for k, v in data.items()
            if v is not None
        }
    if isinstance(data, list):
        return [_sanitize_for_toml(v, depth + 1) for v in data if v is not None]
    if isinstance(data, int) and not isinstance(data, bool) and not -(2**63) <= data < 2**63:
        return float(data) if abs(data) < 1e308 else str(data)
    if isinstance(data, str):
        return data.encode("utf-8", "replace").decode()
    return data


def to_toml(data: Any) -> str:
    """TOML text for a (possibly damaged) document; a non-table becomes ``value = ...``."""
    data = _sanitize_for_toml(data)
    if not isinstance(data, dict):
        data = {"value": data}
    try:
        return tomli_w.dumps(data)
    except (TypeError, ValueError, RecursionError):
        return "value = 1\n"


@st.composite
def malformed_texts(draw: st.DrawFn) -> str | bytes:
    """TOML text and bytes: damaged documents, broken syntax, bad encodings, huge files."""
    kind = draw(
        st.sampled_from(["document", "document", "splice", "truncate", "raw", "bytes", "huge"])
    )
    if kind == "document":
        return to_toml(draw(malformed_documents()))
    text = dump_scenario(scenario_from_dict(draw(base_documents())))
    if kind == "splice":
        at = draw(st.integers(0, len(text)))
        junk = draw(
            st.one_of(
                st.text(max_size=20),
                st.sampled_from(
                    [
                        "\n[effort]\n",
                        "\nattract = nan\n",
                        "\nreps = inf\n",
                        "\nmonths = 1e308\n",
                        "\nmonths = " + "9" * 5000 + "\n",
                        "\nreps = 0x" + "f" * 5000 + "\n",
                        '"""',
                        "\n[[contracts]]\n",
                        "\nx = " + "[" * 5000 + "]" * 5000 + "\n",
                        "\nx = " + "{a=" * 500 + "1" + "}" * 500 + "\n",
                        "\n[" + "a." * 3000 + "b]\n",
                        "\ufeff",
                        "\x00",
                        "\r\n",
                    ]
                ),
            )
        )
        return text[:at] + junk + text[at:]
    if kind == "truncate":
        return text[: draw(st.integers(0, max(0, len(text) - 1)))]
    if kind == "raw":
        return draw(st.text(max_size=200))
    if kind == "bytes":
        raw = text.encode()
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    pad = draw(st.integers(MAX_FILE_BYTES - len(text) - 100, MAX_FILE_BYTES + 2_000))
    return text + "\n# " + "x" * max(pad, 0) + "\n"


def _override_paths() -> st.SearchStrategy[str]:
    known = [
        f"{section}.{name}"
        for section, model in (
            ("meta", Meta),
            ("simulation", Simulation),
            ("team", Team),
            ("relationships", Relationships),
            ("targets", Targets),
            ("pipeline", Pipeline),
            ("engagement", Engagement),
            ("thresholds", Thresholds),
        )
        for name in model.model_fields
    ]
    known += [f"effort.{s}" for s in STAGES]
    known += [f"product_lines.enterprise.{n}" for n in ProductLine.model_fields]
    known += [f"product_lines.core.{n}" for n in ProductLine.model_fields]
    known += [f"contracts.{i}.{n}" for i in (0, 1, 5, 999) for n in ("ends", "contacts", "name")]
    odd = [
        "",
        ".",
        "..",
        "effort",
        "contracts",
        "contracts.0",
        "contracts.-1.ends",
        "contracts.x.ends",
        "effort.attract.deeper",
        "product_lines",
        "product_lines.NEW.name",
        "simulation..runs",
        " simulation . runs ",
        "__class__",
        "meta.title.__dict__",
    ]
    return st.one_of(st.sampled_from(known), st.sampled_from(odd), st.text(max_size=20))


OVERRIDE_VALUES = st.one_of(
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "1e308",
            "-1",
            "0",
            "0.0",
            "1",
            "3",
            "true",
            '""',
            '"2013-06"',
            "2013-06",
            "2013-13",
            "[1, 2]",
            "{ a = 1 }",
            '"unterminated',
            "'<script>alert(1)</script>'",
            "__import__('os').system('echo pwned')",
            "9" * 400,
            "1_000",
            "0x10",
            "=",
            "",
        ]
    ),
    st.text(max_size=20),
    st.integers().map(str),
    st.floats().map(repr),
)


def override_lists() -> st.SearchStrategy[list[str]]:
    """``--set`` arguments: known and odd paths with nasty values, some without '='."""
    item = st.one_of(
        st.tuples(_override_paths(), OVERRIDE_VALUES).map(lambda pv: f"{pv[0]}={pv[1]}"),
        st.text(max_size=20),
    )
    return st.lists(item, min_size=1, max_size=4)


RUNS_ARGS = st.one_of(
    st.sampled_from(["0", "-1", "abc", "", "1e3", "20001", "99999999999999999999", "3", "1"]),
    st.integers(1, 8).map(str),
)
SEED_ARGS = st.one_of(
    st.sampled_from(["-1", "x", "", str(2**63 - 1), str(2**63), str(2**64), "0"]),
    st.integers(0, 2**63 - 1).map(str),
)


@st.composite
def cli_cases(draw: st.DrawFn) -> tuple[str | bytes, list[str]]:
    """A file's content and the ``whiplash run`` options to use with it."""
    if draw(st.booleans()):
        content = draw(malformed_texts())
    else:
        content = dump_scenario(scenario_from_dict(draw(base_documents())))
    args = ["--runs", draw(RUNS_ARGS)] if draw(st.integers(0, 3)) else ["--runs", "3"]
    if draw(st.booleans()):
        args += ["--seed", draw(SEED_ARGS)]
    if draw(st.booleans()):
        for override in draw(override_lists()):
            args += ["--set", override]
    if draw(st.booleans()):
        args.append("--json")
    return content, args


# --- Real subprocess calls (the installed console script).
SUBPROCESS_CASES: list[tuple[str, list[str]]] = [
    ("valid", ["run", "scenarios/balanced.toml", "--runs", "5", "--json"]),
    ("bad --set", ["run", "scenarios/balanced.toml", "--set", "team.reps=nan"]),
    ("bad --runs", ["run", "scenarios/balanced.toml", "--runs", "0"]),
    ("missing file", ["run", "scenarios/does_not_exist.toml"]),
    ("folder", ["run", "scenarios"]),
    ("traversal", ["run", "../../../etc/shadow"]),
    ("huge --set", ["run", "scenarios/balanced.toml", "--set", "simulation.months=" + "9" * 5000]),
    ("unknown command", ["explode"]),
]


def check_subprocess(args: list[str]) -> str:
    """``python -m simulator`` as a real process: same contract as in-process."""
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if args and args[0] == "explode":  # argparse usage error: one line, status 2
        if proc.returncode != 2 or "Traceback" in proc.stderr:
            raise FuzzFailure(f"unknown command: status {proc.returncode}: {proc.stderr!r}")
        return "exit 2"
    return check_cli_result(proc.returncode, proc.stdout, proc.stderr, json_output="--json" in args)
