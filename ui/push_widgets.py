"""The quarter-end push's widgets, drawn alike in the main page's sidebar and on a
team's page in a room: one set of labels, ranges and help texts.

Each page wires the widgets its own way (the room prefixes its widget keys and syncs
them to the team's plan), so a widget's key and callbacks come from ``wiring``.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from simulator.models import Policy

from . import controls

Wiring = Callable[[str], dict]
"""From a widget's base key (``controls.W_PUSH`` ...) to its ``key``, ``on_change`` and
``args`` on the page."""

SHARE = controls.limits(Policy, "quarter_end_push")
TRIGGER = controls.limits(Policy, "push_trigger")
DELAY = controls.limits(Policy, "perception_delay_months")


def push_share(wiring: Wiring) -> None:
    """How much prospecting time the push moves to closing (0% = no push)."""
    st.slider(
        "Quarter-end push when behind quota",
        min_value=SHARE.low * 100,
        max_value=SHARE.high * 100,
        value=SHARE.low * 100,  # the session's value is shown: see app.py slider()
        step=5.0,
        format="%.0f%%",
        help="Share of prospecting time moved to closing while the quarter's bookings "
        "trail the quota; 0% = off. Closing now empties next quarter's pipeline.",
        **wiring(controls.W_PUSH),
    )


def push_settings(wiring: Wiring, *, symbol: str) -> None:
    """When the push starts, how late management sees the numbers, and the quota."""
    st.slider(
        "Push starts below (% of the pro-rata quota)",
        min_value=float(TRIGGER.low) * 100,
        max_value=float(TRIGGER.high) * 100,
        value=float(TRIGGER.low) * 100,  # as in app.py slider()
        step=5.0,
        format="%.0f%%",
        help="Quarter-to-date bookings over the quota so far this quarter, below which "
        "management pushes.",
        **wiring(controls.W_PUSH_TRIGGER),
    )
    st.select_slider(
        "Management sees bookings after (months)",
        options=list(range(int(DELAY.low), int(DELAY.high) + 1)),
        help="How late the numbers reach management: the delay in the loop.",
        **wiring(controls.W_PUSH_DELAY),
    )
    st.number_input(
        f"New-business quota per quarter ({symbol})",
        min_value=0.0,
        max_value=1e13,
        step=10_000.0,
        format="%.0f",
        help="Bookings a quarter the push compares with (targets.quarterly_bookings).",
        **wiring(controls.W_QUOTA),
    )
