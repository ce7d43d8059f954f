"""The app's state: widgets <-> scenario values, the shareable URL, files and the book table.

The current scenario (a validated, frozen :class:`Scenario`) lives in the session state
and is the single source of truth. Widgets show values derived from it and change it only
through callbacks that re-validate, so a rejected change shows an error naming the field
and leaves the scenario, the baseline and the URL as they were.

Everything takes the session state as a plain ``MutableMapping`` argument, so the tests can
drive it with a dict. Every default and range comes from :mod:`simulator.models`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import itertools
import json
import math
import re
import tomllib
import zlib
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import BaseModel, ValidationError

from simulator import (
    Scenario,
    ScenarioError,
    dump_scenario,
    list_presets,
    load_preset,
    parse_scenario,
    scenario_from_dict,
    scenario_to_dict,
)
from simulator.models import (
    LAST_YEAR,
    MAX_CONTRACTS,
    STAGES,
    YEAR_MONTH,
    Contract,
    Effort,
    month_index,
    month_label,
)
from simulator.money import format_money, parse_money
from simulator.scenario_io import MAX_FILE_BYTES

DEFAULT_PRESET = "team_a_team_b"
"""The article's worked example: what a newcomer sees first."""

MAX_CONTRACT_SLIDERS = 12
"""Contracts with their own sliders (the largest by value); the table edits all of them."""

MAX_SAFE_INT = 2**53 - 1
"""Largest whole number a browser widget holds exactly."""

MAX_PARAM_CHARS = 12_000
"""Longest query-parameter value read from a link (a compressed scenario fits easily)."""

MAX_LINK_BYTES = 64 * 1024
"""Largest scenario a link may inflate to (a real one is a few KB of TOML): 12,000
characters of zlib can otherwise inflate to many megabytes of hostile TOML."""

# --- Session-state keys that are not widgets.
SCENARIO = "scenario"
PRESET = "preset_name"
SOURCE = "scenario_source"
BASELINE = "baseline"
ERROR = "error"
NOTES = "link_notes"
BOOK_ERROR = "Contract table:"
"""How an error from the contract table starts: it is shown by the table, not at the top."""
BOOK_VERSION = "book_version"
BOOK_TABLE = "book_table"
BOOK_PENDING = "book_pending"
BOOK_SEEN = "book_seen"
BOOK_DRAWN = "book_drawn"
UPLOAD_VERSION = "upload_version"

# --- Widget keys.
W_PRESET = "w_preset"
W_UPLOAD = "w_upload"
W_NEW_BUSINESS = "w_new_business"
W_CLOSING = "w_closing"
W_ENGAGE = "w_engage"
W_RETAIN = "w_retain"
W_LEVERAGE = "w_leverage"
W_FOCUS_SPLIT = "w_focus_split"
W_CONTACTS = "w_contacts"
W_TURNOVER = "w_turnover"
W_RUNS = "w_runs"
W_MONTHS = "w_months"
W_SEED = "w_seed"
EFFORT_KEYS = (W_NEW_BUSINESS, W_CLOSING, W_ENGAGE, W_RETAIN, W_LEVERAGE)
REST_STAGES = ("engage", "retain", "leverage")


def focus_key(line_id: str) -> str:
    return f"w_focus_{line_id}"


def end_key(index: int) -> str:
    return f"w_end_{index}"


def contacts_key(index: int) -> str:
    return f"w_cc_{index}"


def book_key(version: int) -> str:
    """The table's key changes when the book changes other than through the table (a
    preset, an upload, a slider, a refused edit), so the table is redrawn from the book."""
    return f"w_book_{version}"


def upload_key(version: int) -> str:
    """The uploader's key changes after a refused file, so it no longer lists the file."""
    return W_UPLOAD if version == 0 else f"{W_UPLOAD}_{version}"


# --- Field ranges and defaults, read from the models.
@dataclass(frozen=True)
class FieldRange:
    """A field's allowed range and default, as declared in simulator.models."""

    low: float | None
    high: float | None
    default: Any
    max_length: int | None = None


def limits(model: type[BaseModel], name: str) -> FieldRange:
    """Read ``ge``/``gt`` and ``le``/``lt`` bounds, text length and default of a model field."""
    info = model.model_fields[name]
    low = high = max_length = None
    for item in info.metadata:
        if getattr(item, "max_length", None) is not None:
            max_length = item.max_length
        for attr in ("ge", "gt"):
            if getattr(item, attr, None) is not None:
                low = getattr(item, attr)
        for attr in ("le", "lt"):
            if getattr(item, attr, None) is not None:
                high = getattr(item, attr)
    return FieldRange(low=low, high=high, default=info.default, max_length=max_length)


def _round(value: float) -> float:
    """Six decimals: exact enough for any plan, and files stay readable."""
    return round(float(value), 6) + 0.0


def _as_float(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


# --- Effort: five shares that always sum to 100%.
@dataclass(frozen=True)
class EffortControls:
    """The effort sliders: how a plan's time is set without ever breaking the 100% total."""

    new_business: float
    """Percent of all time on new business (prospecting + closing)."""
    closing: float
    """Percent of the new-business time spent closing (the rest is prospecting)."""
    engage: float
    retain: float
    leverage: float
    """Relative weights of the remaining time over onboarding, care and up-sell (0-100)."""


def _default_effort() -> dict[str, float]:
    return {stage: limits(Effort, stage).default for stage in STAGES}


def effort_controls(effort: Effort) -> EffortControls:
    """Slider positions that reproduce ``effort`` exactly."""
    shares = effort.as_dict()
    defaults = _default_effort()
    new_business = shares["attract"] + shares["close"]
    if new_business > 0:
        closing = shares["close"] / new_business
    else:
        closing = defaults["close"] / (defaults["attract"] + defaults["close"])
    rest = sum(shares[s] for s in REST_STAGES)
    source = shares if rest > 0 else defaults
    rest_total = sum(source[s] for s in REST_STAGES)
    weights = {s: source[s] / rest_total * 100 for s in REST_STAGES}
    return EffortControls(new_business=new_business * 100, closing=closing * 100, **weights)


def effort_from_controls(controls: EffortControls) -> Effort:
    """The five shares the sliders mean, normalised so they sum to 100%."""
    new_business = min(max(_as_float(controls.new_business, 0.0) / 100, 0.0), 1.0)
    closing = min(max(_as_float(controls.closing, 0.0) / 100, 0.0), 1.0)
    weights = {s: max(_as_float(getattr(controls, s), 0.0), 0.0) for s in REST_STAGES}
    total = sum(weights.values())
    if total <= 1e-9:  # all at zero (or vanishingly small): fall back to the default mix
        weights = {s: _default_effort()[s] for s in REST_STAGES}
        total = sum(weights.values())
    rest = 1.0 - new_business
    shares = {
        "attract": new_business * (1.0 - closing),
        "close": new_business * closing,
        **{s: rest * (weights[s] / total) for s in REST_STAGES},
    }
    return Effort(**{s: _round(v) for s, v in shares.items()})


# --- Widget values derived from a scenario.
def contracts_with_sliders(scenario: Scenario) -> list[int]:
    """Indexes of the contracts that get sliders: the largest, in the book's order."""
    ranked = sorted(
        range(len(scenario.contracts)), key=lambda i: -scenario.contracts[i].annual_value
    )
    return sorted(ranked[:MAX_CONTRACT_SLIDERS])


def effective_contacts(scenario: Scenario, contract: Contract) -> int:
    """A contract's buyer contacts: its own number, else the scenario's per-account figure."""
    if contract.contacts is not None:
        return contract.contacts
    return scenario.relationships.contacts_per_account


def end_month_options(scenario: Scenario, contract: Contract) -> list[str]:
    """The months an end-date slider offers: the horizon, plus the current end if later."""
    options = scenario.month_labels()
    if contract.ends not in options:
        options = sorted({*options, contract.ends}, key=month_index)
    return options


def widget_groups(scenario: Scenario) -> dict[str, list[str]]:
    """Widget keys by the group a callback re-validates together."""
    groups: dict[str, list[str]] = {"effort": list(EFFORT_KEYS)}
    lines = scenario.line_ids
    if len(lines) == 2:
        groups["focus"] = [W_FOCUS_SPLIT]
    elif len(lines) > 2:
        groups["focus"] = [focus_key(line) for line in lines]
    groups["relationships"] = [W_CONTACTS, W_TURNOVER]
    for i in contracts_with_sliders(scenario):
        groups[f"contract:{i}"] = [end_key(i), contacts_key(i)]
    groups["simulation"] = [W_RUNS, W_MONTHS, W_SEED]
    return groups


def widget_values(scenario: Scenario) -> dict[str, Any]:
    """Every widget's value for ``scenario`` (keys as in :func:`widget_groups`)."""
    controls = effort_controls(scenario.effort)
    values: dict[str, Any] = {
        W_NEW_BUSINESS: controls.new_business,
        W_CLOSING: controls.closing,
        W_ENGAGE: controls.engage,
        W_RETAIN: controls.retain,
        W_LEVERAGE: controls.leverage,
        W_CONTACTS: scenario.relationships.contacts_per_account,
        W_TURNOVER: scenario.relationships.champion_turnover * 100,
        W_RUNS: scenario.simulation.runs,
        W_MONTHS: scenario.simulation.months,
        W_SEED: min(scenario.simulation.seed, MAX_SAFE_INT),
    }
    shares = scenario.focus_shares
    lines = scenario.line_ids
    if len(lines) == 2:
        values[W_FOCUS_SPLIT] = shares[lines[0]] * 100
    elif len(lines) > 2:
        values.update({focus_key(line): shares[line] * 100 for line in lines})
    for i in contracts_with_sliders(scenario):
        contract = scenario.contracts[i]
        values[end_key(i)] = contract.ends
        values[contacts_key(i)] = effective_contacts(scenario, contract)
    return values


# --- Applying a group of widget values to a scenario (pure; raises ScenarioError).
def _replace(scenario: Scenario, edit) -> Scenario:
    data = scenario_to_dict(scenario)
    data.setdefault("contracts", [])
    edit(data)
    return scenario_from_dict(data)


def apply_group(scenario: Scenario, group: str, values: Mapping[str, Any]) -> Scenario:
    """The scenario with one group of widget values applied and re-validated."""
    if group == "effort":
        controls = EffortControls(
            new_business=values[W_NEW_BUSINESS],
            closing=values[W_CLOSING],
            engage=values[W_ENGAGE],
            retain=values[W_RETAIN],
            leverage=values[W_LEVERAGE],
        )
        effort = effort_from_controls(controls).as_dict()
        return _replace(scenario, lambda d: d.__setitem__("effort", effort))
    if group == "focus":
        return _replace(scenario, lambda d: _set_focus(d, scenario, values))
    if group == "relationships":

        def edit(d: dict) -> None:
            d["relationships"]["contacts_per_account"] = int(values[W_CONTACTS])
            d["relationships"]["champion_turnover"] = _round(
                _as_float(values[W_TURNOVER], math.nan) / 100
            )

        return _replace(scenario, edit)
    if group.startswith("contract:"):
        i = int(group.partition(":")[2])

        contacts = int(values[contacts_key(i)])
        follows_default = contacts == effective_contacts(scenario, scenario.contracts[i])

        def edit(d: dict) -> None:
            d["contracts"][i]["ends"] = str(values[end_key(i)])
            if not follows_default:  # an untouched slider keeps following contacts per account
                d["contracts"][i]["contacts"] = contacts

        return _replace(scenario, edit)
    if group == "simulation":

        def edit(d: dict) -> None:
            d["simulation"]["runs"] = int(values[W_RUNS])
            d["simulation"]["months"] = int(values[W_MONTHS])
            seed = int(values[W_SEED])
            if seed != min(scenario.simulation.seed, MAX_SAFE_INT):
                d["simulation"]["seed"] = seed

        return _replace(scenario, edit)
    raise ValueError(f"unknown control group {group!r}")


def _set_focus(data: dict, scenario: Scenario, values: Mapping[str, Any]) -> None:
    lines = scenario.line_ids
    if len(lines) == 2:
        first = min(max(_as_float(values[W_FOCUS_SPLIT], 0.0) / 100, 0.0), 1.0)
        focus = {lines[0]: _round(first), lines[1]: _round(1.0 - first)}
    else:
        focus = {
            line: _round(max(_as_float(values[focus_key(line)], 0.0), 0.0) / 100) for line in lines
        }
    for line, value in focus.items():
        data["product_lines"][line]["focus"] = value


# --- One-click fixes.
def stagger_renewals(scenario: Scenario) -> Scenario:
    """Spread the contracts' end dates over the quarters of a year, largest first.

    The year starts at the quarter of the earliest current end date (never before the
    start). Up to four contracts get quarters as far apart as possible (two: January and
    July); more contracts fill every quarter in turn, then the next month of each.
    """
    contracts = scenario.contracts
    if not contracts:
        return scenario
    earliest = min(month_index(c.ends) for c in contracts)
    window = max(earliest - earliest % 3, scenario.start_index)
    order = sorted(range(len(contracts)), key=lambda i: -contracts[i].annual_value)
    n = len(order)
    offsets: dict[int, int] = {}
    for rank, i in enumerate(order):
        # Up to four: quarters as far apart as possible; more: each quarter in turn.
        offsets[i] = 3 * (rank * 4 // n) if n <= 4 else 3 * (rank % 4) + (rank // 4) % 3
    # Near the end of the calendar, the year moves back so every end stays a valid month
    # (never before the start; what does not fit ends in the last month).
    last = month_index(f"{LAST_YEAR}-12")
    window = max(min(window, last - max(offsets.values())), scenario.start_index)
    ends = {i: month_label(min(window + offset, last)) for i, offset in offsets.items()}

    def edit(d: dict) -> None:
        for i, end in ends.items():
            d["contracts"][i]["ends"] = end

    return _replace(scenario, edit)


# --- The contract book as a table.
BOOK_COLUMNS = ("name", "product_line", "annual_value", "ends", "contacts", "renewal_term_months")
REQUIRED_COLUMNS = ("name", "product_line", "annual_value", "ends")
COLUMN_WORDS = {
    "name": "name",
    "product_line": "product line",
    "annual_value": "annual value",
    "ends": "ends",
    "contacts": "buyer contacts",
    "renewal_term_months": "renewal term",
}
"""Each column as the note about an unfinished row names it."""


@dataclass(frozen=True)
class BookTable:
    """The rows the contract table was drawn from, as the text its cells show.

    ``st.data_editor`` reports every edit since it was drawn, relative to these rows, so
    they stay fixed while the user types (a table redrawn mid-edit drops the keystrokes).
    The first ``contract_rows`` rows are the book's contracts; any after them are new rows
    still being filled in.
    """

    rows: tuple[dict[str, str], ...]
    contract_rows: int
    version: int = 0

    @classmethod
    def of(
        cls, scenario: Scenario, *, pending: Sequence[Mapping[str, str]] = (), version: int = 0
    ) -> BookTable:
        rows = tuple(_contract_row(c) for c in scenario.contracts)
        extra = tuple({c: str(row.get(c, "")) for c in BOOK_COLUMNS} for row in pending)
        return cls(rows=rows + extra, contract_rows=len(rows), version=version)


@dataclass(frozen=True)
class PendingRow:
    """A new row that is not in the book yet because required cells are still blank."""

    label: int
    """The row's number as the table shows it."""
    cells: dict[str, str]
    missing: tuple[str, ...]

    @property
    def note(self) -> str:
        blanks = ", ".join(COLUMN_WORDS[c] for c in self.missing)
        name = self.cells.get("name")
        named = f" ({_short(name)})" if name else ""
        return f"Row {self.label}{named} is not in the plan yet: fill in {blanks}."


@dataclass(frozen=True)
class BookRead:
    """The scenario a table's edits describe, and the new rows still being filled in."""

    scenario: Scenario
    pending: tuple[PendingRow, ...] = ()


def _contract_row(contract: Contract) -> dict[str, str]:
    return {
        "name": contract.name,
        "product_line": contract.product_line,
        "annual_value": format_money(contract.annual_value),
        "ends": contract.ends,
        "contacts": "" if contract.contacts is None else str(contract.contacts),
        "renewal_term_months": (
            "" if contract.renewal_term_months is None else str(contract.renewal_term_months)
        ),
    }


def book_frame(table: BookTable | Scenario) -> pd.DataFrame:
    """The table as ``st.data_editor`` shows it: every cell text, blanks empty (not "None")."""
    if isinstance(table, Scenario):
        table = BookTable.of(table)
    frame = pd.DataFrame(list(table.rows), columns=list(BOOK_COLUMNS)).fillna("")
    return frame.astype("string")


def _cell(value: Any) -> str | int | float | None:
    """A cell as the table sent it: text trimmed, blanks (None, NaN, "") as None.

    Numbers stay numbers (an older client or a test may send them); their column's reader
    checks them like typed text.
    """
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INT:
        return str(value)  # beyond a float: read as the digits typed (JSON allows 10**400)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return str(value).strip() or None


def _cell_text(value: Any) -> str:
    """A cell kept for a row still being filled in, as text the table shows again."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < MAX_SAFE_INT:
        return str(int(value))
    return str(value)


_WHOLE = re.compile(r"\+?[0-9]{1,9}")


def _read_cell(column: str, value: str | int | float) -> Any:
    """A non-blank cell as scenario data; ValueError saying why it cannot be."""
    if column in ("name", "product_line"):
        return str(value)
    if column == "annual_value":
        if isinstance(value, str):
            return parse_money(value)
        if not math.isfinite(value) or value <= 0:
            raise ValueError("is not an amount above $0")
        return float(value)
    if column == "ends":
        if not isinstance(value, str) or not YEAR_MONTH.fullmatch(value):
            raise ValueError("is not a month in the form YYYY-MM (e.g. 2013-01)")
        return value
    # Buyer contacts and renewal term: whole numbers, the model checks the range.
    bounds = limits(Contract, column)
    allowed = f"a whole number from {bounds.low:g} to {bounds.high:g}"
    if isinstance(value, str):
        if not _WHOLE.fullmatch(value):
            raise ValueError(f"is not {allowed}")
        return int(value)
    if not math.isfinite(value) or not float(value).is_integer():
        raise ValueError(f"is not {allowed}")
    return int(value)


def _refuse(label: int, column: str, typed: Any, reason: str) -> ScenarioError:
    return ScenarioError(f"contracts.{label}.{column}: {_short(str(typed))} {reason}")


def _rows_list(edits: Mapping[str, Any], name: str) -> list[Any]:
    """Added or deleted rows as the table sends them (a list); a forged value means none."""
    rows = edits.get(name)
    return rows if isinstance(rows, list) else []


def read_book(
    scenario: Scenario, edits: Mapping[str, Any], *, table: BookTable | None = None
) -> BookRead:
    """The scenario with the table's edits applied; new rows with blank required cells wait.

    ``edits`` is ``st.data_editor``'s state (edited, added and deleted rows) relative to
    ``table``. Every cell is either read exactly as typed or refused: the ScenarioError
    names ``contracts.N.field`` (N as the table numbers the row) and the text typed.
    """
    table = table or BookTable.of(scenario)
    rows = [dict(row) for row in table.rows]
    added = _rows_list(edits, "added_rows")
    if len(rows) + len(added) > 2 * MAX_CONTRACTS:  # bounded work on a forged message
        raise ScenarioError(f"contracts: the book holds at most {MAX_CONTRACTS} contracts")
    cells: list[dict[str, Any]] = [{c: _cell(row.get(c)) for c in BOOK_COLUMNS} for row in rows]
    for key, change in (edits.get("edited_rows") or {}).items():
        try:
            index = int(key)
        except (TypeError, ValueError):
            continue
        if 0 <= index < len(cells) and isinstance(change, Mapping):
            for column, value in change.items():
                if column in BOOK_COLUMNS:
                    cells[index][column] = _cell(value)
    for row in added:
        if isinstance(row, Mapping):
            cells.append({c: _cell(row.get(c)) for c in BOOK_COLUMNS})
    deleted = set()
    for index in _rows_list(edits, "deleted_rows"):
        with contextlib.suppress(TypeError, ValueError, OverflowError):  # JSON's Infinity
            deleted.add(int(index))
    kept = [(label, row) for label, row in enumerate(cells) if label not in deleted]
    if len(kept) > MAX_CONTRACTS:
        raise ScenarioError(
            f"contracts: the book holds at most {MAX_CONTRACTS} contracts; the table has "
            f"{len(kept)} rows"
        )
    contracts: list[dict[str, Any]] = []
    labels: list[int] = []
    pending: list[PendingRow] = []
    for label, row in kept:
        values = {}
        for column, value in row.items():
            if value is None:
                continue
            try:
                values[column] = _read_cell(column, value)
            except ValueError as exc:
                raise _refuse(label, column, value, str(exc)) from None
        missing = tuple(c for c in REQUIRED_COLUMNS if row[c] is None)
        if missing and label >= table.contract_rows:
            text = {c: _cell_text(v) for c, v in row.items()}
            pending.append(PendingRow(label=label, cells=text, missing=missing))
            continue
        if missing:
            raise ScenarioError(
                f"contracts.{label}.{missing[0]}: is required (the cell was left empty)"
            )
        try:  # the model's own range checks, reported with the text as typed
            Contract.model_validate(values)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            column = str(first["loc"][0]) if first.get("loc") else "name"
            reason = first.get("msg", "is not allowed").removeprefix("Value error, ")
            typed = row.get(column, "")
            why = f"is refused: {reason[:1].lower()}{reason[1:]}"
            raise _refuse(label, column, typed, why) from None
        contracts.append(values)
        labels.append(label)
    data = scenario_to_dict(scenario)
    data["contracts"] = contracts
    if not contracts:
        del data["contracts"]
    try:
        changed = scenario_from_dict(data)
    except ScenarioError as exc:  # name the row as the table shows it
        text = re.sub(
            r"\bcontracts\.(\d+)\b",
            lambda m: f"contracts.{labels[int(m[1])] if int(m[1]) < len(labels) else m[1]}",
            str(exc),
        )
        raise ScenarioError(text) from None
    return BookRead(scenario=changed, pending=tuple(pending))


def apply_book_edits(
    scenario: Scenario, edits: Mapping[str, Any], *, table: BookTable | None = None
) -> Scenario:
    """Like :func:`read_book`, but a new row with a blank required cell is an error."""
    read = read_book(scenario, edits, table=table)
    if read.pending:
        first = read.pending[0]
        raise ScenarioError(f"contracts.{first.label}.{first.missing[0]}: is required")
    return read.scenario


# --- Presets.
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


# --- The shareable URL.
_PARAM_ORDER = ("effort", "focus", "contacts", "turnover", "ends", "cc", "months", "runs", "seed")


def _fmt(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _group_params(scenario: Scenario) -> dict[str, str]:
    """Every compact parameter for ``scenario`` (before dropping those equal to the preset)."""
    return {
        "effort": ",".join(_fmt(v) for v in scenario.effort.as_dict().values()),
        "focus": ",".join(_fmt(line.focus) for line in scenario.product_lines.values()),
        "contacts": str(scenario.relationships.contacts_per_account),
        "turnover": _fmt(scenario.relationships.champion_turnover),
        "ends": ",".join(c.ends for c in scenario.contracts),
        "cc": ",".join("" if c.contacts is None else str(c.contacts) for c in scenario.contracts),
        "months": str(scenario.simulation.months),
        "runs": str(scenario.simulation.runs),
        "seed": str(scenario.simulation.seed),
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


_NUMBER = re.compile(
    r"[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][+-]?[0-9]{1,3})?"
)
"""A decimal number as links write it (``repr`` of a float), in ASCII digits."""


def _floats(text: str, count: int | None, name: str) -> list[float]:
    parts = text.split(",")
    if count is not None and len(parts) != count:
        raise ScenarioError(f"{name}: expected {count} comma-separated numbers, got {len(parts)}")
    if not all(_NUMBER.fullmatch(p.strip()) for p in parts):  # ASCII only: no '١.٥'
        raise ScenarioError(f"{name}: {_short(text)} is not a list of numbers")
    values = [float(p) for p in parts]
    if not all(math.isfinite(v) for v in values):
        raise ScenarioError(f"{name}: numbers must be finite")
    return values


def _int(text: str, name: str) -> int:
    """A whole number of at most 19 ASCII digits (``int`` would also read '١٢' or '1_0')."""
    if not re.fullmatch(r"[0-9]{1,19}", text.strip()):
        raise ScenarioError(f"{name}: {_short(text)} is not a whole number")
    return int(text.strip())


def _apply_param(data: dict, key: str, text: str) -> None:
    contracts = data.setdefault("contracts", [])
    if key == "effort":
        values = _floats(text, len(STAGES), "effort")
        data["effort"] = dict(zip(STAGES, values, strict=True))
    elif key == "focus":
        lines = list(data["product_lines"])
        for line, value in zip(lines, _floats(text, len(lines), "focus"), strict=True):
            data["product_lines"][line]["focus"] = value
    elif key == "contacts":
        data.setdefault("relationships", {})["contacts_per_account"] = _int(text, "contacts")
    elif key == "turnover":
        turnover = _floats(text, 1, "turnover")[0]
        data.setdefault("relationships", {})["champion_turnover"] = turnover
    elif key == "ends":
        parts = text.split(",")
        if len(parts) != len(contracts):
            raise ScenarioError(f"ends: expected {len(contracts)} months, got {len(parts)}")
        for contract, end in zip(contracts, parts, strict=True):
            contract["ends"] = end.strip()
    elif key == "cc":
        parts = text.split(",")
        if len(parts) != len(contracts):
            raise ScenarioError(f"cc: expected {len(contracts)} entries, got {len(parts)}")
        for contract, part in zip(contracts, parts, strict=True):
            if part.strip():
                contract["contacts"] = _int(part, "cc")
            else:
                contract.pop("contacts", None)
    elif key in ("months", "runs", "seed"):
        data.setdefault("simulation", {})[key] = _int(text, key)


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
    for key in _PARAM_ORDER:
        if key not in params:
            continue
        text = _one_value(params[key])
        if len(text) > MAX_PARAM_CHARS:
            notes.append(f"The link's {key} value is too long and was ignored.")
            continue
        data = scenario_to_dict(scenario)
        try:
            _apply_param(data, key, text)
            scenario = scenario_from_dict(data)
        except ScenarioError as exc:
            notes.append(f"The link's {key}={_short(text)} was ignored: {exc}")
    return scenario, notes


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _unknown_params_note(params: Mapping[str, Any]) -> list[str]:
    """One note naming a few of the link's unknown parameters and counting the rest,
    in time bounded by the number of known ones (a link may carry thousands)."""
    known = sum(1 for key in ("scenario", "preset", *_PARAM_ORDER) if key in params)
    count = len(params) - known
    if count <= 0:
        return []
    unknown = (k for k in params if k not in ("scenario", "preset", *_PARAM_ORDER))
    names = [_short(str(k), 20) for k in itertools.islice(unknown, 3)]
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
            f"The link's preset={_short(name)} does not exist; showing "
            f"{preset_scenario(DEFAULT_PRESET).meta.title!r} instead."
        )
        name = DEFAULT_PRESET
    scenario, more = apply_params(preset_scenario(name), params)
    return scenario, name, notes + more


# --- Session glue (callbacks and loaders). ``session`` is st.session_state or a dict.
def sync_widgets(
    session: MutableMapping[str, Any],
    scenario: Scenario,
    *,
    skip: Sequence[str] = (),
    only_missing: bool = False,
) -> None:
    """Set widget values from ``scenario`` (call before the widgets are drawn, or in a
    callback). ``skip`` leaves the keys the user just moved as they are."""
    for key, value in widget_values(scenario).items():
        if key in skip or (only_missing and key in session):
            continue
        session[key] = value


def set_scenario(
    session: MutableMapping[str, Any],
    scenario: Scenario,
    *,
    skip: Sequence[str] = (),
    redraw_book: bool = True,
) -> None:
    """Make ``scenario`` current and move every widget to it (the contract table too,
    unless the change came from the table, which already shows it)."""
    before: Scenario | None = session.get(SCENARIO)
    session[SCENARIO] = scenario
    session[ERROR] = None
    session[NOTES] = []
    book_changed = before is None or (before.contracts, before.line_ids) != (
        scenario.contracts,
        scenario.line_ids,
    )
    if before is not None and (len(before.contracts), before.line_ids) != (
        len(scenario.contracts),
        scenario.line_ids,
    ):
        session[BOOK_PENDING] = ()  # another book: half-typed rows belonged to the old one
    if (redraw_book and book_changed) or BOOK_TABLE not in session:
        redraw_book_table(session)
    sync_widgets(session, scenario, skip=skip)


def _set_origin(session: MutableMapping[str, Any], *, preset: str | None, source: str) -> None:
    """Where the current scenario came from: its preset (None for a file or link) and how."""
    session[PRESET] = preset
    session[W_PRESET] = preset
    session[SOURCE] = source


def start_session(session: MutableMapping[str, Any], params: Mapping[str, Any]) -> None:
    """On a session's first run, open the scenario the URL describes; later runs only put
    back widget values Streamlit dropped (e.g. after a visit to another page)."""
    if SCENARIO not in session:
        scenario, preset, notes = scenario_from_params(params)
        session[BASELINE] = None
        _set_origin(session, preset=preset, source="preset" if preset else "shared link")
        set_scenario(session, scenario)
        session[NOTES] = notes
    else:
        sync_widgets(session, session[SCENARIO], only_missing=True)
        if W_PRESET not in session:
            session[W_PRESET] = session.get(PRESET)


def on_control_change(session: MutableMapping[str, Any], group: str) -> None:
    """Callback for a group of sliders: apply, or show the error and move them back."""
    scenario: Scenario = session[SCENARIO]
    # A widget the client did not report keeps the scenario's own value, so a partial
    # update never surfaces as a missing-key error.
    values = widget_values(scenario)
    values.update({key: session[key] for key in values if key in session})
    try:
        changed = apply_group(scenario, group, values)
    except (ScenarioError, TypeError, ValueError, KeyError) as exc:
        session[ERROR] = str(exc)
        sync_widgets(session, scenario)
        return
    keep = widget_groups(scenario).get(group, []) if group in ("effort", "focus") else []
    set_scenario(session, changed, skip=keep)


def on_preset_change(session: MutableMapping[str, Any]) -> None:
    """Callback for the preset picker: load the chosen preset."""
    name = session.get(W_PRESET)
    if name is None:
        return
    load_preset_into(session, name)


def load_preset_into(session: MutableMapping[str, Any], name: str) -> None:
    """Replace the current scenario with a preset (the baseline stays pinned)."""
    try:
        scenario = preset_scenario(name)
    except ScenarioError as exc:
        session[ERROR] = str(exc)
        session[W_PRESET] = session.get(PRESET)
        return
    _set_origin(session, preset=name, source="preset")
    set_scenario(session, scenario)


def upload_limit() -> str:
    """The largest scenario file accepted, as people write it: '256 KiB'."""
    if MAX_FILE_BYTES % 1024**2 == 0:
        return f"{MAX_FILE_BYTES // 1024**2:,} MiB"
    if MAX_FILE_BYTES % 1024 == 0:
        return f"{MAX_FILE_BYTES // 1024:,} KiB"
    return f"{MAX_FILE_BYTES:,} bytes"


def _plan_sections(data: bytes) -> list[str]:
    """The top-level tables and keys of a file that already parsed, other than [meta]."""
    return [key for key in tomllib.loads(data.decode("utf-8")) if key != "meta"]


def load_upload(session: MutableMapping[str, Any], *, name: str, data: bytes) -> bool:
    """Open an uploaded scenario file; on any problem keep everything and set the error.

    A file with no plan in it (empty, or only a [meta] title) is refused rather than
    replacing the plan with every default.
    """
    try:
        scenario = parse_scenario(data, source=name)
        if not _plan_sections(data):
            what = "it is empty" if not data.strip() else "only [meta]"
            raise ScenarioError(
                f"{name}: the file has no plan in it ({what}); a scenario file sets at least "
                "one section such as [effort] or [[contracts]] (docs/scenario-format.md)"
            )
    except ScenarioError as exc:
        session[ERROR] = str(exc)
        return False
    _set_origin(session, preset=None, source=f"uploaded file {name}")
    set_scenario(session, scenario)
    return True


def on_upload(session: MutableMapping[str, Any]) -> None:
    """Callback for the file uploader (runs once per new file). A refused file is taken
    out of the uploader (a new key), so it does not look loaded; the error stays shown."""
    key = upload_key(session.get(UPLOAD_VERSION, 0))
    uploaded = session.get(key)
    if uploaded is None:
        return
    if not load_upload(session, name=uploaded.name, data=uploaded.getvalue()):
        session[UPLOAD_VERSION] = session.get(UPLOAD_VERSION, 0) + 1


def on_stagger(session: MutableMapping[str, Any]) -> None:
    """Callback for "Stagger renewals"."""
    scenario = session[SCENARIO]
    try:
        set_scenario(session, stagger_renewals(scenario))
    except ScenarioError as exc:
        session[ERROR] = str(exc)


def redraw_book_table(session: MutableMapping[str, Any]) -> BookTable:
    """Draw the table afresh (a new key) from the current book, keeping the new rows
    still being filled in, so nothing typed there is lost."""
    version = session.get(BOOK_VERSION, 0) + 1
    scenario: Scenario = session[SCENARIO]
    pending = tuple(
        PendingRow(label=len(scenario.contracts) + i, cells=row.cells, missing=row.missing)
        for i, row in enumerate(session.get(BOOK_PENDING) or ())
    )
    session[BOOK_PENDING] = pending
    table = BookTable.of(scenario, pending=[row.cells for row in pending], version=version)
    session[BOOK_VERSION] = version
    session[BOOK_TABLE] = table
    return table


def current_book_table(session: MutableMapping[str, Any]) -> BookTable:
    """The rows the table is drawn from. Redrawn when the table holds no edits on record
    (Streamlit forgets a widget's edits after a visit to another page)."""
    table = session.get(BOOK_TABLE)
    forgotten = isinstance(table, BookTable) and (
        session.get(BOOK_DRAWN) == table.version and book_key(table.version) not in session
    )
    if not isinstance(table, BookTable) or forgotten:
        table = redraw_book_table(session)
    session[BOOK_DRAWN] = table.version
    return table


def on_book_add_row(session: MutableMapping[str, Any]) -> None:
    """Callback for "Add a contract": a blank row at the end of the table to type into.

    The row is part of the table as drawn, so typing in it is an ordinary cell edit (the
    data editor's own add-row commits an empty row the moment it is clicked, and the rerun
    that follows resets the cell editor, dropping the first keystrokes).
    """
    blank = {c: "" for c in BOOK_COLUMNS}
    table = current_book_table(session)
    key = book_key(table.version)
    apply_unread_book_edits(session, key)  # keep what was typed before the click
    table = session[BOOK_TABLE]
    if len(table.rows) >= MAX_CONTRACTS:
        session[ERROR] = f"{BOOK_ERROR} contracts: the book holds at most {MAX_CONTRACTS}"
        return
    pending = list(session.get(BOOK_PENDING) or ())
    label = len(session[SCENARIO].contracts) + len(pending)
    pending.append(PendingRow(label=label, cells=blank, missing=REQUIRED_COLUMNS))
    session[BOOK_PENDING] = tuple(pending)
    redraw_book_table(session)


def book_notes(session: Mapping[str, Any]) -> list[str]:
    """One gentle note per new row that is waiting for required cells."""
    return [row.note for row in session.get(BOOK_PENDING) or () if any(row.cells.values())]


def _edits_signature(edits: Mapping[str, Any]) -> str:
    """The table's edit state as comparable text (which edits have been read)."""
    plain = {name: edits.get(name) or ([] if name != "edited_rows" else {}) for name in EDITS}
    return json.dumps(plain, sort_keys=True, default=str)


EDITS = ("edited_rows", "added_rows", "deleted_rows")


def apply_unread_book_edits(session: MutableMapping[str, Any], key: str) -> bool:
    """Read the table's edits if its callback has not (e.g. a state set by a test or a
    restored session); True when something was read and the page should be redrawn."""
    edits = session.get(key) or {}
    signature = _edits_signature(edits)
    seen_key, seen = session.get(BOOK_SEEN) or (None, None)
    if seen_key != key:
        seen = _edits_signature({})
    if signature == seen:
        return False
    on_book_edit(session, key)
    return True


def on_book_edit(session: MutableMapping[str, Any], key: str) -> None:
    """Callback for the contract table: apply the edits, or name the bad cell and keep
    the book as it was (the table is redrawn from the kept book).

    The table is not redrawn after an accepted edit: it already shows it, and a redraw
    while the user types would drop keystrokes. A new row with blank required cells
    waits (with a note) until it is complete.
    """
    scenario = session[SCENARIO]
    table = session.get(BOOK_TABLE)
    if not isinstance(table, BookTable) or book_key(table.version) != key:
        table = BookTable.of(scenario)  # a table drawn before this session's state
    edits = session.get(key) or {}
    session[BOOK_SEEN] = (key, _edits_signature(edits))
    try:
        read = read_book(scenario, edits, table=table)
    except ScenarioError as exc:
        session[ERROR] = f"{BOOK_ERROR} {exc}"
        redraw_book_table(session)
        return
    session[BOOK_PENDING] = read.pending
    set_scenario(session, read.scenario, redraw_book=False)


def pin_baseline(session: MutableMapping[str, Any]) -> None:
    session[BASELINE] = session[SCENARIO]


def clear_baseline(session: MutableMapping[str, Any]) -> None:
    session[BASELINE] = None


def file_stem(scenario: Scenario) -> str:
    """A safe file name stem from the scenario's title."""
    stem = re.sub(r"[^a-z0-9]+", "_", scenario.meta.title.lower()).strip("_")
    return stem[:60] or "scenario"
