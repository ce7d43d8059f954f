"""Reading real-world CRM exports (simulator/crm_csv.py): amounts, dates, delimiters,
encodings and headers as CRMs write them, and hostile files refused with one line
naming the file, row or field."""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pytest

from simulator import crm_csv
from simulator.crm_csv import (
    OPPORTUNITY_FIELDS,
    CrmFileError,
    date_evidence,
    decide_date_order,
    load_columns,
    parse_amounts,
    parse_date,
    read_export,
)


def _amounts(*texts: str) -> list[float]:
    return parse_amounts(list(texts), source="f.csv", column="Amount").values.tolist()


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["$1,054", "$12.50"], [1054.0, 12.5]),
        (["1.054,00 kr.", "12,5 kr."], [1054.0, 12.5]),
        (["EUR 1.054,00", "1 054,00 €"], [1054.0, 1054.0]),
        (["1\u00a0054,50", "7,25"], [1054.5, 7.25]),
        (["(1,054.00)", "-5", "USD -3"], [-1054.0, -5.0, -3.0]),
        (["1.054.000", "7,5"], [1_054_000.0, 7.5]),
        (["1'054.50", "3"], [1054.5, 3.0]),
        (["2500", "", "n/a"], [2500.0, None, None]),
        (["1e5", "12 - 13", "a very long currency name 5"], [None, None, None]),
    ],
)
def test_amounts_are_read_as_a_person_reads_them(texts, expected):
    got = _amounts(*texts)
    assert [None if np.isnan(v) else v for v in got] == expected


def test_an_amount_that_proves_nothing_is_read_as_thousands_with_a_note():
    amounts = parse_amounts(["1.054", "2.500"], source="f.csv", column="Amount")
    assert amounts.values.tolist() == [1054.0, 2500.0]
    assert "'1.054' were read as 1,054" in amounts.notes[0]


def test_a_column_mixing_decimal_marks_is_refused():
    with pytest.raises(CrmFileError, match=r"f.csv: column 'Amount' mixes decimal marks"):
        parse_amounts(["1.054,00", "12.50"], source="f.csv", column="Amount")


def test_currency_is_reported():
    assert parse_amounts(["1.054,00 kr."], source="f", column="a").currency == "kr."
    assert parse_amounts(["$5"], source="f", column="a").currency == "$"


@pytest.mark.parametrize(
    ("text", "order", "day"),
    [
        ("2024-03-05", "mdy", dt.date(2024, 3, 5)),
        ("2024-03-05T10:22:00Z", "dmy", dt.date(2024, 3, 5)),
        ("2024-03-05 10:22", "dmy", dt.date(2024, 3, 5)),
        ("2024/03/05", "dmy", dt.date(2024, 3, 5)),
        ("05/03/2024", "dmy", dt.date(2024, 3, 5)),
        ("3/5/2024", "mdy", dt.date(2024, 3, 5)),
        ("05.03.2024", "dmy", dt.date(2024, 3, 5)),
        ("3/5/24", "mdy", dt.date(2024, 3, 5)),
        ("5 Mar 2024", "mdy", dt.date(2024, 3, 5)),
        ("Mar 5, 2024", "dmy", dt.date(2024, 3, 5)),
        ("05-Mar-2024", "dmy", dt.date(2024, 3, 5)),
    ],
)
def test_dates_in_the_usual_formats(text, order, day):
    assert parse_date(text, order=order) == day.toordinal()


@pytest.mark.parametrize("text", ["2024-02-30", "13/13/2024", "1800-01-01", "soon", "45292"])
def test_impossible_dates_are_unreadable(text):
    assert parse_date(text, order="dmy") == crm_csv.UNREADABLE


def test_the_dates_themselves_settle_their_order():
    evidence = date_evidence([["05/03/2024", "13/01/2024"]])
    assert decide_date_order(evidence, source="f", given=None, european=False) == ("dmy", [])
    evidence = date_evidence([["3/5/2024", "1/13/2024"]])
    assert decide_date_order(evidence, source="f", given=None, european=True) == ("mdy", [])


def test_ambiguous_dates_are_flagged_not_guessed_silently():
    evidence = date_evidence([["05/03/2024", "01/02/2024"]])
    order, notes = decide_date_order(evidence, source="f", given=None, european=True)
    assert order == "dmy"
    assert "could be day/month or month/day" in notes[0] and "--date-order mdy" in notes[0]
    order, notes = decide_date_order(evidence, source="f", given="mdy", european=True)
    assert (order, notes) == ("mdy", [])


def test_dates_in_both_orders_are_refused():
    evidence = date_evidence([["13/01/2024", "01/13/2024"]])
    with pytest.raises(CrmFileError, match="pass --date-order dmy or mdy"):
        decide_date_order(evidence, source="f", given=None, european=False)


HEADER = "StageName,Amount,CreatedDate,CloseDate\n"


def _columns(text: str | bytes, **overrides: str) -> crm_csv.Columns:
    raw = text.encode() if isinstance(text, str) else text
    return load_columns(raw, source="f.csv", fields=OPPORTUNITY_FIELDS, overrides=overrides)


@pytest.mark.parametrize(
    ("header", "mapped"),
    [
        (
            "Opportunity Owner,Product Family,Type,StageName,Amount,CreatedDate,CloseDate",
            {"owner": 0, "product": 1, "type": 2, "stage": 3, "amount": 4, "created": 5},
        ),
        (
            "Deal owner,Deal Type,Deal Stage,Amount,Create Date,Close Date,Product",
            {"owner": 0, "type": 1, "stage": 2, "amount": 3, "created": 4, "closed": 5},
        ),
        (
            "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value",
            {"owner": 1, "product": 2, "account": 3, "stage": 4, "created": 5, "amount": 7},
        ),
    ],
    ids=["salesforce", "hubspot", "plain"],
)
def test_the_usual_headers_are_recognised(header, mapped):
    columns = _columns(header + "\n")
    assert {k: columns.mapping[k] for k in mapped} == mapped


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_found(delimiter):
    text = HEADER.replace(",", delimiter) + delimiter.join(
        ["Won", "1,5", "2024-01-01", "2024-02-01"]
    )
    columns = _columns(text)
    assert columns.delimiter == delimiter
    assert columns.values["stage"] == ["Won"]


def test_a_bom_utf16_and_windows_1252_are_read():
    text = HEADER + "Closed Won,5,2024-01-01,2024-02-01\n"
    assert _columns(("\ufeff" + text).encode("utf-8")).header[0] == "StageName"
    utf16 = _columns(("\ufeff" + text).encode("utf-16-le"))
    assert utf16.header[0] == "StageName" and utf16.encoding == "utf-16"
    latin = _columns((HEADER + "Gewonnen Ä,5,2024-01-01,2024-02-01\n").encode("cp1252"))
    assert latin.encoding == "windows-1252" and latin.values["stage"] == ["Gewonnen Ä"]


def test_map_overrides_a_column_and_names_unknown_ones():
    columns = _columns(
        "Phase,Wert,Anlage,Abschluss\n",
        stage="Phase",
        amount="wert",
        created="Anlage",
        closed="Abschluss",
    )
    assert columns.mapping == {"stage": 0, "amount": 1, "created": 2, "closed": 3}
    with pytest.raises(CrmFileError, match=r"--map amount=Value: f.csv has no column 'Value'"):
        _columns(HEADER, amount="Value")
    with pytest.raises(CrmFileError, match=r"--map colour: not a field of f.csv"):
        _columns(HEADER, colour="StageName")


def test_a_missing_column_names_the_field_and_the_map_to_use():
    with pytest.raises(CrmFileError) as caught:
        _columns("StageName,Amount,CloseDate\nWon,1,2024-01-01\n")
    message = str(caught.value)
    assert message.startswith("f.csv: no column for the field 'created'")
    assert "--map created=COLUMN" in message and "columns: StageName, Amount, CloseDate" in message


def test_a_wrong_delimiter_says_so():
    with pytest.raises(CrmFileError) as caught:
        _columns("StageName:Amount:CreatedDate:CloseDate\nWon:1:2024-01-01:2024-02-01\n")
    assert "no column for the field 'stage'" in str(caught.value)
    assert "is it separated by , ; tab or |?" in str(caught.value)


def test_hostile_files_are_refused_with_one_line(tmp_path, monkeypatch):
    cases = {
        "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "huge line": (HEADER + "Won," + "9" * 2_000_000 + ",2024-01-01,2024-02-01\n").encode(),
        "unclosed quote": (
            HEADER + 'Won,"1,2024-01-01,2024-02-01\n' + "x,1,1,1\n" * 30_000
        ).encode(),
        "wide row": (HEADER + "Won" + ",1" * 5_000 + "\n").encode(),
        "empty": b"",
        "blank": b"\n\n  \n",
    }
    expected = {
        "binary": "f.csv: is not a text file (a NUL byte at byte 8)",
        "huge line": "f.csv: line 2 is 2,000,026 characters long; the limit is 1,000,000",
        "unclosed quote": "f.csv: line 2: cannot be read (a value runs on to line 16,384",
        "wide row": "f.csv: line 2 has 5,001 columns; the limit is 1,000",
        "empty": "f.csv: the file is empty (no header row)",
        "blank": "f.csv: the file is empty (no header row)",
    }
    for name, raw in cases.items():
        with pytest.raises(CrmFileError) as caught:
            _columns(raw)
        message = str(caught.value)
        assert message.startswith(expected[name]), (name, message)
        assert "\n" not in message and len(message) <= 600
    monkeypatch.setattr(crm_csv, "MAX_CSV_ROWS", 3)
    with pytest.raises(CrmFileError, match="more than 3 rows; the limit is 3"):
        _columns(HEADER + "Won,1,2024-01-01,2024-02-01\n" * 4)


def test_only_regular_files_within_the_size_limit_are_read(tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "wb") as out:
        out.truncate(crm_csv.MAX_CSV_BYTES + 1)  # sparse: no disk used
    with pytest.raises(
        CrmFileError, match=r"the file is 52,428,801 bytes; the limit is 52,428,800"
    ):
        read_export(big, option="OPPORTUNITIES")
    with pytest.raises(CrmFileError, match="is a folder, not a CSV file"):
        read_export(tmp_path, option="OPPORTUNITIES")
    with pytest.raises(CrmFileError, match="no such file"):
        read_export(tmp_path / "missing.csv", option="--contracts")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(CrmFileError, match="is not a regular file"):
        read_export(fifo, option="OPPORTUNITIES")
    with pytest.raises(CrmFileError, match="is not a regular file"):
        read_export("/dev/zero", option="OPPORTUNITIES")
    small = tmp_path / "ok.csv"
    small.write_bytes(b"a,b\n1,2\n")
    assert read_export(small, option="OPPORTUNITIES") == b"a,b\n1,2\n"


def test_short_rows_get_blanks_and_blank_rows_are_skipped():
    columns = _columns(HEADER + "Won,5\n\n,,,\nLost,1,2024-01-01,2024-02-01\n")
    assert columns.values["created"] == ["", "2024-01-01"]
    assert columns.short_rows == 1
    assert columns.line_of_row.tolist() == [2, 5]


def test_old_mac_and_windows_line_ends_are_read():
    rows = ["StageName,Amount,CreatedDate,CloseDate", "Won,5,2024-01-01,2024-02-01", "Lost,1,x,y"]
    for end in ("\r", "\r\n"):
        columns = _columns(end.join(rows) + end)
        assert columns.values["stage"] == ["Won", "Lost"]
