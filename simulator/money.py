"""Money amounts as people type them ("3M", "250k", "$1,200,000") and as the app shows them.

Two ways to write an amount, both here so every screen and sentence agrees:
:func:`money_text` for reading ("$1.23M" in a sentence, a chart label, the CLI) and
:func:`format_money` for editing (the exact "1.25M" a table cell shows, which
:func:`parse_money` reads back unchanged).

The symbol is the scenario's ``[currency]`` (:class:`simulator.models.Currency`; "$" by
default). Whoever shows a scenario's figures says which with :func:`using_currency`
(the app around each page, the CLI around each command), so the many sentences that
mention an amount need no currency argument; :func:`money_text` also takes one.

A contract's annual value is typed into a table cell, so the parser reads the usual
shorthands but refuses anything it would have to guess at: a typed amount is either read
exactly as meant or refused with a short reason, never silently changed.

Accepted (case-insensitive, surrounding spaces ignored):

- plain numbers ``1200000``, ``1200000.50``, ``1.2e6``; a leading ``$`` and ``+``; the
  current currency's symbol or code before or after the number (``€250k``, ``250k kr.``,
  ``DKK 250k``);
- thousands grouped by ``,`` or by spaces in threes: ``1,200,000``, ``1 200 000``;
- a scale word after the number, with or without a space: ``k``/``thousand`` (10^3),
  ``m``/``mn``/``mm``/``mil``/``million`` (10^6), ``b``/``bn``/``billion`` (10^9),
  ``t``/``tn``/``trillion`` (10^12). ``m`` is always million (nobody types milli-dollars).

Refused: a sign anywhere but in front (``2013-1`` is not 20131), a negative amount, zero
(unless ``allow_zero``: a prediction of $0 is an answer, a contract of $0 is not),
anything that is not finite, two decimal points (``1.2.3``), a comma that may be a decimal
comma (``1,5``) or grouping that is not in threes (``1,20,000``, ``12345,678``, ``1 2``), an
exponent together with a scale word, other symbols or letters, and text longer than
:data:`MAX_CHARS` (so the work per cell is bounded).
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation, localcontext

from .models import Currency

MAX_CHARS = 40
"""Longest text read as an amount ("999,999,999,999.999999" is 22 characters)."""

SCALES = {
    "": 0,
    "k": 3,
    "thousand": 3,
    "m": 6,
    "mn": 6,
    "mm": 6,
    "mil": 6,
    "million": 6,
    "b": 9,
    "bn": 9,
    "billion": 9,
    "t": 12,
    "tn": 12,
    "trillion": 12,
}
"""Scale words and their powers of ten."""

DEFAULT_CURRENCY = Currency()
CURRENCY = DEFAULT_CURRENCY.symbol
"""The default currency's symbol ("$")."""

_CURRENT: ContextVar[Currency] = ContextVar("currency", default=DEFAULT_CURRENCY)


def current_currency() -> Currency:
    """The currency amounts are shown in here and now (see :func:`using_currency`)."""
    return _CURRENT.get()


@contextlib.contextmanager
def using_currency(currency: Currency | None) -> Iterator[Currency]:
    """Show amounts in ``currency`` inside the block (None: the default), in this thread
    or task only, so two sessions of the app never see each other's symbol."""
    token = _CURRENT.set(currency or DEFAULT_CURRENCY)
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def set_currency(currency: Currency) -> None:
    """Show amounts in ``currency`` until the enclosing :func:`using_currency` ends (the
    CLI: a command's scenario sets it once it is loaded)."""
    _CURRENT.set(currency)


def with_symbol(text: str, *, currency: Currency | None = None) -> str:
    """An amount's digits with the currency symbol in its place ('$1.2M', '1.2M kr.')."""
    cur = currency or _CURRENT.get()
    return f"{text} {cur.symbol}" if cur.symbol_after else f"{cur.symbol}{text}"


_SHOWN = ((12, "T"), (9, "B"), (6, "M"), (3, "k"))
"""Suffixes :func:`format_money` writes, largest first (all of them parse back)."""

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_NUMBER = re.compile(
    r"""
    (?P<digits>[0-9]{1,3}(?P<sep>[,\ ])[0-9]{3}(?:(?P=sep)[0-9]{3})*|[0-9]+)  # whole part
    (?:\.(?P<fraction>[0-9]+))?                                      # decimals
    (?:e(?P<exponent>[+-]?[0-9]{1,3}))?                                # 1.2e6
    \ ?(?P<scale>[a-z]*)                                              # 3M, 3.5 mn
    """,
    re.VERBOSE,
)
_MINUS = "-\u2212\u2012\u2013\u2014"
"""Hyphen, minus sign and dashes: what a typed minus can look like."""


def parse_money(text: str, *, allow_zero: bool = False) -> float:
    """The amount ``text`` means, in dollars; ValueError with a short reason otherwise."""
    floor = f"{with_symbol('0')} or more" if allow_zero else f"above {with_symbol('0')}"
    if not isinstance(text, str):
        raise ValueError("is not text")
    if len(text) > MAX_CHARS:
        raise ValueError(f"is longer than {MAX_CHARS} characters")
    body = _SPACES.sub(" ", text).strip().lower()
    if not body:
        raise ValueError("is empty")
    body = _without_currency(body)
    body = body.removeprefix("+").strip()
    if body[:1] in _MINUS or body.startswith(("$-", "$\u2212", "(")):
        raise ValueError(f"is negative; an amount must be {floor}")
    body = body.removeprefix("$").strip()
    match = _NUMBER.fullmatch(body)
    if match is None:
        raise ValueError(_why_not(body))
    scale = match["scale"]
    if scale not in SCALES:
        raise ValueError(f"has an unknown unit {scale!r} (use k, M or B)")
    if scale and match["exponent"] is not None:
        raise ValueError("has both an exponent and a unit; use one of them")
    digits = match["digits"].replace(",", "").replace(" ", "")
    number = digits + (f".{match['fraction']}" if match["fraction"] else "")
    try:
        with localcontext(prec=2 * MAX_CHARS):  # exact: every typed digit counts
            value = float(Decimal(number).scaleb(int(match["exponent"] or 0) + SCALES[scale]))
    except (InvalidOperation, OverflowError):  # pragma: no cover - the regex rules these out
        raise ValueError("is not an amount") from None
    if not math.isfinite(value):
        raise ValueError("is too large")
    if value == 0 and not allow_zero:
        raise ValueError(f"is zero; an amount must be {floor}")
    return value


def _without_currency(body: str) -> str:
    """``body`` (lower case) without the current currency's symbol or code in front of
    or after the number; "$" in front is read as before."""
    cur = _CURRENT.get()
    for mark in dict.fromkeys((cur.symbol.lower(), cur.code.lower())):
        if mark == "$" or mark in SCALES:  # a symbol "M" must not eat the million
            continue
        if body.startswith(mark):
            return body[len(mark) :].strip()
        if body.endswith(mark) and body[: -len(mark)].strip():
            return body[: -len(mark)].strip()
    return body


def _why_not(body: str) -> str:
    """The most useful reason a text is not an amount."""
    sign = next((c for c in body if c in _MINUS + "+"), None)
    if sign is not None:
        return f"has a {sign!r} inside it; type one amount such as 250k or 1.2M"
    if body.count(".") > 1:
        return "has more than one decimal point"
    if re.search(r"[0-9],[0-9]{1,2}(?![0-9])|,[0-9]{4}|[0-9]{4},[0-9]", body):
        return "has a comma that is not a thousands separator (use a dot for decimals)"
    if re.search(r"[0-9] [0-9]", body):
        return "has spaces that do not group thousands in threes"
    return "is not an amount such as 250k, 1.2M or 1,200,000"


def format_money(value: float) -> str:
    """``value`` as the table shows it: '3M', '250k', '1.25M', else '1,234,567.5'.

    Exact: :func:`parse_money` reads every result back to the same float.
    """
    exact = Decimal(repr(float(value)))
    for power, suffix in _SHOWN:
        scaled = exact.scaleb(-power)
        if abs(scaled) >= 1 and -scaled.normalize().as_tuple().exponent <= 2:
            return f"{_plain(scaled)}{suffix}"
    return _plain(exact, grouped=True)


def _plain(number: Decimal, *, grouped: bool = False) -> str:
    """A decimal without exponent or trailing zeros: 3, 2.5, 1,234.25."""
    text = f"{number.normalize():,f}" if grouped else f"{number.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money_text(value: float, *, currency: Currency | None = None) -> str:
    """``value`` as a person reads it: three significant digits, a k/M/B/T suffix and
    the currency's symbol ('$648k', '$1.23M', '-$12k', '$900'; '1.23M kr.' for DKK).
    ``currency`` None: the current one (:func:`using_currency`)."""
    amount = abs(float(value))
    sign = "-" if float(value) < 0 else ""
    tier = 0
    digits = f"{amount:.3g}"  # written once per tier, and the last one is the text
    while tier < len(_SUFFIXES) - 1 and float(digits) >= 1000:
        amount /= 1000
        tier += 1
        digits = f"{amount:.3g}"
    if "e" in digits:  # only for amounts beyond the largest suffix
        digits = f"{amount:,.0f}"
    return sign + with_symbol(f"{digits}{_SUFFIXES[tier]}", currency=currency)


_SUFFIXES = ("", *(name for _, name in reversed(_SHOWN)))
"""What :func:`money_text` writes after the digits, by thousands: '', k, M, B, T."""
