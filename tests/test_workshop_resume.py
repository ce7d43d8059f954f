"""The single-screen workshop survives a reload, asks before starting over, and reads
revenue predictions as people type them ('1.5M', '800k', '1,500,000', '$1.2m')."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simulator.money import parse_money
from simulator.workshop import load_workshop
from ui import workshop as ws
from ui.text import INVISIBLE

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "1_Workshop.py")
LEVEL_STEP = 1
"""The default workshop's second step asks for a revenue level (2014Q4)."""


def open_page(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def to_level_step(at: AppTest) -> None:
    at.button(key="ws_next").click().run()
    assert at.session_state[ws.STEP] == LEVEL_STEP
    assert at.text_input, "the level step has a text box for the amount"


def reveal_with(at: AppTest, text: str) -> None:
    """Type ``text`` in the level box and press Reveal (one form: they go together)."""
    at.text_input[0].input(text)
    at.button(key=f"ws_reveal_{LEVEL_STEP}").click().run()
    assert not at.exception, at.exception


def plain(markdown: str) -> str:
    """Text as shown: without the escapes that keep user text literal in Markdown."""
    return markdown.replace("\\", "").replace(INVISIBLE, "")


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


# --- A reload resumes.
def test_the_address_carries_the_step_reveals_fixes_and_predictions():
    at = open_page()
    assert dict(at.query_params) == {"step": "1"}
    at.selectbox[0].select("2013Q1")
    at.button(key="ws_reveal_0").click().run()
    at.button(key="ws_fix_0").click().run()
    to_level_step(at)
    reveal_with(at, "1,500,000")
    assert dict(at.query_params) == {
        "step": "2",
        "revealed": "1,2",
        "fixed": "1",
        "p1": "2013Q1",
        "p2": "1.5M",
    }

    reloaded = open_page(dict(at.query_params))  # a new session, as after a reload
    assert reloaded.session_state[ws.STEP] == LEVEL_STEP
    assert reloaded.text_input[0].value == "1.5M" and reloaded.text_input[0].disabled
    assert reloaded.session_state[ws.PREDICTIONS] == {0: "2013Q1", LEVEL_STEP: 1_500_000.0}
    assert any("the room said $1.5M" in plain(b.value) for b in reloaded.warning)
    reloaded.button(key="ws_back").click().run()
    assert reloaded.selectbox[0].value == "2013Q1"
    assert reloaded.selectbox[0].disabled  # still revealed: the answer stays locked
    lesson = len(load_workshop().steps[0].charts)  # the charts the lesson points at
    assert len(reloaded.get("vega_lite_chart")) == 2 + lesson  # the reveal, its lesson, the fix
    assert dict(reloaded.query_params)["step"] == "1"


@pytest.mark.parametrize(
    "params",
    [
        {"step": "99", "revealed": "1,1,x,999,-1", "fixed": "6", "p1": "2099Q9"},
        {"step": "٢", "revealed": "١", "p2": "-5"},
        {"step": "2" * 70, "p2": "9" * 70, "workshop": "../four_causes"},
        {"step": "0", "fixed": "1", "p2": "1e999"},
    ],
)
def test_a_damaged_address_opens_the_first_step_and_drops_what_does_not_fit(params):
    at = open_page(params)
    assert at.session_state[ws.NAME] == "four_causes"
    assert at.session_state[ws.STEP] == 0
    assert at.session_state[ws.FIXED] == []
    assert at.session_state[ws.PREDICTIONS] == {}
    assert at.session_state[ws.REVEALED] in ([], [0])
    assert not errors(at)


def test_a_fix_is_only_restored_for_a_revealed_step():
    at = open_page({"step": "1", "fixed": "1"})
    assert at.session_state[ws.FIXED] == []
    assert not at.get("vega_lite_chart")


# --- Start over asks first.
def test_start_over_asks_before_clearing_and_can_be_cancelled():
    at = open_page()
    at.selectbox[0].select("2012Q3")
    at.button(key="ws_reveal_0").click().run()
    at.button(key="ws_next").click().run()

    at.button(key="ws_reset").click().run()
    assert at.session_state[ws.STEP] == 1 and at.session_state[ws.REVEALED] == [0]
    assert any("Start over?" in w.value for w in at.warning)
    at.button(key="ws_reset_no").click().run()
    assert at.session_state[ws.REVEALED] == [0]
    assert not any("Start over?" in w.value for w in at.warning)

    at.button(key="ws_reset").click().run()
    at.button(key="ws_reset_yes").click().run()
    assert at.session_state[ws.STEP] == 0
    assert at.session_state[ws.REVEALED] == [] and at.session_state[ws.PREDICTIONS] == {}
    assert at.selectbox[0].value is None
    assert dict(at.query_params) == {"step": "1"}


def test_start_over_is_not_beside_next():
    """Back and Next lead the page; Start over comes after the step, below its reveal."""
    keys = [b.key for b in open_page().button]
    assert keys.index("ws_back") < keys.index("ws_next") < keys.index("ws_reveal_0")
    assert keys.index("ws_reset") > keys.index("ws_reveal_0")


# --- Predictions as typed.
@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("1.5M", 1_500_000.0),
        ("800k", 800_000.0),
        ("1,500,000", 1_500_000.0),
        ("$1.2m", 1_200_000.0),
        (" 950K ", 950_000.0),
        ("0", 0.0),
    ],
)
def test_a_typed_prediction_is_read_and_stays_in_the_box(typed, meant):
    at = open_page()
    to_level_step(at)
    reveal_with(at, typed)
    assert at.session_state[ws.PREDICTIONS][LEVEL_STEP] == meant
    assert not errors(at)
    assert at.session_state[ws.REVEALED] == [LEVEL_STEP]
    assert at.text_input[0].value == typed  # not replaced by the placeholder
    assert at.text_input[0].disabled


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("-5", "negative"),
        ("1.5 apples", "unknown unit"),
        ("١٢٣", "not an amount"),  # Arabic-Indic digits: only ASCII digits are amounts
        ("1,5", "comma"),
        ("20T", "above"),
    ],
)
def test_a_prediction_that_is_not_an_amount_is_named_and_blocks_the_reveal(typed, reason):
    at = open_page()
    to_level_step(at)
    reveal_with(at, typed)
    [message] = errors(at)
    assert reason in message and "clear the box" in message
    assert at.session_state[ws.PREDICTIONS][LEVEL_STEP] is None
    assert at.session_state[ws.REVEALED] == []  # not silently "no prediction"
    assert at.text_input[0].value == typed  # left as typed, to correct

    reveal_with(at, "")  # cleared: the room may reveal without a prediction
    assert not errors(at)
    assert at.session_state[ws.REVEALED] == [LEVEL_STEP]
    assert any("No prediction" in b.value for b in at.info)


def test_the_box_refuses_more_text_than_an_amount_needs():
    at = open_page()
    to_level_step(at)
    assert at.text_input[0].max_chars == ws.PREDICTION_CHARS
    with pytest.raises(ValueError, match="longer than"):
        ws.read_level("9" * (ws.PREDICTION_CHARS + 1))


def test_a_reveal_in_this_session_marks_its_result_for_scrolling():
    """The page's script scrolls each new ``ws_result_<token>`` container into view once.
    The key stays on later reruns (the charts are not drawn again), a new reveal gets a
    new one, and a step resumed from the address has none (a reload does not jump)."""
    at = open_page()
    at.button(key="ws_reveal_0").click().run()
    [first] = [k for k in container_keys(at) if k.startswith("ws_result_")]
    at.button(key="ws_fix_0").click().run()
    assert first in container_keys(at)

    at.button(key="ws_reset").click().run()
    at.button(key="ws_reset_yes").click().run()
    at.button(key="ws_reveal_0").click().run()
    [second] = [k for k in container_keys(at) if k.startswith("ws_result_")]
    assert second != first

    reloaded = open_page(dict(at.query_params))
    keys = container_keys(reloaded)
    assert "ws_result" in keys and not any(k.startswith("ws_result_") for k in keys)


def container_keys(at: AppTest) -> set[str]:
    """The keys of the page's containers (a block's id ends with its key)."""
    found: set[str] = set()

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        block_id = getattr(proto, "id", "") if proto is not None else ""
        if isinstance(block_id, str) and "-ws_" in block_id:
            found.add(block_id[block_id.index("-ws_") + 1 :])
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def test_zero_is_an_answer_for_a_prediction_but_not_for_a_contract():
    assert ws.read_level("$0") == 0.0
    with pytest.raises(ValueError, match="zero"):
        parse_money("0")
    with pytest.raises(ValueError, match=r"negative; an amount must be \$0 or more"):
        parse_money("-5", allow_zero=True)
