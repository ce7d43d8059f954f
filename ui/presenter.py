"""The presenter view: the verdict, the key figures and the revenue chart on one
1280x720 projector screen, without scrolling.

A trainer opens it with ``?present=1`` on the link (a bookmark or a second tab for the
projector) or with the "Presenter view" toggle above the charts; the link keeps it
across reloads. It collapses the sidebar, folds the page's header into one line with the
baseline buttons, keeps the verdict's headline and the key figures above the revenue
chart (which it draws a little shorter) and the verdict's notes and the early warning
under it, and leaves out what nobody reads off a projector (the contract table and the
downloads); everything else stays below the fold for the debrief.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

import streamlit as st

PARAM = "present"
"""The link parameter: ``?present=1`` opens the presenter view."""
KEY = "presenter_view"
"""Session key of the "Presenter view" toggle."""
HEADER_KEY = "presenter_header"
"""Key of the presenter view's one-line header; the page's CSS keys off its class."""
FAN_PLOT_HEIGHT = 250
"""The revenue chart's plot in the presenter view, in pixels (260 elsewhere): what is
left of 720 pixels under the header, the verdict and the key figures with a baseline's
deltas."""
FAN_NARROWEST_PLOT = 900
"""The revenue chart's plot on a projector is at least this wide (1280 px less the
margins and the axis): its legend takes one row."""
_ON = ("1", "true", "yes", "on")


def start(session: MutableMapping[str, Any], params: Mapping[str, Any]) -> bool:
    """On a session's first run, take the view from the link; later, from the toggle.
    True when the presenter view is on."""
    if KEY not in session:
        value = params.get(PARAM, "")
        value = value[-1] if isinstance(value, list) and value else value
        session[KEY] = str(value).strip().lower() in _ON
    return bool(session[KEY])


def scenario_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The link's parameters without the view's own, for the scenario's reader (which
    names any parameter it does not know as ignored)."""
    return {k: v for k, v in params.items() if k != PARAM}


def link_params(params: Mapping[str, str], *, on: bool) -> dict[str, str]:
    """The scenario's link parameters plus ``present=1`` while the view is on."""
    return {**params, PARAM: "1"} if on else dict(params)


def sidebar_state(on: bool) -> str:
    """``initial_sidebar_state`` for ``st.set_page_config``: the projector gets the page's
    whole width; otherwise "auto", which starts collapsed on a phone (under 768 px) and
    open on a laptop."""
    return "collapsed" if on else "auto"


def style() -> None:
    """The page's CSS: literal text only (tests/test_security.py). Rules under
    ``:has(.st-key-presenter_header)`` apply in the presenter view alone."""
    st.html(
        "<style>"
        # The presenter view: less white space above and between the blocks.
        # The header row goes up into Streamlit's own (empty) header band, right of its
        # button that opens the sidebar.
        ".stApp:has(.st-key-presenter_header) .stMainBlockContainer"
        "{padding:0.75rem 3.5rem 2rem 4rem}"
        ".stApp:has(.st-key-presenter_header) [data-testid='stHeader']{background:transparent}"
        ".stApp:has(.st-key-presenter_header) [data-testid='stHeader'],"
        ".stApp:has(.st-key-presenter_header) [data-testid='stHeader'] *{pointer-events:none}"
        ".stApp:has(.st-key-presenter_header) [data-testid='stHeader'] button{pointer-events:auto}"
        ".stApp:has(.st-key-presenter_header) .stMain .stVerticalBlock{gap:0.55rem}"
        ".stApp:has(.st-key-presenter_header) .stMain h2{font-size:2rem;padding:0.25rem 0 0 0}"
        ".stApp:has(.st-key-presenter_header) .stMain h4{font-size:1.3rem;padding:0}"
        ".st-key-presenter_header h3{font-size:1.4rem;padding:0}"
        "</style>"
    )


def room_style() -> None:
    """The room page's CSS (the dashboard on a projector, a team's page on a laptop): the
    page starts just below Streamlit's header band, so more of a round fits the screen.

    Sent only by the room page's runs, so it needs no ``:has()`` to scope it, and it
    leaves the presenter view's ``:has()`` rules off the room page (docs/benchmarks.md,
    "The room on one screen", gives the runs that compared them)."""
    st.html(
        "<style>"
        ".stMainBlockContainer{padding-top:3.75rem}"
        ".st-key-room_header h1{font-size:2.25rem;padding:0.25rem 0 0 0}"
        "</style>"
    )


PHASE_BLOCK = "room_phase"
"""The prefix of the key of the block that holds :func:`top_on_new_phase`'s script, at
the foot of the sidebar (in the page, even an empty block takes a gap above the round)."""


def top_on_new_phase(code: str, round_key: str) -> None:
    """Bring the room page to its top when the room's phase (its round and the round's
    state, ``round_key``) changes.

    The facilitator opens a round with a button at the foot of a form taller than a
    projector's 720 px; the page then shrinks and the browser keeps the scroll where
    the button was, which left the new round's heading half under Streamlit's header and,
    at the reveal, the teams' chart cut at the foot of the screen. A team's page changes
    on its own (its poll) while the team may be scrolled down its plan, and its rank is
    at the top. The first run in a browser tab only notes the phase: a page opens at its
    top, and a team scrolled down its plan stays where it is until the phase changes.

    The script is text of the source's own (tests/test_security.py); the phase reaches it
    as the block's key, which Streamlit writes as a CSS class (``st-key-room_phase_...``).
    """
    phase = re.sub(r"[^A-Za-z0-9]", "_", f"{code}_{round_key}")
    with st.sidebar, st.container(key=f"{PHASE_BLOCK}_{phase}"):
        st.html(
            """<script>
(() => {
  if (window.whiplashRoomTop) return;
  window.whiplashRoomTop = true;
  let seen;
  const check = () => {
    const block = document.querySelector("[class*='st-key-room_phase_']");
    if (!block) return;
    const phase = [...block.classList].find((name) => name.startsWith("st-key-room_phase_"));
    if (phase === seen) return;
    const first = seen === undefined;
    seen = phase;
    if (first) return;
    const main = document.querySelector("[data-testid='stMain']");
    if (!main) return;
    /* The rest of the new phase's page arrives after this block, and the old page's
       elements leave at the end of the run: stay at the top while the page settles
       (a smooth scroll was cut short by those changes), until the reader scrolls. */
    const top = () => { main.scrollTop = 0; };
    const settle = new ResizeObserver(top);
    const reader = new AbortController();  // takes the listeners off again
    const stop = () => { settle.disconnect(); reader.abort(); };
    settle.observe(main.firstElementChild || main);
    setTimeout(stop, 3000);
    for (const kind of ["wheel", "touchmove", "keydown", "mousedown"]) {
      main.addEventListener(kind, stop, {signal: reader.signal, passive: true});
    }
    top();
  };
  new MutationObserver(check).observe(document.body, {childList: true, subtree: true});
  check();
})();
</script>""",
            unsafe_allow_javascript=True,
        )
