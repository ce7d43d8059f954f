"""Compare plans side by side: up to four named plans held in the session, drawn against
the sidebar's plan, each loaded back into the sidebar or removed; saved as a TOML bundle
(:mod:`simulator.bundle`) and carried by the link (bounded).

State and callbacks take the session state as a plain mapping (the tests drive them with
a dict); ``ui/compare_view.py`` lays the section out on the simulator page.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

from simulator import ResultSummary, Scenario, ScenarioError
from simulator.bundle import (
    MAX_PLAN_NAME,
    MAX_PLANS,
    Plan,
    dump_bundle,
    parse_bundle,
    put_plan,
    remove_plan,
)

from . import session as app_session
from .links import MAX_PARAM_CHARS

PLANS = "compare_plans"
"""The held plans: a tuple of :class:`simulator.bundle.Plan`."""
ERROR = "compare_error"
NOTE = "compare_note"
UPLOAD_VERSION = "compare_upload_version"
W_NAME = "w_plan_name"
W_UPLOAD = "w_plan_bundle"
PARAM = "plans"
"""The link's parameter for the held plans (a compressed bundle)."""
SUGGESTED_NAMES = ("Base", "Best case", "Worst case", "Plan D")


def plans_of(session: Mapping[str, Any]) -> tuple[Plan, ...]:
    return tuple(session.get(PLANS) or ())


def suggested_name(plans: Sequence[Plan]) -> str:
    """The next free name of Base, Best case, Worst case, Plan D."""
    taken = {p.name.casefold() for p in plans}
    return next((n for n in SUGGESTED_NAMES if n.casefold() not in taken), "")


def _done(session: MutableMapping[str, Any], plans: tuple[Plan, ...]) -> None:
    session[PLANS] = plans
    session[ERROR] = None
    session[W_NAME] = suggested_name(plans)


# --- Callbacks ------------------------------------------------------------------------------


def on_add_plan(session: MutableMapping[str, Any]) -> None:
    """Callback for "Hold this plan": the sidebar's plan joins under the typed name (a plan
    of that name is updated); a fifth plan or a bad name is refused and nothing changes."""
    try:
        name = session.get(W_NAME) or ""
        plans = put_plan(plans_of(session), name, session[app_session.SCENARIO])
    except ScenarioError as exc:
        session[ERROR] = str(exc)
        return
    _done(session, plans)


def on_remove_plan(session: MutableMapping[str, Any], name: str) -> None:
    try:
        plans = remove_plan(plans_of(session), name)
    except ScenarioError as exc:
        session[ERROR] = str(exc)
        return
    _done(session, plans)


def on_edit_plan(session: MutableMapping[str, Any], name: str) -> None:
    """Callback for a plan's "Edit": its scenario goes into the sidebar (the plan stays
    held; "Hold this plan" under its name stores the edits)."""
    plan = next((p for p in plans_of(session) if p.name == name), None)
    if plan is None:
        session[ERROR] = f"plans: there is no plan called {name[:MAX_PLAN_NAME]!r}"
        return
    app_session.set_scenario(session, plan.scenario)
    session[app_session.SOURCE] = f"plan {plan.name}"
    session[ERROR] = None
    session[W_NAME] = plan.name


def load_bundle(session: MutableMapping[str, Any], *, name: str, data: bytes) -> bool:
    """Hold the plans of an uploaded bundle (replacing the held ones); on any problem
    keep everything and say why, naming the plan and the field."""
    try:
        plans = parse_bundle(data, source=name)
    except ScenarioError as exc:
        session[ERROR] = str(exc)
        return False
    _done(session, plans)
    return True


def on_bundle_upload(session: MutableMapping[str, Any]) -> None:
    key = upload_key(session.get(UPLOAD_VERSION, 0))
    uploaded = session.get(key)
    if uploaded is None:
        return
    if not load_bundle(session, name=uploaded.name, data=uploaded.getvalue()):
        session[UPLOAD_VERSION] = session.get(UPLOAD_VERSION, 0) + 1


def upload_key(version: int) -> str:
    return W_UPLOAD if version == 0 else f"{W_UPLOAD}_{version}"


# --- The link -------------------------------------------------------------------------------

MAX_LINK_BUNDLE_BYTES = MAX_PLANS * 64 * 1024
"""Largest bundle a link may inflate to: four scenarios of a link's own limit."""


def encode_plans(plans: Sequence[Plan]) -> str:
    packed = zlib.compress(dump_bundle(plans).encode("utf-8"), 9)
    return base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode_plans(text: str) -> tuple[Plan, ...]:
    """The plans of a link's ``plans`` parameter; any damage becomes a ScenarioError."""
    if len(text) > MAX_PARAM_CHARS:
        raise ScenarioError(f"the link's plans are longer than {MAX_PARAM_CHARS:,} characters")
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_LINK_BUNDLE_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise ScenarioError("the link's plans are damaged") from None
    if len(raw) > MAX_LINK_BUNDLE_BYTES or inflater.unconsumed_tail:
        raise ScenarioError("the link's plans are too large")
    if not inflater.eof or inflater.unused_data:
        raise ScenarioError("the link's plans are damaged or cut short")
    return parse_bundle(raw, source="the link's plans")


def start(session: MutableMapping[str, Any], params: Mapping[str, Any]) -> None:
    """On a session's first run, hold the plans the link carries (a damaged value is
    skipped with a note; the rest of the link still opens)."""
    if PLANS in session:
        session.setdefault(W_NAME, suggested_name(plans_of(session)))  # dropped off-page
        return
    session[PLANS] = ()
    session[W_NAME] = suggested_name(())
    value = params.get(PARAM)
    if value is None:
        return
    text = value if isinstance(value, str) else str(value[-1]) if value else ""
    try:
        _done(session, decode_plans(text))
    except ScenarioError as exc:
        notes = list(session.get(app_session.NOTES) or [])
        session[app_session.NOTES] = [*notes, f"The link's plans were ignored: {exc}"]


def link_params(session: MutableMapping[str, Any]) -> dict[str, str]:
    """``{"plans": ...}`` for the held plans, or nothing (with a note kept for the page)
    when they are too large for a link: the bundle file carries them instead."""
    plans = plans_of(session)
    session[NOTE] = None
    if not plans:
        return {}
    text = encode_plans(plans)
    if len(text) > MAX_PARAM_CHARS:
        session[NOTE] = (
            "The plans are too large for a link, so the address bar does not carry them: "
            "save them as a bundle to share them."
        )
        return {}
    return {PARAM: text}


# --- The section ----------------------------------------------------------------------------


def results_of(
    plans: Sequence[Plan], simulate: Callable[[Scenario], ResultSummary | None]
) -> list[tuple[str, ResultSummary]]:
    """Each held plan's result (a plan whose simulation failed is left out)."""
    out = []
    for plan in plans:
        result = simulate(plan.scenario)
        if result is not None:
            out.append((plan.name, result))
    return out
