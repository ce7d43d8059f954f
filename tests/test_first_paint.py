"""A new visitor's first run sends the first screen; the next run sends the whole page."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ui import first_paint

APP = str(Path(__file__).resolve().parents[1] / "app.py")
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/141.0 Safari/537.36"}


def test_only_a_browser_sessions_first_run_is_split() -> None:
    session: dict = {}
    assert first_paint.first_screen_only(session, BROWSER)
    assert not first_paint.first_screen_only(session, BROWSER)  # every later run: all


@pytest.mark.parametrize(
    "headers", [{}, {"User-Agent": "Python/3.11 websocket-client"}, {"user-agent": ""}]
)
def test_a_client_without_a_browser_gets_the_whole_page_at_once(headers: dict) -> None:
    assert not first_paint.first_screen_only({}, headers)


def open_page() -> AppTest:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["runs"] = "300"
    return at.run()


def open_as_browser(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app as a browser's new session sees it (AppTest sends no User-Agent)."""
    real = first_paint.first_screen_only
    monkeypatch.setattr(first_paint, "first_screen_only", lambda s, _h: real(s, BROWSER))
    return open_page()


def test_first_screen_has_the_verdict_and_revenue_chart_then_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = open_page()  # no User-Agent: the whole page in one run
    at = open_as_browser(monkeypatch)
    assert not at.exception and not at.error
    verdicts = [m.value for m in at.markdown if m.value.startswith("## ")]
    assert len(verdicts) == 1
    assert len(at.metric) == 6
    charts = at.get("vega_lite_chart")
    assert [c.proto.spec.count("Revenue per month") > 0 for c in charts] == [True]
    assert not at.slider, "the plan's sliders wait for the second run"
    page_links = at.get("page_link")
    assert page_links, "the page menu is on the first screen"

    scenario = at.session_state["scenario"]
    at.run()  # what the browser asks for once the revenue chart is drawn
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) == len(whole.get("vega_lite_chart")) >= 8
    assert len(at.slider) == len(whole.slider) > 10
    shown = {s.key: s.value for s in at.slider}
    assert shown == {s.key: s.value for s in whole.slider}, "every slider shows the plan"
    assert at.session_state["scenario"] == scenario, "the split changes nothing of the plan"
    assert at.download_button, "the downloads come with the rest"


def test_a_simulation_error_is_not_split(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no result there is no revenue chart to wait for: the whole page comes."""
    from ui import page_cache

    def fail(*_a, **_k):
        raise RuntimeError("engine down")

    monkeypatch.setattr(page_cache, "simulate_cached", fail)
    at = open_as_browser(monkeypatch)
    assert any("engine down" in e.value for e in at.error)
    assert at.slider, "the sidebar is there to change the plan"
