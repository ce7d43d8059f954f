"""The "Your history" page: upload a revenue CSV, see its verdict, trend, season and
chart; a bad file gets one line naming the line and the column; nothing is kept beyond
the session."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator.history_csv import assess_history, parse_history
from simulator.scenario_io import MAX_FILE_BYTES
from ui import history as hist
from ui import verdict_charts
from ui.text import shown_text

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "3_Your_history.py")
CLIFF = "month,revenue\n" + "".join(
    f'{2022 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d},"${100_000 if m < 22 else 60_000:,}"\n'
    for m in range(1, 25)
)
"""Two years of flat months, then a 40% cliff in the last quarter."""


def open_page() -> AppTest:
    st.cache_data.clear()
    return AppTest.from_file(PAGE, default_timeout=30).run()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/csv"))
    return at.run()


def test_the_page_says_the_format_and_the_limit_before_any_upload():
    at = open_page()
    assert not at.exception and not at.error
    assert at.file_uploader[0].label == f"Your revenue history (.csv, up to {hist.upload_limit()})"
    texts = [shown_text(m.value) for m in at.markdown] + [shown_text(c.value) for c in at.caption]
    assert any("'month' column" in t and "'quarter' column" in t for t in texts)
    assert any("not saved" in t for t in texts)
    assert not at.get("vega_lite_chart")


def test_an_upload_shows_its_verdict_trend_and_chart():
    at = upload(open_page(), "ours.csv", CLIFF.encode())
    assert not at.exception and not at.error
    [headline] = [shown_text(m.value) for m in at.markdown if m.value.startswith("## ")]
    assert "Severe whiplash: revenue fell 40% within a year, 2023Q3 to 2023Q4" in headline
    assert ":red[" in headline
    details = " ".join(shown_text(m.value) for m in at.markdown)
    assert "Revenue is flat" in details and "Seasonal: no stable pattern" in details
    [chart] = at.get("vega_lite_chart")
    assert json.loads(chart.proto.spec)["description"] == "Revenue history"


def test_the_example_file_is_a_season_not_whiplash():
    assessment = assess_history(parse_history(hist.EXAMPLE_CSV.encode()))
    assert assessment.verdict.seasonal and assessment.verdict.verdict == "none"
    assert assessment.verdict.season["Q4"] > 0.15
    assert hist.HistoryView(assessment).headline.startswith("No whiplash: its largest fall")
    frame = verdict_charts.history_frame(assessment)
    assert set(frame["status"]) == {"steady"}
    spec = verdict_charts.history_chart(assessment).to_dict()  # a valid spec
    assert spec["encoding"]["color"]["legend"] is None  # not "Other quarters" alone
    assert "No quarter is in a fall" in spec["title"]["subtitle"]


def test_the_chart_marks_the_largest_fall_and_the_boom_bust_peaks():
    rows = [100, 100, 100, 100, 140, 100, 100, 100, 100, 70, 70]
    text = "quarter,revenue\n" + "".join(
        f"{2022 + i // 4}Q{i % 4 + 1},{r}\n" for i, r in enumerate(rows)
    )
    assessment = assess_history(parse_history(text))
    status = verdict_charts.history_frame(assessment).set_index("quarter")["status"]
    assert status["2023Q1"] == "peak"  # one big deal's quarter
    assert status[assessment.fall_from] == status[assessment.fall_to] == "fall"
    spec = verdict_charts.history_chart(assessment).to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == [
        "Largest fall within a year",
        "Boom-bust peak",
        "Other quarters",
    ]
    assert spec["encoding"]["color"].get("legend") is not None
    assert "No quarter" not in spec["title"]["subtitle"]


def test_a_bad_row_is_one_line_naming_the_line_and_the_column():
    bad = b"quarter,revenue\n2023Q1,100\n2023Q2,lots\n"
    at = upload(open_page(), "bad.csv", bad)
    assert not at.exception
    [error] = [shown_text(e.value) for e in at.error]
    assert error == (
        "Not read: bad.csv: line 3, column revenue: 'lots' is not an amount "
        "(digits, a decimal point, thousands commas)"
    )
    assert "\n" not in error and not at.get("vega_lite_chart")


def test_a_file_above_the_limit_is_refused_by_size():
    view = hist.read_upload("big.csv", b"x" * (MAX_FILE_BYTES + 1))
    assert view.assessment is None
    assert view.error == (
        f"big.csv: the file is {MAX_FILE_BYTES + 1:,} bytes; the limit is {hist.upload_limit()}"
    )
    assert hist.read_upload("empty.csv", b"").error == "empty.csv: the file is empty"
