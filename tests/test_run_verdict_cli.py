"""``whiplash run`` and ``compare`` carry the verdict the app shows: the same figures in
the text, in ``--json``'s ``whiplash`` and ``bookings`` objects and in the result."""

from __future__ import annotations

import json

import pytest

from simulator import load_preset, simulate
from simulator.cli import main

TEAM_AB = "scenarios/team_a_team_b.toml"
VERDICT_FIELDS = {
    "verdict",
    "probability",
    "severe_probability",
    "mild_probability",
    "severe_risk",
    "largest_fall",
    "largest_fall_p90",
    "boom_bust_events",
    "trend",
    "trend_rate",
    "seasonal",
    "season",
    "lumpy",
    "judged",
}


def run_json(capsys, *args: str) -> dict:
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def test_run_json_whiplash_is_the_results_verdict(capsys):
    data = run_json(capsys, "run", TEAM_AB, "--json", "--runs", "300", "--seed", "3")
    whiplash = data["whiplash"]
    assert set(whiplash) >= VERDICT_FIELDS
    verdict = simulate(load_preset("team_a_team_b"), runs=300, seed=3).whiplash
    for key in VERDICT_FIELDS:
        assert whiplash[key] == pytest.approx(getattr(verdict, key)), key
    assert whiplash["mild_probability"] == pytest.approx(
        whiplash["probability"] - whiplash["severe_probability"]
    )
    assert whiplash["severe_risk"] == (whiplash["severe_probability"] >= 0.2)
    assert whiplash["trend"] in ("growing", "flat", "declining")
    # The early warning still rides along (section 10 of docs/model.md).
    assert {"early_warning_months", "warning_month", "bust_quarter"} <= set(whiplash)


def test_run_json_bookings_has_the_verdict_fields_and_quarters(capsys):
    data = run_json(capsys, "run", "scenarios/close_close_close.toml", "--json", "--runs", "300")
    bookings = data["bookings"]
    assert set(bookings) >= VERDICT_FIELDS
    assert bookings["basis"] in ("quota", "steady state", "quota and steady state")
    quarters = [q["quarter"] for q in bookings["quarterly"]]
    assert quarters == [q["quarter"] for q in data["quarterly"]]
    assert set(bookings["quarterly"][0]) == {"quarter", "target", "p10", "p50", "p90"}
    # Close, close, close: bookings collapse, whatever revenue does yet.
    assert bookings["probability"] >= 0.5
    assert min(q["p50"] for q in bookings["quarterly"]) < 0.5


def test_a_quota_is_the_bookings_target(capsys):
    data = run_json(
        capsys,
        "run",
        "scenarios/balanced.toml",
        "--json",
        "--runs",
        "200",
        "--set",
        "targets.quarterly_bookings=500000",
    )
    assert data["bookings"]["basis"] == "quota"
    assert {q["target"] for q in data["bookings"]["quarterly"]} == {500000.0}


def test_compare_json_carries_both_verdicts(capsys):
    data = run_json(
        capsys, "compare", "scenarios/balanced.toml", TEAM_AB, "--json", "--runs", "200"
    )
    assert [d["scenario"] for d in data][1] == "The 2012 client: Team A and Team B"
    for item in data:
        assert set(item["whiplash"]) >= VERDICT_FIELDS and "bookings" in item
    assert data[0]["whiplash"]["probability"] < data[1]["whiplash"]["probability"]


def test_run_text_states_the_json_figures(capsys):
    data = run_json(capsys, "run", TEAM_AB, "--json", "--runs", "300")
    assert main(["run", TEAM_AB, "--runs", "300"]) == 0
    out = capsys.readouterr().out
    w = data["whiplash"]
    odds = (
        f"whiplash in {round(w['probability'] * 100)}% of futures, "
        f"severe in {round(w['severe_probability'] * 100)}%"
    )
    assert f"Verdict: {w['verdict'].upper()}  ({odds})" in out
    assert f"Trend: {w['trend']} " in out
    assert "Bookings against " in out
    assert "Futures (runs): 300" in out
