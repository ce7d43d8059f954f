"""``whiplash calibrate``: the fitted lines, the JSON a script reads, the scenario file
it writes (which the loader loads), the sample export, and one error line (exit 2) for
every file it cannot use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator import load_scenario
from simulator.cli import main
from tests.support.crm import (
    SAMPLE,
    TWO_LINES,
    generate,
    generate_book,
    sample_text,
    write_book,
    write_csv,
)


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crm")
    export = generate(TWO_LINES, seed=1)
    opportunities = folder / "opportunities.csv"
    opportunities.write_text(
        write_csv(export, style="salesforce", delimiter=";", decimal=",", currency="kr.", bom=True),
        encoding="utf-8",
    )
    rows, _ = generate_book(TWO_LINES, seed=2, accounts=40)
    contracts = folder / "contracts.csv"
    contracts.write_text(write_book(rows), encoding="utf-8")
    return opportunities, contracts


def test_the_sample_export_is_what_the_generator_makes():
    assert SAMPLE.read_text(encoding="utf-8") == sample_text()


def test_calibrate_prints_the_fit_the_backtest_and_the_notes(capsys):
    code, out, err = run(capsys, "calibrate", "examples/crm_opportunities.csv")
    assert code == 0 and err == ""
    assert "Reps: 8 (distinct owners)" in out
    assert "Subscriptions" in out and "Implementation" in out
    assert "Backtest 2023-04 to 2024-12 (500 runs)" in out
    assert "Data-quality notes:" in out
    assert out.rstrip().endswith("Write the scenario with -o SCENARIO.toml")


def test_the_written_scenario_loads_and_runs(capsys, exports, tmp_path):
    opportunities, contracts = exports
    target = tmp_path / "mine.toml"
    code, out, _ = run(capsys, "calibrate", opportunities, "--contracts", contracts, "-o", target)
    assert code == 0
    assert f"Scenario written to {target}" in out
    scenario = load_scenario(target)
    assert list(scenario.product_lines) == ["subscriptions", "enterprise"]
    assert len(scenario.contracts) > 0 and scenario.pipeline.open_deals
    assert target.read_text(encoding="utf-8").startswith("# Calibrated by whiplash calibrate")
    code, out, _ = run(capsys, "run", target, "--runs", "100")
    assert code == 0 and "Verdict:" in out


def test_json_has_the_documented_fields(capsys, exports):
    opportunities, _ = exports
    code, out, _ = run(capsys, "calibrate", opportunities, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["reps"] == 8 and data["scenario"] is None
    assert data["open_deals"] == sum(line["open_deals"] for line in data["lines"].values())
    assert isinstance(data["warnings"], list)
    for line in data["lines"].values():
        for key in ("win_rate", "sales_cycle_months", "deal_size", "leads_per_rep_month"):
            assert isinstance(line[key], int | float)
    backtest = data["backtest"]
    assert len(backtest["actual_bookings"]) == len(backtest["simulated_bookings_p50"]) == 30
    assert data["format"] == {
        "delimiter": ";",
        "encoding": "utf-8",
        "decimal": ",",
        "date_order": None,  # ISO dates
        "currency": "kr.",
    }


def test_map_won_lost_and_reps_reach_the_fit(capsys, tmp_path):
    text = write_csv(generate(TWO_LINES, seed=1), style="plain")
    text = (
        text.replace("deal_stage", "Phase").replace(",Won,", ",Signed,").replace(",Lost,", ",Gone,")
    )
    path = tmp_path / "renamed.csv"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(
        capsys,
        "calibrate",
        path,
        "--map",
        "stage=Phase",
        "--won",
        "Signed",
        "--lost",
        "Gone",
        "--reps",
        "16",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["reps"] == 16 and data["reps_source"] == "given"
    assert data["columns"]["stage"] == "Phase"
    assert data["lines"]["subscriptions"]["won"] > 0


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (
            b"StageName,Amount,CloseDate\nWon,1,2024-01-01\n",
            [],
            "whiplash: error: f.csv: no column for the field 'created'",
        ),
        (
            b"StageName,Amount,CreatedDate,CloseDate\nWon,1,2024-01-01,2024-02-01\n",
            ["--map", "amount=Value"],
            "whiplash: error: --map amount=Value: f.csv has no column 'Value'",
        ),
        (b"\x00\x01\x02binary", [], "whiplash: error: f.csv: is not a text file"),
        (
            b"StageName;Amount;CreatedDate;CloseDate\nOpen;1;2024-01-01;2024-02-01\n",
            [],
            "whiplash: error: f.csv: no deal is won",
        ),
        (b"a,b\n1,2\n", ["--map", "nonsense"], "whiplash: error: --map 'nonsense': expected"),
        (b"a,b\n", ["--reps", "-3"], "whiplash: error: argument --reps: --reps: '-3' is not"),
        (b"a,b\n", ["--reps", "0"], "whiplash: error: argument --reps: --reps: 0 is outside"),
    ],
    ids=["missing-column", "bad-map", "binary", "no-won", "map-syntax", "reps-negative", "reps-0"],
)
def test_unusable_input_is_one_error_line(capsys, tmp_path, content, args, message):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    code, out, err = run(capsys, "calibrate", path, *args)
    assert code == 2 and out == ""
    assert err.startswith(message), err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_files_that_are_not_files_are_refused(capsys, tmp_path):
    code, _, err = run(capsys, "calibrate", tmp_path)
    assert code == 2 and "is a folder, not a CSV file" in err
    code, _, err = run(capsys, "calibrate", tmp_path / "nope.csv")
    assert code == 2 and "no such file" in err
    code, _, err = run(capsys, "calibrate", "/dev/zero")
    assert code == 2 and "is not a regular file" in err
    good = tmp_path / "good.csv"
    good.write_text(write_csv(generate(TWO_LINES, seed=1)), encoding="utf-8")
    code, _, err = run(capsys, "calibrate", good, "-o", tmp_path / "missing" / "x.toml")
    assert code == 2 and "-o" in err and "does not exist" in err
    assert not Path(tmp_path / "missing").exists()
