"""Workshop page helpers: session state, cached simulations and the printable debrief.

The page (``pages/1_Workshop.py``) only lays things out; the sequence and its texts
come from ``scenarios/workshops/*.toml`` through :mod:`simulator.workshop`, and
every number from the engine. State lives in ``st.session_state`` under the keys
below so a rerun (or a visit to another page) never loses the room's predictions.
"""

from __future__ import annotations

import html
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from simulator import ResultSummary, Scenario
from simulator.workshop import (
    DEFAULT_WORKSHOP,
    PredictionCheck,
    StepContent,
    Workshop,
    check_level,
    check_quarter,
    fix_effect,
    load_workshop,
    resolve,
)

from .runtime import simulate_summary
from .text import markdown_text

NAME = "ws_name"
STEP = "ws_step"
PREDICTIONS = "ws_predictions"
REVEALED = "ws_revealed"
FIXED = "ws_fixed"
ERROR = "ws_error"
W_NAME = "ws_w_name"


def prediction_key(name: str, index: int) -> str:
    """Widget key of a step's prediction input (one per workshop and step)."""
    return f"ws_w_pred_{name}_{index}"


# --- Cached model calls (shared by every session: scenarios are immutable).
@st.cache_resource(max_entries=4, show_spinner=False)
def workshop_named(name: str) -> Workshop:
    return load_workshop(name)


@st.cache_resource(max_entries=40, show_spinner=False)
def step_content(name: str, index: int) -> StepContent:
    return resolve(workshop_named(name), index)


@st.cache_resource(max_entries=32, show_spinner="Simulating…")
def simulate_scenario(scenario_json: str) -> ResultSummary:
    """Simulate once per distinct scenario; the result is read-only and keeps summaries
    only (a workshop step's preset: well under 1 MB each, so 32 of them stay small)."""
    return simulate_summary(Scenario.model_validate_json(scenario_json))


def result_for(scenario: Scenario) -> ResultSummary:
    return simulate_scenario(scenario.model_dump_json())


# --- Session state.
def start(session: MutableMapping[str, Any], *, name: str = DEFAULT_WORKSHOP) -> None:
    """Set up the workshop state once per session (later runs keep it)."""
    if NAME not in session:
        session[NAME] = name
        reset(session)
    session.setdefault(W_NAME, session[NAME])


def reset(session: MutableMapping[str, Any]) -> None:
    """Back to step 1 with no predictions, reveals or fixes (the chosen workshop stays)."""
    for key in [k for k in session if str(k).startswith("ws_w_pred_")]:
        del session[key]
    session[STEP] = 0
    session[PREDICTIONS] = {}
    session[REVEALED] = []
    session[FIXED] = []
    session[ERROR] = None


def on_choose_workshop(session: MutableMapping[str, Any]) -> None:
    """Callback of the workshop picker: load the file, or name the error and keep going."""
    name = session.get(W_NAME)
    try:
        workshop_named(name)
    except Exception as exc:  # a trainer's file: show one line, keep the current session
        session[ERROR] = str(exc)
        session[W_NAME] = session[NAME]
        return
    session[NAME] = name
    reset(session)


def go(session: MutableMapping[str, Any], *, to: int, count: int) -> None:
    session[STEP] = max(0, min(int(to), count - 1))


def on_predict(session: MutableMapping[str, Any], index: int) -> None:
    """Copy the widget's value into the predictions, which outlive the widget."""
    value = session.get(prediction_key(session[NAME], index))
    predictions = dict(session[PREDICTIONS])
    predictions[index] = value
    session[PREDICTIONS] = predictions


def restore_prediction(session: MutableMapping[str, Any], index: int) -> None:
    """Put a stored prediction back into its widget (Streamlit drops unseen widgets)."""
    key = prediction_key(session[NAME], index)
    if key not in session and index in session[PREDICTIONS]:
        session[key] = session[PREDICTIONS][index]


def mark(session: MutableMapping[str, Any], key: str, index: int) -> None:
    """Record that a step was revealed (REVEALED) or its fix applied (FIXED)."""
    if key == REVEALED:
        on_predict(session, index)  # the prediction is fixed at the moment of the reveal
    if index not in session[key]:
        session[key] = [*session[key], index]


# --- Predictions and the debrief.
def check(content: StepContent, result: ResultSummary, prediction: Any) -> PredictionCheck:
    if content.prediction == "level":
        level = float(prediction) if prediction is not None else None
        return check_level(result, level, content.level_quarter)
    return check_quarter(result, prediction)


@dataclass(frozen=True)
class DebriefEntry:
    """What the debrief says about one revealed step."""

    number: int
    title: str
    question: str
    prediction: str
    result: str
    fix: str
    lesson: str


def debrief_entry(content: StepContent, prediction: Any) -> DebriefEntry:
    result = result_for(content.scenario)
    checked = check(content, result, prediction)
    fix = ""
    if content.fixed is not None:
        fix = f"{content.step.fix_title}. {fix_effect(result, result_for(content.fixed))}"
        if content.why:
            fix += f" {content.why}"
    elif content.why:
        fix = content.why
    return DebriefEntry(
        number=content.index + 1,
        title=content.title,
        question=content.question,
        prediction=checked.prediction or "No prediction",
        result=checked.sentence,
        fix=fix,
        lesson=content.lesson,
    )


def debrief_markdown(workshop: Workshop, entries: Sequence[DebriefEntry]) -> str:
    """One printable page: every revealed step's prediction, result, fix and lesson."""
    lines = [f"# {markdown_text(workshop.title)}", "", "Debrief", ""]
    if not entries:
        lines.append("No step has been revealed yet.")
    for e in entries:
        lines += [f"## {e.number}. {markdown_text(e.title)}", ""]
        lines += [f"**Question:** {markdown_text(e.question)}", ""]
        lines += [f"**The room's prediction:** {markdown_text(e.prediction)}", ""]
        lines += [f"**The simulation:** {markdown_text(e.result)}", ""]
        if e.fix:
            lines += [f"**The fix:** {markdown_text(e.fix)}", ""]
        if e.lesson:
            lines += [f"**Lesson:** {markdown_text(' '.join(e.lesson.split()))}", ""]
    return "\n".join(lines).rstrip() + "\n"


def debrief_html(workshop: Workshop, entries: Sequence[DebriefEntry]) -> str:
    """The same debrief as a self-contained HTML page that prints on one or two sheets."""
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(workshop.title)} – debrief</title>",
        "<style>body{font:14px/1.45 system-ui,sans-serif;max-width:46em;margin:2em auto;}"
        "h1{font-size:1.6em}h2{font-size:1.15em;margin:1.2em 0 .3em}p{margin:.2em 0}"
        "@media print{body{margin:0}}</style></head><body>",
        f"<h1>{esc(workshop.title)}</h1><p>Debrief</p>",
    ]
    if not entries:
        parts.append("<p>No step has been revealed yet.</p>")
    for e in entries:
        parts.append(f"<h2>{e.number}. {esc(e.title)}</h2>")
        rows = [
            ("Question", e.question),
            ("The room's prediction", e.prediction),
            ("The simulation", e.result),
            ("The fix", e.fix),
            ("Lesson", " ".join(e.lesson.split())),
        ]
        parts += [f"<p><b>{label}:</b> {esc(text)}</p>" for label, text in rows if text]
    parts.append("</body></html>")
    return "\n".join(parts)
