"""The presenter view (ui/presenter.py): ``?present=1`` or the toggle, kept in the link."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from ui import presenter

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TITLE = "Sales whiplash simulator"
BOOK = "Edit the contract book as a table"
DOWNLOAD = "Quarterly results (CSV)"


def open_app(**params: str) -> AppTest:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in {"runs": "200", **params}.items():
        at.query_params[key] = value
    return at.run()


def shows(at: AppTest) -> dict[str, bool]:
    return {
        "title": any(t.value == TITLE for t in at.title),
        "book": any(e.label == BOOK for e in at.expander),
        "downloads": any(DOWNLOAD in str(b.proto) for b in at.get("download_button")),
    }


def test_the_link_opens_the_presenter_view_and_keeps_it() -> None:
    at = open_app(present="1")
    assert not at.exception and not at.error
    assert shows(at) == {"title": False, "book": False, "downloads": False}
    assert at.toggle(key=presenter.KEY).value is True
    assert at.query_params[presenter.PARAM] == "1"
    # The view's parameter is not one of the scenario's: no "unknown parameter" note.
    assert not [w.value for w in at.warning if "unknown" in w.value]
    # The verdict, the key figures and the revenue chart are all still there.
    assert any(m.value.startswith("## ") for m in at.markdown)
    assert len(at.metric) == 6  # the six key figures, in one row on the projector
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_the_toggle_leaves_the_presenter_view_and_the_link_forgets_it() -> None:
    at = open_app(present="1")
    at.toggle(key=presenter.KEY).set_value(False).run()
    assert shows(at) == {"title": True, "book": True, "downloads": True}
    assert presenter.PARAM not in at.query_params
    at.toggle(key=presenter.KEY).set_value(True).run()
    assert shows(at)["title"] is False
    assert at.query_params[presenter.PARAM] == "1"


def test_the_ordinary_view_has_everything_and_no_view_parameter() -> None:
    at = open_app()
    assert shows(at) == {"title": True, "book": True, "downloads": True}
    assert at.toggle(key=presenter.KEY).value is False
    assert presenter.PARAM not in at.query_params


def test_start_reads_the_link_once_then_the_toggle() -> None:
    session: dict = {}
    assert presenter.start(session, {"present": "1"}) is True
    session[presenter.KEY] = False  # the toggle moved
    assert presenter.start(session, {"present": "1"}) is False
    for value, on in (("true", True), (["0", "1"], True), ("0", False), ("", False), ("x", False)):
        assert presenter.start({}, {"present": value}) is on, value
    assert presenter.start({}, {}) is False


def test_the_view_parameter_is_kept_apart_from_the_scenarios() -> None:
    params = {"preset": "balanced", "present": "1", "cc": "2"}
    assert presenter.scenario_params(params) == {"preset": "balanced", "cc": "2"}
    assert presenter.link_params({"preset": "balanced"}, on=True) == {
        "preset": "balanced",
        "present": "1",
    }
    assert presenter.link_params({"preset": "balanced"}, on=False) == {"preset": "balanced"}
    assert presenter.sidebar_state(True) == "collapsed"
    assert presenter.sidebar_state(False) == "auto"
