"""Hypothesis strategies and oracles for the app's own boundaries, shared by the tests and
``make fuzz``: the share-link decoder, the contract table and the money parser.

* Links (:func:`link_params`): compressed valid scenarios with flipped bits, cut short or
  with bytes appended; key-length bombs whose compressed form is small (long dotted keys,
  many keys or tables, deep brackets, long lines, huge numbers); zlib streams that
  inflate far beyond ``MAX_LINK_BYTES``; random base64; many and odd query parameters.
  :func:`check_link`: a valid scenario and a few short one-line notes, never an exception;
  the link the app then writes reopens exactly that scenario. :func:`check_link_memory`
  adds a traced-memory bound for the parser (:func:`worst_links` are the costliest).
* Table edits (:func:`book_edits`): ``st.data_editor`` states with typed text, numbers,
  NaN, None, huge strings and odd row indexes. :func:`check_book_edit`: the book changes
  exactly as an independent reading of the cells says, or a ScenarioError names a cell
  ``contracts.N.column`` that really is bad and the session's scenario is unchanged.
* Money (:func:`money_texts`): :func:`check_money` never merges digits, never drops a
  sign, never reads a non-ASCII digit, and refuses long text at once.
"""

from __future__ import annotations

import base64
import copy
import functools
import itertools
import math
import re
import tracemalloc
import unicodedata
import zlib
from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from hypothesis import strategies as st

from simulator import (
    Scenario,
    ScenarioError,
    dump_scenario,
    list_presets,
    load_preset,
    scenario_from_dict,
    scenario_to_dict,
)
from simulator.budget import estimate
from simulator.models import FIRST_YEAR, LAST_YEAR, Contract, month_index
from simulator.money import MAX_CHARS, SCALES, parse_money
from simulator.scenario_io import (
    MAX_DEPTH,
    MAX_KEY_CHARS,
    MAX_KEY_PARTS,
    MAX_KEYS,
    MAX_LINE_CHARS,
    MAX_TABLES,
)
from tests.support.fuzz import FuzzFailure, valid_scenarios
from ui.book import BOOK_COLUMNS, REQUIRED_COLUMNS, BookTable, book_key, read_book
from ui.links import (
    MAX_LINK_BYTES,
    MAX_PARAM_CHARS,
    encode_scenario,
    scenario_from_params,
    scenario_to_params,
)
from ui.session import BOOK_ERROR, ERROR, SCENARIO, current_book_table, on_book_edit, start_session

PRESETS = sorted(list_presets())
PRESET_SCENARIOS = {name: load_preset(name) for name in PRESETS}
COMPACT_PARAMS = ("effort", "focus", "contacts", "turnover", "ends", "cc", "months", "runs", "seed")
"""The link's compact parameters (applied to a preset one at a time)."""

MAX_NOTES = 3 + len(COMPACT_PARAMS)
"""At most one note on unknown parameters, one on the scenario, one on the preset and one
per compact parameter."""

MAX_NOTE_CHARS = 800
"""A note quotes at most a bounded error message (600 characters) and a cut value."""

LINK_PEAK_BYTES = 4_000_000
"""Traced memory the link parser may use on any payload (a valid 64 KB scenario needs
about 1.5 MB; checked on the worst payloads)."""


# --- Links: payloads.
def pack(raw: bytes, *, level: int = 9) -> str:
    """``raw`` as a link's ``scenario`` value: zlib, URL-safe base64, no padding."""
    return base64.urlsafe_b64encode(zlib.compress(raw, level)).decode("ascii").rstrip("=")


def _b64(packed: bytes) -> str:
    return base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def _scenario_bytes() -> st.SearchStrategy[bytes]:
    presets = st.sampled_from(PRESETS).map(lambda n: dump_scenario(PRESET_SCENARIOS[n]).encode())
    generated = valid_scenarios(max_contracts=6).map(lambda s: dump_scenario(s).encode())
    return st.one_of(presets, presets, generated)


@st.composite
def _mutated_links(draw: st.DrawFn) -> str:
    """A valid compressed scenario with bits flipped, cut short or with bytes added."""
    packed = bytearray(zlib.compress(draw(_scenario_bytes()), draw(st.sampled_from([1, 6, 9]))))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "flip", "cut", "append", "insert", "header"]))
        at = draw(st.integers(0, max(len(packed) - 1, 0)))
        if kind == "flip" and packed:
            packed[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del packed[at:]
        elif kind == "append":
            packed += draw(st.binary(min_size=1, max_size=64))
        elif kind == "insert":
            packed[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:  # damage the two-byte zlib header (compression method, preset dictionary)
            packed[: min(2, len(packed))] = draw(st.binary(min_size=2, max_size=2))
    text = _b64(bytes(packed))
    if draw(st.booleans()):  # damage the text as well: odd characters, padding, cut
        at = draw(st.integers(0, len(text)))
        junk = draw(st.sampled_from(["=", "==", "===", "+", "/", "%3D", " ", "\n", "é", "\x00"]))
        text = text[:at] + junk + text[at + draw(st.integers(0, 1)) :]
    return text


def _bomb(kind: str, n: int) -> str:
    """A TOML text of ``kind`` whose size grows with ``n`` (cheap to compress)."""
    if kind == "dotted key":
        return "a" + ".a" * n + " = 1\n"
    if kind == "spaced dotted key":
        return "a" + " . a" * n + " = 1\n"
    if kind == "quoted dotted key":
        return '"a"' + '."a"' * n + " = 1\n"
    if kind == "dotted header":
        return "[" + "a." * n + "a]\n"
    if kind == "dotted array header":
        return "[[" + "a." * n + "a]]\n"
    if kind == "dotted inline key":
        return "x = {" + "a." * n + "a = 1}\n"
    if kind == "long bare key":
        return "k" * n + " = 1\n"
    if kind == "long quoted key":
        return '"' + "k" * n + '" = 1\n'
    if kind == "long header":
        return "[" + "k" * n + "]\n"
    if kind == "many keys":
        return "".join(f"k{i} = 1\n" for i in range(n))
    if kind == "many inline keys":
        return "x = {" + ", ".join(f"k{i} = 1" for i in range(n)) + "}\n"
    if kind == "many tables":
        return "[[contracts]]\n" * n
    if kind == "many named tables":
        return "".join(f"[t{i}]\n" for i in range(n))
    if kind == "deep arrays":
        return "x = " + "[" * n + "]" * n + "\n"
    if kind == "unclosed arrays":
        return "x = " + "[" * n + "\n"
    if kind == "deep inline tables":
        return "x = " + "{a = " * n + "1" + "}" * n + "\n"
    if kind == "long comment":
        return "# " + "x" * n + "\n"
    if kind == "long string":
        return 'x = "' + "y" * n + '"\n'
    if kind == "huge integer":
        return "[simulation]\nmonths = " + "9" * n + "\n"
    if kind == "huge float":
        return "[team]\nreps = 1" + "0" * n + ".5\n"
    if kind == "huge exponent":
        return "[team]\nreps = 1e" + "9" * n + "\n"
    if kind == "huge hex":
        return "[simulation]\nseed = 0x" + "f" * n + "\n"
    raise ValueError(kind)


BOMB_KINDS = (
    "dotted key",
    "spaced dotted key",
    "quoted dotted key",
    "dotted header",
    "dotted array header",
    "dotted inline key",
    "long bare key",
    "long quoted key",
    "long header",
    "many keys",
    "many inline keys",
    "many tables",
    "many named tables",
    "deep arrays",
    "unclosed arrays",
    "deep inline tables",
    "long comment",
    "long string",
    "huge integer",
    "huge float",
    "huge exponent",
    "huge hex",
)
_LIMIT_OF = {
    "dotted": MAX_KEY_PARTS,
    "long bare": MAX_KEY_CHARS,
    "long quoted": MAX_KEY_CHARS,
    "long header": MAX_KEY_CHARS,
    "many keys": MAX_KEYS,
    "many inline": MAX_KEYS,
    "many tables": MAX_TABLES,
    "many named": MAX_TABLES,
    "deep": MAX_DEPTH,
    "unclosed": MAX_DEPTH,
    "long comment": MAX_LINE_CHARS,
    "long string": MAX_LINE_CHARS,
    "huge": 4_300,  # Python's limit on the digits of an int read from text
}


def _limit(kind: str) -> int:
    return next(v for k, v in _LIMIT_OF.items() if k in kind)


@st.composite
def key_bombs(draw: st.DrawFn) -> str:
    """TOML text at, just past or far past one of the shape limits, sometimes after a
    valid scenario (so the bomb is not on the first line)."""
    kind = draw(st.sampled_from(BOMB_KINDS))
    limit = _limit(kind)
    n = draw(
        st.one_of(
            st.sampled_from([limit - 1, limit, limit + 1, 2 * limit]),
            st.integers(1, 4 * limit),
            st.integers(limit, 200_000),
        )
    )
    text = _bomb(kind, max(n, 1))
    if draw(st.booleans()):
        text = draw(_scenario_bytes()).decode() + text
    return text


@functools.cache
def inflation_bombs() -> tuple[str, ...]:
    """zlib streams of at most MAX_PARAM_CHARS characters that inflate far beyond
    MAX_LINK_BYTES, plus one just over and one exactly at the limit (computed once)."""
    filler = []
    for unit, size in (
        (b"#", 8_000_000),
        (b"\n", 8_000_000),
        (b"\0", 8_000_000),
        (b"a=1\n", 4_000_000),
    ):
        filler.append(pack(unit * (size // len(unit))))
    valid = dump_scenario(load_preset("balanced")).encode()
    comment = b"#" + b"x" * 999 + b"\n"  # comment lines, each well under MAX_LINE_CHARS
    pad = (MAX_LINK_BYTES - len(valid)) // len(comment) + 1
    filler.append(pack(valid + comment * pad))  # just over the limit
    exact = valid + comment * (pad - 1)
    exact += b"#" * (MAX_LINK_BYTES - len(exact) - 1) + b"\n"  # exactly MAX_LINK_BYTES
    filler.append(pack(exact))
    return tuple(text for text in filler if len(text) <= MAX_PARAM_CHARS)


@st.composite
def _odd_streams(draw: st.DrawFn) -> str:
    """Other deflate wrappings: two streams in a row, raw deflate, gzip, empty stream."""
    raw = draw(_scenario_bytes())
    kind = draw(st.sampled_from(["two streams", "raw deflate", "gzip", "empty", "junk after"]))
    if kind == "two streams":
        return _b64(zlib.compress(raw) + zlib.compress(b"[team]\nreps = 2\n"))
    if kind == "raw deflate":
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        return _b64(packer.compress(raw) + packer.flush())
    if kind == "gzip":
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        return _b64(packer.compress(raw) + packer.flush())
    if kind == "empty":
        return pack(b"")
    return _b64(zlib.compress(raw) + draw(st.binary(min_size=1, max_size=100)))


B64_TEXT = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=", max_size=400
)


@functools.cache  # strategies are built once: building them costs more than drawing
def link_payloads() -> st.SearchStrategy[str]:
    """A link's ``scenario`` value: valid, damaged, a bomb or junk."""
    return st.one_of(
        _scenario_bytes().map(pack),
        _mutated_links(),
        _mutated_links(),
        key_bombs().map(lambda text: pack(text.encode())),
        key_bombs().map(lambda text: pack(text.encode())),
        st.just(None).map(lambda _: inflation_bombs()).flatmap(st.sampled_from),
        _odd_streams(),
        B64_TEXT,
        st.binary(max_size=300).map(_b64),
        st.binary(max_size=300).map(lambda b: _b64(b"x\xda" + b)),  # a zlib header, then junk
        st.text(max_size=50),
        st.sampled_from(["", "=", "====", "A" * (MAX_PARAM_CHARS + 1), "%", "\x00" * 10]),
    )


NUMBER_TEXTS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "+1",
            "1e308",
            "1e309",
            "-1e309",
            "nan",
            "inf",
            "9" * 19,
            "9" * 20,
            "9" * 5_000,
            "1" + "0" * 400,
            "١٢",
            "１２",
            "²",
            "1_000",
            "0x10",
            "1.5",
            ".5",
            "5.",
            "1e-400",
            "5e-324",
            "3,",
            ",",
            ",,,,",
        ]
    ),
    st.integers().map(str),
    st.floats().map(repr),
    st.text(max_size=12),
)


LIST_ITEMS = {
    "ends": st.one_of(
        st.sampled_from(["2013-01", "2013-06", "1899-12", "2201-01", "2013-13", "2013-1"]),
        st.sampled_from(["٢٠١٣-٠١", "2013-01\n", "", " 2014-03 "]),
        st.text(max_size=8),
    ),
    "cc": st.one_of(st.sampled_from(["", "1", "3", "20", "21", "0"]), NUMBER_TEXTS),
    "effort": st.one_of(st.floats(0, 1).map(repr), NUMBER_TEXTS),
    "focus": st.one_of(st.floats(0, 1).map(repr), NUMBER_TEXTS),
}
LIST_LENGTHS = st.one_of(st.integers(0, 9), st.just(5), st.just(2), st.integers(0, 3_000))


@st.composite
def _compact_value(draw: st.DrawFn, key: str) -> str:
    """A compact parameter's text: right or wrong count of numbers, months, odd numbers."""
    if key in LIST_ITEMS:
        count = draw(LIST_LENGTHS)
        item = LIST_ITEMS[key]
        if count > 20:  # a long list: one item repeated (generated fast)
            return ",".join([draw(item)] * count)
        return ",".join(draw(st.lists(item, min_size=count, max_size=count)))
    return draw(NUMBER_TEXTS)


def _as_query_value(value: str) -> st.SearchStrategy[Any]:
    """A value as a mapping of query parameters may hold it: text or a list of texts."""
    return st.one_of(
        st.just(value),
        st.just(value),
        st.just([value]),
        st.lists(st.sampled_from([value, "", "1", "x"]), max_size=4),
        st.just(()),
    )


@st.composite
def link_params(draw: st.DrawFn) -> dict[str, Any]:
    """Query parameters of a tampered link: a scenario payload, a preset with compact
    parameters, unknown parameters (up to thousands, odd names), lists and blanks."""
    params: dict[str, Any] = {}
    if draw(st.integers(0, 2)) == 0:
        params["scenario"] = draw(link_payloads())
    if draw(st.booleans()):
        params["preset"] = draw(
            st.one_of(
                st.sampled_from(PRESETS),
                st.sampled_from(
                    ["", "nope", "../scenarios/balanced", "balanced.toml", "x" * 10_000]
                ),
                st.text(max_size=20),
            )
        )
    for key in draw(st.lists(st.sampled_from(COMPACT_PARAMS), unique=True, max_size=5)):
        params[key] = draw(_compact_value(key))
    extra = draw(st.sampled_from(["none", "none", "few", "many"]))
    if extra == "few":
        names = st.one_of(st.text(max_size=30), st.sampled_from(["Scenario", "PRESET", "effort "]))
        params.update(draw(st.dictionaries(names, st.text(max_size=30), max_size=5)))
    elif extra == "many":
        count = draw(st.integers(100, 20_000))
        params.update({f"k{i}\n" * (1 + i % 3): "v" for i in range(count)})
    known = [k for k in ("scenario", "preset", *COMPACT_PARAMS) if k in params]
    for key in draw(st.lists(st.sampled_from(known), unique=True, max_size=2)) if known else ():
        params[key] = draw(_as_query_value(params[key]))
    return params


@st.composite
def link_bombs(draw: st.DrawFn) -> dict[str, Any]:
    """The costliest links for the parser: bombs and inflation bombs as the scenario."""
    payload = draw(
        st.one_of(
            key_bombs().map(lambda text: pack(text.encode())),
            st.just(None).map(lambda _: inflation_bombs()).flatmap(st.sampled_from),
        )
    )
    return {"scenario": payload}


# --- Links: oracles.
def _check_notes(notes: Any) -> None:
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise FuzzFailure(f"notes are not a list of text: {notes!r:.300}")
    if len(notes) > MAX_NOTES:
        raise FuzzFailure(f"{len(notes)} notes (at most {MAX_NOTES}): {notes[:3]!r:.300}")
    for note in notes:
        if not note.strip() or len(note) > MAX_NOTE_CHARS:
            raise FuzzFailure(f"a note of {len(note):,} characters: {note[:300]!r}")
        if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in note):
            raise FuzzFailure(f"a note with a line break or control character: {note[:300]!r}")


def check_link(params: Mapping[str, Any]) -> str:
    """``scenario_from_params``: a valid scenario within the cost bound, bounded notes;
    the link the app then writes reopens exactly that scenario with no notes."""
    before = copy.deepcopy(dict(params))
    try:
        scenario, preset, notes = scenario_from_params(params)
    except Exception as exc:
        raise FuzzFailure(
            f"scenario_from_params raised {type(exc).__name__}: {exc!s:.300}"
        ) from exc
    if dict(params) != before:
        raise FuzzFailure("scenario_from_params changed the link's parameters")
    if not isinstance(scenario, Scenario):
        raise FuzzFailure(f"returned {type(scenario).__name__}, not a Scenario")
    _check_notes(notes)
    if preset is not None and preset not in PRESETS:
        raise FuzzFailure(f"opened preset {preset!r:.100}, which does not exist")
    if preset is None and "scenario" not in params:
        raise FuzzFailure("opened a whole scenario from a link that carries none")
    try:
        again = scenario_from_dict(scenario_to_dict(scenario))
    except ScenarioError as exc:
        raise FuzzFailure(f"the opened scenario does not validate again: {exc}") from exc
    if again != scenario:
        raise FuzzFailure("the opened scenario changes when validated again")
    if not estimate(scenario).fits:
        raise FuzzFailure("the opened scenario is above the cost bound")
    try:
        written = scenario_to_params(scenario, preset=preset)
    except ScenarioError as exc:  # a scenario that needs too long a link says so
        if "characters in a link" not in str(exc):
            raise FuzzFailure(f"scenario_to_params: {exc}") from exc
        return "opened, too long to share"
    back, _, back_notes = scenario_from_params(written)
    if back != scenario or back_notes:
        raise FuzzFailure(f"the app's own link does not reopen the scenario: {back_notes!r:.300}")
    if preset is None:
        return "opened the link's scenario"
    return "opened a preset, with notes" if notes else "opened a preset"


def check_link_memory(params: Mapping[str, Any], *, limit: int = LINK_PEAK_BYTES) -> str:
    """:func:`check_link`, and the parser's traced peak memory is at most ``limit``."""
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        scenario_from_params(params)
    except Exception as exc:
        raise FuzzFailure(f"scenario_from_params raised {type(exc).__name__}") from exc
    finally:
        peak = tracemalloc.get_traced_memory()[1] - base
        if not tracing:
            tracemalloc.stop()
    if peak > limit:
        raise FuzzFailure(f"the link parser peaked at {peak / 1e6:.1f} MB (limit {limit / 1e6} MB)")
    return check_link(params)


@functools.cache
def worst_links() -> tuple[tuple[str, dict[str, Any]], ...]:
    """The costliest payloads for each limit: just inside it (so tomllib and the models do
    all the work) and far past it, and the inflation bombs."""
    cases = []
    for kind in BOMB_KINDS:
        limit = _limit(kind)
        for n in (limit, 100_000):
            text = _bomb(kind, n)
            cases.append((f"{kind} x {n:,}", {"scenario": pack(text.encode())}))
    full = load_preset("team_a_team_b").model_dump(mode="json")
    contract = {"name": "C" * 100, "product_line": "enterprise", "annual_value": 1e6}
    full["contracts"] = [dict(contract, ends="2013-01") for _ in range(200)]
    cases.append(("a full book", {"scenario": encode_scenario(scenario_from_dict(full))}))
    cases += [(f"inflation bomb {i}", {"scenario": p}) for i, p in enumerate(inflation_bombs())]
    cases.append(("20,000 unknown parameters", {f"k{i}": "v" for i in range(20_000)}))
    return tuple(c for c in cases if len(c[1].get("scenario", "")) <= MAX_PARAM_CHARS)


# --- The contract table: edits as st.data_editor sends them.
MINUS_SIGNS = "-\u2212\u2012\u2013\u2014\ufe63\uff0d"
ANY_CELL = st.one_of(
    st.sampled_from(
        [None, math.nan, math.inf, -math.inf, 0, -0.0, 1, -1, 3.0, 2.5, 1e308, 2**63, 10**400]
    ),
    st.sampled_from(["", " ", "\t", "\u3000", "None", "nan", "NaN", "x" * 100_000, "🙂" * 200]),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.just([1, 2]),
    st.just({"a": 1}),
)


def money_forms() -> st.SearchStrategy[str]:
    """Amounts as people type them, and damaged ones."""
    return st.one_of(meant_amounts().map(lambda case: case[0]), damaged_amounts())


MONEY_FORMS = st.deferred(money_forms)


MONTH_TEXTS = st.one_of(
    st.builds(
        lambda y, m: f"{y:04d}-{m:02d}",
        st.integers(FIRST_YEAR - 2, LAST_YEAR + 2),
        st.integers(0, 13),
    ),
    st.sampled_from(
        [
            "2013-01",
            "2012-12",
            "2015-06",
            "2013-1",
            "13-01",
            "2013/01",
            "2013-01-01",
            "Jan 2013",
            "٢٠١٣-٠١",
            "２０１３-０１",
            " 2013-01 ",
            "2013-01\n",
            "\n2013-01",
            "2013\u201301",
            "+2013-01",
            "2013-+1",
            "2013-01\x00",
        ]
    ),
)
WHOLE_TEXTS = st.one_of(
    st.integers(-3, 130).map(str),
    st.sampled_from(
        ["+3", "03", "3.0", "3.5", "1e1", " 5 ", "٣", "３", "²", "1_0", "9" * 20, "-0"]
    ),
    st.sampled_from([3.0, 3.5, 20, 21, 0, True, math.nan, math.inf]),
)


@functools.cache
def _column_values(column: str, lines: tuple[str, ...]) -> st.SearchStrategy[Any]:
    specific = {
        "name": st.one_of(st.text(max_size=110), st.sampled_from(["A" * 100, "A" * 101, " Acme "])),
        "product_line": st.one_of(
            st.sampled_from([*lines, "nope", "Core", " core "]), st.text(max_size=5)
        ),
        "annual_value": MONEY_FORMS,
        "ends": MONTH_TEXTS,
        "contacts": WHOLE_TEXTS,
        "renewal_term_months": WHOLE_TEXTS,
    }[column]
    return st.one_of(specific, specific, specific, ANY_CELL)


COLUMN_SUBSETS = st.lists(st.sampled_from(BOOK_COLUMNS), unique=True)


@st.composite
def _row(draw: st.DrawFn, lines: tuple[str, ...], *, partial: bool) -> dict[str, Any]:
    columns = draw(COLUMN_SUBSETS) if partial else BOOK_COLUMNS
    row = {c: draw(_column_values(c, lines)) for c in columns}
    if draw(st.integers(0, 9)) == 0:
        row["not_a_column"] = draw(ANY_CELL)
    return row


ROW_KEYS = st.sampled_from(["0", "1", " 1", "-1", "x", "1.5", "١", "", "9" * 5_000, "1e3"])
"""Edited rows as JSON names them (text); Streamlit itself sends ints."""
ODD_ROW_INDEXES = st.one_of(
    st.integers(-3, 8),
    st.integers(),
    st.booleans(),
    ROW_KEYS,
    st.sampled_from([math.nan, math.inf, -math.inf, 1.5, 1e300, None, 10**400, [0], {"0": 1}]),
)
"""Deleted rows: any JSON value (``Infinity`` and ``1e400`` parse as float infinity)."""
JUNK_ROWS = st.sampled_from([None, "x", 5, []])
ODD_ROW_LISTS = st.sampled_from([None, [], {}, "abc", 5, 1.5, True])
"""What a forged message may carry instead of the list of added or deleted rows."""


@functools.cache
def _edit_parts(lines: tuple[str, ...], n: int) -> tuple[st.SearchStrategy, ...]:
    """Strategies for one book (built once: building costs more than drawing)."""
    index = st.one_of(st.integers(0, max(n - 1, 0)), st.integers(-3, n + 3), st.integers())
    change = st.one_of(_row(lines, partial=True), JUNK_ROWS)
    added = st.lists(
        st.one_of(_row(lines, partial=False), _row(lines, partial=True), JUNK_ROWS), max_size=3
    )
    deleted = st.lists(st.one_of(st.integers(0, n + 3), ODD_ROW_INDEXES), max_size=4)
    return index, change, added, deleted


@st.composite
def book_edits(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A preset's name and a table edit state: edited cells in every column, added rows
    partial or full (or junk), deleted rows out of range, negative or not numbers."""
    preset = draw(st.sampled_from(PRESETS))
    scenario = PRESET_SCENARIOS[preset]
    index, change, added, deleted = _edit_parts(tuple(scenario.line_ids), len(scenario.contracts))
    edited: dict[Any, Any] = {}
    as_text = draw(st.booleans())  # keys all ints (Streamlit) or all text (JSON)
    for _ in range(draw(st.integers(0, 4))):
        key = draw(index)
        edited[draw(st.one_of(st.just(str(key)), ROW_KEYS)) if as_text else key] = draw(change)
    edits = {"edited_rows": edited, "added_rows": draw(added), "deleted_rows": draw(deleted)}
    if draw(st.integers(0, 9)) == 0:  # odd shapes a forged message may carry
        edits[draw(st.sampled_from(["added_rows", "deleted_rows"]))] = draw(ODD_ROW_LISTS)
    if draw(st.integers(0, 19)) == 0:
        edits = {k: v for k, v in edits.items() if draw(st.booleans())}
    return preset, edits


# --- The contract table: an independent reading of the cells.
class Bad(Exception):
    """A cell that does not mean a valid value."""


def _blank(value: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else str(value).strip()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _month(text: str) -> str:
    """'YYYY-MM' in ASCII digits, else Bad (the calendar's years: :func:`_in_calendar`)."""
    year, dash, month = text[:4], text[4:5], text[5:]
    if not (len(text) == 7 and dash == "-" and (year + month).isascii()):
        raise Bad
    if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        raise Bad
    return text


def _in_calendar(month: str) -> bool:
    return FIRST_YEAR <= int(month[:4]) <= LAST_YEAR


def cell_meaning(column: str, value: Any) -> Any:
    """What a non-blank cell means, or Bad when it cannot be read as the column's kind
    (the model's ranges are :func:`in_range`: a new row waiting for cells is not checked
    against them yet)."""
    if column in ("name", "product_line"):
        return value.strip() if isinstance(value, str) else str(value)
    if column == "annual_value":
        if _is_number(value):
            try:
                amount = float(value)
            except OverflowError:
                raise Bad from None
        else:
            try:
                amount = parse_money(_text(value))
            except ValueError:
                raise Bad from None
        if not (math.isfinite(amount) and amount > 0):
            raise Bad
        return amount
    if column == "ends":
        if not isinstance(value, str):
            raise Bad
        return _month(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 2**53 - 1:
        return value  # larger ints are read as the digits typed (below), as the table does
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise Bad
        return int(value)
    text = _text(value).removeprefix("+")
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise Bad
    return int(text)


RANGES = {
    "name": (1, 100),
    "annual_value": (1.0, 1e12),
    "contacts": (1, 20),
    "renewal_term_months": (1, 120),
}


def in_range(column: str, value: Any) -> bool:
    """The model's range for a read cell (a name's length, an amount, a whole number)."""
    if column not in RANGES:
        return True
    low, high = RANGES[column]
    return low <= (len(value) if column == "name" else value) <= high


def _listed(edits: Mapping[str, Any], name: str) -> list[Any]:
    """Added or deleted rows: a list, as the table sends them; anything else means none."""
    value = edits.get(name)
    return value if isinstance(value, list) else []


def _index(key: Any) -> int | None:
    try:
        return int(key)
    except (TypeError, ValueError, OverflowError):
        return None


def expected_book(
    scenario: Scenario, edits: Mapping[str, Any]
) -> tuple[list[dict[str, Any]] | None, set[tuple[int, str]], list[int]]:
    """(contracts, bad cells, pending row labels) an edit means: contracts is None when
    some cell is bad (a refusal must name one of the bad cells)."""
    table = BookTable.of(scenario)
    cells = [dict(row) for row in table.rows]
    edited = edits.get("edited_rows") or {}
    for key, change in edited.items():
        index = _index(key)
        if index is not None and 0 <= index < len(cells) and isinstance(change, Mapping):
            cells[index].update({c: v for c, v in change.items() if c in BOOK_COLUMNS})
    for row in _listed(edits, "added_rows"):
        if isinstance(row, Mapping):
            cells.append({c: row.get(c) for c in BOOK_COLUMNS})
    deleted = {_index(i) for i in _listed(edits, "deleted_rows")}
    kept = [(label, row) for label, row in enumerate(cells) if label not in deleted]
    contracts, bad, pending = [], set(), []
    start = month_index(scenario.simulation.start)
    for label, row in kept:
        values, row_bad = {}, set()
        for column in BOOK_COLUMNS:
            value = row.get(column)
            if _blank(value):
                continue
            try:
                values[column] = cell_meaning(column, value)
            except Bad:
                row_bad.add((label, column))
        missing = [c for c in REQUIRED_COLUMNS if _blank(row.get(c))]
        if missing and label >= table.contract_rows and not row_bad:
            pending.append(label)  # waits for its blank cells; ranges are checked then
            continue
        if missing:
            row_bad.add((label, missing[0]))
        row_bad |= {(label, c) for c, v in values.items() if not in_range(c, v)}
        if values.get("product_line", scenario.line_ids[0]) not in scenario.line_ids:
            row_bad.add((label, "product_line"))
        if "ends" in values and (
            not _in_calendar(values["ends"]) or month_index(values["ends"]) < start
        ):
            row_bad.add((label, "ends"))
        bad |= row_bad
        contracts.append(values)
    return (None if bad else contracts), bad, pending


_REFUSAL = re.compile(r"contracts\.(\d+)\.(\w+): ")


def _fields(contract: Contract) -> dict[str, Any]:
    return {c: getattr(contract, c) for c in BOOK_COLUMNS if getattr(contract, c) is not None}


def check_book_edit(preset: str, edits: Mapping[str, Any]) -> str:
    """The table's edits on a preset's book, read as :func:`expected_book` says, through
    ``read_book`` and through the session callback; never another exception."""
    scenario = PRESET_SCENARIOS[preset]
    before = repr(edits)
    try:
        read = read_book(scenario, edits)
        error = None
    except ScenarioError as exc:
        read, error = None, str(exc)
    except Exception as exc:
        raise FuzzFailure(f"read_book raised {type(exc).__name__}: {exc!s:.300}") from exc
    if repr(edits) != before:
        raise FuzzFailure("read_book changed the table's edit state")
    contracts, bad, pending = expected_book(scenario, edits)
    too_many = len(BookTable.of(scenario).rows) + len(_listed(edits, "added_rows")) > 200
    if error is not None:
        match = _REFUSAL.match(error)
        if error.startswith("contracts: the book holds at most"):
            if not too_many:
                raise FuzzFailure(f"refused a book within the limit: {error}")
        elif match is None:
            raise FuzzFailure(f"a refusal that names no cell: {error!r:.300}")
        elif (int(match[1]), match[2]) not in bad:
            raise FuzzFailure(f"refused a good cell (bad cells: {sorted(bad)}): {error!r:.300}")
        if "\n" in error or len(error) > 700:
            raise FuzzFailure(f"a refusal that is not one short line: {error!r:.300}")
    elif contracts is None:
        raise FuzzFailure(f"accepted bad cells {sorted(bad)} of {edits!r:.300}")
    else:
        got = [_fields(c) for c in read.scenario.contracts]
        if got != contracts:
            raise FuzzFailure(f"the book reads {got!r:.300}, the edit means {contracts!r:.300}")
        if [row.label for row in read.pending] != pending:
            raise FuzzFailure(f"rows waiting {[r.label for r in read.pending]}, expected {pending}")
        rest = read.scenario.model_copy(update={"contracts": ()})
        if rest != scenario.model_copy(update={"contracts": ()}):
            raise FuzzFailure("a table edit changed something other than the book")
    _check_session(preset, edits, error=error, read=read)
    if error is not None:
        return "refused, naming the cell"
    return "stored as meant" + (", rows waiting" if pending else "")


def _check_session(preset: str, edits: Mapping[str, Any], *, error: str | None, read: Any) -> None:
    """The table's callback: a refused edit keeps the scenario and shows the error."""
    session: dict[str, Any] = {}
    start_session(session, {"preset": preset})
    before = session[SCENARIO]
    key = book_key(current_book_table(session).version)
    session[key] = edits
    try:
        on_book_edit(session, key)
    except Exception as exc:
        raise FuzzFailure(f"on_book_edit raised {type(exc).__name__}: {exc!s:.300}") from exc
    if error is not None:
        if session[SCENARIO] is not before:
            raise FuzzFailure("a refused table edit changed the scenario")
        if session.get(ERROR) != f"{BOOK_ERROR} {error}":
            raise FuzzFailure(f"the refusal is not shown: {session.get(ERROR)!r:.300}")
    elif session[SCENARIO] != read.scenario or session.get(ERROR):
        raise FuzzFailure(f"the session did not take the accepted edit: {session.get(ERROR)!r}")


# --- Money.
@st.composite
def meant_amounts(draw: st.DrawFn) -> tuple[str, Decimal]:
    """A typed amount and the exact number it means: grouping by ',' or spaces (also
    no-break ones), decimals, an exponent or a scale word, '$' and '+', odd case."""
    whole = draw(
        st.one_of(st.integers(0, 999), st.integers(0, 10**13), st.sampled_from([0, 1, 1000]))
    )
    fraction = draw(st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=6)))
    digits = f"{whole:,}" if whole >= 1000 and draw(st.booleans()) else str(whole)
    if "," in digits:
        digits = digits.replace(
            ",", draw(st.sampled_from([",", " ", "\u00a0", "\u202f", "\u2009"]))
        )
    number = digits + (f".{fraction}" if fraction else "")
    power = 0
    tail = draw(st.sampled_from(["none", "scale", "exponent"]))
    if tail == "scale":
        word = draw(st.sampled_from(sorted(SCALES)))
        power = SCALES[word]
        word = "".join(c.upper() if draw(st.booleans()) else c for c in word)
        number += draw(st.sampled_from(["", " "])) + word
    elif tail == "exponent":
        power = draw(st.integers(-20, 20))
        sign = "+" if power > 0 and draw(st.booleans()) else ""
        number += draw(st.sampled_from(["e", "E"])) + sign + str(power)
    prefix = draw(st.sampled_from(["", "", "$", "+", "+$", "$ ", "+ $"]))
    text = (
        draw(st.sampled_from(["", " ", "\t"])) + prefix + number + draw(st.sampled_from(["", " "]))
    )
    with localcontext(prec=100):
        meant = Decimal(f"{whole}.{fraction or 0}").scaleb(power)
    return text, meant


@st.composite
def damaged_amounts(draw: st.DrawFn) -> str:
    """A typed amount with a sign, separator, digit or letter put in, or repeated."""
    text = draw(meant_amounts())[0]
    kind = draw(st.sampled_from(["insert", "insert", "replace", "regroup", "repeat", "random"]))
    junk = st.sampled_from(
        [
            *MINUS_SIGNS,
            "+",
            ",",
            ".",
            " ",
            "e",
            "1",
            "0",
            "٣",
            "０",
            "$",
            "(",
            ")",
            "k",
            "m",
            "\x00",
            "\u200b",
            "_",
        ]
    )
    if kind == "random":
        return draw(st.text(max_size=45))
    if kind == "repeat":
        return text * draw(st.one_of(st.integers(2, 50), st.just(30_000)))
    if kind == "regroup":  # separators anywhere in the digits: '12345,678', '1 2', '1,2,3'
        separator = draw(st.sampled_from([",", " ", "\u00a0"]))
        whole = draw(st.integers(10, 10**12))
        if draw(st.booleans()):  # grouped in threes, then one separator taken out
            groups = f"{whole:,}".split(",")
            at = draw(st.integers(0, len(groups) - 1))
            groups[max(at - 1, 0) : at + 1] = ["".join(groups[max(at - 1, 0) : at + 1])]
            digits = list(separator.join(groups))
        else:
            digits = list(str(whole))
            for at in sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=4)))[::-1]:
                digits.insert(at, separator)
        return "".join(digits) + draw(st.sampled_from(["", "k", ".5", " M"]))
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(junk) + text[at + (kind == "replace") :]


def money_texts() -> st.SearchStrategy[tuple[str, Decimal | None]]:
    """Typed amounts with what they mean, or damaged ones (None: to be read by
    :func:`reference_amount`)."""
    return st.one_of(meant_amounts(), damaged_amounts().map(lambda text: (text, None)))


_DIGITS = re.compile(r"[0-9]+")


def reference_amount(text: str) -> Decimal | None:
    """The amount a text means, read by runs of digits (not the parser's regex): runs
    joined only by thousands separators (',' or one space before exactly three digits,
    the same throughout), one '.' before the decimals, 'e' before an exponent; '$' and
    '+' in front; a scale word last. None if the text means no amount."""
    body = re.sub(r"\s+", " ", text).strip().lower()
    head = re.match(r"\+? ?\$? ?", body)
    body = body[head.end() :]
    runs = list(_DIGITS.finditer(body))
    if not runs or runs[0].start() != 0:
        return None
    whole, fraction, exponent, sep = runs[0][0], "", "0", None
    state = "whole"
    for previous, run in itertools.pairwise(runs):
        between = body[previous.end() : run.start()]
        if (
            state == "whole"
            and between in (",", " ")
            and len(run[0]) == 3
            and sep in (None, between)
        ):
            whole, sep = whole + run[0], between
        elif state == "whole" and between == ".":
            fraction, state = run[0], "fraction"
        elif state in ("whole", "fraction") and between in ("e", "e+", "e-"):
            exponent, state = ("-" if between == "e-" else "") + run[0], "exponent"
        else:
            return None
    if state == "whole" and sep is not None and len(runs[0][0]) > 3:
        return None  # '1234,567' does not group in threes
    rest = body[runs[-1].end() :].removeprefix(" ")
    if rest not in SCALES or (rest and state == "exponent"):
        return None
    with localcontext(prec=100):
        return Decimal(f"{whole}.{fraction or 0}").scaleb(int(exponent) + SCALES[rest])


def check_money(case: tuple[str, Decimal | None]) -> str:
    """``parse_money``: a ValueError with a short reason, or exactly the amount meant."""
    text, meant = case
    try:
        value = parse_money(text)
    except ValueError as exc:
        reason = str(exc)
        if not reason or "\n" in reason or len(reason) > 120:
            raise FuzzFailure(f"parse_money({text[:60]!r}): reason {reason[:200]!r}") from None
        if meant is not None and len(text) <= MAX_CHARS and meant > 0 and float(meant) != math.inf:
            raise FuzzFailure(f"refused {text!r}, which means {meant}: {reason}") from None
        if len(text) > MAX_CHARS and "longer than" not in reason:
            raise FuzzFailure(
                f"a {len(text):,}-character text was read before the length check"
            ) from None
        return "refused"
    except Exception as exc:
        raise FuzzFailure(f"parse_money({text[:60]!r}) raised {type(exc).__name__}") from exc
    if not (math.isfinite(value) and value > 0):
        raise FuzzFailure(f"parse_money({text!r}) = {value}")
    mantissa = re.sub(r"[eE]-(?=[0-9])", "e", text)  # an exponent's sign is no amount's
    if any(c in MINUS_SIGNS or c == "(" or unicodedata.category(c) == "Pd" for c in mantissa):
        raise FuzzFailure(f"parse_money dropped a sign: {text!r} -> {value}")
    if any(unicodedata.category(c) == "Nd" and not c.isascii() for c in text):
        raise FuzzFailure(f"parse_money read or dropped a non-ASCII digit: {text!r} -> {value}")
    reference = reference_amount(text) if meant is None else meant
    if reference is None:
        raise FuzzFailure(f"parse_money read {text!r} as {value}; its digits mean no amount")
    if float(reference) != value:
        raise FuzzFailure(f"parse_money read {text!r} as {value}, it means {reference}")
    return "read as meant"
