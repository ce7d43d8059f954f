"""The docs must match the code: these tests fail as soon as either drifts.

docs/scenario-format.md lists every field of every scenario section in a table with
its type, default and allowed range; docs/model.md lists every model default with its
source, and states equations whose worked numbers are recomputed here from the engine.
"""

from __future__ import annotations

import math
import re
import tomllib
import types
import typing
from pathlib import Path

import annotated_types as at
import numpy as np
import pytest
from pydantic import BaseModel

from simulator import (
    ScenarioError,
    apply_overrides,
    budget,
    engine,
    metrics,
    models,
    parse_scenario,
    scenario_io,
    simulate,
)
from simulator.models import Scenario

DOCS = Path(__file__).resolve().parent.parent / "docs"
FORMAT = (DOCS / "scenario-format.md").read_text(encoding="utf-8")
MODEL = (DOCS / "model.md").read_text(encoding="utf-8")

NOT_SET = "not set"
REQUIRED = "required"


# --- Parsing the docs' own table format -------------------------------------------------


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _tables_under_headings(text: str, heading: re.Pattern[str]) -> dict[str, list[dict]]:
    """The first table after each heading matching ``heading`` (group 1 is the key)."""
    tables: dict[str, list[dict]] = {}
    key, header = None, None
    for line in text.splitlines():
        match = heading.match(line)
        if match or line.startswith("#"):
            key, header = (match.group(1) if match else None), None
            continue
        if key is None:
            continue
        if not line.startswith("|"):
            if header is not None:
                key = None  # the first table has ended
            continue
        cells = _cells(line)
        if header is None:
            header = cells
        elif not set("".join(cells)) <= set("-: "):
            tables.setdefault(key, []).append(dict(zip(header, cells, strict=True)))
    return tables


def _table_after(text: str, marker: str) -> list[dict]:
    """The first table after the line that starts with ``marker``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(marker))
    rows, header = [], None
    for line in lines[start + 1 :]:
        if not line.startswith("|"):
            if header is not None:
                break
            continue
        cells = _cells(line)
        if header is None:
            header = cells
        elif not set("".join(cells)) <= set("-: "):
            rows.append(dict(zip(header, cells, strict=True)))
    return rows


def _unquote(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith("`") and cell.endswith("`"):
        return cell[1:-1]
    return cell


def _number(text: str) -> float:
    """A number as the docs print it: 20,000 / 1e12 / 2^63 − 1."""
    text = text.strip().replace(",", "").replace("_", "").replace("−", "-")
    power = re.fullmatch(r"(\d+)\^(\d+)\s*-\s*(\d+)", text)
    if power:
        base, exp, minus = (int(g) for g in power.groups())
        return float(base**exp - minus)
    return float(text)


def _plain_type(annotation: typing.Any) -> typing.Any:
    """The type under ``X | None``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _is_table_or_list(field: typing.Any) -> bool:
    """A field whose value is a nested table (a model or a dict) or a list, inside a
    section (e.g. ``[[changes]] effort``)."""
    kind = _plain_type(field.annotation)
    origin = typing.get_origin(kind)
    return origin in (dict, tuple) or (isinstance(kind, type) and issubclass(kind, BaseModel))


def _section_models() -> dict[str, type[BaseModel]]:
    """Section key as the doc writes it -> the model that validates it."""
    sections = {}
    for name, field in Scenario.model_fields.items():
        annotation = _plain_type(field.annotation)
        origin = typing.get_origin(annotation)
        if origin is dict:
            sections[f"{name}.<id>"] = typing.get_args(annotation)[1]
        elif origin is tuple:
            sections[name] = typing.get_args(annotation)[0]
        else:
            sections[name] = annotation
    return sections


SECTION_HEADING = re.compile(r"^## `\[\[?([a-z_]+(?:\.<id>)?)\]\]?`")
FIELD_TABLES = _tables_under_headings(FORMAT, SECTION_HEADING)
SECTIONS = _section_models()


def _field_rows(section: str) -> dict[str, dict]:
    return {_unquote(row["Field"]): row for row in FIELD_TABLES.get(section, [])}


def _all_fields():
    for section, model in SECTIONS.items():
        for name, field in model.model_fields.items():
            key = field.alias or name  # the file's key: ``from`` for ``from_``
            yield pytest.param(section, key, field, id=f"{section}.{key}")


# --- docs/scenario-format.md ------------------------------------------------------------


def test_every_section_has_a_field_table():
    assert set(FIELD_TABLES) == set(SECTIONS)


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_field_tables_list_exactly_the_model_fields(section):
    documented = set(_field_rows(section))
    fields = SECTIONS[section].model_fields
    assert documented == {field.alias or name for name, field in fields.items()}, section


@pytest.mark.parametrize(("section", "name", "field"), list(_all_fields()))
def test_documented_default_equals_model_default(section, name, field):
    cell = _unquote(_field_rows(section)[name]["Default"])
    if _is_table_or_list(field):
        assert cell == NOT_SET if field.default is None else cell.startswith("as `[")
    elif field.is_required():
        assert cell == REQUIRED
    elif field.default is None:
        assert cell == NOT_SET
    elif isinstance(field.default, bool):
        assert cell == str(field.default).lower()
    elif isinstance(field.default, str):
        assert cell == f'"{field.default}"'
    else:
        assert math.isclose(_number(cell), field.default, rel_tol=1e-12), cell


@pytest.mark.parametrize(("section", "name", "field"), list(_all_fields()))
def test_documented_type_matches_model(section, name, field):
    cell = _field_rows(section)[name]["Type"]
    kind = _plain_type(field.annotation)
    if _is_table_or_list(field):
        origin = typing.get_origin(kind)
        assert cell == ("list" if origin is tuple else "table")
        return
    expected = {int: "whole number", float: "number", bool: "true/false"}.get(kind)
    if kind is str:
        expected = "month" if field.description == "A calendar month, 'YYYY-MM'." else "text"
    assert cell == expected


@pytest.mark.parametrize(("section", "name", "field"), list(_all_fields()))
def test_documented_range_matches_model_bounds(section, name, field):
    cell = _unquote(_field_rows(section)[name]["Allowed"])
    if _is_table_or_list(field):
        return  # a nested table or list: its own section (or its Meaning) gives the ranges
    meta = field.metadata
    kind = _plain_type(field.annotation)
    if kind is str:
        longest = next((m.max_length for m in meta if isinstance(m, at.MaxLen)), None)
        shortest = next((m.min_length for m in meta if isinstance(m, at.MinLen)), 0)
        if longest is None:
            return  # months and line ids: checked by the loader's own rules
        if shortest:
            assert cell == f"{shortest}–{longest} characters"
        else:
            assert cell == f"at most {longest} characters"
        return
    if kind is bool:
        assert cell == "true` or `false"  # `true` or `false` without its outer backticks
        return
    match = re.fullmatch(
        r"(?:(?P<lo>[^<≤]+?)\s*(?P<lop><|≤)\s*)?x(?:\s*(?P<hip><|≤)\s*(?P<hi>.+))?", cell
    )
    assert match, f"{section}.{name}: cannot read the range {cell!r}"
    bounds = {}
    for m in meta:
        if isinstance(m, at.Ge):
            bounds["lo"] = (m.ge, "≤")
        elif isinstance(m, at.Gt):
            bounds["lo"] = (m.gt, "<")
        elif isinstance(m, at.Le):
            bounds["hi"] = (m.le, "≤")
        elif isinstance(m, at.Lt):
            bounds["hi"] = (m.lt, "<")
    for side, op in (("lo", "lop"), ("hi", "hip")):
        if side in bounds:
            value, symbol = bounds[side]
            assert match[side] is not None, f"{section}.{name}: the doc lacks the {side} bound"
            assert math.isclose(_number(match[side]), value, rel_tol=1e-12), cell
            assert match[op] == symbol, cell
        else:
            assert match[side] is None, f"{section}.{name}: the doc has a bound the model lacks"


def test_named_limits_equal_the_code():
    rows = {
        _unquote(r["Limit"]): _number(r["Value"]) for r in _table_after(FORMAT, "## Named limits")
    }
    code = {
        name: getattr(models, name)
        for name in dir(models)
        if name.startswith("MAX_") or name in ("EFFORT_TOLERANCE", "SEASON_TOLERANCE")
    }
    code.update(
        {name: getattr(scenario_io, name) for name in dir(scenario_io) if name.startswith("MAX_")}
    )
    code["MAX_REQUEST_BYTES"] = budget.MAX_REQUEST_BYTES
    code["MAX_REQUEST_SECONDS"] = budget.MAX_REQUEST_SECONDS
    assert rows == pytest.approx(code)


def test_limits_are_the_ones_the_models_enforce():
    fields = Scenario.model_fields
    assert at.MaxLen(models.MAX_PRODUCT_LINES) in fields["product_lines"].metadata
    assert at.MaxLen(models.MAX_CONTRACTS) in fields["contracts"].metadata
    assert at.Le(models.MAX_MONTHS) in models.Simulation.model_fields["months"].metadata
    assert at.Le(models.MAX_RUNS) in models.Simulation.model_fields["runs"].metadata


def _example() -> str:
    return re.search(r"## A complete small example.*?```toml\n(.*?)```", FORMAT, re.S).group(1)


def test_complete_example_loads_and_runs():
    scenario = parse_scenario(_example())
    assert len(scenario.product_lines) == 2 and len(scenario.contracts) == 1
    raw = tomllib.loads(_example())
    assert scenario.contracts[0].ends == raw["contracts"][0]["ends"]
    result = simulate(scenario, runs=20, seed=1)
    assert result.report.verdict in metrics.VERDICTS


@pytest.mark.parametrize("row", _table_after(FORMAT, "## Errors"), ids=lambda r: r["Override"])
def test_documented_errors_are_the_real_errors(row):
    scenario = parse_scenario(_example())
    with pytest.raises(ScenarioError) as caught:
        apply_overrides(scenario, [_unquote(row["Override"])])
    assert str(caught.value) == _unquote(row["Error"])


def test_documented_override_errors_are_the_real_errors():
    scenario = parse_scenario(_example())
    rows = _table_after(FORMAT, "## Overriding fields")
    messages = [re.search(r"error: `(--set (.+?)[:]? .*)`", r["Result"]) for r in rows]
    checked = 0
    for found in filter(None, messages):
        message = found.group(1)
        path = re.match(r"--set '?([^:']+)'?", message).group(1)
        override = path if "expected" in message else f"{path}=1"
        with pytest.raises(ScenarioError) as caught:
            apply_overrides(scenario, [override])
        assert str(caught.value) == message
        checked += 1
    assert checked == 3


# --- docs/model.md ----------------------------------------------------------------------


def _model_defaults() -> dict[str, dict]:
    rows = _table_after(MODEL, "## Defaults and where they come from")
    return {_unquote(r["Field"]): r for r in rows}


def _defaulted_fields():
    """Every field with a default, except what a scenario only names (meta, contracts,
    changes: a change's fields left out keep their value)."""
    for section, model in SECTIONS.items():
        if section in ("meta", "contracts", "changes"):
            continue
        for name, field in model.model_fields.items():
            if not field.is_required():
                yield pytest.param(f"{section}.{name}", field, id=f"{section}.{name}")


@pytest.mark.parametrize(("path", "field"), list(_defaulted_fields()))
def test_model_doc_gives_every_default_with_its_source(path, field):
    row = _model_defaults()[path]
    cell = _unquote(row["Default"])
    if field.default is None:
        assert cell == NOT_SET
    elif isinstance(field.default, BaseModel):
        assert cell.startswith("as `[")
    elif isinstance(field.default, bool):
        assert cell == str(field.default).lower()
    elif isinstance(field.default, str):
        assert cell == f'"{field.default}"'
    else:
        assert math.isclose(_number(cell), field.default, rel_tol=1e-12), cell
    assert len(row["Source or judgement"]) > 10


def test_model_doc_defaults_table_has_no_stale_rows():
    expected = {p.values[0] for p in _defaulted_fields()}
    assert set(_model_defaults()) == expected


def _percent(cell: str) -> float:
    return float(cell.replace("%", "").replace("−", "-").replace("+", "")) / 100.0


def test_single_threading_table_is_what_the_engine_computes():
    rows = _table_after(MODEL, "### Single-threading in numbers")
    defaults = Scenario()
    line = models.ProductLine(name="x")
    assert [int(r["Contacts"]) for r in rows] == [1, 2, 3, 4]
    for row in rows:
        contacts = int(row["Contacts"])
        for years, label in ((1, "1-year term"), (3, "3-year term")):
            orphan = float(
                engine.orphan_probability(contacts, defaults.relationships.champion_turnover, years)
            )
            renew = line.renewal_rate * float(engine.relationship_factor(defaults, contacts, years))
            assert abs(_percent(row[f"Orphan chance, {label}"]) - orphan) <= 0.005
            assert abs(_percent(row[f"Renewal chance, {label}"]) - renew) <= 0.005


def test_worked_metrics_example_is_what_the_metrics_compute():
    rows = _table_after(MODEL, "### A worked example")
    quarterly = np.array([[float(r["Revenue"]) for r in rows]])
    qoq = metrics.quarter_over_quarter(quarterly)[0]
    for row, change in zip(rows[1:], qoq, strict=True):
        assert abs(_percent(row["QoQ change"]) - change) <= 0.0005
    peak = np.maximum.accumulate(quarterly[0])
    for row, top, value in zip(rows, peak, quarterly[0], strict=True):
        assert float(row["Running peak"]) == top
        assert abs(_percent(row["Fall from peak"]) - (1 - value / top)) <= 0.005
    text = MODEL.split("### A worked example", 1)[1].split("##", 1)[0]
    thresholds = models.Thresholds()
    vol = metrics.volatility(qoq[None])[0]
    drawdown = metrics.max_drawdown(quarterly)[0]
    events = metrics.boom_bust_events(qoq[None], thresholds)[0]
    verdict = metrics.classify(
        worst_drop=np.array([-qoq.min()]),
        drawdown=np.array([drawdown]),
        events=np.array([events]),
        thresholds=thresholds,
    )[0]
    assert f"Volatility {vol:.1%}" in text
    assert f"max drawdown {drawdown:.0%}" in text
    assert f"{events} boom-bust event" in text
    assert f"the run is `{metrics.VERDICTS[verdict]}`" in text


def _care_scenario(*, engage: float, retain: float, onboarding: float, care: float):
    """One fast-selling recurring line, so that deals are won every month."""
    return models.Scenario.model_validate(
        {
            "simulation": {"months": 12, "runs": 50},
            "effort": {
                "attract": 0.4,
                "close": 0.4,
                "engage": engage,
                "retain": retain,
                "leverage": 0.0,
            },
            "product_lines": {
                "fast": {
                    "name": "Fast",
                    "sales_cycle_months": 1,
                    "win_rate": 0.5,
                    "leads_per_rep_month": 10.0,
                    "close_effort_per_deal": 0.1,
                }
            },
            "engagement": {
                "care_memory_months": 1.0,
                "onboarding_effort_per_client": onboarding,
                "care_effort_per_account": care,
            },
        }
    )


def test_care_weights_in_the_doc_are_the_engines():
    found = re.search(
        r"\(([\d.]+) × onboarding coverage of the month won\s+\+ ([\d.]+) × care index\)",
        MODEL,
    )
    w_onboarding, w_care = float(found.group(1)), float(found.group(2))
    assert w_onboarding + w_care == pytest.approx(1.0)
    assert w_onboarding == engine.ONBOARDING_WEIGHT
    # No onboarding effort at all, account care fully covered: the care index (account
    # care) stays full; the month's onboarding coverage is 0.
    only_care = simulate(_care_scenario(engage=0.0, retain=0.2, onboarding=0.3, care=0.0), seed=3)
    assert np.all(only_care.output.wins.sum(axis=2) > 0)
    assert only_care.output.care_index == pytest.approx(1.0)
    assert only_care.output.onboarding == pytest.approx(0.0)
    # Onboarding fully covered, no account-care effort for a book that needs it.
    only_onboarding = simulate(
        _care_scenario(engage=0.2, retain=0.0, onboarding=0.0, care=0.01), seed=3
    )
    assert only_onboarding.output.care_index == pytest.approx(0.0)
    assert only_onboarding.output.onboarding == pytest.approx(1.0)


@pytest.mark.parametrize("cycle", [1, 2, 6])
def test_expiry_window_in_the_doc_is_the_engines(cycle):
    found = re.search(r"at most max\(`sales_cycle_months`, (\d+)\) months", MODEL)
    floor = int(found.group(1))
    expiry = cycle + max(cycle, floor)
    # Nobody closes, so every opportunity stays open until it expires.
    scenario = models.Scenario.model_validate(
        {
            "simulation": {"months": 30, "runs": 400},
            "effort": {"attract": 1.0, "close": 0.0, "engage": 0.0, "retain": 0.0, "leverage": 0.0},
            "product_lines": {"only": {"name": "Only", "sales_cycle_months": cycle}},
            "pipeline": {"warm_start": False},
        }
    )
    arrivals = scenario.team.reps * 1.0 * scenario.product_lines["only"].leads_per_rep_month
    open_deals = simulate(scenario, seed=5).output.pipeline_open[:, expiry:, 0].mean()
    assert open_deals == pytest.approx(expiry * arrivals, rel=0.02)


def test_coverage_cap_in_the_doc_is_the_engines():
    found = re.search(r"Coverage reported range \| 0 … (\d+) \(`COVERAGE_CAP`\)", MODEL)
    assert float(found.group(1)) == engine.COVERAGE_CAP


def _constant(name: str) -> str:
    rows = _table_after(MODEL, "## Fixed modelling constants")
    return next(r["Value"] for r in rows if r["Constant"] == name)


def test_youngest_pullable_age_in_the_doc_is_the_engines():
    youngest = int(
        re.fullmatch(r"(\d+) months?", _constant("Youngest age that can be pulled forward"))[1]
    )
    # Closers with far more capacity than deals and no slack pull every deal as soon
    # as it is old enough, so the first wins come in the month deals reach that age.
    scenario = models.Scenario.model_validate(
        {
            "simulation": {"months": 6, "runs": 40},
            "effort": {"attract": 0.5, "close": 0.5, "engage": 0.0, "retain": 0.0, "leverage": 0.0},
            "product_lines": {
                "slow": {
                    "name": "Slow",
                    "sales_cycle_months": 6,
                    "win_rate": 1.0,
                    "leads_per_rep_month": 10.0,
                    "close_effort_per_deal": 0.01,
                }
            },
            "pipeline": {"warm_start": False},
            "engagement": {"pull_forward_slack": 0.0, "pull_forward_win_factor": 1.0},
        }
    )
    wins = simulate(scenario, seed=2).output.wins[:, :, 0]
    assert np.all(wins[:, :youngest] == 0)
    assert np.all(wins[:, youngest] > 0)


def test_warm_book_relationships_in_the_doc_are_the_engines():
    found = re.fullmatch(
        r"(\d+) contacts, turnover ([\d.]+) \(the `\[relationships\]` defaults\)",
        _constant("Relationships behind the warm book"),
    )
    typical = models.Relationships()
    assert int(found[1]) == typical.contacts_per_account
    assert float(found[2]) == typical.champion_turnover
    # The starting book (contracts falling due in the first month) ignores the
    # scenario's own relationships.
    due = [
        simulate(
            Scenario.model_validate(
                {"simulation": {"runs": 5}, "relationships": {"contacts_per_account": c}}
            ),
            seed=4,
        ).output.renewals_due[:, 0]
        for c in (1, typical.contacts_per_account, 8)
    ]
    assert np.array_equal(due[0], due[1]) and np.array_equal(due[1], due[2])
    assert due[1].min() > 0
