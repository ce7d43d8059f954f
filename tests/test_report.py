"""The board report and the CSV exports: the PDF read back has one or two pages with the
verdict, the figures, the settings, the changes and the comparison in words; the PNG is
a picture; the CSVs have one row per period, rounded, with units in their headers."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator import Scenario, load_preset
from simulator.models import Change, Currency
from ui import exports, report
from ui.runtime import simulate_summary
from ui.verdict import verdict_sentence

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def few_runs(scenario: Scenario, **update) -> Scenario:
    sim = scenario.simulation.model_copy(update={"runs": 120})
    return scenario.model_copy(update={"simulation": sim, **update})


@pytest.fixture(scope="module")
def base():
    return simulate_summary(few_runs(load_preset("team_a_team_b")))


@pytest.fixture(scope="module")
def best():
    return simulate_summary(few_runs(load_preset("balanced")))


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())  # table cells wrap: compare by words


def test_the_pdf_reads_back_with_verdict_figures_settings_and_comparison(base, best) -> None:
    changed = few_runs(
        load_preset("team_a_team_b"),
        changes=(Change.model_validate({"from": "2012-07", "reps": 15.0}),),
        currency=Currency.model_validate({"code": "DKK"}),
    )
    plan = simulate_summary(changed)
    pages, text = pdf_text(report.report_pdf(plan, compared=[("Base", base), ("Best case", best)]))
    assert 1 <= pages <= 2
    assert "The 2012 client: Team A and Team B" in text
    assert verdict_sentence(plan).split(":")[0] in text  # "Severe whiplash in 80% of runs"
    assert "Largest fall in a year" in text and "Warning lead" in text
    assert " kr." in text and "amounts in DKK" in text  # the plan's own currency
    assert "The plan's settings" in text and "15 reps" in text  # the change, in words
    for line in plan.scenario.product_lines.values():
        assert line.name in text
    assert "Plans compared" in text and "Best case" in text and "No whiplash" in text
    assert "$" in text  # the held plans keep their own currency (USD)


def test_without_a_unicode_font_the_pdf_still_reads_and_shows_the_code(base) -> None:
    euro = simulate_summary(
        few_runs(
            load_preset("team_a_team_b"),
            currency=Currency.model_validate({"code": "EUR"}),
            meta=load_preset("team_a_team_b").meta.model_copy(
                update={"title": "Plan \u202eevil\u202c 2025 \u00e6\u00f8\u00e5 \u4e2d"}
            ),
        )
    )
    pages, text = pdf_text(report.report_pdf(euro, core_font=True))
    assert 1 <= pages <= 2
    assert "Plan evil 2025 æøå ?" in text  # controls dropped, the rest in Latin-1
    assert "EUR" in text and "€" not in text


def test_the_png_is_one_picture_of_the_first_page(base, best) -> None:
    data = report.report_png(base, compared=[("Base", base), ("Best case", best)])
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    from PIL import Image

    width, height = Image.open(io.BytesIO(data)).size
    assert width > 1000 and height > width  # a column of charts under the verdict


def test_csv_exports_have_one_row_per_period_rounded_with_units(base) -> None:
    quarterly = exports.period_frame(base, by="quarter")
    assert list(quarterly["Quarter"]) == base.quarter_labels
    revenue = "Revenue, median (USD per quarter)"
    assert revenue in quarterly.columns
    assert quarterly[revenue].dtype.kind == "i"
    monthly = exports.period_frame(base, by="month")
    assert list(monthly["Month"]) == base.month_labels
    coverage = monthly["Forward pipeline coverage, median (ratio to the target)"]
    assert (coverage.round(3) == coverage).all()
    assert "Revenue from Team A: enterprise contracts, p90 (USD per month)" in monthly.columns
    text = exports.period_csv(base, by="month")
    assert "." not in text.splitlines()[1].split(",")[1]  # whole amounts, no 2724983.05
    assert len(text.splitlines()) == len(base.month_labels) + 1


def test_the_share_section_offers_the_report_and_the_csvs() -> None:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["runs"] = "150"
    at.run()
    assert not at.exception and not at.error
    labels = {b.proto.label for b in at.get("download_button")}
    assert {
        "Report (PDF)",
        "Report (PNG)",
        "Quarterly results (CSV)",
        "Monthly results (CSV)",
    } <= labels
