"""The CRM import wizard (pages/3_Import_from_CRM.py, ui/crm_import.py): upload the
sample export, see the detected columns, the fitted numbers with their notes and the
backtest, and use the fit as the plan (what it replaced said, the rest kept, undo);
wrong columns get one message naming the field and how to map it; a file above the
upload limit, with too many rows or not text is refused naming the file and the row;
and nothing of the export reaches the link or the disk."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
import streamlit as st
from starlette.formparsers import MultiPartParser
from streamlit.testing.v1 import AppTest

from simulator import load_preset
from simulator.crm_csv import OPPORTUNITY_FIELDS
from simulator.models import Change, Currency
from tests.support.crm import SAMPLE, TWO_LINES, generate, generate_book, write_book, write_csv
from ui import crm_import as crm
from ui import links
from ui import session as app_session
from ui.text import shown_text

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "3_Import_from_CRM.py")
SAMPLE_BYTES = SAMPLE.read_bytes()


def own_plan():
    """A plan with things of its own: a currency, a quota, two changes of plan."""
    base = load_preset("team_a_team_b")
    changes = (
        Change.model_validate({"from": "2012-07", "reps": 15.0}),
        Change.model_validate(
            {"from": "2012-10", "focus": {"enterprise": 0.7, "transactional": 0.3}}
        ),
    )
    return base.model_copy(
        update={"currency": Currency.model_validate({"code": "DKK"}), "changes": changes}
    )


def open_page(scenario=None) -> AppTest:
    st.cache_data.clear()
    at = AppTest.from_file(PAGE, default_timeout=60)
    if scenario is not None:
        at.session_state[app_session.SCENARIO] = scenario
        at.session_state[app_session.BASELINE] = None
    return at.run()


def upload(at: AppTest, name: str, data: bytes, *, key: str = crm.W_OPPORTUNITIES) -> AppTest:
    at.file_uploader(key=key).upload(name, data, "text/csv")
    return at.run()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def texts(at: AppTest) -> str:
    parts = [m.value for m in (*at.markdown, *at.caption, *at.error, *at.info, *at.success)]
    return " ".join(shown_text(p) for p in parts)


def test_the_page_states_the_limit_and_privacy_before_any_upload() -> None:
    at = open_page()
    assert not at.exception and not at.error
    shown = texts(at)
    assert "up to 1 MiB and 20,000 rows a file" in shown and "whiplash calibrate" in shown
    assert "not saved on the server" in shown and "never put in the link" in shown
    for uploader in at.file_uploader:
        assert uploader.proto.max_upload_size_mb == crm.MAX_UPLOAD_MB
    assert not [b for b in at.button if b.label == "Fit my numbers"]


def test_the_docs_state_the_wizards_limits() -> None:
    security = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for text in (security, guide, readme):
        assert f"{crm.MAX_UPLOAD_MB} MiB" in text and f"{crm.MAX_IMPORT_ROWS:,} rows" in text


def test_the_limit_keeps_uploads_in_memory() -> None:
    """Starlette spools a larger upload to a temporary file; the server refuses one above
    its own limit: both are at least the wizard's, so an accepted export is never on disk."""
    assert MultiPartParser.spool_max_size >= crm.MAX_UPLOAD_BYTES
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1024 * 1024 <= MultiPartParser.spool_max_size
    assert config["server"]["maxUploadSize"] >= crm.MAX_UPLOAD_MB


def test_the_sample_export_all_the_way_to_my_scenario() -> None:
    plan = own_plan()
    at = upload(open_page(plan), SAMPLE.name, SAMPLE_BYTES)
    assert not at.exception and not at.error
    chosen = {s.label: s.value for s in at.selectbox}
    assert chosen["stage *"] == "StageName" and chosen["amount *"] == "Amount"
    assert chosen["product"] == "Product Family" and chosen["owner"] == "Opportunity Owner"
    at = button(at, "Fit my numbers").click().run()
    assert not at.exception and not at.error
    shown = texts(at)
    assert "549 opportunities" in shown and "8 reps (distinct owners)" in shown
    [table] = [d.value for d in at.table]  # a column per line, wrapping: whole on a phone
    assert list(table.columns) == ["Subscriptions", "Implementation"]
    assert list(table.index)[:2] == ["Opportunities", "Win rate"]
    assert list(table["Subscriptions"])[:2] == ["408", "32% (112 of 355)"]
    assert "Data-quality notes" in " ".join(e.label for e in at.expander)
    assert "'Won stages' or 'Lost stages'" in shown and "--won" not in shown  # app's words
    assert "Backtest 2023-04 to 2024-12" in shown and "kr." in shown  # the plan's currency
    [chart] = [c for c in at.get("vega_lite_chart") if "Backtest" in c.proto.spec]
    spec = json.loads(chart.proto.spec)
    assert spec["description"] == "Backtest"

    at = button(at, "Use as my scenario").click().run()
    assert not at.exception and not at.error
    now = at.session_state[app_session.SCENARIO]
    assert [line.name for line in now.product_lines.values()] == ["Subscriptions", "Implementation"]
    assert now.team.reps == 8 and now.simulation.start == "2025-02"
    assert now.currency.code == "DKK" and now.targets.quarterly_bookings == 900_000
    assert [c.from_ for c in now.changes] == ["2025-08"]  # moved with the start
    [message] = [shown_text(s.value) for s in at.success]
    assert "Replaced: product lines (Team A: enterprise contracts" in message
    assert "team size (12 -> 8 reps)" in message and "start month (2012-01 -> 2025-02)" in message
    assert "Kept from your plan: the currency (DKK)" in message
    assert "1 change(s) of plan, moved with the start" in message
    assert "Dropped: change 2 from 2025-11 (it sets the focus of enterprise" in message
    link = json.dumps(dict(at.query_params))
    assert "Account 4339" not in link and "Rep 03" not in link and "Deal 1" not in link
    assert at.session_state[app_session.SOURCE] == "your CRM export"

    at = button(at, "Use as my scenario").click().run()  # again: Undo still goes back
    at = button(at, "Undo: back to my previous plan").click().run()
    assert at.session_state[app_session.SCENARIO] == plan
    assert not at.success


def test_wrong_columns_are_one_message_naming_the_field_and_how_to_map_it() -> None:
    renamed = SAMPLE_BYTES.replace(b"StageName", b"Phase", 1)
    at = upload(open_page(), "renamed.csv", renamed)
    assert not at.exception
    [error] = [shown_text(e.value) for e in at.error]
    assert error.startswith("renamed.csv: no column for the field 'stage'")
    assert "Choose its column under 'stage' in the opportunities mapping" in error
    assert button(at, "Fit my numbers").disabled
    key = crm.map_key("opportunities", crm.fingerprint(renamed), "stage")
    at.selectbox(key=key).set_value("Phase").run()
    assert not at.error and not button(at, "Fit my numbers").disabled
    at = button(at, "Fit my numbers").click().run()
    assert not at.error and "549 opportunities" in texts(at)
    at.selectbox(key=crm.map_key("opportunities", crm.fingerprint(renamed), "owner")).set_value(
        crm.NOT_MAPPED
    ).run()
    assert "changed since the last fit: fit again" in texts(at)
    at = button(at, "Fit my numbers").click().run()
    assert "reps (the model's default)" in texts(at)  # the owner column really left out


def test_a_file_above_the_limit_is_refused_naming_it() -> None:
    huge = SAMPLE_BYTES + b"\n".join([SAMPLE_BYTES.splitlines()[1]] * 12_000)
    assert len(huge) > crm.MAX_UPLOAD_BYTES
    at = upload(open_page(), "everything.csv", huge)
    assert not at.exception
    [error] = [shown_text(e.value) for e in at.error]
    assert f"everything.csv: the file is {len(huge):,} bytes; the limit is 1,048,576" in error
    assert not [b for b in at.button if b.label == "Fit my numbers"]


def test_too_many_rows_are_refused_naming_the_row() -> None:
    rows = b"stage,amount,created,closed\n" + b"Won,1,2024-01-01,2024-02-01\n" * 20_001
    assert len(rows) < crm.MAX_UPLOAD_BYTES
    at = upload(open_page(), "rows.csv", rows)
    at = button(at, "Fit my numbers").click().run()
    assert not at.exception
    [error] = [shown_text(e.value) for e in at.error]
    assert "rows.csv: line 20,002: more than 20,000 rows; the limit is 20,000" in error


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("binary.csv", b"PK\x03\x04\x00\x00junk", "binary.csv: is not a text file"),
        ("empty.csv", b"", "empty.csv: the file is empty (no header row)"),
        (
            "header_only.csv",
            b"StageName,Amount,CreatedDate,CloseDate\n",
            "header_only.csv: the file has a header but no rows",
        ),
        (
            "no_won.csv",
            b"StageName,Amount,CreatedDate,CloseDate\nOpen,5,2024-01-01,2024-03-01\n",
            "name the won stages under Options ('Won stages')",
        ),
    ],
)
def test_hostile_files_get_one_line_and_the_page_survives(name, data, expected) -> None:
    at = upload(open_page(), name, data)
    if not at.error:
        at = button(at, "Fit my numbers").click().run()
    assert not at.exception
    [error] = [shown_text(e.value) for e in at.error]
    assert expected in error and "Traceback" not in error
    assert "--" not in error


def test_markup_in_headers_and_values_stays_text() -> None:
    hostile = b"StageName,Amount,CreatedDate,CloseDate,Product Family\n" + b"".join(
        b"%s,1000,2024-%02d-01,2024-%02d-15,**<img src=x onerror=alert(1)>** [x](javascript:1)\n"
        % (b"Closed Won" if i % 2 else b"Closed Lost", 1 + i % 9, 2 + i % 9)
        for i in range(40)
    )
    at = upload(open_page(), "<b>x</b>.csv", hostile)
    at = button(at, "Fit my numbers").click().run()
    assert not at.exception and not at.error
    [table] = [d.value for d in at.table]
    assert table.columns[0].startswith("**<img src=x")  # a name, as typed
    for element in (*at.markdown, *at.caption, *at.error):
        assert not re.search(r"(?<!\\)<img|(?<!\\)\[x\]\(", element.value), element.value
    assert "&lt;b&gt;" not in texts(at)


def test_a_contracts_export_joins_the_fit() -> None:
    export = generate(TWO_LINES, seed=1)
    opportunities = write_csv(export, style="hubspot").encode()
    rows, _ = generate_book(TWO_LINES, seed=2, accounts=40)
    at = upload(open_page(), "deals.csv", opportunities)
    at = upload(at, "subscriptions.csv", write_book(rows).encode(), key=crm.W_CONTRACTS)
    assert not at.exception and not at.error
    assert any(s.label == "account *" for s in at.selectbox)
    at = button(at, "Fit my numbers").click().run()
    assert not at.exception and not at.error
    assert "contracts in force" in texts(at)
    at = button(at, "Use as my scenario").click().run()
    assert at.session_state[app_session.SCENARIO].contracts


def test_messages_use_the_wizards_words() -> None:
    for message, words in [
        ("reps: 8 distinct owners; pass --reps if the team", "set 'Reps' under Options if"),
        ("dates mix ...; pass --date-order dmy or mdy", "choose the 'Date order' under Options"),
        ("no column; name it with --map contracts.end=COLUMN (columns", "under 'end' in the "),
        ("name one with --map contracts.annual_value=COLUMN", "under 'annual_value'"),
    ]:
        assert words in crm.in_app_words(message) and "--" not in crm.in_app_words(message)
    assert crm.missing_message("f.csv", []) is None
    spec = next(f for f in OPPORTUNITY_FIELDS if f.name == "amount")
    assert "no column for the field 'amount'" in crm.missing_message("f.csv", [spec])


def test_a_messy_european_export_fits_with_its_notes() -> None:
    """';' and comma decimals, 'kr.' amounts, a BOM, day-first dates, stray spaces in
    stages, blank accounts and blank lines: the wizard reads it as the CLI does."""
    export = generate(TWO_LINES, seed=4)
    text = write_csv(
        export, style="plain", delimiter=";", decimal=",", currency="kr.", bom=True,
        dates="dmy", messy=True,
    )  # fmt: skip
    at = upload(open_page(), "eksport.csv", text.encode("utf-8"))
    chosen = {s.label: s.value for s in at.selectbox}
    assert chosen["stage *"] == "deal_stage" and chosen["amount *"] == "close_value"
    assert chosen["created *"] == "engage_date" and chosen["owner"] == "sales_agent"
    at = button(at, "Fit my numbers").click().run()
    assert not at.exception and not at.error
    shown = texts(at)
    assert "without an account: kept" in shown
    [table] = [d.value for d in at.table]
    assert len(table.columns) == len(TWO_LINES.lines)  # a column per fitted line


def test_using_the_fit_says_the_baseline_stays() -> None:
    at = open_page()
    at.session_state[app_session.BASELINE] = at.session_state[app_session.SCENARIO]
    at = upload(at.run(), SAMPLE.name, SAMPLE_BYTES)
    at = button(at, "Fit my numbers").click().run()
    at = button(at, "Use as my scenario").click().run()
    [message] = [shown_text(s.value) for s in at.success]
    assert "The pinned baseline stays as it was." in message


def test_nothing_is_written_to_disk_on_the_way(monkeypatch) -> None:
    """Upload, map, fit and use the sample with every file write in the process
    recorded: none happens (the export lives in the session's memory only)."""
    import builtins
    import os

    writes: list[str] = []
    real_open, real_os_open = builtins.open, os.open
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def watched_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            writes.append(f"open({file!r}, {mode!r})")
        return real_open(file, mode, *args, **kwargs)

    def watched_os_open(path, flags, *args, **kwargs):
        if flags & write_flags:
            writes.append(f"os.open({path!r})")
        return real_os_open(path, flags, *args, **kwargs)

    at = open_page()
    monkeypatch.setattr(builtins, "open", watched_open)
    monkeypatch.setattr(os, "open", watched_os_open)
    at = upload(at, SAMPLE.name, SAMPLE_BYTES)
    at = button(at, "Fit my numbers").click().run()
    at = button(at, "Use as my scenario").click().run()
    monkeypatch.undo()
    assert not at.exception and at.success
    assert writes == []


def test_the_options_are_the_commands_flags() -> None:
    at = upload(open_page(), SAMPLE.name, SAMPLE_BYTES)
    at.number_input(key=crm.W_REPS).set_value(12.0)
    at.text_input(key=crm.W_WON).input("Closed Won").run()
    at = button(at, "Fit my numbers").click().run()
    assert not at.error and "12 reps (as set)" in texts(at)
    at.text_input(key=crm.W_LOST).input("Nope, Not this").run()
    at = button(at, "Fit my numbers").click().run()
    [error] = [shown_text(e.value) for e in at.error]
    assert "no stage matches the 'Lost stages' (Nope Not this)" in error


def test_a_plan_the_fit_cannot_take_is_refused_by_name_and_kept() -> None:
    """A push whose only quota comes with a change that focuses a line the fit lacks:
    the change must go, the push would have no quota; the plan stays as it was."""
    base = load_preset("team_a_team_b")
    change = Change.model_validate(
        {
            "from": "2012-04",
            "focus": {"enterprise": 1.0},
            "targets": {"quarterly_bookings": 500_000.0},
        }
    )
    plan = base.model_copy(
        update={
            "targets": base.targets.model_copy(update={"quarterly_bookings": None}),
            "policy": base.policy.model_copy(update={"quarter_end_push": 0.5}),
            "changes": (change,),
        }
    )
    plan = type(plan).model_validate(plan.model_dump())
    header = crm.read_file_header(SAMPLE.name, SAMPLE_BYTES)
    outcome = crm.fit(crm.FitRequest(crm.Upload(SAMPLE.name, SAMPLE_BYTES, header.detected)))
    session = {app_session.SCENARIO: plan, crm.FIT: outcome}
    crm.on_use(session)
    assert "policy.quarter_end_push needs targets.quarterly_bookings" in session[app_session.ERROR]
    assert session[app_session.SCENARIO] is plan and crm.ADOPTED not in session


def test_the_simulator_page_simulates_the_fitted_company_and_its_link_reopens_it() -> None:
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["runs"] = "200"
    at.run()
    at.switch_page("pages/3_Import_from_CRM.py").run()
    at = upload(at, SAMPLE.name, SAMPLE_BYTES)
    at = button(at, "Fit my numbers").click().run()
    at = button(at, "Use as my scenario").click().run()
    fitted = at.session_state[app_session.SCENARIO]
    at.switch_page("app.py").run()
    assert not at.exception and not at.error
    assert at.session_state[app_session.SCENARIO] == fitted
    shown = " ".join(shown_text(e.value) for e in (*at.caption, *at.markdown))
    assert "Now showing: Calibrated from crm_opportunities.csv (your CRM export)" in shown
    reopened = links.scenario_from_params(dict(at.query_params))[0]
    assert list(reopened.product_lines) == list(fitted.product_lines)
    assert reopened.pipeline.open_deals == fitted.pipeline.open_deals
