"""The contract table and the uploader never change a value the user did not mean.

Edits are the dicts ``st.data_editor`` sends (text cells, as typed); every one is either
stored exactly as meant or refused with a message naming ``contracts.N.field``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator import ScenarioError, dump_scenario, load_preset
from ui import book, controls
from ui import session as app_session
from ui.text import shown_text

APP = str(Path(__file__).resolve().parent.parent / "app.py")
BOOK_EXPANDER = "book_expander"
"""The table's expander in app.py (importing app.py would run the page)."""
BOOK = load_preset("team_a_team_b")  # two enterprise contracts: $3M and $2.4M, ending 2013-01
NEW_ROW = {"name": "", "annual_value": "", "ends": "", "contacts": "", "renewal_term_months": ""}


def edits(edited: dict | None = None, added: list | None = None, deleted: list | None = None):
    return {"edited_rows": edited or {}, "added_rows": added or [], "deleted_rows": deleted or []}


def session_on(preset: str = "team_a_team_b") -> dict:
    session: dict = {}
    app_session.start_session(session, {"preset": preset})
    return session


def draw_table(session: dict) -> book.BookTable:
    """What a script run does: draw the table (Streamlit then holds its empty edit state)."""
    table = app_session.current_book_table(session)
    session.setdefault(book.book_key(table.version), edits())
    return table


def edit_table(session: dict, change: dict) -> None:
    """What the browser does: the table's state holds the edits, then its callback runs."""
    key = book.book_key(draw_table(session).version)
    session[key] = change
    app_session.on_book_edit(session, key)


# --- Cells: read exactly as typed.
@pytest.mark.parametrize(
    ("typed", "stored"),
    [("3M", 3e6), ("3m", 3e6), ("250k", 250e3), ("1,200,000", 1.2e6), ("$1.2M", 1.2e6)],
)
def test_a_typed_annual_value_is_stored_as_meant(typed: str, stored: float) -> None:
    changed = book.apply_book_edits(BOOK, edits({"1": {"annual_value": typed}}))
    assert changed.contracts[1].annual_value == stored
    assert changed.contracts[0] == BOOK.contracts[0]


@pytest.mark.parametrize(
    ("column", "typed", "why"),
    [
        ("annual_value", "-100", "negative"),
        ("annual_value", "2013-1", "inside it"),
        ("annual_value", "1.2.3", "decimal point"),
        ("annual_value", "0.5", "greater than or equal to 1"),
        ("ends", "Jan 2013", "YYYY-MM"),
        ("ends", "2013-13", "YYYY-MM"),
        ("ends", "2013-1", "YYYY-MM"),
        ("ends", "2011-12", "before simulation.start"),
        ("contacts", "-3", "whole number from 1 to 20"),
        ("contacts", "2.5", "whole number from 1 to 20"),
        ("contacts", "0", "greater than or equal to 1"),
        ("renewal_term_months", "-12", "whole number from 1 to 120"),
        ("product_line", "nope", "not a product line"),
    ],
)
def test_a_bad_cell_is_refused_naming_the_field_and_the_text(
    column: str, typed: str, why: str
) -> None:
    with pytest.raises(ScenarioError) as refused:
        book.apply_book_edits(BOOK, edits({"1": {column: typed}}))
    message = str(refused.value)
    assert message.startswith(f"contracts.1.{column}: "), message
    assert typed in message and why in message, message


@pytest.mark.parametrize("column", ["name", "product_line", "annual_value", "ends"])
@pytest.mark.parametrize("blank", [None, "", "   "])
def test_emptying_a_required_cell_is_refused(column: str, blank: str | None) -> None:
    with pytest.raises(ScenarioError, match=rf"^contracts\.0\.{column}: is required"):
        book.apply_book_edits(BOOK, edits({0: {column: blank}}))


def test_blank_optional_cells_mean_not_set() -> None:
    with_contacts = book.apply_book_edits(BOOK, edits({0: {"contacts": "4"}}))
    assert with_contacts.contracts[0].contacts == 4
    cleared = book.apply_book_edits(with_contacts, edits({0: {"contacts": ""}}))
    assert cleared.contracts[0].contacts is None


def test_cells_are_trimmed_and_blanks_are_none() -> None:
    assert book._cell("  3M ") == "3M"
    assert [book._cell(v) for v in (None, "", "  ", float("nan"))] == [None] * 4
    assert book._cell(3.0) == 3.0  # numbers stay numbers, checked by their column


def test_the_table_shows_text_and_blanks_never_none() -> None:
    table = book.BookTable.of(BOOK, pending=[dict(NEW_ROW, name="Half typed")])
    frame = book.book_frame(table)
    assert frame["annual_value"].tolist() == ["3M", "2.4M", ""]
    assert frame["contacts"].tolist() == ["1", "1", ""]
    assert "None" not in frame.to_string() and not frame.isna().any().any()


def test_a_shown_value_edited_back_unchanged_keeps_the_book() -> None:
    table = book.BookTable.of(BOOK)
    same = {str(i): dict(row) for i, row in enumerate(table.rows)}
    assert book.apply_book_edits(BOOK, edits(same)) == BOOK


# --- Rows added and deleted.
def test_a_complete_new_row_joins_the_book_and_a_half_filled_one_waits() -> None:
    half = book.read_book(BOOK, edits(added=[dict(NEW_ROW, name="New big deal")]))
    assert half.scenario == BOOK
    [waiting] = half.pending
    assert waiting.label == 2 and waiting.cells["name"] == "New big deal"
    assert waiting.note == (
        "Row 2 ('New big deal') is not in the plan yet: fill in product line, annual value, ends."
    )
    done = dict(NEW_ROW, name="New big deal", product_line="enterprise")
    done.update(annual_value="250k", ends="2014-03")
    read = book.read_book(BOOK, edits(added=[done]))
    assert read.pending == ()
    assert read.scenario.contracts[2].model_dump(exclude_none=True) == {
        "name": "New big deal",
        "product_line": "enterprise",
        "annual_value": 250e3,
        "ends": "2014-03",
    }


def test_a_bad_cell_in_a_half_filled_row_is_refused_at_once() -> None:
    with pytest.raises(ScenarioError, match=r"^contracts\.2\.ends: 'Jan 2013'"):
        book.read_book(BOOK, edits(added=[dict(NEW_ROW, name="x", ends="Jan 2013")]))


def test_errors_name_the_row_as_the_table_numbers_it_after_a_deletion() -> None:
    with pytest.raises(ScenarioError, match=r"^contracts\.1\.ends: .*before simulation\.start"):
        book.apply_book_edits(BOOK, edits({1: {"ends": "2011-01"}}, deleted=[0]))
    kept = book.apply_book_edits(BOOK, edits(deleted=[0]))
    assert kept.contracts == BOOK.contracts[1:]


def test_a_forged_flood_of_rows_is_refused_quickly() -> None:
    row = dict(NEW_ROW, name="c", product_line="enterprise", annual_value="1k", ends="2013-01")
    with pytest.raises(ScenarioError, match="at most 200 contracts"):
        book.read_book(BOOK, edits(added=[row] * 1_000_000))


# --- The session: a refused edit keeps the book; typing is never interrupted.
def test_a_refused_edit_keeps_the_book_and_redraws_the_table_from_it() -> None:
    session = session_on()
    version = draw_table(session).version
    edit_table(session, edits({"1": {"annual_value": "3M"}}))
    assert session[app_session.SCENARIO].contracts[1].annual_value == 3e6
    assert draw_table(session).version == version  # not redrawn mid-typing
    accepted = session[app_session.SCENARIO]
    edit_table(session, edits({"1": {"annual_value": "3M"}, "0": {"annual_value": "-100"}}))
    assert session[app_session.ERROR] == (
        "Contract table: contracts.0.annual_value: '-100' is negative; an amount must be above $0"
    )
    assert session[app_session.SCENARIO] == accepted
    table = draw_table(session)
    assert table.version > version
    assert [row["annual_value"] for row in table.rows] == ["3M", "3M"]


def test_a_half_filled_row_survives_a_refused_edit_and_a_slider() -> None:
    session = session_on()
    app_session.on_book_add_row(session)
    table = draw_table(session)
    assert len(table.rows) == 3 and table.rows[2] == dict(NEW_ROW, product_line="")
    edit_table(session, edits({"2": {"name": "New big deal"}}))
    assert app_session.book_notes(session) == [
        "Row 2 ('New big deal') is not in the plan yet: fill in product line, annual value, ends."
    ]
    assert session[app_session.ERROR] is None  # waiting is not an error
    edit_table(session, edits({"2": {"name": "New big deal", "ends": "Jan 2013"}}))
    assert "contracts.2.ends: 'Jan 2013'" in session[app_session.ERROR]
    session[controls.end_key(0)] = "2013-04"
    app_session.on_control_change(session, "contract:0")
    table = draw_table(session)
    assert table.rows[2]["name"] == "New big deal" and table.rows[2]["ends"] == ""
    assert table.rows[0]["ends"] == "2013-04"
    edit_table(
        session,
        edits({"2": {"product_line": "enterprise", "annual_value": "250k", "ends": "2014-03"}}),
    )
    assert session[app_session.SCENARIO].contracts[2].name == "New big deal"
    assert app_session.book_notes(session) == []


def test_a_new_preset_drops_half_filled_rows_of_the_old_book() -> None:
    session = session_on()
    app_session.on_book_add_row(session)
    edit_table(session, edits({"2": {"name": "Old plan's deal"}}))
    app_session.load_preset_into(session, "balanced")
    assert app_session.book_notes(session) == []
    assert len(draw_table(session).rows) == len(session[app_session.SCENARIO].contracts)


# --- Uploads.
@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"", "it is empty"),
        (b"  \n# nothing\n", "only [meta]"),
        (b'[meta]\ntitle = "x"\n', "[meta]"),
    ],
)
def test_an_upload_with_no_plan_is_refused(data: bytes, what: str) -> None:
    session = session_on()
    before = session[app_session.SCENARIO]
    assert not app_session.load_upload(session, name="empty.toml", data=data)
    assert session[app_session.ERROR].startswith("empty.toml: the file has no plan in it")
    assert what in session[app_session.ERROR]
    assert session[app_session.SCENARIO] == before


class Uploaded:
    def __init__(self, name: str, data: bytes) -> None:
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


def test_a_refused_upload_is_taken_out_of_the_uploader() -> None:
    session = session_on()
    assert app_session.upload_key(0) == app_session.W_UPLOAD
    session[app_session.W_UPLOAD] = Uploaded("bad.toml", b"[team]\nreps = -3\n")
    app_session.on_upload(session)
    assert "team.reps" in session[app_session.ERROR]
    assert session[app_session.UPLOAD_VERSION] == 1  # the next draw is a fresh, empty uploader
    good = dump_scenario(load_preset("balanced")).encode()
    session[app_session.upload_key(1)] = Uploaded("good.toml", good)
    app_session.on_upload(session)
    assert session[app_session.ERROR] is None and session[app_session.UPLOAD_VERSION] == 1


def test_the_upload_limit_is_the_loaders() -> None:
    assert app_session.upload_limit() == "256 KiB"


# --- The app.
def open_app() -> AppTest:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["runs"] = "300"
    at.session_state[BOOK_EXPANDER] = True  # the table is drawn while it is open
    return at.run()


def table_key(at: AppTest) -> str:
    return book.book_key(at.session_state[app_session.BOOK_TABLE].version)


def test_app_table_edits_are_stored_as_meant_or_refused_by_name() -> None:
    at = open_app()
    assert not at.exception
    [editor] = at.data_editor
    assert editor.value["annual_value"].tolist() == ["3M", "2.4M"]
    at.session_state[table_key(at)] = edits({"1": {"annual_value": "3M"}})
    at.run()
    assert not at.exception and not at.error
    assert at.session_state[app_session.SCENARIO].contracts[1].annual_value == 3e6
    assert any("2 contracts, $6M a year" in shown_text(c.value) for c in at.caption)
    accepted = at.session_state[app_session.SCENARIO].contracts

    for column, typed in (
        ("annual_value", "-100"),
        ("annual_value", "2013-1"),
        ("ends", "Jan 2013"),
        ("ends", "2013-13"),
        ("name", ""),
    ):
        at.session_state[table_key(at)] = edits({"0": {column: typed}})
        at.run()
        assert not at.exception
        shown = [shown_text(e.value) for e in at.error]
        assert shown and all(f"contracts.0.{column}" in text for text in shown), shown
        if typed:
            assert all(repr(typed) in text for text in shown), shown
        assert at.session_state[app_session.SCENARIO].contracts == accepted
        assert at.data_editor[0].value["annual_value"].tolist() == ["3M", "3M"]


def test_app_add_a_contract_waits_for_the_row_then_adds_it() -> None:
    at = open_app()
    [add] = [b for b in at.button if b.label == "Add a contract"]
    add.click().run()
    assert at.data_editor[0].value["name"].tolist()[-1] == ""
    at.session_state[table_key(at)] = edits({"2": {"name": "New big deal"}})
    at.run()
    assert not at.error
    assert any(
        "Row 2 ('New big deal') is not in the plan yet" in shown_text(i.value) for i in at.info
    )
    done = {"name": "New big deal", "product_line": "enterprise", "annual_value": "250k"}
    at.session_state[table_key(at)] = edits({"2": done | {"ends": "2014-03"}})
    at.run()
    assert not at.error and not at.info
    assert [c.name for c in at.session_state[app_session.SCENARIO].contracts][-1] == "New big deal"


def scenario_uploaders(at):
    """The sidebar's scenario uploader (the page has others, e.g. for bundles of plans)."""
    return [u for u in at.get("file_uploader") if "scenario file" in u.proto.label]


def test_app_uploader_states_the_real_limit_and_forgets_a_refused_file() -> None:
    at = open_app()
    [uploader] = scenario_uploaders(at)
    # The limit once, in the label (the drop zone's own cap is hidden: ui/uploads.py).
    assert "256 KiB" in uploader.proto.label and "MB" not in uploader.proto.help
    before = at.session_state[app_session.SCENARIO]
    at.file_uploader(key=app_session.W_UPLOAD).upload("empty.toml", b"", "application/toml").run()
    assert not at.exception
    assert any("the file has no plan in it" in e.value for e in at.error)
    assert at.session_state[app_session.SCENARIO] == before
    [fresh] = scenario_uploaders(at)
    assert fresh.proto.id != uploader.proto.id  # a new, empty uploader


@pytest.mark.parametrize("typed", ["12345,678", "1234 567", "8516,850,680", "313955\u00a0408k"])
def test_thousands_are_grouped_in_threes_from_the_first_group(typed: str) -> None:
    """'12345,678' may be a decimal comma; it was read as 12,345,678."""
    with pytest.raises(ScenarioError, match=r"contracts\.1\.annual_value: .*(comma|spaces)"):
        book.apply_book_edits(BOOK, edits({"1": {"annual_value": typed}}))


@pytest.mark.parametrize(
    "forged",
    [
        edits(deleted=[float("inf")]),  # JSON's Infinity or 1e400
        edits(deleted=[float("-inf"), float("nan")]),
        {"edited_rows": {}, "added_rows": 5, "deleted_rows": True},
        {"added_rows": 1.5},
    ],
)
def test_a_forged_table_message_changes_nothing(forged: dict) -> None:
    assert book.apply_book_edits(BOOK, forged) == BOOK
    session = session_on()
    edit_table(session, forged)
    assert session[app_session.SCENARIO] == BOOK and not session[app_session.ERROR]


@pytest.mark.parametrize("column", ["annual_value", "contacts", "renewal_term_months"])
def test_a_number_too_large_for_a_float_is_refused_by_name(column: str) -> None:
    """JSON carries 10**400 as an int; reading it raised OverflowError."""
    session = session_on()
    edit_table(session, edits({0: {column: 10**400}}))
    assert session[app_session.SCENARIO] == BOOK
    assert session[app_session.ERROR].startswith(
        f"{app_session.BOOK_ERROR} contracts.0.{column}: '1000"
    )


def test_a_second_add_click_adds_no_second_blank_row() -> None:
    """Clicking "Add a contract" twice (or a click a busy server sees twice) leaves one
    blank row to type into, not two."""
    session: dict = {}
    app_session.start_session(session, {})
    app_session.on_book_add_row(session)
    app_session.on_book_add_row(session)
    pending = session[app_session.BOOK_PENDING]
    assert len(pending) == 1 and not any(pending[0].cells.values())
