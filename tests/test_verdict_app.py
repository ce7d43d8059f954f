"""One number, one meaning: the main page's headline, its key figures, the workshop's
reveal and fix, and the diagnosis state the same verdict figures in the same words."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from simulator import load_preset, simulate
from ui.text import shown_text

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
WORKSHOP = str(ROOT / "pages" / "1_Workshop.py")


def open_app(params: dict[str, str]) -> AppTest:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def headline(at: AppTest) -> str:
    [line] = [shown_text(m.value) for m in at.markdown if m.value.startswith("## ")]
    return line


def metric(at: AppTest, label: str):
    [found] = [m for m in at.metric if m.label == label]
    return found


def chart_data(at: AppTest, description: str) -> pd.DataFrame:
    for element in at.get("vega_lite_chart"):
        if json.loads(element.proto.spec).get("description") == description:
            frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in element.proto.datasets]
            return pd.concat(frames, ignore_index=True)
    raise AssertionError(f"no chart described as {description!r}")


def test_headline_key_figures_and_workshop_use_the_same_figures():
    main = open_app({"preset": "team_a_team_b"})  # the preset's own runs and seed
    assert not main.exception
    whiplash = metric(main, "Whiplash").value
    severe = metric(main, "Severe whiplash").value
    fall = metric(main, "Largest fall in a year").value
    said = f"whiplash in {whiplash} of futures, severe in {severe}"
    assert said in headline(main)
    expected = simulate(load_preset("team_a_team_b")).whiplash
    assert whiplash == f"{round(expected.probability * 100)}%"

    workshop = AppTest.from_file(WORKSHOP, default_timeout=60).run()
    workshop.selectbox[0].select("2013Q1").run()
    workshop.button(key="ws_reveal_0").click().run()
    assert not workshop.exception
    revealed = [shown_text(m.value) for m in workshop.markdown if m.value.startswith("#### ")]
    # The main page's sentence, word for word (there inside its colour and icon).
    assert any(said in line and line[5:] in headline(main) for line in revealed), revealed
    workshop.button(key="ws_fix_0").click().run()
    assert not workshop.exception
    before = {m.label: m.delta.split(" from ")[1] for m in workshop.metric}
    assert before == {
        "Whiplash": whiplash,
        "Severe whiplash": severe,
        "Largest fall in a year": fall,
    }


def test_a_declining_plan_says_its_decline_beside_the_verdict_and_is_not_green():
    at = open_app({"preset": "hand_off_after_close", "runs": "300"})
    assert not at.exception
    verdict = simulate(load_preset("hand_off_after_close"), runs=300).whiplash
    assert verdict.trend == "declining"  # no onboarding or care: the book shrinks
    rate = round(-verdict.trend_rate * 100)
    text = headline(at)
    assert f"revenue declines {rate}% a year" in text
    assert metric(at, "Revenue trend").value == f"-{rate}%/yr"
    assert ":green[" not in text


def test_the_bookings_lens_stands_beside_revenue():
    at = open_app({"preset": "close_close_close", "runs": "300"})
    assert not at.exception
    attainment = chart_data(at, "Quota attainment").dropna(subset=["quarter"])
    bars = chart_data(at, "Quarterly revenue bars")
    assert list(dict.fromkeys(attainment["quarter"])) == list(dict.fromkeys(bars["quarter"]))
    lens = simulate(load_preset("close_close_close"), runs=300).bookings
    assert attainment.drop_duplicates("quarter")["p50"].tolist() == lens.attainment_p50
    captions = [shown_text(c.value) for c in at.caption]
    assert any(c.startswith("Bookings against ") for c in captions)


def _lumpy_diagnosis_page():
    import streamlit as st

    from simulator import apply_overrides, load_preset
    from ui.diagnosis import render_diagnosis

    few_big_deals = apply_overrides(
        load_preset("balanced"),
        [
            "simulation.runs=300",
            "product_lines.projects.deal_size=400000",
            "product_lines.projects.leads_per_rep_month=0.16",
        ],
    )
    st.session_state.setdefault("dx_w_on", True)
    render_diagnosis(few_big_deals, workshop_link=False)


def test_the_diagnosis_names_deal_lumpiness_before_any_habit():
    at = AppTest.from_function(_lumpy_diagnosis_page, default_timeout=60).run()
    assert not at.exception
    infos = [shown_text(i.value) for i in at.info]
    assert any(i.startswith("Deal lumpiness: about ") for i in infos), infos
