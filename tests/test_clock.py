"""A time of day in the reader's own zone (ui/clock.py), from what the browser says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ui.clock import clock, viewer_zone

NOON_UTC = int(datetime(2026, 12, 7, 12, 0, tzinfo=UTC).timestamp())


def test_without_a_zone_the_time_is_utc_and_says_so():
    assert clock(NOON_UTC, zone=None) == "12:00 UTC"
    assert clock(None, zone=None) == ""


def test_the_browsers_offset_gives_its_local_time():
    """JavaScript's offset is minutes *behind* UTC: Copenhagen in winter is -60."""
    assert clock(NOON_UTC, zone=viewer_zone(None, -60)) == "13:00"
    assert clock(NOON_UTC, zone=viewer_zone(None, -330)) == "17:30"  # India
    assert clock(NOON_UTC, zone=viewer_zone(None, 300)) == "07:00"  # New York


def test_a_known_zone_name_is_used_over_the_offset():
    zone = viewer_zone("Europe/Copenhagen", 0)
    if zone == UTC:  # the offset of 0 stood in for the name
        pytest.skip("this machine has no time-zone database")
    assert clock(NOON_UTC, zone=zone) == "13:00"
    summer = int(datetime(2026, 7, 1, 12, 0, tzinfo=UTC).timestamp())
    assert clock(summer, zone=zone) == "14:00"  # the name knows summer time


@pytest.mark.parametrize(
    "name",
    [
        "../../../etc/passwd",
        "/etc/localtime",
        "Europe/../../etc/passwd",
        "x" * 10_000,
        "Europe/Nowhere",
        "",
        "Europe/Copenhagen\x00",
        12,
        None,
    ],
)
def test_a_hostile_or_unknown_zone_name_falls_back_to_the_offset(name):
    assert clock(NOON_UTC, zone=viewer_zone(name, -60)) == "13:00"


@pytest.mark.parametrize("offset", [True, 2**62, -(14 * 60 + 1), "-60", 1.5, None])
def test_a_hostile_offset_falls_back_to_utc(offset):
    assert viewer_zone(None, offset) is None
