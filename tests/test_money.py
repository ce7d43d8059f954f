"""The money parser reads what people type, or refuses it; it never guesses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from simulator.money import MAX_CHARS, format_money, parse_money


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("3M", 3e6),
        ("3m", 3e6),
        ("250k", 250e3),
        ("250K", 250e3),
        ("1,200,000", 1.2e6),
        ("1.2e6", 1.2e6),
        ("$1.2M", 1.2e6),
        ("1 200 000", 1.2e6),
        ("1\u00a0200\u00a0000", 1.2e6),
        ("3.5 mn", 3.5e6),
        ("2 billion", 2e9),
        ("  +750k ", 750e3),
        ("1000000.50", 1_000_000.5),
    ],
)
def test_what_people_type_is_read_as_meant(typed: str, meant: float) -> None:
    assert parse_money(typed) == meant


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("2013-1", "'-' inside"),
        ("1.2.3", "more than one decimal point"),
        ("-100", "negative"),
        ("\u2212100", "negative"),
        ("$-5M", "negative"),
        ("(100)", "negative"),
        ("0", "zero"),
        ("0k", "zero"),
        ("1,5", "comma"),
        ("1,20,000", "comma"),
        ("1 2", "spaces"),
        ("inf", "not an amount"),
        ("nan", "not an amount"),
        ("1e999", "too large"),
        ("3 apples", "unknown unit"),
        ("1e3k", "exponent and a unit"),
        ("", "empty"),
        ("1" * (MAX_CHARS + 1), "longer than"),
    ],
)
def test_anything_ambiguous_is_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_money(typed)


def test_long_input_is_refused_without_reading_it() -> None:
    with pytest.raises(ValueError, match="longer than"):
        parse_money("9" * 10_000_000)


@given(hs.floats(min_value=1.0, max_value=1e12))
def test_the_tables_format_reads_back_to_the_same_amount(value: float) -> None:
    shown = format_money(value)
    assert len(shown) <= MAX_CHARS
    assert parse_money(shown) == value


@pytest.mark.parametrize(
    ("value", "shown"),
    [(3e6, "3M"), (2.4e6, "2.4M"), (250e3, "250k"), (1_234_567.0, "1,234,567"), (1e12, "1T")],
)
def test_the_table_shows_short_exact_amounts(value: float, shown: str) -> None:
    assert format_money(value) == shown


@given(
    hs.integers(min_value=0, max_value=10**6),
    hs.sampled_from(["-", "/", "+", ":", "--", "\u2212", " -", "- "]),
    hs.integers(min_value=0, max_value=10**6),
)
def test_two_numbers_are_never_merged_into_one(left: int, sep: str, right: int) -> None:
    """'2013-1' must never become 20131, whatever the separator."""
    typed = f"{left}{sep}{right}"
    try:
        value = parse_money(typed)
    except ValueError:
        return
    assert value != float(f"{left}{right}"), typed


@given(hs.integers(min_value=1, max_value=999), hs.integers(min_value=0, max_value=99))
def test_a_space_that_does_not_group_thousands_is_refused(left: int, right: int) -> None:
    with pytest.raises(ValueError):
        parse_money(f"{left} {right}")


@given(hs.floats(min_value=1.0, max_value=1e12), hs.sampled_from(["-", "\u2212", "$-", "-$"]))
def test_a_minus_sign_is_never_dropped(value: float, sign: str) -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_money(sign + format_money(value))
