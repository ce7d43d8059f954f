"""The contract book as an editable table: rows as text, edits read or refused by name.

``st.data_editor`` sends its edits relative to the rows it was drawn from; this module
turns them into a validated scenario, naming ``contracts.N.field`` and the text typed
when a cell cannot be used. Pure functions; the session callbacks are in ui/session.py.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import ValidationError

from simulator import Scenario, ScenarioError, scenario_from_dict, scenario_to_dict
from simulator.levers import shorten
from simulator.models import MAX_CONTRACTS, YEAR_MONTH, Contract
from simulator.money import format_money, parse_money, with_symbol

from .controls import MAX_SAFE_INT, limits


def book_key(version: int) -> str:
    """The table's key changes when the book changes other than through the table (a
    preset, an upload, a slider, a refused edit), so the table is redrawn from the book."""
    return f"w_book_{version}"


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
        named = f" ({shorten(name)})" if name else ""
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
            raise ValueError(f"is not an amount above {with_symbol('0')}")
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
    return ScenarioError(f"contracts.{label}.{column}: {shorten(str(typed))} {reason}")


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
