"""Calibration never fails with a traceback: a damaged or arbitrary export gives a
calibration or one CrmFileError line naming the file, line or field."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.calibrate import CrmFileError, calibrate
from simulator.scenario_io import MAX_MESSAGE_CHARS
from tests.support.crm import LineTruth, Truth, generate, write_csv

SMALL = Truth(
    lines=(LineTruth("Core", 2.0, 0.3, 2, 9_000.0), LineTruth("Add", 1.0, 0.4, 1, 2_000.0)),
    reps=3,
    months=8,
)
TEXT = write_csv(generate(SMALL, seed=1), style="hubspot", messy=True)
ODD = st.sampled_from(
    [
        "",
        ",",
        ";",
        '"',
        "\n",
        "\r",
        "\x00",
        "-",
        "(",
        "1.054,00",
        "13/13/2024",
        "Closed Won",
        "\ufeff",
        "\u202e",
        "9" * 40,
    ]
)


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    text = TEXT
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 30))
        junk = draw(st.one_of(ODD, st.text(max_size=8)))
        text = text[:at] + junk + text[at + cut :]
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(max_size=6)) + raw[at:]
    return raw


def _check(raw: bytes) -> None:
    try:
        cal = calibrate(raw, source="f.csv", backtest_runs=5)
    except CrmFileError as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) <= MAX_MESSAGE_CHARS
        return
    assert cal.scenario.product_lines


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_a_damaged_export_is_fitted_or_refused_in_one_line(raw):
    _check(raw)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_refused_in_one_line(raw):
    _check(raw)
