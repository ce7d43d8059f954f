"""Whiplash metrics on small series whose answers can be checked by hand."""

import numpy as np
import pytest

from simulator.metrics import (
    MILD,
    NONE,
    SEVERE,
    assess,
    boom_bust_events,
    classify,
    max_drawdown,
    quarter_over_quarter,
    volatility,
    warning_lead,
)
from simulator.models import Thresholds

TH = Thresholds()


def test_drawdown_of_a_known_series():
    series = np.array([[100.0, 120.0, 90.0, 110.0, 60.0, 130.0]])
    # Peak 120, lowest after it 60: a 50% fall.
    assert max_drawdown(series)[0] == pytest.approx(0.5)


def test_drawdown_is_zero_for_a_rising_series():
    assert max_drawdown(np.array([[1.0, 2.0, 3.0, 4.0]]))[0] == 0.0


def test_quarter_over_quarter_change():
    qoq = quarter_over_quarter(np.array([[100.0, 150.0, 75.0, 0.0, 10.0]]))
    np.testing.assert_allclose(qoq[0], [0.5, -0.5, -1.0, 1.0])


def test_volatility_is_std_of_the_changes():
    qoq = np.array([[0.1, -0.1, 0.1, -0.1]])
    assert volatility(qoq)[0] == pytest.approx(0.1)


def test_boom_followed_by_bust_within_two_quarters_is_one_event():
    # +20% then steady then -20%: a boom-bust event; a later lone drop is not.
    qoq = np.array([[0.2, 0.0, -0.2, 0.0, 0.0, -0.3], [0.2, 0.0, 0.0, -0.2, 0.0, 0.0]])
    events = boom_bust_events(qoq, TH)
    assert events.tolist() == [1, 0]


def test_verdict_rules():
    verdicts = classify(
        worst_drop=np.array([0.05, 0.12, 0.30, 0.05]),
        drawdown=np.array([0.05, 0.12, 0.30, 0.35]),
        events=np.array([0, 0, 0, 0]),
        thresholds=TH,
    )
    assert verdicts.tolist() == [NONE, MILD, SEVERE, SEVERE]


def test_warning_lead_counts_the_unbroken_spell_before_the_bust():
    level = 0.85
    coverage = np.array(
        [
            [1.0, 0.5, 1.0, 0.8, 0.7, 0.6, 0.9],  # spell from month 3 to the bust at 6
            [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],  # always warned: 6 months before month 6
            [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],  # bust with no warning
            [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],  # no bust
        ]
    )
    lead = warning_lead(coverage, np.array([6, 6, 6, -1]), level)
    assert lead.tolist() == [3, 6, 0, -1]


def test_assess_reports_the_worst_quarter_and_the_warning():
    quarterly = np.tile([100.0, 100.0, 100.0, 50.0, 50.0], (10, 1))
    coverage = np.ones((10, 15))
    coverage[:, 4:] = 0.5  # warning from month 4; bust quarter starts at month 9
    _, report = assess(
        quarterly=quarterly,
        quarter_labels=["2012Q1", "2012Q2", "2012Q3", "2012Q4", "2013Q1"],
        quarter_first_month=[0, 3, 6, 9, 12],
        coverage=coverage,
        month_labels=[f"m{i}" for i in range(15)],
        thresholds=TH,
    )
    assert report.verdict == "severe"
    assert report.probability == 1.0
    assert report.worst_quarter == "2012Q4"
    assert report.worst_quarter_change == pytest.approx(-0.5)
    assert report.bust_quarter == "2012Q4"
    assert report.early_warning_months == 5
    assert report.warning_month == "m4"
