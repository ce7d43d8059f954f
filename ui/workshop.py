"""Workshop page helpers: session state, cached simulations and the printable debrief.

The page (``pages/1_Workshop.py``) only lays things out; the sequence and its texts
come from ``scenarios/workshops/*.toml`` through :mod:`simulator.workshop`, and
every number from the engine. State lives in ``st.session_state`` under the keys
below so a rerun (or a visit to another page) never loses the room's predictions, and
in the page's address (:func:`url_params`, :func:`restore_from_url`) so a reload does not.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import streamlit as st

from simulator import ResultSummary, Scenario
from simulator.money import MAX_CHARS, format_money, parse_money
from simulator.workshop import (
    DEFAULT_WORKSHOP,
    PredictionCheck,
    StepContent,
    Workshop,
    check_level,
    check_quarter,
    fix_effect,
    list_workshops,
    load_workshop,
    resolve,
    starting_sentence,
)

from . import charts, verdict_charts
from .runtime import simulate_summary
from .text import markdown_text

NAME = "ws_name"
STEP = "ws_step"
PREDICTIONS = "ws_predictions"
REVEALED = "ws_revealed"
FIXED = "ws_fixed"
ERROR = "ws_error"
W_NAME = "ws_w_name"
TYPED = "ws_typed"
"""{step: the text typed in a level prediction box}, shown again when the box returns."""
PREDICTION_ERRORS = "ws_prediction_errors"
"""{step: why the typed prediction is not an amount}, shown under the box."""
CONFIRM_RESET = "ws_confirm_reset"
REVEAL_MARKS = "ws_reveal_marks"
"""{step: a random token} for the steps revealed in this session: the result's container
key, so the page's script scrolls each reveal into view once (a step resumed from the
address has none: a reload does not jump)."""
URL_VALUE_CHARS = 64
"""Longest address value read back (a quarter name or an amount is far shorter)."""
PREDICTION_CHARS = MAX_CHARS
"""Longest text the level prediction box takes (what the money parser reads)."""
MAX_LEVEL = 1e13
"""Largest revenue prediction read ($10T a quarter: far above any preset, and the
prediction chart still draws it)."""


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
def start(
    session: MutableMapping[str, Any],
    params: Mapping[str, str] | None = None,
    *,
    name: str = DEFAULT_WORKSHOP,
) -> None:
    """Set up the workshop state once per session (later runs keep it); a new session
    resumes where the address ``params`` say (a reload, a bookmark)."""
    if NAME not in session:
        params = params or {}
        wanted = _url_value(params, "workshop")
        session[NAME] = wanted if wanted in list_workshops() else name
        reset(session)
        if params:
            restore_from_url(session, params)
    session.setdefault(W_NAME, session[NAME])


def reset(session: MutableMapping[str, Any]) -> None:
    """Back to step 1 with no predictions, reveals or fixes (the chosen workshop stays)."""
    for key in [k for k in session if str(k).startswith("ws_w_pred_")]:
        del session[key]
    session[STEP] = 0
    session[PREDICTIONS] = {}
    session[TYPED] = {}
    session[PREDICTION_ERRORS] = {}
    session[REVEALED] = []
    session[FIXED] = []
    session[ERROR] = None
    session[CONFIRM_RESET] = False
    session[REVEAL_MARKS] = {}


def ask_reset(session: MutableMapping[str, Any]) -> None:
    """First click on "Start over": ask before clearing the room's work."""
    session[CONFIRM_RESET] = True


def cancel_reset(session: MutableMapping[str, Any]) -> None:
    session[CONFIRM_RESET] = False


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
    step = max(0, min(int(to), count - 1))
    if step != session.get(STEP):
        session[CONFIRM_RESET] = False
    session[STEP] = step


def read_level(text: str | None) -> float | None:
    """A typed revenue prediction in dollars ('1.5M', '800k', '1,500,000', '$1.2m');
    None when the box is empty; ValueError saying why it is not an amount."""
    if text is None or not str(text).strip():
        return None
    try:
        value = parse_money(str(text), allow_zero=True)
    except ValueError as exc:
        raise ValueError(f"The prediction {str(text).strip()!r} {exc}.") from None
    if value > MAX_LEVEL:
        raise ValueError(
            f"The prediction {str(text).strip()!r} is above {format_money(MAX_LEVEL)} a quarter."
        )
    return value


def on_predict(session: MutableMapping[str, Any], index: int, *, level: bool = False) -> None:
    """Copy the widget's value into the predictions, which outlive the widget; a level
    the parser refuses is no prediction and its reason is kept for the page to show."""
    value = session.get(prediction_key(session[NAME], index))
    errors = dict(session.get(PREDICTION_ERRORS, {}))
    errors.pop(index, None)
    if level:
        typed = dict(session.get(TYPED, {}))
        typed[index] = value or ""
        session[TYPED] = typed
        try:
            value = read_level(value)
        except ValueError as exc:
            errors[index], value = str(exc), None
    predictions = dict(session[PREDICTIONS])
    predictions[index] = value
    session[PREDICTIONS] = predictions
    session[PREDICTION_ERRORS] = errors


def restore_prediction(
    session: MutableMapping[str, Any], index: int, *, level: bool, locked: bool = False
) -> None:
    """Put a stored prediction back into its widget (Streamlit drops unseen widgets):
    a level box gets back the text as typed, or the amount written short. A revealed
    (``locked``) step always shows what was revealed: a disabled box's own state is not
    to be trusted (Streamlit may send it back empty)."""
    key = prediction_key(session[NAME], index)
    if key in session and not locked:
        return
    if level and index in session.get(TYPED, {}):
        session[key] = session[TYPED][index]
    elif index in session[PREDICTIONS]:
        value = session[PREDICTIONS][index]
        session[key] = format_money(value) if level and value is not None else value
    elif locked:  # revealed without a prediction
        session[key] = "" if level else None


def mark(session: MutableMapping[str, Any], key: str, index: int) -> None:
    """Record that a step was revealed (REVEALED) or its fix applied (FIXED)."""
    if index not in session[key]:
        session[key] = [*session[key], index]


def reveal(session: MutableMapping[str, Any], index: int, *, level: bool = False) -> None:
    """Callback of the reveal button: fix the prediction at this moment and reveal, unless
    the typed prediction is not an amount (the room corrects or clears it first)."""
    on_predict(session, index, level=level)
    if index in session[PREDICTION_ERRORS]:
        return
    mark(session, REVEALED, index)
    session[REVEAL_MARKS] = {**session[REVEAL_MARKS], index: secrets.token_hex(4)}


def result_key(session: Mapping[str, Any], index: int) -> str:
    """The key of a step's result container: ``ws_result_<token>`` once revealed in this
    session (the page's script scrolls to a new one), else ``ws_result``. It stays the
    same on later reruns, so the result's charts are not drawn again."""
    token = session[REVEAL_MARKS].get(index)
    return f"ws_result_{token}" if token else "ws_result"


# --- The address: a reload (or a bookmark) resumes the session.
def url_params(session: Mapping[str, Any], workshop: Workshop) -> dict[str, str]:
    """The step, the reveals, the fixes and the predictions as query parameters; steps
    count from 1 as the page shows them ('?step=2&revealed=1,2&p1=2013Q1&p2=1.5M')."""
    count = len(workshop.steps)
    params = {"step": str(session[STEP] + 1)}
    if session[NAME] != DEFAULT_WORKSHOP:
        params = {"workshop": session[NAME], **params}
    for key, field in ((REVEALED, "revealed"), (FIXED, "fixed")):
        steps = sorted(i for i in set(session[key]) if 0 <= i < count)
        if steps:
            params[field] = ",".join(str(i + 1) for i in steps)
    for index, value in sorted(session[PREDICTIONS].items()):
        if value is None or not 0 <= index < count:
            continue
        level = workshop.steps[index].prediction == "level"
        params[f"p{index + 1}"] = format_money(value) if level else str(value)
    return params


def restore_from_url(session: MutableMapping[str, Any], params: Mapping[str, str]) -> None:
    """Read :func:`url_params` back, keeping only what fits this workshop: a step in
    range, a quarter the step offers, an amount the parser reads, a fix of a revealed step
    that has one; anything else is left out (the address may have been typed or cut)."""
    workshop = workshop_named(session[NAME])
    count = len(workshop.steps)
    step = _step_number(_url_value(params, "step"), count)
    session[STEP] = 0 if step is None else step
    predictions = {}
    for index in range(count):
        value = _url_value(params, f"p{index + 1}")
        if value is None:
            continue
        content = step_content(session[NAME], index)
        if content.prediction == "level":
            try:
                predictions[index] = read_level(value)
            except ValueError:
                continue
        elif value in content.quarter_options():
            predictions[index] = value
    session[PREDICTIONS] = predictions
    revealed = _step_list(_url_value(params, "revealed"), count)
    session[REVEALED] = revealed
    session[FIXED] = [
        i
        for i in _step_list(_url_value(params, "fixed"), count)
        if i in revealed and step_content(session[NAME], i).fixed is not None
    ]


def _url_value(params: Mapping[str, Any], key: str) -> str | None:
    value = params.get(key)
    if isinstance(value, list):  # a repeated parameter: the last one, as Streamlit reads it
        value = value[-1] if value else None
    if not isinstance(value, str) or len(value) > URL_VALUE_CHARS:
        return None
    return value


def _step_number(text: str | None, count: int) -> int | None:
    """'3' as the step index 2, or None if it is not a step of this workshop."""
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 3:
        return None
    index = int(text) - 1
    return index if 0 <= index < count else None


def _step_list(text: str | None, count: int) -> list[int]:
    """'1,3' as the step indexes [0, 2] (each step once, the rest left out)."""
    if not text:
        return []
    steps = {_step_number(part.strip(), count) for part in text.split(",")[:count]}
    return sorted(i for i in steps if i is not None)


# --- The reveal.
def lesson_charts(content: StepContent, result: ResultSummary) -> list[alt.TopLevelMixin]:
    """The charts the step's lesson points at (``charts`` in the workshop file), in order:
    the main page's own builders, so the room sees the same chart it will find there."""
    build = {
        "quarters": lambda: charts.quarterly_bars(result),
        "attainment": lambda: verdict_charts.attainment_chart(result),
        "warning": lambda: verdict_charts.warning_chart(result),
        "sources": lambda: charts.breakdown_chart(result, by="source"),
        "lines": lambda: charts.breakdown_chart(result, by="line"),
        "calendar": lambda: charts.renewal_calendar(content.scenario),
    }
    return [build[name]() for name in content.step.charts]


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
    question = content.question
    if content.prediction == "level":  # the figure the room started from
        question += f" {starting_sentence(result)}"
    return DebriefEntry(
        number=content.index + 1,
        title=content.title,
        question=question,
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
