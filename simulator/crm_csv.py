"""Reading CRM exports (CSV) as they come out of real systems, within stated bounds.

A CRM export is not a clean table: Excel writes ``;`` and comma decimals in half of
Europe, amounts carry currency ("$1,054", "1.054,00 kr."), files start with a BOM,
dates come as ISO, ``dd/mm/yyyy`` or ``m/d/yyyy``, stages have stray spaces. This
module turns such a file into typed columns of the fields calibration needs, or one
short error naming the row and column (never a traceback). Conventions a file does
not settle (is "03/05/2024" March or May?) are decided once per file and reported as
notes, not guessed silently per value.

Bounds: at most ``MAX_CSV_BYTES`` bytes (regular files only), ``MAX_CSV_ROWS`` rows,
``MAX_CSV_COLUMNS`` columns and ``MAX_CSV_LINE_CHARS`` characters a line; only the
mapped columns are kept, with repeated values shared, so memory follows the rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import operator
import os
import re
import stat
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .scenario_io import ScenarioError

MAX_CSV_BYTES = 50 * 1024 * 1024
"""Largest CRM export accepted (50 MiB: about 400,000 opportunity rows)."""
MAX_CSV_ROWS = 1_000_000
"""Most data rows in one export."""
MAX_CSV_COLUMNS = 1_000
"""Most columns in one export (Salesforce's widest reports have a few hundred)."""
MAX_CSV_LINE_CHARS = 1_000_000
"""Longest line of an export (a long-text field of 131,072 characters fits easily)."""
MAX_CELL_CHARS = 131_072
"""Longest single value (the csv module's own default limit)."""
DELIMITERS = (",", ";", "\t", "|")
MISSING = -1
"""A date column's value for a blank cell."""
UNREADABLE = -2
"""A date column's value for a cell that is not a date."""
FIRST_YEAR, LAST_YEAR = 1900, 2200


class CrmFileError(ScenarioError):
    """A CRM export that cannot be used; the message names the file, row and column."""


# --- Fields: what calibration reads, and the headers the usual CRMs give them.
@dataclass(frozen=True)
class FieldSpec:
    name: str
    aliases: tuple[str, ...]
    """Headers that mean this field, normalised (lower case, letters and digits only),
    in order of preference: Salesforce, HubSpot, then plain exports."""
    required: bool = False
    help: str = ""


def normalise(text: str) -> str:
    """A header or stage as compared: lower case, letters and digits only."""
    return re.sub(r"[\W_]+", "", text.casefold())


OPPORTUNITY_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "stage",
        ("stagename", "dealstage", "stage", "opportunitystage", "salesstage", "status"),
        True,
        "the deal's stage: won, lost or an open stage",
    ),
    FieldSpec(
        "amount",
        (
            "amount",
            "amountconverted",
            "closevalue",
            "value",
            "dealvalue",
            "dealamount",
            "opportunityamount",
            "annualcontractvalue",
            "acv",
        ),
        True,
        "the deal's value (annual value for a subscription)",
    ),
    FieldSpec(
        "created",
        (
            "createddate",
            "createdate",
            "created",
            "engagedate",
            "createdon",
            "datecreated",
            "createdat",
            "opportunitycreateddate",
        ),
        True,
        "the date the opportunity was created or engaged",
    ),
    FieldSpec(
        "closed",
        ("closedate", "closeddate", "closed", "closedon", "dateclosed", "closedat", "closingdate"),
        True,
        "the date it was won or lost (expected close date while open)",
    ),
    FieldSpec(
        "product",
        ("product", "productline", "productname", "productfamily", "line"),
        help="the product or product line",
    ),
    FieldSpec(
        "owner",
        (
            "opportunityowner",
            "owner",
            "ownername",
            "ownerfullname",
            "dealowner",
            "salesagent",
            "salesrep",
            "rep",
            "accountexecutive",
        ),
        help="the rep who owns it",
    ),
    FieldSpec(
        "account",
        ("accountname", "account", "associatedcompany", "company", "companyname", "customer"),
        help="the buying account",
    ),
    FieldSpec(
        "type",
        ("type", "dealtype", "opportunitytype"),
        help="new business, renewal or expansion",
    ),
)

CONTRACT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "account",
        ("accountname", "account", "customer", "customername", "company", "companyname", "client"),
        True,
        "the customer",
    ),
    FieldSpec(
        "product",
        ("product", "productline", "productname", "plan", "planname"),
        help="the product or plan",
    ),
    FieldSpec(
        "annual_value",
        ("annualvalue", "arr", "acv", "annualrecurringrevenue", "annualamount", "yearlyvalue"),
        help="value a year",
    ),
    FieldSpec(
        "monthly_value",
        ("mrr", "monthlyvalue", "monthlyamount", "monthlyrecurringrevenue"),
        help="value a month (x 12)",
    ),
    FieldSpec(
        "amount",
        ("amount", "price", "value", "total", "contractvalue"),
        help="value per billing period (with billing)",
    ),
    FieldSpec(
        "billing",
        (
            "billingperiod",
            "billing",
            "interval",
            "billingfrequency",
            "billingcycle",
            "billinginterval",
        ),
        help="monthly, quarterly or annual",
    ),
    FieldSpec(
        "start",
        (
            "startdate",
            "start",
            "contractstartdate",
            "contractstart",
            "subscriptionstart",
            "created",
        ),
        help="the contract's start date",
    ),
    FieldSpec(
        "end",
        (
            "enddate",
            "end",
            "contractenddate",
            "contractend",
            "ends",
            "renewaldate",
            "expirationdate",
            "subscriptionend",
        ),
        help="the contract's end date (blank: active)",
    ),
    FieldSpec(
        "term",
        ("termmonths", "term", "contractterm", "termlength", "durationmonths"),
        help="months per term",
    ),
    FieldSpec("contacts", ("contacts", "numberofcontacts", "contactcount"), help="buyer contacts"),
    FieldSpec("status", ("status", "subscriptionstatus", "state"), help="active or cancelled"),
)


# --- Reading the file.
def read_export(path: str | Path, *, option: str) -> bytes:
    """The bytes of a regular file of at most MAX_CSV_BYTES (``option`` names it in
    errors). Opened without blocking and checked with fstat first, so a FIFO cannot
    hang and a device cannot be read until memory runs out."""
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise CrmFileError(f"{option} {path}: no such file") from None
    except IsADirectoryError:
        raise CrmFileError(f"{option} {path}: is a folder, not a CSV file") from None
    except OSError as exc:
        raise CrmFileError(f"{option} {path}: cannot be read ({exc.strerror or exc})") from None
    except ValueError:
        raise CrmFileError(f"{option} {path!r}: is not a usable file name") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise CrmFileError(f"{option} {path}: is a folder, not a CSV file")
        if not stat.S_ISREG(info.st_mode):
            raise CrmFileError(f"{option} {path}: is not a regular file (a device, pipe or socket)")
        if info.st_size > MAX_CSV_BYTES:
            raise CrmFileError(
                f"{option} {path}: the file is {info.st_size:,} bytes; the limit is "
                f"{MAX_CSV_BYTES:,}"
            )
        chunks, left = [], MAX_CSV_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise CrmFileError(f"{option} {path}: cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > MAX_CSV_BYTES:
        raise CrmFileError(
            f"{option} {path}: the file is above the limit of {MAX_CSV_BYTES:,} bytes"
        )
    return raw


def decode(raw: bytes, *, source: str) -> tuple[str, str]:
    """Text (line ends as ``\\n``, old Mac ``\\r`` ones too) and the encoding it was read
    in: UTF-8 (with or without a BOM), UTF-16 with a BOM (Excel's "Unicode text"), else
    Windows-1252. Binary data is refused."""
    text, encoding = _decode(raw, source=source)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, encoding


def _decode(raw: bytes, *, source: str) -> tuple[str, str]:
    if len(raw) > MAX_CSV_BYTES:
        raise CrmFileError(
            f"{source}: the file is {len(raw):,} bytes; the limit is {MAX_CSV_BYTES:,}"
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise CrmFileError(f"{source}: the file starts like UTF-16 but is not") from None
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise CrmFileError(
            f"{source}: is not a text file (a NUL byte at byte {nul:,}); export it as CSV"
        )
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = raw.decode("cp1252", errors="replace")
    if text.count("\ufffd") > max(10, len(text) // 100):
        raise CrmFileError(f"{source}: is not a text file in a known encoding; export it as CSV")
    return text, "windows-1252"


def _lines(text: str, *, source: str) -> Iterator[str]:
    """The file's physical lines with their line ends, each checked for length."""
    start, number, size = 0, 1, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end
        if end - start > MAX_CSV_LINE_CHARS:
            raise CrmFileError(
                f"{source}: line {number:,} is {end - start:,} characters long; the limit is "
                f"{MAX_CSV_LINE_CHARS:,}"
            )
        yield text[start : end + 1]
        start, number = end + 1, number + 1


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number of columns (more
    than one), the header's most frequent among ``DELIMITERS`` on a tie."""
    sample = []
    for line in _lines(text[: 1 << 16], source="sample"):
        if line.strip():
            sample.append(line)
        if len(sample) >= 30:
            break
    if not sample:
        return ","
    best, best_score = ",", (-1, -1)
    for candidate in DELIMITERS:
        try:
            rows = list(csv.reader(sample, delimiter=candidate))
        except csv.Error:
            continue
        widths = [len(r) for r in rows if r]
        if not widths or widths[0] < 2:
            continue
        score = (sum(w == widths[0] for w in widths), widths[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


@dataclass
class Columns:
    """The mapped columns of an export: raw text per field, one entry per data row.
    Repeated values share one string object, so a column costs little more than its
    distinct values."""

    source: str
    header: list[str]
    mapping: dict[str, int]  # field -> column index
    values: dict[str, list[str]]
    line_of_row: np.ndarray  # (rows,) the file's line number of each data row
    delimiter: str
    encoding: str
    short_rows: int = 0

    @property
    def rows(self) -> int:
        return len(self.line_of_row)

    def column_name(self, name: str) -> str:
        return self.header[self.mapping[name]]


def read_header(text: str, *, source: str) -> tuple[list[str], str]:
    """The header row (names stripped) and the delimiter."""
    delimiter = sniff_delimiter(text)
    for line in _lines(text, source=source):
        if line.strip():
            try:
                header = next(csv.reader([line], delimiter=delimiter))
            except csv.Error as exc:
                raise CrmFileError(f"{source}: line 1: the header cannot be read ({exc})") from None
            if len(header) > MAX_CSV_COLUMNS:
                raise CrmFileError(
                    f"{source}: the header has {len(header):,} columns; the limit is "
                    f"{MAX_CSV_COLUMNS:,}"
                )
            names = [
                h.strip().strip("\ufeff").strip() or f"column {i + 1}" for i, h in enumerate(header)
            ]
            return names, delimiter
    raise CrmFileError(f"{source}: the file is empty (no header row)")


def detect_columns(
    header: Sequence[str], fields: Sequence[FieldSpec], *, taken: Sequence[int] = ()
) -> dict[str, int]:
    """Field -> column index of the fields whose usual headers the file has: the first
    alias each field's header matches, a column used once (``taken``: already used)."""
    normalised = [normalise(h) for h in header]
    used = set(taken)
    mapping: dict[str, int] = {}
    for spec in fields:
        for alias in spec.aliases:
            hits = [i for i, n in enumerate(normalised) if n == alias and i not in used]
            if hits:
                mapping[spec.name] = hits[0]
                used.add(hits[0])
                break
    return mapping


def map_columns(
    header: Sequence[str],
    fields: Sequence[FieldSpec],
    *,
    source: str,
    overrides: Mapping[str, str | None],
    map_prefix: str = "",
) -> dict[str, int]:
    """Field -> column index: ``overrides`` (field -> column name, from ``--map`` or the
    app's mapping; None: the file has no column for it) first, then the first alias each
    other field's header matches. A missing required field is one error naming it, the
    headers looked for, and the ``--map`` to use."""
    known = {f.name: f for f in fields}
    normalised = [normalise(h) for h in header]
    mapping: dict[str, int] = {}
    for name, column in overrides.items():
        if name not in known:
            raise CrmFileError(
                f"--map {map_prefix}{name}: not a field of {source} (fields: {', '.join(known)})"
            )
        if column is None:
            continue
        if column in header:
            mapping[name] = list(header).index(column)
        elif normalise(column) and normalise(column) in normalised:
            mapping[name] = normalised.index(normalise(column))
        else:
            raise CrmFileError(
                f"--map {map_prefix}{name}={column}: {source} has no column {column!r} "
                f"(columns: {_shown_columns(header)})"
            )
    others = [spec for spec in fields if spec.name not in overrides]
    mapping.update(detect_columns(header, others, taken=list(mapping.values())))
    for spec in fields:
        if spec.required and spec.name not in mapping:
            raise missing_field(spec, header=header, source=source, map_prefix=map_prefix)
    return mapping


def missing_field(
    spec: FieldSpec, *, header: Sequence[str], source: str, map_prefix: str = ""
) -> CrmFileError:
    looked = ", ".join(spec.aliases[:6])
    hint = ""
    if len(header) == 1 and any(d in header[0] for d in ":/ "):
        hint = "; the file has one column only: is it separated by , ; tab or |?"
    return CrmFileError(
        f"{source}: no column for the field '{spec.name}' ({spec.help}; looked for "
        f"{looked}); name it with --map {map_prefix}{spec.name}=COLUMN (columns: "
        f"{_shown_columns(header)}){hint}"
    )


def _shown_columns(header: Sequence[str]) -> str:
    shown = ", ".join(h[:40] for h in header[:12])
    return shown + (f", ... ({len(header):,} in all)" if len(header) > 12 else "")


def read_columns(
    text: str,
    *,
    source: str,
    header: list[str],
    delimiter: str,
    mapping: dict[str, int],
    max_rows: int | None = None,
) -> Columns:
    """Every data row's mapped values (stripped), blank rows skipped; more than
    ``max_rows`` rows (default MAX_CSV_ROWS) are refused. A row shorter than the header
    has blanks in its missing columns (counted in ``short_rows``)."""
    max_rows = MAX_CSV_ROWS if max_rows is None else max_rows
    wanted = sorted(mapping.items(), key=lambda item: item[1])
    values: dict[str, list[str]] = {name: [] for name, _ in wanted}
    appends = [values[name].append for name, _ in wanted]
    indexes = [index for _, index in wanted]
    pick = operator.itemgetter(*indexes) if len(indexes) > 1 else lambda row: (row[indexes[0]],)
    needed = max(indexes) + 1
    shared: dict[str, str] = {}  # cell as read -> stripped, one object per distinct value
    lines: list[int] = []
    short = 0
    reader = csv.reader(_lines(text, source=source), delimiter=delimiter)
    first = True
    row_start = 1  # the line the current row starts on
    try:
        for row in reader:
            row_end = reader.line_num
            if not row or (not row[0].strip() and not "".join(row).strip()):
                row_start = row_end + 1
                continue
            if first:  # the header
                first = False
                row_start = row_end + 1
                continue
            if len(row) > MAX_CSV_COLUMNS:
                raise CrmFileError(
                    f"{source}: line {row_start:,} has {len(row):,} columns; the limit is "
                    f"{MAX_CSV_COLUMNS:,}"
                )
            if len(lines) >= max_rows:
                raise CrmFileError(
                    f"{source}: line {row_start:,}: more than {max_rows:,} rows; the limit is "
                    f"{max_rows:,} (export a shorter period)"
                )
            lines.append(row_start)
            row_start = row_end + 1
            width = len(row)
            if width < len(header):
                short += 1
                row = row + [""] * (needed - width) if width < needed else row
            for append, cell in zip(appends, pick(row), strict=True):
                value = shared.get(cell)
                if value is None:
                    stripped = cell.strip()
                    value = shared[cell] = shared.setdefault(stripped, stripped)
                append(value)
    except csv.Error as exc:
        reason = str(exc)
        if "field larger" in reason:
            reason = (
                f"a value runs on to line {reader.line_num:,}, longer than {MAX_CELL_CHARS:,} "
                "characters: an unclosed quote?"
            )
        raise CrmFileError(f"{source}: line {row_start:,}: cannot be read ({reason})") from None
    return Columns(
        source=source,
        header=header,
        mapping=dict(mapping),
        values=values,
        line_of_row=np.array(lines, dtype=np.int64),
        delimiter=delimiter,
        encoding="",
        short_rows=short,
    )


def load_columns(
    raw: bytes,
    *,
    source: str,
    fields: Sequence[FieldSpec],
    overrides: Mapping[str, str | None],
    map_prefix: str = "",
    max_rows: int | None = None,
) -> Columns:
    """Decode, find the delimiter and header, map the fields and read their columns."""
    text, encoding = decode(raw, source=source)
    header, delimiter = read_header(text, source=source)
    mapping = map_columns(header, fields, source=source, overrides=overrides, map_prefix=map_prefix)
    columns = read_columns(
        text,
        source=source,
        header=header,
        delimiter=delimiter,
        mapping=mapping,
        max_rows=max_rows,
    )
    columns.encoding = encoding
    return columns


# --- Amounts.
_NUMBER = re.compile(r"\d(?:[\d.,' \u00a0\u202f\u2009]*\d)?")
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DIGIT = re.compile(r"\d")
_GROUPING = str.maketrans("", "", "' \u00a0\u202f\u2009")
_NOT_CURRENCY = str.maketrans("", "", " \t\u00a0()-+\u2212")


@dataclass
class Amounts:
    values: np.ndarray  # float, NaN where blank or unreadable
    unreadable: np.ndarray  # bool
    decimal: str  # "." or ","
    currency: str | None  # the most common currency text ("$", "kr.", "EUR"), if any
    ambiguous: int  # values such as "1.054" read with the file's convention
    notes: list[str] = field(default_factory=list)


def _split_number(text: str) -> tuple[str, bool, str] | None:
    """(digits and separators, negative, currency text) of an amount, or None."""
    if _PLAIN.fullmatch(text):  # the common case: 1054 or 1054.50
        return text, False, ""
    found = _NUMBER.search(text)
    if found is None:
        return None
    before, after = text[: found.start()], text[found.end() :]
    if _DIGIT.search(after):
        return None
    negative = (
        "-" in before
        or "\u2212" in before
        or ("(" in before and ")" in after)
        or after.strip().startswith("-")
    )
    residue = (before + after).translate(_NOT_CURRENCY)
    if len(residue) > 10:
        return None
    return found.group().translate(_GROUPING), negative, residue


def _evidence(core: str) -> str | None:
    """Which decimal mark an amount's separators prove: ',' or '.', 'ambiguous' (one
    separator followed by exactly three digits) or None (no separator)."""
    commas, dots = core.count(","), core.count(".")
    if commas and dots:
        return "," if core.rfind(",") > core.rfind(".") else "."
    if not commas and not dots:
        return None
    mark = "," if commas else "."
    if commas + dots > 1:  # "1.054.000": repeated, so thousands
        return "." if mark == "," else ","
    digits_after = len(core) - core.rfind(mark) - 1
    return "ambiguous" if digits_after == 3 else mark


def parse_amounts(texts: Sequence[str], *, source: str, column: str) -> Amounts:
    """Amounts as numbers. The decimal mark is decided once for the column from the
    values that prove it ("1.054,00", "12,5"); values that prove nothing ("1.054") are
    read with it, or with their separator as thousands when no value proves a mark."""
    split: dict[str, tuple[str, bool, str] | None] = {}
    votes: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for text in texts:
        if text in split or not text:
            continue
        parts = _split_number(text)
        split[text] = parts
        if parts is not None:
            kind = _evidence(parts[0])
            if kind is not None:
                votes[kind] += 1
                examples.setdefault(kind, text)
    if votes[","] and votes["."]:
        raise CrmFileError(
            f"{source}: column {column!r} mixes decimal marks ({examples[',']!r} and "
            f"{examples['.']!r}); export the amounts with one convention"
        )
    decimal = "," if votes[","] else "." if votes["."] else None
    parsed: dict[str, float] = {}
    currencies: Counter[str] = Counter()
    for text, parts in split.items():
        if parts is None:
            parsed[text] = math.nan
            continue
        core, negative, residue = parts
        if decimal is None:  # every separator is a thousands separator
            core = core.replace(",", "").replace(".", "")
        elif core.count(decimal) > 1:
            parsed[text] = math.nan
            continue
        else:
            core = core.replace("." if decimal == "," else ",", "").replace(decimal, ".")
        number = float(core)
        parsed[text] = -number if negative else number
        if residue:
            currencies[residue] += 1
    values = np.array([parsed[t] if t else math.nan for t in texts], dtype=float)
    unreadable = np.array([bool(t) and math.isnan(parsed[t]) for t in texts], dtype=bool)
    amounts = Amounts(
        values=values,
        unreadable=unreadable,
        decimal=decimal or ".",
        currency=currencies.most_common(1)[0][0] if currencies else None,
        ambiguous=votes["ambiguous"],
    )
    if votes["ambiguous"] and decimal is None:
        example = examples["ambiguous"]
        amounts.notes.append(
            f"{column}: {votes['ambiguous']:,} amounts such as {example!r} were read as "
            f"{parsed[example]:,.0f} (a thousands separator): no amount in the file shows "
            "its decimal mark"
        )
    return amounts


# --- Dates.
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T ])")
_NUMERIC = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:$|[T ,])")
_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for name in names
}
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})[ \-]([A-Za-z]{3,9})\.?[ \-,]+(\d{4})(?:$|[T ])")
_MONTH_NAME_DAY = re.compile(r"([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})(?:$|[T ])")


@dataclass(frozen=True)
class DateEvidence:
    """What a file's numeric dates show about their order."""

    day_first: str | None  # an example that can only be day/month ("13/01/2024")
    month_first: str | None  # an example that can only be month/day ("01/13/2024")
    ambiguous: int  # numeric dates that read either way
    ambiguous_example: str | None
    two_digit_years: int
    numeric: int = 0  # distinct numeric dates (not ISO) seen


def date_evidence(columns: Sequence[Sequence[str]]) -> DateEvidence:
    day_first = month_first = example = None
    ambiguous = two_digit = numeric = 0
    seen: set[str] = set()
    for texts in columns:
        for text in texts:
            if not text or text in seen:
                continue
            seen.add(text)
            found = _NUMERIC.match(text)
            if found is None or _ISO.match(text):
                continue
            a, b = int(found.group(1)), int(found.group(3))
            numeric += 1
            two_digit += len(found.group(4)) == 2
            if a > 12 >= b:
                day_first = day_first or text
            elif b > 12 >= a:
                month_first = month_first or text
            elif a != b and a <= 12 and b <= 12:
                ambiguous += 1
                example = example or text
    return DateEvidence(day_first, month_first, ambiguous, example, two_digit, numeric)


def decide_date_order(
    evidence: DateEvidence, *, source: str, given: str | None, european: bool
) -> tuple[str, list[str]]:
    """'dmy' or 'mdy' for the file's numeric dates, and notes. ``given`` (the
    ``--date-order`` option) wins; otherwise the dates decide, and when none can, the
    file's other conventions (``;`` or comma decimals: day first), with a note."""
    if given is not None:
        return given, []
    if evidence.day_first and evidence.month_first:
        raise CrmFileError(
            f"{source}: dates mix day/month ({evidence.day_first!r}) and month/day "
            f"({evidence.month_first!r}); pass --date-order dmy or mdy"
        )
    if evidence.day_first:
        return "dmy", []
    if evidence.month_first:
        return "mdy", []
    if not evidence.ambiguous:
        return ("dmy" if european else "mdy"), []
    order = "dmy" if european else "mdy"
    why = "the file uses ';' or comma decimals" if european else "the file uses ',' and '.'"
    read = "day/month" if order == "dmy" else "month/day"
    other = "mdy" if order == "dmy" else "dmy"
    return order, [
        f"dates: {evidence.ambiguous:,} dates such as {evidence.ambiguous_example!r} could be "
        f"day/month or month/day and none of the file's dates settles it; read as {read} "
        f"({why}); pass --date-order {other} if that is wrong"
    ]


def _to_ordinal(year: int, month: int, day: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return UNREADABLE
    try:
        return dt.date(year, month, day).toordinal()
    except ValueError:
        return UNREADABLE


def parse_date(text: str, *, order: str) -> int:
    """A date as a proleptic Gregorian ordinal (``datetime.date.toordinal``); MISSING
    for a blank, UNREADABLE for anything else. Times of day are ignored."""
    if not text:
        return MISSING
    found = _ISO.match(text)
    if found:
        return _to_ordinal(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    found = _NUMERIC.match(text)
    if found:
        a, b, year = int(found.group(1)), int(found.group(3)), int(found.group(4))
        if len(found.group(4)) == 2:
            year += 2000 if year < 70 else 1900
        day, month = (a, b) if order == "dmy" else (b, a)
        return _to_ordinal(year, month, day)
    found = _DAY_MONTH_NAME.match(text)
    if found and found.group(2).casefold() in _MONTHS:
        return _to_ordinal(
            int(found.group(3)), _MONTHS[found.group(2).casefold()], int(found.group(1))
        )
    found = _MONTH_NAME_DAY.match(text)
    if found and found.group(1).casefold() in _MONTHS:
        return _to_ordinal(
            int(found.group(3)), _MONTHS[found.group(1).casefold()], int(found.group(2))
        )
    return UNREADABLE


def parse_dates(texts: Sequence[str], *, order: str) -> np.ndarray:
    """Every value of a date column as an ordinal (see :func:`parse_date`), int64."""
    cache: dict[str, int] = {}
    out = np.empty(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        value = cache.get(text)
        if value is None:
            value = cache[text] = parse_date(text, order=order)
        out[i] = value
    return out


def month_of(ordinals: np.ndarray) -> np.ndarray:
    """Month index (year x 12 + month - 1, as ``models.month_index``) of date ordinals;
    -1 where the date is missing or unreadable."""
    out = np.full(ordinals.shape, -1, dtype=np.int64)
    cache: dict[int, int] = {}
    for i, value in enumerate(ordinals.tolist()):
        if value > 0:
            month = cache.get(value)
            if month is None:
                day = dt.date.fromordinal(value)
                month = cache[value] = day.year * 12 + day.month - 1
            out[i] = month
    return out


def codes(texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Category codes of a text column (0, 1, ... in order of first appearance) and the
    distinct values, whitespace runs collapsed."""
    index: dict[str, int] = {}
    names: list[str] = []
    out = np.empty(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        code = index.get(text)
        if code is None:
            cleaned = " ".join(text.split())
            code = index.setdefault(cleaned, len(names))
            if code == len(names):
                names.append(cleaned)
            index[text] = code
        out[i] = code
    return out, names
