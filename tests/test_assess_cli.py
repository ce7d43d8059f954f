"""``whiplash assess HISTORY.csv``: an actual revenue history judged like a plan, and
the new verdict's keys in ``whiplash run --json``."""

from __future__ import annotations

import json

import pytest

from simulator.cli import main
from simulator.history_csv import HistoryError, parse_amount, parse_history


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def months_csv(values, *, start_year=2021, header="month,revenue", fmt='"${:,.0f}"'):
    lines = [header]
    for i, value in enumerate(values):
        year, month = start_year + i // 12, i % 12 + 1
        lines.append(f"{year}-{month:02d},{fmt.format(value)}")
    return "\n".join(lines) + "\n"


def write(tmp_path, text, name="history.csv", *, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_monthly_history_with_bom_and_dollar_amounts(tmp_path, capsys):
    text = "\ufeff" + months_csv([100_000] * 36)  # a BOM, "$100,000" amounts
    code, out, err = run(capsys, "assess", write(tmp_path, text))
    assert code == 0, err
    assert "Verdict: NONE" in out
    assert "Trend: flat" in out
    assert "judged as 12 quarters (2021Q1 to 2023Q4)" in out


def test_json_has_verdict_trend_and_seasonal(tmp_path, capsys):
    q4_push = [130_000 if i % 12 in (9, 10, 11) else 100_000 for i in range(36)]
    code, out, _ = run(capsys, "assess", write(tmp_path, months_csv(q4_push)), "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["verdict"], data["trend"], data["seasonal"]) == ("none", "flat", True)
    assert data["season"]["Q4"] > 0.2
    assert data["quarters"] == 12 and data["period"] == "month"
    assert data["quarterly"][3] == {"quarter": "2021Q4", "revenue": 390_000.0}


def test_quarterly_history_judges_a_cliff(tmp_path, capsys):
    rows = ["quarter,revenue"] + [
        f"{2020 + q // 4}Q{q % 4 + 1},{1_000_000 if q < 6 else 700_000}" for q in range(12)
    ]
    code, out, _ = run(capsys, "assess", write(tmp_path, "\n".join(rows)), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["verdict"] == "severe" and data["period"] == "quarter"
    assert (data["fall_from"], data["fall_to"]) == ("2021Q2", "2021Q3")
    assert data["largest_fall"] == pytest.approx(0.3)


def test_quarter_labels_may_be_written_several_ways(tmp_path, capsys):
    text = "Quarter;Revenue (EUR)\n2023-Q1;€ 100\nQ2 2023;100\n2023q3;100\n2023Q4;100\n"
    code, out, _ = run(capsys, "assess", write(tmp_path, text), "--json")
    assert code == 0
    assert json.loads(out)["quarters"] == 4


def test_a_steady_decline_is_declining_not_whiplash(tmp_path, capsys):
    values = [100_000 * 0.99**i for i in range(36)]  # about 3% a quarter
    code, out, _ = run(capsys, "assess", write(tmp_path, months_csv(values)))
    assert code == 0
    assert "Verdict: NONE" in out and "Trend: declining" in out


def test_a_cliff_in_the_final_month_counts_at_its_run_rate(tmp_path, capsys):
    values = [100_000] * 24 + [40_000]  # the last quarter has one month so far
    code, out, _ = run(capsys, "assess", write(tmp_path, months_csv(values)))
    assert code == 0
    assert "2023Q1 has 1 month(s) so far and counts at its run-rate" in out
    assert "Verdict: SEVERE" in out and "2022Q4 to 2023Q1" in out


def test_rows_in_any_order_and_windows_1252_text(tmp_path, capsys):
    lines = months_csv([100] * 12, fmt="€{:.0f}").splitlines()
    text = "\r\n".join([lines[0], *reversed(lines[1:])]) + "\r\n"
    code, out, err = run(capsys, "assess", write(tmp_path, text, encoding="cp1252"), "--json")
    assert code == 0, err
    assert json.loads(out)["first_quarter"] == "2021Q1"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("month,revenue\n2024-01,100\n2024-02,12abc\n", "line 3, column revenue: '12abc'"),
        ("month,revenue\n2024-01,100\n2024-02,\n", "line 3, column revenue: the value is"),
        ("month,revenue\n2024-01,100\n2024-02,-5\n", "line 3, column revenue: '-5' is negative"),
        ("month,revenue\n2024-01,100\n2024/13,5\n", "line 3, column month: '2024/13'"),
        ("month,revenue\n2024-01,100\n2024-03,100\n", "line 3, column month: 2024-03 follows"),
        ("quarter,revenue\n2024Q1,1\n2024Q1,2\n", "line 3, column quarter: 2024Q1 appears twice"),
        ("quarter,revenue\n2024Q1,1\n2024Q5,2\n", "line 3, column quarter: '2024Q5'"),
        ("month,revenue\n2024-01,1,234\n", "line 2: has 3 values but the header has 2"),
        ("date,amount\n2024-01,5\n", "line 1: needs a 'month' or 'quarter' column"),
        ("month,quarter,revenue\n", "line 1: has both a month and a quarter column"),
        ("month,revenue\n2024-01,5\n", "needs at least 2 quarters"),
        ("", "the file is empty"),
    ],
)
def test_bad_files_get_one_line_naming_the_row_and_column(tmp_path, capsys, text, where):
    code, out, err = run(capsys, "assess", write(tmp_path, text))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("whiplash: error: ")
    assert where in err


def test_only_regular_files_are_read(tmp_path, capsys):
    code, _, err = run(capsys, "assess", tmp_path)
    assert code == 2 and "is a folder" in err
    code, _, err = run(capsys, "assess", tmp_path / "missing.csv")
    assert code == 2 and "no such file" in err
    big = write(tmp_path, "month,revenue\n" + "2024-01,1\n" * 40_000)
    code, _, err = run(capsys, "assess", big)
    assert code == 2 and "the limit is" in err


def test_binary_files_are_refused():
    with pytest.raises(HistoryError, match="not text"):
        parse_history(b"month,revenue\n\x00\x01\x02")


def test_too_many_rows_are_refused():
    text = months_csv([1] * 1_300)
    with pytest.raises(HistoryError, match="more than 1,200 rows"):
        parse_history(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1234", 1234.0),
        ("$1,234,567.50", 1_234_567.5),
        ("€ 98 000", 98_000.0),
        ("£12", 12.0),
        ("1\u00a0234", 1234.0),
        ("(50)", -50.0),
        ("1,23", None),
        ("1.2.3", None),
        ("12abc", None),
        ("", None),
    ],
)
def test_amounts_as_spreadsheets_write_them(text, value):
    assert parse_amount(text) == value


def test_run_json_carries_trend_seasonal_and_the_bookings_lens(capsys):
    code, out, _ = run(capsys, "run", "scenarios/close_close_close.toml", "--json", "--runs", "60")
    assert code == 0
    data = json.loads(out)
    # Balanced until March, closing from April: a boom, then a bust (the trend is -4% a year).
    assert data["whiplash"]["trend"] in ("declining", "flat")
    assert data["whiplash"]["verdict"] != "none"
    assert data["whiplash"]["seasonal"] is False
    bookings = data["bookings"]
    for key in ("verdict", "probability", "severe_probability", "boom_bust_events", "trend"):
        assert key in bookings
    assert bookings["verdict"] == "severe" and bookings["basis"] == "steady state"
    assert len(bookings["quarterly"]) == len(data["quarterly"])
