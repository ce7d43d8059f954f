"""The whiplash command line: summaries, JSON, overrides and exit status 2 on bad input."""

import json
import subprocess
import sys

import pytest

from simulator.cli import main

TEAM_AB = "scenarios/team_a_team_b.toml"


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_prints_a_readable_summary(capsys):
    code, out, _ = run(capsys, "run", TEAM_AB, "--runs", "300")
    assert code == 0
    # The 2012 client: mild in the middle future, flagged for its severe tail.
    assert "Verdict: MILD" in out
    assert "Severe-whiplash risk" in out
    assert "Worst quarter: 2013Q1" in out
    assert "Early warning" in out


def test_run_json_has_the_documented_fields(capsys):
    code, out, _ = run(capsys, "run", TEAM_AB, "--json", "--runs", "300", "--seed", "3")
    assert code == 0
    data = json.loads(out)
    assert data["runs"] == 300 and data["seed"] == 3
    assert data["scenario"] == "The 2012 client: Team A and Team B"
    whiplash = data["whiplash"]
    for key in (
        "verdict",
        "probability",
        "severe_probability",
        "max_drawdown",
        "volatility",
        "boom_bust_events",
        "early_warning_months",
    ):
        assert key in whiplash
    assert whiplash["verdict"] == "mild" and whiplash["severe_risk"] is True
    assert whiplash["worst_quarter"] == "2013Q1"
    assert 0.0 <= whiplash["max_drawdown"] <= 1.0
    quarters = [q["quarter"] for q in data["quarterly"]]
    assert quarters[0] == "2012Q1" and "2013Q1" in quarters
    assert set(data["quarterly"][0]) == {"quarter", "mean", "p10", "p50", "p90"}
    assert data["totals"]["revenue"] > 0 and data["totals"]["bookings"] >= 0


def test_set_overrides_change_the_result(capsys):
    base = json.loads(run(capsys, "run", TEAM_AB, "--json", "--runs", "300")[1])
    staggered = json.loads(
        run(
            capsys,
            "run",
            TEAM_AB,
            "--json",
            "--runs",
            "300",
            "--set",
            "contracts.1.ends=2013-07",
            "--set",
            "contracts.0.contacts=4",
            "--set",
            "contracts.1.contacts=4",
        )[1]
    )
    assert staggered["whiplash"]["probability"] < base["whiplash"]["probability"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["run", "scenarios/missing.toml"], "missing.toml"),
        (["run", TEAM_AB, "--set", "effort.attract=0.9"], "effort"),
        (["run", TEAM_AB, "--set", "product_lines.enterprise.deal_size=-5"], "deal_size"),
        (["run", TEAM_AB, "--set", "contracts.0.ends=2013-13"], "contracts.0.ends"),
        (["run", TEAM_AB, "--set", "contracts.0.product_line=nope"], "product_line"),
        (["run", TEAM_AB, "--set", "team.reps=nan"], "team.reps"),
        (["run", TEAM_AB, "--set", "effort.atract=0.1"], "atract"),
        (["run", TEAM_AB, "--set", "contracts.9.ends=2013-01"], "contracts.9"),
        (["run", TEAM_AB, "--runs", "0"], "--runs"),
        (["run", TEAM_AB, "--seed", "abc"], "--seed"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_field(capsys, args, field):
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert field in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_compare_prints_both_scenarios(capsys):
    code, out, _ = run(capsys, "compare", "scenarios/balanced.toml", TEAM_AB, "--runs", "200")
    assert code == 0
    assert "Balanced" in out and "Team A and Team B" in out


def test_schema_is_json_schema_of_the_scenario(capsys):
    code, out, _ = run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert {"effort", "product_lines", "contracts", "simulation"} <= set(schema["properties"])


def test_csv_output(tmp_path, capsys):
    target = tmp_path / "q.csv"
    code, _, _ = run(capsys, "run", TEAM_AB, "--runs", "100", "--csv", str(target))
    assert code == 0
    lines = target.read_text().splitlines()
    assert lines[0].startswith('Quarter,"Revenue, median (USD per quarter)"')
    assert any(line.startswith("2013Q1,") for line in lines)  # one row per quarter


def test_console_script_and_module_are_the_same_cli():
    module = subprocess.run(
        [sys.executable, "-m", "simulator", "run", TEAM_AB, "--runs", "100", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    bad = subprocess.run(
        [sys.executable, "-m", "simulator", "run", TEAM_AB, "--set", "effort.close=7"],
        capture_output=True,
        text=True,
    )
    assert json.loads(module.stdout)["whiplash"]["verdict"] in ("mild", "severe")
    assert bad.returncode == 2
    assert "effort.close" in bad.stderr and "Traceback" not in bad.stderr
