"""The page speaks sales: wherever the main page, the workshop and the room's result
line must say "runs", "seed", "p10"/"p90" or "drawdown", the same text says it in plain
words ("futures", "8 in 10 futures", "fall from the best quarter")."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from rooms.scoring import TeamResult
from ui.room_view import result_sentence
from ui.text import shown_text

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
WORKSHOP = str(ROOT / "pages" / "1_Workshop.py")

PLAIN = {
    r"\bruns?\b": ("future",),
    r"\bseed\b": ("future",),
    r"\bp(10|90)\b": ("8 in 10", "1 future in 10"),
    r"\bdrawdown\b": ("fall from the best quarter",),
}
"""A word of the trade, and what the same text must also say (one of them)."""


def visible_texts(at: AppTest) -> list[str]:
    """What a reader sees: markdown, captions, alerts, metric labels and help, and the
    labels and help of the widgets."""
    texts = [shown_text(e.value) for e in [*at.markdown, *at.caption, *at.info, *at.warning]]
    texts += [shown_text(e.value) for e in [*at.success, *at.error]]
    for m in at.metric:  # a label is read with its help
        texts.append(f"{m.label} {m.proto.help}")
    for widget in [*at.number_input, *at.slider, *at.selectbox, *at.toggle, *at.button]:
        texts.append(f"{widget.label} {getattr(widget, 'help', '') or ''}")
    return [t for t in texts if t]


def unexplained(texts: list[str]) -> list[str]:
    return [
        text
        for text in texts
        for word, plain in PLAIN.items()
        if re.search(word, text, flags=re.IGNORECASE) and not any(p in text.lower() for p in plain)
    ]


def test_the_main_page_explains_its_trade_words() -> None:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["preset"] = "team_a_team_b"
    at.query_params["runs"] = "200"
    at.run()
    assert not at.exception
    texts = visible_texts(at)
    assert any("8 in 10 futures (p10 to p90)" in t for t in texts)  # where it must appear
    assert unexplained(texts) == []


def test_the_workshop_reveal_explains_its_trade_words() -> None:
    at = AppTest.from_file(WORKSHOP, default_timeout=60).run()
    at.selectbox[0].select("2013Q1").run()
    at.button(key="ws_reveal_0").click().run()
    at.button(key="ws_fix_0").click().run()
    assert not at.exception
    assert unexplained(visible_texts(at)) == []


def test_the_room_result_says_what_max_drawdown_is() -> None:
    result = TeamResult(
        score=1e6,
        median_revenue=2e6,
        probability=0.25,
        severe_probability=0.05,
        max_drawdown=0.3,
        verdict="mild",
        sentence="",
        quarters=("2012Q1",),
        quarter_revenue=(5e5,),
    )
    sentence = result_sentence(result)
    assert unexplained([sentence]) == []
    assert "whiplash in 25% of futures" in sentence


def test_a_bare_trade_word_is_caught() -> None:
    assert unexplained(["Max drawdown 30%", "1,000 runs", "p10 to p90"]) == [
        "Max drawdown 30%",
        "1,000 runs",
        "p10 to p90",
    ]
