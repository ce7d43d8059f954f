"""Your company in the app: the editor page changes the session's scenario field by field,
refuses a bad value by name without changing anything, adds, renames and removes product
lines, and every money figure (page, charts, CLI) is in the scenario's currency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator import ScenarioError, dump_scenario, load_preset, parse_scenario
from simulator.cli import main as cli_main
from simulator.models import MAX_PRODUCT_LINES, Currency
from simulator.money import money_text, parse_money, using_currency
from ui import company, controls, links
from ui import session as app_session
from ui.text import shown_text

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "3_Your_company.py")
APP = str(ROOT / "app.py")


def open_page(params: dict[str, str] | None = None) -> AppTest:
    st.cache_data.clear()
    at = AppTest.from_file(PAGE, default_timeout=30)
    for key, value in {"preset": "team_a_team_b", "runs": "200", **(params or {})}.items():
        at.query_params[key] = value
    return at.run()


def current(at: AppTest):
    return at.session_state[app_session.SCENARIO]


def errors(at: AppTest) -> list[str]:
    return [shown_text(e.value) for e in at.error]


def test_the_page_shows_the_company_from_the_models_and_the_preset() -> None:
    at = open_page()
    assert not at.exception and not at.error
    scenario = current(at)
    enterprise = scenario.product_lines["enterprise"]
    name = at.text_input(key=controls.line_key("enterprise", "name"))
    assert name.value == enterprise.name
    assert at.text_input(key=controls.line_key("enterprise", "deal_size")).value == "900k"
    win = at.number_input(key=controls.line_key("enterprise", "win_rate"))
    assert win.value == pytest.approx(enterprise.win_rate * 100)
    assert at.number_input(key=controls.W_REPS).value == scenario.team.reps
    assert at.text_input(key=controls.W_CURRENCY).value == "USD"
    assert at.text_input(key=controls.W_START).value == scenario.simulation.start


def test_add_rename_and_remove_a_line() -> None:
    at = open_page()
    add = next(b for b in at.button if b.label == "Add a product line")
    add.click().run()
    scenario = current(at)
    assert scenario.line_ids == ["enterprise", "transactional", "new_product_line"]
    shares = scenario.focus_shares
    assert shares["new_product_line"] == pytest.approx(1 / 3)  # an equal share
    at.text_input(key=controls.line_key("new_product_line", "name")).input("Services").run()
    assert current(at).product_lines["new_product_line"].name == "Services"
    at.text_input(key=controls.line_key("new_product_line", "deal_size")).input("120k").run()
    assert current(at).product_lines["new_product_line"].deal_size == 120_000
    assert not at.error
    at.button(key="remove_line_new_product_line").click().run()
    assert current(at).line_ids == ["enterprise", "transactional"]
    assert not at.error


def test_a_line_with_contracts_is_not_removed_and_the_message_says_why() -> None:
    at = open_page()
    before = current(at)
    at.button(key="remove_line_enterprise").click().run()
    assert current(at) == before
    (message,) = errors(at)
    assert "product_lines.enterprise" in message and "contracts.0" in message


@pytest.mark.parametrize(
    ("kind", "key", "value", "field"),
    [
        ("number_input", controls.line_key("enterprise", "win_rate"), 0.0, "win_rate"),
        ("text_input", controls.line_key("enterprise", "deal_size"), "-5", "deal_size"),
        ("text_input", controls.line_key("enterprise", "name"), "", "enterprise.name"),
        ("text_input", controls.W_CURRENCY, "U5D", "currency.code"),
        ("text_input", controls.W_SYMBOL, "<b>", "currency.symbol"),
        ("text_input", controls.W_START, "2025-13", "simulation.start"),
        ("text_input", controls.W_REVENUE_TARGET, "lots", "targets.quarterly_revenue"),
    ],
)
def test_a_bad_value_is_refused_by_name_and_changes_nothing(kind, key, value, field) -> None:
    at = open_page()
    before = current(at)
    params = dict(at.query_params)
    widget = getattr(at, kind)(key=key)
    (widget.set_value(value) if kind == "number_input" else widget.input(value)).run()
    assert current(at) == before
    assert dict(at.query_params) == params
    (message,) = errors(at)
    assert field in message and "unchanged" in message


def test_a_fifth_of_nine_lines_is_refused() -> None:
    scenario = load_preset("balanced")
    for _ in range(MAX_PRODUCT_LINES - len(scenario.product_lines)):
        scenario = company.add_line(scenario)
    assert len(scenario.product_lines) == MAX_PRODUCT_LINES
    with pytest.raises(ScenarioError, match="product_lines: a scenario has at most 8"):
        company.add_line(scenario)


def test_the_edited_company_is_what_the_simulator_page_simulates() -> None:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["runs"] = "200"
    at.run()
    at.switch_page("pages/3_Your_company.py").run()
    assert [t.value for t in at.title] == ["Your company"]
    at.number_input(key=controls.W_REPS).set_value(20.0).run()
    at.text_input(key=controls.W_CURRENCY).input("EUR").run()
    edited = current(at)
    assert edited.team.reps == 20 and edited.currency.symbol == "€"
    at.switch_page("app.py").run()
    assert not at.exception and not at.error
    assert current(at) == edited
    revenue = next(m for m in at.metric if m.label.startswith("Revenue,"))
    assert revenue.value.startswith("€")
    assert links.scenario_from_params(dict(at.query_params))[0] == edited


def test_the_company_travels_in_a_link_and_a_file() -> None:
    at = open_page()
    at.text_input(key=controls.W_CURRENCY).input("DKK").run()
    at.text_input(key=controls.line_key("transactional", "deal_size")).input("20k kr.").run()
    at.text_input(key=controls.W_START).input("2025-01").run()
    at.text_input(key=controls.W_COMPANY_QUOTA).input("1.5M").run()
    at.text_input(key=controls.W_REVENUE_TARGET).input("4M").run()
    assert not at.error
    edited = current(at)
    assert edited.simulation.start == "2025-01"
    assert [c.ends for c in edited.contracts] == ["2026-01", "2026-01"]  # moved with it
    params = dict(at.query_params)
    assert {"cur", "start", "lines", "target", "push"} <= set(params)
    assert "scenario" not in params  # the compact link, not the whole file
    assert links.scenario_from_params(params) == (edited, "team_a_team_b", [])
    assert parse_scenario(dump_scenario(edited)) == edited
    assert '[currency]\ncode = "DKK"' in dump_scenario(edited)


def test_amounts_are_written_and_read_in_the_currency() -> None:
    dkk = Currency.model_validate({"code": "DKK"})
    assert money_text(1_234_000, currency=dkk) == "1.23M kr."
    assert money_text(-12_000, currency=Currency.model_validate({"code": "EUR"})) == "-€12k"
    with using_currency(dkk):
        assert money_text(900) == "900 kr."
        assert parse_money("250k kr.") == parse_money("DKK 250k") == 250_000
    assert money_text(900) == "$900"  # the default again outside the block
    with pytest.raises(ValueError):
        Currency.model_validate({"code": "DKK", "symbol": "kr'); alert(1"})


def test_charts_and_the_cli_use_the_scenario_currency(tmp_path, capsys) -> None:
    text = dump_scenario(load_preset("balanced")).replace(
        '[currency]\ncode = "USD"\nsymbol = "$"\nsymbol_after = false',
        '[currency]\ncode = "DKK"',
    )
    path = tmp_path / "dkk.toml"
    path.write_text(text)
    assert cli_main(["run", str(path), "--runs", "50"]) == 0
    out = capsys.readouterr().out
    assert "kr." in out and "$" not in out
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["preset"] = "balanced"
    at.query_params["runs"] = "200"
    at.query_params["cur"] = "DKK"
    at.run()
    assert not at.exception and not at.error
    assert all(m.value.endswith("kr.") for m in at.metric if m.label.startswith("Revenue,"))
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    axes = json.dumps(specs)
    assert "'kr.'" in axes and "'$'" not in axes
