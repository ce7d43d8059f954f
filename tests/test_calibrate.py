"""Calibration (simulator/calibrate.py) on exports generated from known parameters
(tests/support/crm.py): the fit recovers them, messy variants of the same export fit
the same, and every row left out is named in a data-quality note.

Tolerances (fixed seeds, so each test is exact, but the margins say what is expected):
win rates within 3 standard errors of a binomial share, the sales cycle exactly, deal
sizes within 3 standard errors of a mean (cv x size / sqrt(won)), their spread within
0.1, lead flow within 3 Poisson standard errors, open deals exactly, seasonal
multipliers within 0.15 (about 3 standard errors at 60 reps).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from simulator import dump_scenario, parse_scenario
from simulator.calibrate import MAX_CONTRACTS, CrmFileError, calibrate
from simulator.engine import run_engine
from simulator.models import MAX_PRODUCT_LINES
from tests.support.crm import (
    SUMMER_DIP,
    TWO_LINES,
    Deal,
    LineTruth,
    Truth,
    generate,
    generate_book,
    write_book,
    write_csv,
)

TRUTH = dataclasses.replace(TWO_LINES, reps=20)


@pytest.fixture(scope="module")
def export():
    return generate(TRUTH, seed=3)


@pytest.fixture(scope="module")
def fitted(export):
    return calibrate(write_csv(export).encode(), source="opps.csv")


def test_the_fit_recovers_the_parameters_it_was_generated_from(export, fitted):
    months = TRUTH.months + TRUTH.as_of_day / 30.4
    for truth, line in zip(TRUTH.lines, fitted.lines, strict=True):
        assert line.name == truth.name
        decided = line.won + line.lost
        se = math.sqrt(truth.win_rate * (1 - truth.win_rate) / decided)
        assert abs(line.win_rate - truth.win_rate) <= 3 * se, line
        assert line.sales_cycle_months == truth.cycle_months
        se = truth.deal_size_cv * truth.deal_size / math.sqrt(line.won)
        assert abs(line.deal_size - truth.deal_size) <= 3 * se, line
        assert abs(line.deal_size_cv - truth.deal_size_cv) <= 0.1, line
        flow = truth.created_per_rep_month * TRUTH.reps
        assert abs(line.created_per_month - flow) <= 3 * math.sqrt(flow / months), line
        assert list(line.open_deals) == export.open_by_age(truth.name)
    assert fitted.reps == TRUTH.reps and fitted.reps_source == "owners"
    assert fitted.scenario.simulation.start == "2025-02"  # the month after the export
    assert fitted.seasonality is None  # generated without a season


def test_the_fitted_scenario_sells_what_the_company_sold(fitted):
    """Simulated from day one, each line wins about what the export's lines won a
    month (lead flow x win rate): prospecting and referrals together bring the lead flow,
    and closing keeps up with it."""
    out = run_engine(fitted.scenario, runs=200, rng=np.random.default_rng(5))
    won = out.wins[:, 6:].mean(axis=(0, 1))
    for line, simulated in zip(fitted.lines, won, strict=True):
        expected = line.created_per_month * line.win_rate
        assert simulated == pytest.approx(expected, rel=0.05), line.name


def test_the_fitted_company_runs_steady(fitted):
    from simulator import simulate

    result = simulate(fitted.scenario, runs=300, seed=2)
    assert result.report.verdict == "none"


def test_the_backtest_reproduces_the_bookings(fitted):
    bt = fitted.backtest
    assert bt.months[0] == "2022-07"  # after one (the longest) sales cycle of build-up
    assert bt.months[-1] == "2024-12"  # the last full month before the export
    assert bt.total_p50 == pytest.approx(bt.total_actual, rel=0.10)
    assert bt.within_band >= 0.6 * len(bt.months)
    assert (bt.p10 <= bt.p50).all() and (bt.p50 <= bt.p90).all()


@pytest.mark.parametrize(
    "variant",
    [
        dict(style="salesforce"),
        dict(style="hubspot"),
        dict(style="salesforce", delimiter=";", decimal=",", currency="kr.", bom=True, dates="dmy"),
        dict(style="plain", currency="$", dates="mdy", messy=True),
        dict(style="hubspot", delimiter="\t", decimal=",", currency="EUR", messy=True, dates="dmy"),
    ],
    ids=["salesforce", "hubspot", "danish-excel", "us-messy", "tab-euro-messy"],
)
def test_messy_variants_of_an_export_fit_the_same(export, fitted, variant):
    text = write_csv(export, **variant)
    again = calibrate(text.encode("utf-8"), source="opps.csv")
    assert again.lines == fitted.lines
    assert again.scenario.product_lines == fitted.scenario.product_lines
    assert again.scenario.pipeline == fitted.scenario.pipeline
    if variant.get("messy"):
        assert any("without an account: kept" in w for w in again.warnings)


def test_a_small_export_with_only_ambiguous_dates_is_flagged():
    truth = Truth(lines=(LineTruth("Core", 1.0, 0.4, 1, 10_000.0),), reps=30, months=4)
    deals = [
        d
        for d in generate(truth, seed=1).deals
        if d.created.day <= 12 and d.closed.day <= 12 and d.created.month != d.created.day
    ]
    text = write_csv(dataclasses.replace(generate(truth, seed=1), deals=deals), dates="dmy")
    semicolons = calibrate(text.replace(",", ";").encode())
    assert semicolons.file_format["date_order"] == "dmy"
    assert any("could be day/month or month/day" in w for w in semicolons.warnings)
    commas = calibrate(text.encode(), date_order="dmy")
    assert not any("could be day/month" in w for w in commas.warnings)


def _deal(**changes) -> Deal:
    import datetime as dt

    base = Deal(
        line="Core",
        owner="Ann",
        account="Acme",
        created=dt.date(2024, 1, 5),
        closed=dt.date(2024, 3, 5),
        stage="won",
        amount=1000.0,
    )
    return dataclasses.replace(base, **changes)


def _export_with(extra: list[Deal], *, seed: int = 1):
    truth = Truth(lines=(LineTruth("Core", 2.0, 0.3, 2, 10_000.0),), reps=4, months=18)
    export = generate(truth, seed=seed)
    export.deals.extend(extra)
    return export


def test_rows_left_out_are_counted_in_notes():
    import datetime as dt

    bad = [
        _deal(amount=-5.0),
        _deal(amount=-7.0),
        _deal(closed=dt.date(2023, 12, 1)),  # closed before created
    ]
    text = write_csv(_export_with(bad))
    text += "Deal x,Acme,Ann,Core,New Business,Won,5,,2024-01-01\n"  # no created date
    text += "Deal y,Acme,Ann,Core,New Business,Lost,5,2024-01-01,\n"  # lost, no close date
    text += "Deal z,Acme,Ann,Core,New Business,,5,2024-01-01,2024-02-01\n"  # no stage
    text += "Deal w,Acme,Ann,Core,New Business,Won,lots,2024-01-01,2024-02-01\n"
    notes = " | ".join(calibrate(text.encode(), source="o.csv").warnings)
    assert "2 rows with a negative amount: left out" in notes
    assert "1 row closed before they were created: left out" in notes
    assert "1 row without a created date: left out" in notes
    assert "1 row won or lost without a readable close date: left out" in notes
    assert "1 row without a stage: left out" in notes
    assert "1 row with an amount that is not a number: read as blank" in notes


def test_won_and_lost_stages_can_be_named():
    text = write_csv(_export_with([]))
    text = text.replace(",Won,", ",Signed contract,").replace(",Lost,", ",Went elsewhere,")
    with pytest.raises(CrmFileError, match="no deal is won: none of the stages"):
        calibrate(text.encode(), source="o.csv")
    named = calibrate(text.encode(), won=["signed contract"], lost=["Went  elsewhere"])
    plain = calibrate(write_csv(_export_with([])).encode())
    assert named.lines == plain.lines


def test_renewals_and_expansions_are_not_new_business():
    text = write_csv(_export_with([]))
    renewals = "".join(
        f"R{i},Acme,Ann,Core,Renewal,{'Won' if i % 10 else 'Lost'},9000,2024-0{1 + i % 9}-01,"
        f"2024-0{1 + i % 9}-20\n"
        for i in range(40)
    )
    upsell = "U1,Acme,Ann,Core,Existing Business,Won,500,2024-01-01,2024-01-09\n"
    with_renewals = calibrate((text + renewals + upsell).encode())
    plain = calibrate(text.encode())
    line, base = with_renewals.lines[0], plain.lines[0]
    assert (line.win_rate, line.deal_size, line.opportunities) == (
        base.win_rate,
        base.deal_size,
        base.opportunities,
    )
    assert line.renewal_rate == 0.9  # 36 of 40 renewals won
    assert any("41 renewal or expansion opportunities" in w for w in with_renewals.warnings)


def test_more_products_than_lines_are_grouped_as_other():
    lines = tuple(
        LineTruth(f"Product {i}", 4.0 * 0.7**i, 0.3, 2, 10_000.0 * (i + 1)) for i in range(10)
    )
    cal = calibrate(write_csv(generate(Truth(lines=lines, reps=4, months=12), seed=2)).encode())
    names = [f.name for f in cal.lines]
    assert len(names) == MAX_PRODUCT_LINES and names[-1] == "Other"
    assert names[:-1] == [f"Product {i}" for i in range(MAX_PRODUCT_LINES - 1)]
    assert any("are grouped as 'Other'" in w for w in cal.warnings)
    assert list(cal.scenario.product_lines) == [f"product_{i}" for i in range(7)] + ["other"]


def test_seasonality_is_fitted_from_two_years_and_only_when_real():
    seasonal = dataclasses.replace(TRUTH, reps=60, season=SUMMER_DIP)
    cal = calibrate(write_csv(generate(seasonal, seed=4)).encode())
    assert cal.seasonality is not None
    assert np.abs(np.array(cal.seasonality) - SUMMER_DIP).max() <= 0.15
    assert cal.scenario.seasonality.leads == cal.seasonality
    short = dataclasses.replace(seasonal, months=20)
    cal = calibrate(write_csv(generate(short, seed=4)).encode())
    assert cal.seasonality is None
    assert any("at least 24 are needed" in w for w in cal.warnings)


def test_open_deals_too_old_to_be_decided_are_left_out_with_a_note(export):
    import datetime as dt

    stale = [
        _deal(
            line="Subscriptions",
            stage="open",
            created=dt.date(2023, 3, 1),
            closed=dt.date(2025, 3, 1),
        )
    ] * 5
    copy = dataclasses.replace(export, deals=export.deals + stale)
    cal = calibrate(write_csv(copy).encode())
    assert cal.lines[0].stale_open == 5
    assert list(cal.lines[0].open_deals) == export.open_by_age("Subscriptions")
    assert any("5 open deals are older than the model's expiry window" in w for w in cal.warnings)


def test_a_sparse_lead_in_is_left_out_of_the_lead_flow(export, fitted):
    import datetime as dt

    old = [_deal(line="Subscriptions", created=dt.date(2021, 6, 1), closed=dt.date(2021, 9, 1))] * 3
    cal = calibrate(write_csv(dataclasses.replace(export, deals=old + export.deals)).encode())
    assert cal.first_month == fitted.first_month == "2022-01"
    assert cal.lines[0].created_per_month == fitted.lines[0].created_per_month
    assert any("3 opportunities created before 2022-01" in w for w in cal.warnings)


def test_reps_can_be_given_and_the_lead_flow_follows(export, fitted):
    cal = calibrate(write_csv(export).encode(), reps=40)
    assert cal.reps == 40 and cal.reps_source == "given"
    for a, b in zip(cal.lines, fitted.lines, strict=True):
        assert a.created_per_month == b.created_per_month
        assert a.leads_per_rep_month == pytest.approx(b.leads_per_rep_month / 2, rel=0.01)


def test_the_book_becomes_contracts_as_the_export_implies(export):
    rows, book = generate_book(TRUTH, seed=2, accounts=60)
    cal = calibrate(write_csv(export).encode(), contracts=write_book(rows, delimiter=";").encode())
    got = sorted((c.name, c.product_line, c.annual_value, c.ends) for c in cal.scenario.contracts)
    want = sorted((b.account, b.line.lower(), round(b.annual_value, 2), b.ends) for b in book)
    assert got == want
    assert cal.contracts["explicit"] == len(book) and cal.contracts["pooled"] == 0
    assert cal.scenario.pipeline.prior_attract == 0  # no warm book beyond the contracts
    notes = " | ".join(cal.warnings)
    assert "rows ended before 2025-02: not in the book" in notes
    assert "cancelled or ended (status)" in notes


def test_a_book_above_the_contract_limit_keeps_the_largest_and_pools_the_rest(export):
    rows, book = generate_book(TRUTH, seed=5, accounts=400)
    cal = calibrate(write_csv(export).encode(), contracts=write_book(rows).encode())
    values = sorted((b.annual_value for b in book), reverse=True)
    assert len(cal.scenario.contracts) == MAX_CONTRACTS
    assert min(c.annual_value for c in cal.scenario.contracts) == pytest.approx(values[199])
    assert cal.contracts["pooled"] > 0 and cal.scenario.pipeline.prior_attract > 0
    # The book earns from day one: the explicit contracts not up for renewal in the first
    # month, and the pooled rest (a twelfth of it renews in each month of the year).
    deal_size = cal.scenario.product_lines["subscriptions"].deal_size
    book_value = sum(c.annual_value for c in cal.scenario.contracts)
    assert book_value + cal.contracts["pooled"] * deal_size == pytest.approx(sum(values), rel=0.01)
    explicit = sum(c.annual_value for c in cal.scenario.contracts if c.ends != "2025-02")
    pooled = cal.contracts["pooled"] * deal_size * 11 / 12
    out = run_engine(cal.scenario, runs=2, rng=np.random.default_rng(1))
    first_month = out.revenue[0, 0, :, 0].sum() * 12  # existing book, annualised
    assert first_month == pytest.approx(explicit + pooled, rel=0.02)


def test_a_contracts_export_without_a_value_or_date_names_the_map(export):
    opps = write_csv(export).encode()
    with pytest.raises(CrmFileError, match=r"--map contracts.annual_value=COLUMN"):
        calibrate(opps, contracts=b"Customer,End Date\nAcme,2025-06-30\n", contracts_source="c.csv")
    with pytest.raises(CrmFileError, match=r"c.csv: no column for the field 'end'"):
        calibrate(opps, contracts=b"Customer,ARR\nAcme,5000\n", contracts_source="c.csv")


def test_the_written_scenario_loads_with_the_loader(fitted):
    assert parse_scenario(dump_scenario(fitted.scenario)) == fitted.scenario


def test_to_dict_has_the_documented_fields(fitted):
    data = fitted.to_dict()
    for key in ("lines", "reps", "open_deals", "warnings", "backtest"):
        assert key in data
    line = data["lines"]["subscriptions"]
    for key in ("win_rate", "sales_cycle_months", "deal_size", "leads_per_rep_month", "open_deals"):
        assert key in line
    assert len(data["backtest"]["actual_bookings"]) == len(
        data["backtest"]["simulated_bookings_p50"]
    )


def test_open_deals_without_an_amount_count_at_the_deal_size(export, fitted):
    cal = calibrate(write_csv(export, blank_open_amounts=4).encode())
    blanked = [d for d in export.deals if d.stage == "open"][:4]
    for line, base in zip(cal.lines, fitted.lines, strict=True):
        assert line.open_deals == base.open_deals
        mine = [d for d in blanked if d.line == line.name]
        expected = base.open_value - sum(d.amount for d in mine) + len(mine) * line.deal_size
        assert line.open_value == pytest.approx(expected, abs=0.02)
    assert sum("open deals have no amount" in w for w in cal.warnings) >= 1
