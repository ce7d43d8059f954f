"""The CSV a spreadsheet gets (simulator/period_table.py), from the app's downloads and
from ``whiplash run --csv`` alike: one row per period, every column with its unit, whole
amounts, reps to a tenth, shares to three decimals; head counts are never called money."""

from __future__ import annotations

import csv
import io

import pytest

from simulator import load_preset, simulate
from simulator.cli import main
from simulator.period_table import OTHER_SERIES, period_csv, period_rows, series_unit
from ui import exports


@pytest.fixture(scope="module")
def result():
    scenario = load_preset("team_a_team_b")
    return simulate(scenario, runs=80, seed=3)


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_every_series_of_the_result_has_a_unit(result) -> None:
    for by, frame in (("month", result.monthly), ("quarter", result.quarterly)):
        for series in set(frame["series"]):
            unit = series_unit(result.scenario, series, by=by)
            assert unit.unit and unit.name[0].isupper() and "_" not in unit.name  # readable


def test_rows_are_periods_and_amounts_are_whole(result) -> None:
    rows = table(period_csv(result, by="month"))
    assert [r["Month"] for r in rows] == result.month_labels
    revenue = [r["Revenue, median (USD per month)"] for r in rows]
    assert all(v.isdigit() for v in revenue)  # 2724983, never 2724983.0507830787
    expected = result.monthly.query("series == 'revenue'")["p50"].round().astype(int).tolist()
    assert [int(v) for v in revenue] == expected


def test_head_counts_and_shares_have_their_own_units(result) -> None:
    header = period_rows(result, by="month")[0]
    assert "Sales reps, median (reps)" in header
    assert "Top 10 accounts, p90 (share of the recurring book)" in header
    assert "Quarter-end push on (share of futures)" in header
    assert not [h for h in header if h.startswith(("headcount", "pushing", "onboarding"))]
    money = [h for h in header if "USD" in h]
    assert all(h.startswith(("Revenue", "New bookings")) for h in money)
    rows = table(period_csv(result, by="month"))
    reps = [float(r["Sales reps, median (reps)"]) for r in rows]
    assert reps[0] == result.scenario.team.reps
    shares = [float(r["Top 10 accounts, median (share of the recurring book)"]) for r in rows]
    assert all(0 < s <= 1 for s in shares)  # not rounded away to 0 as money
    assert all(len(v.partition(".")[2]) <= 3 for r in rows for v in r.values())


def test_the_cli_writes_the_apps_table(result, tmp_path, capsys) -> None:
    target = tmp_path / "q.csv"
    code = main(["run", "scenarios/team_a_team_b.toml", "--runs", "80", "--seed", "3",
                 "--csv", str(target)])  # fmt: skip
    capsys.readouterr()
    assert code == 0
    written = target.read_text(encoding="utf-8")
    assert written == period_csv(result, by="quarter")
    assert [r["Quarter"] for r in table(written)] == result.quarter_labels
    frame = exports.period_frame(result.summary_only(), by="quarter")
    assert list(frame.columns) == period_rows(result, by="quarter")[0]
    assert frame["Revenue, median (USD per quarter)"].dtype.kind == "i"


def test_a_new_series_without_a_unit_is_named(result) -> None:
    assert "headcount" in OTHER_SERIES
    with pytest.raises(KeyError, match="mystery: a result series without a unit"):
        series_unit(result.scenario, "mystery", by="month")
