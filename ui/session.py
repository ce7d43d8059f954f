"""The app's session: the current scenario, its callbacks and loaders.

The current scenario (a validated, frozen :class:`Scenario`) lives in the session state
and is the single source of truth. Widgets show values derived from it and change it only
through callbacks that re-validate, so a rejected change shows an error naming the field
and leaves the scenario, the baseline and the URL as they were.

Everything takes the session state as a plain ``MutableMapping`` argument (``session`` is
st.session_state or a dict), so the tests can drive it with a dict.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from simulator import Scenario, ScenarioError, parse_scenario
from simulator.models import MAX_CONTRACTS
from simulator.scenario_io import MAX_FILE_BYTES

from . import timeline
from .book import (
    BOOK_COLUMNS,
    REQUIRED_COLUMNS,
    BookTable,
    PendingRow,
    book_key,
    read_book,
)
from .controls import (
    W_QUOTA,
    apply_group,
    keeps_on_error,
    keeps_while_moving,
    needs_quota,
    stagger_renewals,
    widget_groups,
    widget_values,
)
from .format import file_size
from .links import scenario_from_params
from .presets import preset_scenario

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
SUGGESTED_QUOTA = "suggested_quota"
"""The quota the push uses when none is set (``controls.suggested_quota`` of the result)."""
DEFAULTED_QUOTA = "defaulted_quota"
"""The quota last filled in for the user, so the page can say so while it stands."""

# --- Widget keys of the scenario picker and the uploader.
W_PRESET = "w_preset"
W_UPLOAD = "w_upload"


def upload_key(version: int) -> str:
    """The uploader's key changes after a refused file, so it no longer lists the file."""
    return W_UPLOAD if version == 0 else f"{W_UPLOAD}_{version}"


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
        own = widget_groups(scenario).get(group, []) if keeps_on_error(group) else []
        sync_widgets(session, scenario, skip=own)
        return
    keep = widget_groups(scenario).get(group, []) if keeps_while_moving(group) else []
    set_scenario(session, changed, skip=keep)


def on_pressure_change(session: MutableMapping[str, Any]) -> None:
    """Callback for the push controls: turning the push on in a plan without a quota
    fills in the suggested one (and the page says so), then applies as any group."""
    scenario: Scenario = session[SCENARIO]
    values = widget_values(scenario)
    values.update({key: session[key] for key in values if key in session})
    suggested = session.get(SUGGESTED_QUOTA)
    if needs_quota(scenario, values) and suggested is not None:
        session[W_QUOTA] = suggested
    on_control_change(session, "pressure")
    if session[SCENARIO] is not scenario and session.get(W_QUOTA) == suggested:
        session[DEFAULTED_QUOTA] = suggested


def defaulted_quota(session: Mapping[str, Any]) -> float | None:
    """The quota filled in for the user, while the plan still uses it (else None)."""
    quota = session.get(DEFAULTED_QUOTA)
    scenario: Scenario | None = session.get(SCENARIO)
    if quota is None or scenario is None or scenario.targets.quarterly_bookings != quota:
        return None
    return quota


def on_add_change(session: MutableMapping[str, Any]) -> None:
    """Callback for "Add change": the drafted change joins the plan timeline, or the
    error names the field and the draft stays as the user set it."""
    scenario: Scenario = session[SCENARIO]
    timeline.prepare_draft(session, scenario)
    try:
        changed = timeline.add_change(scenario, session)
    except (ScenarioError, TypeError, ValueError, KeyError) as exc:
        session[ERROR] = str(exc)
        return
    set_scenario(session, changed)


def on_remove_change(session: MutableMapping[str, Any], index: int, change: Any) -> None:
    """Callback for a listed change's "Remove" button."""
    scenario: Scenario = session[SCENARIO]
    try:
        changed = timeline.remove_change(scenario, index, change)
    except ScenarioError as exc:  # e.g. the push loses the only quota a change set
        session[ERROR] = str(exc)
        return
    set_scenario(session, changed)


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


def load_scenario_from(
    session: MutableMapping[str, Any], scenario: Scenario, *, source: str
) -> None:
    """Make a scenario built elsewhere in the app current (e.g. fitted to a CRM export),
    with where it came from; the baseline and the held plans stay as they are."""
    _set_origin(session, preset=None, source=source)
    set_scenario(session, scenario)


def upload_limit() -> str:
    """The largest scenario file accepted, as people write it: '256 KiB'."""
    return file_size(MAX_FILE_BYTES)


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
                "one section such as [effort] or [[contracts]] (its format is on the About the "
                "model page)"
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
    that follows resets the cell editor, dropping the first keystrokes). While a blank
    row waits, another click (or a click delivered twice by a busy server) adds none.
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
    if any(not any(row.cells.values()) for row in pending):
        return  # a blank row already waits to be typed into: a second click adds none
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
