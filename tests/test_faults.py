"""Faults and hostile input on the running app: the page keeps working, nothing is lost.

Tampered links fall back to valid values with a visible note; a rejected upload or
table edit keeps the scenario, the baseline and the workshop position; an exception
injected into the simulation, a chart or the diagnosis shows an error panel while the
rest of the page works; the real server survives clients that vanish mid-run or send
garbage, and concurrent simulations stay within the memory budget.
"""

from __future__ import annotations

import base64
import threading
import tracemalloc
import zlib

import pytest
import streamlit as st
import websocket
from streamlit.testing.v1 import AppTest

import simulator
import ui.charts
import ui.diagnosis
import ui.runtime
from simulator import budget, dump_scenario, load_preset
from tests.support.server import ROOT, streamlit_server
from tests.support.session import ProtocolError, StreamlitSession
from ui import book, compare_view, controls, links, presets
from ui import session as app_session
from ui import workshop as ws
from ui.text import shown_text

APP = str(ROOT / "app.py")
WORKSHOP = "pages/1_Workshop.py"
MAIN = "app.py"
RUNS = "200"


def open_app(params: dict[str, str | list[str]] | None = None) -> AppTest:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


def page_ok(at: AppTest) -> None:
    """No exception element, the verdict and the sidebar levers are on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert [m for m in at.markdown if m.value.startswith("## ")], "no verdict"
    assert at.slider(key=controls.W_CLOSING) is not None


def notes(at: AppTest) -> str:
    return " ".join(shown_text(w.value) for w in at.warning)


# --- Tampered links: every bad value is named, a valid one is used instead.
def _zlib_bomb() -> str:
    packed = zlib.compress(b"#" * 50_000_000, 9)  # 50 MB of comment from a ~50 kB link
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


def _encoded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")


TAMPERED = {
    "preset": ["../../etc/passwd", "/etc/passwd", "..\\..\\boot.ini", "balanced\x00", "x" * 5000],
    "effort": ["abc", "nan,nan,nan,nan,nan", "1e308,0,0,0,0", "-1,1,1,0,0", "0.5,0.5", "1," * 9000],
    "focus": ["inf,1", "x", "0,0", "1e400,1"],
    "contacts": ["0", "21", "many", "3.5", "99999999999999999999999"],
    "turnover": ["nan", "4", "-0.1", ""],
    "ends": ["2013-13,2013-01", "../..,2013-01", "2013-01", "2013-01," * 300],
    "cc": ["0,0", "x,y", "1", ",,,"],
    "months": ["0", "121", "9" * 30, "-5", "3.5", "1e3"],
    "runs": ["0", "20001", "1e9", ""],
    "seed": ["-1", "18446744073709551616", "abc"],
}
SCENARIO_LINKS = {
    "not base64": "!!!not*base64!!!",
    "not zlib": base64.urlsafe_b64encode(b"plain text").decode(),
    "cut short": _encoded(dump_scenario(load_preset("balanced")).encode())[:200],
    "not TOML": _encoded(b"[effort\nattract = "),
    "invalid scenario": _encoded(b"[team]\nreps = -1\n"),
    "too long": "A" * 20_000,
    "zlib bomb": _zlib_bomb(),
}


@pytest.mark.parametrize(
    ("key", "value"), [(k, v) for k, values in TAMPERED.items() for v in values]
)
def test_a_tampered_link_parameter_is_named_and_replaced(key: str, value: str) -> None:
    base = load_preset(presets.DEFAULT_PRESET)
    params = {key: value} if key == "preset" else {"preset": presets.DEFAULT_PRESET, key: value}
    scenario, preset, found = links.scenario_from_params(params)
    assert preset == presets.DEFAULT_PRESET
    assert len(found) == 1, found
    assert f"link's {key}" in found[0]
    assert len(found[0]) < 400  # a short note, whatever the link held
    assert scenario == base  # the bad value is not applied; everything else is the preset


@pytest.mark.parametrize("label", list(SCENARIO_LINKS))
def test_a_damaged_scenario_link_opens_the_default_with_a_note(label: str) -> None:
    tracemalloc.start()
    try:
        scenario, preset, found = links.scenario_from_params({"scenario": SCENARIO_LINKS[label]})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000, f"{peak:,} bytes"  # refused early: the bomb's 50 MB never inflate
    assert (scenario, preset) == (load_preset(presets.DEFAULT_PRESET), presets.DEFAULT_PRESET)
    assert len(found) == 1 and "link's scenario could not be opened" in found[0]


def test_the_page_survives_a_link_with_every_parameter_tampered() -> None:
    at = open_app(
        {
            "preset": "../../etc/passwd",
            "effort": "1e308,nan,0,0,0",
            "focus": "inf,1",
            "contacts": "many",
            "turnover": "4",
            "ends": "2013-13,2013-01",
            "cc": "x,y",
            "months": "9" * 30,
            "runs": RUNS,
            "seed": "-1",
            "unknown": "<script>alert(1)</script>",
        }
    )
    page_ok(at)
    shown = notes(at)
    for key in ("preset", "effort", "focus", "contacts", "turnover", "ends", "cc", "months"):
        assert f"link's {key}=" in shown, key
    scenario = at.session_state[app_session.SCENARIO]
    base = load_preset(presets.DEFAULT_PRESET)
    assert scenario.effort == base.effort and scenario.simulation.months == 36
    assert scenario.simulation.runs == int(RUNS)  # the good parameter is still applied
    assert "<script>" not in " ".join(m.value for m in at.markdown)
    assert at.query_params["preset"] == presets.DEFAULT_PRESET  # the URL is repaired


def test_the_page_survives_repeated_and_damaged_scenario_links() -> None:
    at = open_app({"scenario": SCENARIO_LINKS["zlib bomb"], "runs": RUNS})
    page_ok(at)
    assert "scenario could not be opened" in notes(at)
    at = open_app({"effort": ["0.2,0.2,0.2,0.2,0.2", "x"], "runs": [RUNS, RUNS]})
    page_ok(at)  # a repeated key: the last value counts, and it is named if bad
    assert "link's effort=" in notes(at)


# --- Nothing lost: a rejected upload or table edit keeps scenario, baseline, workshop.
def test_a_rejected_upload_keeps_the_scenario_baseline_and_workshop_position() -> None:
    at = open_app({"runs": RUNS})
    at.slider(key=controls.W_CLOSING).set_value(40.0).run()
    [pin] = [b for b in at.button if "Pin as baseline" in b.label]
    pin.click().run()
    at.slider(key=controls.W_CLOSING).set_value(30.0).run()
    at.switch_page(WORKSHOP).run()
    assert not at.exception
    at.button(key="ws_next").click().run()
    at.button(key="ws_next").click().run()
    position = at.session_state[ws.STEP]
    assert position == 2
    at.switch_page(MAIN).run()
    before = at.session_state[app_session.SCENARIO]
    baseline = at.session_state[app_session.BASELINE]
    assert baseline is not None and baseline != before

    for name, data in (
        ("bad.toml", b"[team]\nreps = -3\n"),
        ("huge.toml", b"#" * 300_000),
        ("binary.toml", bytes(range(256)) * 10),
        ("deep.toml", b"x = " + b"[" * 5000 + b"]" * 5000),
    ):
        [uploader] = [u for u in at.file_uploader if "scenario file" in u.proto.label]
        uploader.upload(name, data, "application/toml").run()  # key rotates
        assert not at.exception, name
        [error] = at.error
        assert "Your settings are unchanged" in error.value, name
        assert at.session_state[app_session.SCENARIO] == before
        assert at.session_state[app_session.BASELINE] == baseline
        assert at.session_state[ws.STEP] == position
        assert at.slider(key=controls.W_CLOSING).value == pytest.approx(30.0)

    at.switch_page(WORKSHOP).run()
    assert not at.exception
    assert at.session_state[ws.STEP] == position
    assert "Step 3" in at.get("progress")[0].proto.text


def test_a_rejected_table_edit_keeps_the_scenario_baseline_and_workshop_position() -> None:
    session: dict = {}
    app_session.start_session(session, {"preset": "team_a_team_b"})
    ws.start(session)
    ws.go(session, to=3, count=6)
    app_session.pin_baseline(session)
    before, baseline = session[app_session.SCENARIO], session[app_session.BASELINE]
    key = book.book_key(session[app_session.BOOK_VERSION])
    for edits in (
        {"edited_rows": {"0": {"ends": "2013-13"}}},
        {"edited_rows": {"1": {"annual_value": -5}}},
        {"edited_rows": {"0": {"product_line": "../../etc"}}},
        {"added_rows": [{"name": "x", "product_line": "enterprise", "annual_value": "2013-1"}]},
        {"added_rows": [{"name": "c", "product_line": "enterprise", "ends": "2013-01"}] * 300},
        {"edited_rows": {"0": {"annual_value": float("nan")}}, "deleted_rows": [1]},
    ):
        session[key] = edits
        app_session.on_book_edit(session, key)
        assert session[app_session.ERROR].startswith("Contract table: contracts")
        assert session[app_session.SCENARIO] == before
        assert session[app_session.BASELINE] == baseline
        assert session[ws.STEP] == 3
        key = book.book_key(session[app_session.BOOK_VERSION])  # the table is redrawn from the book


# --- Injected faults: an error panel, and the rest of the page keeps working.
def test_a_simulation_that_fails_once_recovers_on_the_next_move(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = open_app({"runs": RUNS})
    page_ok(at)
    real = ui.runtime.simulate

    def flaky(*args, **kwargs):
        raise MemoryError("injected: out of memory")

    monkeypatch.setattr(ui.runtime, "simulate", flaky)
    at.slider(key=controls.W_CLOSING).set_value(35.0).run()
    assert not at.exception
    assert any("simulation could not run" in e.value for e in at.error)
    effort = at.session_state[app_session.SCENARIO].effort
    assert effort.close == pytest.approx((effort.attract + effort.close) * 0.35)
    assert at.slider(key=controls.W_CLOSING).value == pytest.approx(35.0)  # the move is kept
    assert [b for b in at.button if "Pin as baseline" in b.label]

    monkeypatch.setattr(ui.runtime, "simulate", real)
    at.slider(key=controls.W_CLOSING).set_value(36.0).run()
    page_ok(at)
    assert not at.error
    at.slider(key=controls.W_CLOSING).set_value(35.0).run()  # the failure was not cached
    page_ok(at)
    assert not at.error


def test_a_chart_that_fails_leaves_the_verdict_and_figures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args, **kwargs):
        raise ValueError("injected chart failure")

    monkeypatch.setattr(ui.charts, "quarterly_bars", broken)
    at = open_app({"runs": RUNS})
    page_ok(at)
    assert any("chart could not be drawn" in e.value for e in at.error)
    assert len(at.metric) == 6
    at.slider(key=controls.W_CLOSING).set_value(40.0).run()  # the levers still work
    assert not at.exception
    assert at.session_state[app_session.SCENARIO].effort.close < 0.55


def test_a_diagnosis_that_fails_shows_an_error_panel(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("injected diagnosis failure")

    monkeypatch.setattr(ui.runtime, "diagnose", broken)
    at = open_app({"runs": RUNS})
    at.toggle(key=ui.diagnosis.W_ON).set_value(True).run()
    page_ok(at)
    assert any("injected diagnosis failure" in e.value for e in at.error)
    assert len(at.metric) >= 6
    assert at.get("download_button")  # the share section below it is still drawn


def test_a_workshop_reveal_that_fails_keeps_the_workshop_page_working(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = open_app({"runs": RUNS})
    at.switch_page(WORKSHOP).run()
    assert not at.exception

    def broken(*args, **kwargs):
        raise RuntimeError("injected workshop failure")

    monkeypatch.setattr(ui.runtime, "simulate", broken)
    st.cache_resource.clear()
    at.button(key="ws_reveal_0").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("injected workshop failure" in e.value for e in at.error)
    assert at.button(key="ws_next") is not None  # the navigation still works
    at.button(key="ws_next").click().run()
    assert at.session_state[ws.STEP] == 1


# --- The real server: clients that vanish or misbehave.
@pytest.fixture(scope="module")
def server():
    with streamlit_server(APP) as running:
        yield running


def _stream(server) -> websocket.WebSocket:
    url = f"ws://127.0.0.1:{server.port}/_stcore/stream"
    return websocket.create_connection(url, subprotocols=["streamlit"], timeout=60)


def test_the_server_recovers_from_a_client_that_disconnects_mid_run(server) -> None:
    first = StreamlitSession(server)
    page = first.rerun()
    assert page.ok
    runs_id = page.widgets[controls.W_RUNS][0]
    months_id = page.widgets[controls.W_MONTHS][0]
    # A slow run (the largest allowed) is asked for, then the client vanishes.
    first.send_rerun(moves={runs_id: 20_000.0, months_id: 120.0})
    first.wait_running()  # the server is busy with this session's run
    first.ws.sock.close()  # no close handshake: a dropped network, not a polite goodbye

    other = StreamlitSession(server)
    again = other.rerun()
    assert again.ok, again.exceptions + again.errors
    closing = again.widgets[controls.W_CLOSING][0]
    moved = other.rerun(moves={closing: [35.0]})
    assert moved.ok
    other.close()
    assert server.process.poll() is None
    assert "Traceback" not in server.log()


@pytest.mark.parametrize(
    ("label", "frame"),
    [
        ("garbage bytes", b"\x00\xff" * 100),
        ("text frame", "rerun please"),
        ("huge frame", b"\x0a" + b"\xff" * 3_000_000),
    ],
)
def test_the_server_survives_a_client_speaking_garbage(server, label: str, frame) -> None:
    bad = _stream(server)
    try:
        if isinstance(frame, str):
            bad.send(frame)
        else:
            bad.send_binary(frame)
        bad.settimeout(10)
        with pytest.raises((websocket.WebSocketException, OSError, TimeoutError)):
            for _ in range(100):  # the server closes the connection
                if not bad.recv():
                    raise websocket.WebSocketConnectionClosedException("closed")
    finally:
        bad.close()
    good = StreamlitSession(server)
    assert good.rerun().ok, label
    good.close()
    assert server.process.poll() is None


def test_a_well_formed_message_over_two_megabytes_closes_only_its_own_connection(server):
    """The browser sends a few kB a rerun. A client of its own naming its plan with 3 MB
    (a well-formed rerun) is cut off before the app reads it (.streamlit/config.toml,
    ``maxWidgetStateSize``), and the page goes on serving everyone else."""
    big = StreamlitSession(server)
    name_id = big.rerun().widgets[compare_view.W_NAME][0]
    started = big.send_rerun(moves={name_id: "x" * 3_000_000})
    with pytest.raises(ProtocolError, match=r"closed|lost"):
        big.wait_finished(started)
    big.close()
    good = StreamlitSession(server)
    assert good.rerun().ok
    good.close()
    assert server.process.poll() is None


# --- Memory: concurrent simulations share a budget of (estimated) bytes.
def test_concurrent_simulations_stay_within_the_memory_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Thirty sessions each asking the app for the largest run hold at most the budget at
    once (the engine is replaced by a stand-in that holds the largest runs until the
    budget is full)."""
    pool = budget.MemoryBudget(budget.MAX_BYTES_IN_FLIGHT)
    monkeypatch.setattr(ui.runtime, "SIMULATION_BUDGET", pool)
    real_engine = simulator.results.run_engine
    tall = simulator.apply_overrides(load_preset("team_a_team_b"), ["simulation.months=120"])
    most = budget.estimate(tall, runs=1).max_runs()
    largest = simulator.apply_overrides(tall, [f"simulation.runs={most}"])
    largest_bytes = budget.estimate(largest).bytes
    ordinary = load_preset("team_a_team_b")
    release = threading.Event()
    entered = threading.Condition()

    def held_engine(scenario, *, runs, rng, should_stop=None):
        """The largest runs stay in the engine until the test releases them."""
        if runs == most:
            with entered:
                entered.notify_all()
            release.wait(timeout=60)
        return real_engine(scenario, runs=2, rng=rng)

    monkeypatch.setattr(simulator.results, "run_engine", held_engine)
    threads = [
        threading.Thread(target=ui.runtime.simulate_summary, args=(largest if i % 3 else ordinary,))
        for i in range(30)
    ]
    for thread in threads:
        thread.start()
    try:
        with entered:  # the budget fills with the largest runs while the rest queue
            assert entered.wait_for(lambda: pool.in_flight >= 2 * largest_bytes, timeout=60)
    finally:
        release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert pool.in_flight == 0
    assert 2 * largest_bytes <= pool.peak <= budget.MAX_BYTES_IN_FLIGHT


def test_the_budget_lets_small_runs_pass_and_never_deadlocks() -> None:
    pool = budget.MemoryBudget(10)
    with pool.hold(8):
        done = threading.Event()

        def small() -> None:
            with pool.hold(2):
                done.set()

        threading.Thread(target=small).start()
        assert done.wait(5)  # fits beside the big one
    with pool.hold(10**9):  # larger than the whole budget: runs alone
        assert pool.in_flight == 10
    assert pool.in_flight == 0
    assert budget.MAX_REQUEST_BYTES <= budget.MAX_BYTES_IN_FLIGHT
