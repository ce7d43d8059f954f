"""A new visitor's first screen first: the verdict and the revenue chart, then the rest.

A browser opening the page draws everything a run sends before it gets to the revenue
chart's Vega embed: the sidebar's 17 sliders, 6 number inputs and their 31 tooltips,
then seven more charts, about 1 s of the main thread on this project's 2-core machine
(docs/benchmarks.md, "First screen first"). So a new session's first run sends only
the top of the page (title, verdict, key figures, the revenue chart and the page menu)
and a small script that asks for the rest, once the revenue chart is drawn; that
second run is an ordinary rerun, which draws the whole page.

A team's Room page does the same when a session's first run of it finds a round open
and not blind (a team opening its link, or reloading): the heading, Submit, and the
plan's verdict and chart first; the plan's controls after (pages/3_Room.py). Each page
keeps its own key, so a first visit to one page does not use up the other's.

Only a client that runs the page's JavaScript can ask, so only a browser gets the
first screen alone: its User-Agent starts with ``Mozilla/`` (every browser's does).
AppTest and the load harness's websocket clients send none, and get the whole page
in one run, as before. Should the script not run (blocked, or the chart never drawn),
the page still asks after :data:`LATEST_S` through Streamlit's own fragment timer.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import streamlit as st

STARTED = "first_paint_started"
"""Session-state key: set by a session's first run, so only that run is split."""
ROOM_STARTED = "first_paint_started_room"
"""The same for a team's Room page."""
LATEST_S = 4.0
"""Streamlit's fragment timer asks for the rest after this long, if the script has not."""

_ASK_JS = """
export default function (component) {
  const { setTriggerValue } = component;
  // The revenue chart has its line: Vega has drawn it, so the rest can come.
  const drawn = () => document.querySelector(".vega-embed svg g.mark-line path") !== null;
  let timer = null;
  const wait = () => {
    if (drawn()) {
      timer = setTimeout(() => setTriggerValue("drawn", true), 0);
    } else {
      timer = setTimeout(wait, 30);  // not requestAnimationFrame: a background tab has none
    }
  };
  wait();
  return () => clearTimeout(timer);  // unmounted (the whole page came): stop asking
}
"""

_ask = st.components.v2.component("whiplash_first_paint", js=_ASK_JS)


def first_screen_only(
    session: MutableMapping[str, Any], headers: Mapping[str, str], *, key: str = STARTED
) -> bool:
    """True on a browser session's first run alone (see the module's docstring); ``key``
    names the page, so each page's first run is its own."""
    if key in session:
        return False
    session[key] = True
    agent = headers.get("User-Agent") or headers.get("user-agent") or ""
    return agent.startswith("Mozilla/")


def ask_for_the_rest() -> None:
    """Put the asking script on the page, and Streamlit's timer behind it."""
    _ask(key="first_paint", on_drawn_change=_nothing)
    _fallback()


def _nothing() -> None:
    """The trigger's rerun is all it needs: every run after the first draws everything."""


@st.fragment(run_every=LATEST_S)
def _fallback() -> None:
    # Runs in the browser's timer only if the script above did not ask first (a full
    # rerun drops this fragment's timer); st.rerun() turns it into a whole-page run.
    if _fallback_due():
        st.rerun()


def _fallback_due() -> bool:
    """A fragment runs once as part of the script run that defines it; only its timed
    runs (there is a fragment id in the run's context) should ask for the rest."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx is not None and bool(ctx.fragment_ids_this_run)
