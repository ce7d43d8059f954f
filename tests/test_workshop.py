"""Workshop mode: the sequence as data, prediction scoring, and the page walked end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simulator import ScenarioError, load_preset, simulate
from simulator.workshop import (
    DEFAULT_WORKSHOP,
    HOLDS,
    check_level,
    check_quarter,
    compare_fix,
    first_break_shares,
    load_workshop,
    parse_workshop,
    resolve,
    simulated_break,
    starting_sentence,
    whiplash_words,
)
from ui import workshop as ws
from ui.text import markdown_text

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "1_Workshop.py")
EXPECTED_SEQUENCE = [
    "team_a_team_b",
    "hand_off_after_close",
    "single_threaded",
    "close_close_close",
    "new_product_splash",
    "balanced",
]


# --- The sequence as data.
def test_default_workshop_follows_the_article():
    workshop = load_workshop(DEFAULT_WORKSHOP)
    assert [s.preset for s in workshop.steps] == EXPECTED_SEQUENCE
    for i in range(len(workshop.steps)):
        content = resolve(workshop, i)
        assert content.story and content.question and content.lesson
        assert (content.fixed is None) == (content.step.preset == "balanced")


@pytest.mark.parametrize("index", range(len(EXPECTED_SEQUENCE) - 1))
def test_every_fix_in_the_workshop_smooths_revenue(index):
    content = resolve(load_workshop(), index)
    before, after = simulate(content.scenario), simulate(content.fixed)
    comparison = compare_fix(before, after)
    assert comparison.severe_probability[1] <= comparison.severe_probability[0]
    assert comparison.largest_fall[1] < comparison.largest_fall[0]
    assert comparison.probability[1] < comparison.probability[0]


def test_texts_fall_back_to_the_presets_meta():
    workshop = parse_workshop('[[steps]]\npreset = "single_threaded"\n')
    content = resolve(workshop, 0)
    meta = load_preset("single_threaded").meta
    assert content.title == meta.title
    assert content.question == meta.question.strip()
    assert content.why == meta.fix.strip()
    assert content.fixed is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[[steps]]\npreset = "no_such_preset"\n', "steps.0.preset"),
        ('[[steps]]\npreset = "balanced"\nfix = ["effort.attract=7"]\n', "steps.0.fix"),
        ('[[steps]]\npreset = "balanced"\nfix = ["effort.attract"]\n', "steps.0.fix"),
        ('[[steps]]\npreset = "balanced"\nprediction = "dice"\n', "steps.0.prediction"),
        (
            '[[steps]]\npreset = "balanced"\nprediction = "level"\nlevel_quarter = "1999Q1"\n',
            "steps.0.level_quarter",
        ),
        ('[workshop]\ntitle = "x"\n', "steps"),
        ("steps = [", "not valid TOML"),
    ],
)
def test_bad_workshop_files_name_the_field(text, named):
    with pytest.raises(ScenarioError, match=named.replace(".", r"\.")):
        parse_workshop(text, source="mine.toml")


def test_unknown_workshop_name_is_refused():
    with pytest.raises(ScenarioError, match="does not exist"):
        load_workshop("../balanced")


# --- Predictions against the simulation.
@pytest.fixture(scope="module")
def team_a():
    return simulate(load_preset("team_a_team_b"))


def test_break_quarter_is_where_most_runs_first_break(team_a):
    shares = first_break_shares(team_a)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert simulated_break(team_a) == "2013Q1"
    assert shares["2013Q1"] > 0.5


def test_balanced_holds():
    result = simulate(load_preset("balanced"))
    assert simulated_break(result) == HOLDS
    assert check_quarter(result, HOLDS).verdict == "right"


def test_quarter_predictions_are_scored(team_a):
    assert check_quarter(team_a, "2013Q1").verdict == "right"
    wrong = check_quarter(team_a, "2012Q2")
    assert wrong.verdict == "wrong" and "2013Q1" in wrong.sentence
    holds = check_quarter(team_a, HOLDS)  # about a third of runs hold: plausible, not right
    assert holds.verdict in ("close", "wrong") and "2013Q1" in holds.sentence
    assert check_quarter(team_a, None).verdict == "none"


def test_level_predictions_are_scored_against_the_band(team_a):
    row = team_a.quarter_table.set_index("quarter").loc["2014Q4"]
    assert check_level(team_a, float(row.p50), "2014Q4").verdict == "right"
    assert check_level(team_a, float(row.p90) * 3, "2014Q4").verdict == "wrong"
    assert "too low" in check_level(team_a, 0.0, "2014Q4").sentence
    with pytest.raises(ScenarioError):
        check_level(team_a, 1.0, "1999Q1")


# --- The debrief.
def test_debrief_lists_each_revealed_step():
    workshop = load_workshop()
    entries = [
        ws.debrief_entry(resolve(workshop, 0), "2013Q1"),
        ws.debrief_entry(resolve(workshop, 1), 250_000.0),
    ]
    text = ws.debrief_markdown(workshop, entries)
    assert text.count("\n## ") == 2
    assert "2013Q1" in text and "Whiplash in" in text and "Lesson" in text
    page = ws.debrief_html(workshop, entries)
    assert page.startswith("<!doctype html>") and page.count("<h2>") == 2
    assert "<script" not in page


def test_debrief_escapes_trainer_text():
    workshop = parse_workshop(
        '[workshop]\ntitle = "<script>x</script>"\n[[steps]]\npreset = "balanced"\n'
    )
    page = ws.debrief_html(workshop, [ws.debrief_entry(resolve(workshop, 0), None)])
    assert "<script>" not in page and "&lt;script&gt;" in page


# --- The page, walked like a trainer would.
def new_page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def answer(at: AppTest, step: int) -> None:
    """Enter a prediction for ``step``: a quarter, or a revenue level (the reveal button
    sends it: the box and the button are one form)."""
    if at.text_input:
        at.text_input[0].input("1M")
    else:
        box = at.selectbox[0]
        box.select(box.options[min(4, len(box.options) - 1)])


def test_page_walks_the_whole_sequence():
    at = new_page()
    assert not at.exception
    count = len(EXPECTED_SEQUENCE)
    for step in range(count):
        assert at.session_state[ws.STEP] == step
        assert f"Step {step + 1} of {count}" in at.get("progress")[0].proto.text
        assert not at.get("vega_lite_chart")  # nothing revealed before the prediction
        content = ws.step_content(at.session_state[ws.NAME], step)
        before = " ".join(m.value for m in [*at.markdown, *at.caption])
        result = simulate(content.scenario).summary_only()
        if content.prediction == "level":  # the room's starting figure
            said = starting_sentence(result)
            assert said.startswith("Starting point: revenue in 2012Q1, the first quarter, is $")
        else:  # what counts as whiplash, in the verdict's words
            said = whiplash_words(result)
        assert markdown_text(said) in before
        answer(at, step)
        at.button(key=f"ws_reveal_{step}").click().run()
        assert not at.exception, at.exception
        shown = 1 + len(content.step.charts)  # the prediction and the lesson's charts
        assert len(at.get("vega_lite_chart")) == shown, "the reveal shows the lesson's charts"
        boxes = [*at.success, *at.info, *at.warning]
        assert any("the simulation says" in b.value for b in boxes)
        if step < count - 1:
            at.button(key=f"ws_fix_{step}").click().run()
            assert not at.exception, at.exception
            assert [m.label for m in at.metric] == [  # the main page's key figures
                "Whiplash",
                "Severe whiplash",
                "Largest fall in a year",
            ]
            assert len(at.get("vega_lite_chart")) == shown + 1  # and before/after
            at.button(key="ws_next").click().run()
            assert not at.exception, at.exception
    assert sorted(at.session_state[ws.REVEALED]) == list(range(count))
    assert sorted(at.session_state[ws.FIXED]) == list(range(count - 1))


def test_predictions_survive_navigation_and_lock_after_reveal():
    at = new_page()
    at.selectbox[0].select("2013Q1")
    at.button(key="ws_reveal_0").click().run()
    at.button(key="ws_next").click().run()
    at.button(key="ws_back").click().run()
    assert at.selectbox[0].value == "2013Q1"
    assert at.selectbox[0].disabled  # the room cannot change its answer after the reveal
    assert at.session_state[ws.PREDICTIONS][0] == "2013Q1"


def test_reset_starts_over():
    at = new_page()
    at.selectbox[0].select("2012Q3")
    at.button(key="ws_reveal_0").click().run()
    at.button(key="ws_next").click().run()
    at.button(key="ws_reset").click().run()
    at.button(key="ws_reset_yes").click().run()
    assert not at.exception
    assert at.session_state[ws.STEP] == 0
    assert at.session_state[ws.REVEALED] == []
    assert at.selectbox[0].value is None


def test_debrief_download_appears_after_a_reveal():
    at = new_page()
    assert all(b.proto.disabled for b in at.get("download_button"))
    at.button(key="ws_reveal_0").click().run()
    assert not any(b.proto.disabled for b in at.get("download_button"))
