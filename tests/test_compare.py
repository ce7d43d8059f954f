"""Compare plans in the app: hold up to four named plans, a fifth is refused, the chart
overlays each plan's median on the sidebar plan's band, the table gives each plan's
verdict and figures, and a plan can be loaded into the sidebar, removed, saved as a
bundle and carried by the link."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from simulator import load_preset
from simulator.bundle import parse_bundle
from ui import compare, controls, links
from ui import session as app_session
from ui.compare_charts import CURRENT, compare_chart, comparison_table
from ui.runtime import simulate_summary
from ui.text import shown_text

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_app(params: dict[str, str] | None = None) -> AppTest:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in {"runs": "150", **(params or {})}.items():
        at.query_params[key] = value
    return at.run()


def hold(at: AppTest, name: str) -> AppTest:
    at.text_input(key=compare.W_NAME).input(name).run()
    return next(b for b in at.button if b.label == "Hold this plan").click().run()


def held(at: AppTest) -> list[str]:
    return [p.name for p in at.session_state[compare.PLANS]]


def compare_chart_data(at: AppTest) -> tuple[dict, pd.DataFrame]:
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if spec.get("description") == "Plans compared":
            frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in element.proto.datasets]
            return spec, pd.concat([f for f in frames if "plan" in f.columns])
    raise AssertionError("no comparison chart")


def table(at: AppTest) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if "Verdict" in d.value.columns]
    assert len(found) == 1
    return found[0]


def test_four_plans_are_held_a_fifth_is_refused_the_chart_overlays_them() -> None:
    at = open_app()
    assert not at.exception and not at.error
    assert held(at) == [] and at.text_input(key=compare.W_NAME).value == "Base"
    hold(at, "Base")
    at.slider(key=controls.W_CLOSING).set_value(40.0).run()
    hold(at, "Best case")
    at.select_slider(key=controls.end_key(0)).set_value("2013-07").run()
    hold(at, "Worst case")
    hold(at, "Plan D")
    assert held(at) == ["Base", "Best case", "Worst case", "Plan D"]
    before = at.session_state[compare.PLANS]
    hold(at, "Plan E")
    assert at.session_state[compare.PLANS] == before
    assert any("at most 4 plans" in shown_text(e.value) for e in at.error)
    _, data = compare_chart_data(at)
    assert set(data["plan"]) == {"Base", "Best case", "Worst case", "Plan D", CURRENT}
    months = len(at.session_state[app_session.SCENARIO].month_labels())
    assert data.groupby("plan").size().eq(months).all()
    base = data[data["plan"] == "Base"]["value"].to_numpy()
    best = data[data["plan"] == "Best case"]["value"].to_numpy()
    assert (base != best).any()  # the medians differ: the plans are not the same line
    rows = table(at)
    assert list(rows["Plan"]) == ["Base", "Best case", "Worst case", "Plan D"]
    assert rows["Verdict"].str.contains("whiplash|Smooth").all()


def test_edit_loads_a_plan_into_the_sidebar_and_remove_drops_it() -> None:
    at = open_app()
    hold(at, "Base")
    base = at.session_state[app_session.SCENARIO]
    at.slider(key=controls.W_CLOSING).set_value(40.0).run()
    hold(at, "Best case")
    assert at.session_state[app_session.SCENARIO] != base
    at.button(key="plan_edit_0").click().run()
    assert not at.exception and not at.error
    assert at.session_state[app_session.SCENARIO] == base
    assert at.slider(key=controls.W_CLOSING).value > 70  # the sidebar shows the base again
    assert at.text_input(key=compare.W_NAME).value == "Base"
    at.button(key="plan_remove_1").click().run()
    assert held(at) == ["Base"]


def test_the_plans_travel_in_the_link_and_the_bundle() -> None:
    at = open_app()
    hold(at, "Base")
    at.slider(key=controls.W_CLOSING).set_value(40.0).run()
    hold(at, "Best case")
    plans = at.session_state[compare.PLANS]
    params = dict(at.query_params)
    assert compare.decode_plans(params["plans"]) == plans
    assert links.scenario_from_params(params)[2] == []  # no "unknown parameter" note
    again = open_app(params)
    assert again.session_state[compare.PLANS] == plans
    saved = next(b for b in at.get("download_button") if b.proto.label == "Save plans (TOML)")
    assert saved  # the button is there; its bytes are what dump_bundle writes:
    assert parse_bundle(compare.dump_bundle(plans)) == plans


def test_the_table_and_chart_builders_read_each_plans_currency() -> None:
    base = load_preset("balanced").model_copy(
        update={"simulation": load_preset("balanced").simulation.model_copy(update={"runs": 100})}
    )
    dkk = base.model_copy(update={"currency": base.currency.model_validate({"code": "DKK"})})
    results = [("Base", simulate_summary(base)), ("Danish", simulate_summary(dkk))]
    rows = comparison_table(results)
    assert rows.loc[0, "Revenue over the horizon"].startswith("$")
    assert " kr. in " in rows.loc[1, "Revenue over the horizon"]
    assert list(rows["Currency"]) == ["USD", "DKK"]
    spec = compare_chart(results, current=results[0][1]).to_dict()
    assert spec["description"] == "Plans compared"
