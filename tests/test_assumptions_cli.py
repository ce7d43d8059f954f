"""``whiplash assumptions FILE_OR_PRESET``: the table, --json, and one line on bad input."""

from __future__ import annotations

import json

import pytest

from simulator.assumptions import JUDGEMENTS
from simulator.cli import main

RUNS = "150"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_preset_name_prints_one_row_per_constant_and_the_sentence(capsys):
    code, out, err = run(capsys, "assumptions", "single_threaded", "--runs", RUNS)
    assert code == 0 and not err
    lines = out.splitlines()
    assert lines[0] == "Assumptions: Single-threaded relationships"
    assert lines[1].startswith("Now: MILD") and f"{int(RUNS):,} futures (runs) each" in lines[1]
    assert lines[2].split()[:1] == ["Assumption"]
    rows = lines[3 : 3 + len(JUDGEMENTS)]
    assert [row.split("  ")[0] for row in rows] == [j.label for j in JUDGEMENTS]
    orphan, factor = rows[0], JUDGEMENTS[0]
    assert f"20% / {factor.value_text(factor.default)} / 70%" in orphan
    assert orphan.rstrip().endswith(("DEPENDS", "robust"))
    assert lines[-1].startswith("The verdict ")


def test_a_file_and_the_preset_give_the_same_json(capsys):
    by_name = json.loads(run(capsys, "assumptions", "team_a_team_b", "--runs", RUNS, "--json")[1])
    by_file = json.loads(
        run(capsys, "assumptions", "scenarios/team_a_team_b.toml", "--runs", RUNS, "--json")[1]
    )
    assert by_name == by_file
    assert by_name["runs"] == int(RUNS) and by_name["seed"] == 2012
    assert [a["field"] for a in by_name["assumptions"]] == [j.path for j in JUDGEMENTS]
    first = by_name["assumptions"][0]
    assert set(first["levels"]) == {"low", "default", "high"}
    assert set(first["levels"]["low"]) == {
        "level",
        "value",
        "verdict",
        "probability",
        "severe_probability",
        "largest_fall",
        "median_revenue",
    }
    assert by_name["robust"] == (by_name["depends_on"] == [])


def test_seed_and_set_change_what_is_assessed(capsys):
    args = ("assumptions", "balanced", "--runs", RUNS, "--json")
    base = json.loads(run(capsys, *args)[1])
    seeded = json.loads(run(capsys, *args, "--seed", "5")[1])
    assert seeded["seed"] == 5 and seeded["baseline"] != base["baseline"]
    one_contact = json.loads(run(capsys, *args, "--set", "relationships.contacts_per_account=1")[1])
    assert one_contact["baseline"]["probability"] > base["baseline"]["probability"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["no_such_preset"], "no_such_preset: no such scenario file or preset (presets: balanced"),
        (["scenarios"], "scenarios: is a folder"),
        (["balanced", "--runs", "0"], "--runs: 0 is outside 1..20000"),
        (["balanced", "--runs", "1e3"], "--runs: '1e3' is not a whole number"),
        (["balanced", "--runs", "20000"], "runs: 20,000 runs for each of the 19 simulations"),
        (
            ["balanced", "--set", "engagement.orphan_renewal_factor=2"],
            "engagement.orphan_renewal_factor:",
        ),
        (["x" * 5000], "no such scenario file or preset"),
        (["bad\x1b[31mname"], "bad^[[31mname"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_it(capsys, args, expected):
    code, out, err = run(capsys, "assumptions", *args)
    assert code == 2 and not out
    assert err.count("\n") == 1 and err.startswith("whiplash: error: ")
    assert expected in err
    assert "Traceback" not in err and "\x1b" not in err
