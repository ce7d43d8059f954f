"""CRM exports generated from known parameters, for calibration's tests, its benchmark
and the sample export in ``examples/``.

``generate`` draws opportunities month by month from a :class:`Truth` (per line: the
opportunities created per rep-month, win rate, sales cycle, deal size and its spread,
optionally a season) the way a CRM records them: a created date, a close date about
one cycle later, won or lost at the win rate; deals whose close date is after the
export date are still open (their close date is the expected one). ``write_csv``
writes the deals as a Salesforce, HubSpot or plain export, clean or messy (``;`` and
comma decimals, currency text, a BOM, day-first dates, stray spaces, blank accounts).

``python -m tests.support.crm`` rewrites ``examples/crm_opportunities.csv``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SUMMER_DIP = (1.05, 1.05, 1.1, 1.05, 1.05, 0.95, 0.7, 0.75, 1.1, 1.1, 1.1, 1.0)


@dataclass(frozen=True)
class LineTruth:
    name: str
    created_per_rep_month: float
    win_rate: float
    cycle_months: int
    deal_size: float
    deal_size_cv: float = 0.4


@dataclass(frozen=True)
class Truth:
    lines: tuple[LineTruth, ...]
    reps: int = 8
    start: dt.date = dt.date(2022, 1, 1)
    months: int = 36
    as_of_day: int = 14
    """The export is taken on this day of the month after the last full month."""
    season: tuple[float, ...] | None = None

    @property
    def as_of(self) -> dt.date:
        month = self.start.month - 1 + self.months
        return dt.date(self.start.year + month // 12, month % 12 + 1, self.as_of_day)


TWO_LINES = Truth(
    lines=(
        LineTruth("Subscriptions", 3.0, 0.3, 3, 24_000.0, 0.5),
        LineTruth("Enterprise", 0.8, 0.2, 6, 120_000.0, 0.3),
    )
)


@dataclass(frozen=True)
class Deal:
    line: str
    owner: str
    account: str
    created: dt.date
    closed: dt.date
    stage: str  # "won", "lost" or "open"
    amount: float | None
    type: str = "New Business"


@dataclass
class Export:
    truth: Truth
    deals: list[Deal] = field(default_factory=list)

    def open_by_age(self, line: str) -> list[int]:
        """Open deals of a line by age at the export (opened in the export's month: 0)."""
        as_of = self.truth.as_of
        month = as_of.year * 12 + as_of.month - 1
        ages = [
            month - (d.created.year * 12 + d.created.month - 1)
            for d in self.deals
            if d.line == line and d.stage == "open"
        ]
        counts = [0] * (max(ages) + 1 if ages else 0)
        for a in ages:
            counts[a] += 1
        return counts


def generate(truth: Truth, *, seed: int) -> Export:
    """Opportunities created month by month from ``truth`` up to its export date."""
    rng = np.random.default_rng(seed)
    as_of = truth.as_of
    owners = [f"Rep {i + 1:02d}" for i in range(truth.reps)]
    export = Export(truth)
    month = 0
    while True:
        first = _add_months(truth.start, month)
        if first > as_of:
            break
        days = (_add_months(truth.start, month + 1) - first).days
        factor = truth.season[(first.month - 1)] if truth.season else 1.0
        for line in truth.lines:
            count = rng.poisson(line.created_per_rep_month * truth.reps * factor)
            sigma = np.sqrt(np.log1p(line.deal_size_cv**2))
            for _ in range(count):
                created = first + dt.timedelta(days=int(rng.integers(days)))
                if created > as_of:
                    continue
                offset = line.cycle_months * 365.25 / 12 + rng.uniform(-10, 10)
                closed = created + dt.timedelta(days=round(offset))
                won = rng.random() < line.win_rate
                size = line.deal_size * rng.lognormal(-(sigma**2) / 2, sigma)
                stage = "open" if closed > as_of else ("won" if won else "lost")
                export.deals.append(
                    Deal(
                        line=line.name,
                        owner=owners[int(rng.integers(truth.reps))],
                        account=f"Account {int(rng.integers(1, 5000)):04d}",
                        created=created,
                        closed=closed,
                        stage=stage,
                        amount=round(size, 2),
                    )
                )
        month += 1
    return export


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    return dt.date(day.year + index // 12, index % 12 + 1, 1)


STYLES = {
    "salesforce": {
        "columns": [
            "Opportunity Name",
            "Account Name",
            "Opportunity Owner",
            "Product Family",
            "Type",
            "StageName",
            "Amount",
            "CreatedDate",
            "CloseDate",
        ],
        "stages": {"won": "Closed Won", "lost": "Closed Lost", "open": "Negotiation/Review"},
    },
    "hubspot": {
        "columns": [
            "Deal Name",
            "Associated Company",
            "Deal owner",
            "Product",
            "Deal Type",
            "Deal Stage",
            "Amount",
            "Create Date",
            "Close Date",
        ],
        "stages": {"won": "closedwon", "lost": "closedlost", "open": "presentationscheduled"},
    },
    "plain": {
        "columns": [
            "opportunity_id",
            "account",
            "sales_agent",
            "product",
            "type",
            "deal_stage",
            "close_value",
            "engage_date",
            "close_date",
        ],
        "stages": {"won": "Won", "lost": "Lost", "open": "Engaging"},
    },
}


def _date(day: dt.date, style: str) -> str:
    if style == "dmy":
        return day.strftime("%d/%m/%Y")
    if style == "mdy":
        return f"{day.month}/{day.day}/{day.year}"
    if style == "hubspot":
        return day.strftime("%Y-%m-%d 09:30")
    return day.isoformat()


def _amount(value: float, *, decimal: str, currency: str) -> str:
    text = f"{value:,.2f}"
    if decimal == ",":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    if currency == "$":
        return f"${text}"
    if currency:
        return f"{text} {currency}"
    return text


def write_csv(
    export: Export,
    *,
    style: str = "plain",
    delimiter: str = ",",
    decimal: str = ".",
    dates: str = "iso",
    currency: str = "",
    bom: bool = False,
    messy: bool = False,
    blank_open_amounts: int = 0,
) -> str:
    """The deals as CSV text in the style of a CRM. ``messy``: stages with stray
    spaces and mixed case, every tenth account blank, a blank line now and then."""
    spec = STYLES[style]
    out = io.StringIO()
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(spec["columns"])
    blanked = 0
    for i, deal in enumerate(export.deals):
        stage = spec["stages"][deal.stage]
        account = deal.account
        if messy:
            stage = f"  {stage.upper() if i % 3 == 0 else stage}  ".replace(" ", "  ")
            account = "" if i % 10 == 0 else account
        amount = (
            "" if deal.amount is None else _amount(deal.amount, decimal=decimal, currency=currency)
        )
        if deal.stage == "open" and blanked < blank_open_amounts:
            amount, blanked = "", blanked + 1
        writer.writerow(
            [
                f"Deal {i + 1}",
                account,
                deal.owner,
                deal.line,
                deal.type,
                stage,
                amount,
                _date(deal.created, "hubspot" if style == "hubspot" and dates == "iso" else dates),
                _date(deal.closed, "hubspot" if style == "hubspot" and dates == "iso" else dates),
            ]
        )
        if messy and i % 50 == 7:
            out.write("\n")
    return out.getvalue()


@dataclass(frozen=True)
class BookEntry:
    """A contract the book should hold at the scenario's start, as the export implies."""

    account: str
    line: str
    annual_value: float
    ends: str  # 'YYYY-MM', the month it comes up for renewal


def generate_book(
    truth: Truth, *, seed: int, accounts: int = 60
) -> tuple[list[dict[str, str]], list[BookEntry]]:
    """A subscriptions export as billing systems write it, and the book it implies at
    the month after ``truth.as_of``: per account an annual contract (with last year's
    expired row), or a monthly subscription without an end date (renewing on its start's
    anniversary), sometimes with an add-on item on a second row, sometimes cancelled."""
    rng = np.random.default_rng(seed)
    start = truth.as_of.year * 12 + truth.as_of.month  # month index of the scenario's start
    rows: list[dict[str, str]] = []
    book: list[BookEntry] = []
    for i in range(accounts):
        account = f"Customer {i + 1:03d}"
        line = truth.lines[i % len(truth.lines)]
        value = round(line.deal_size * float(rng.uniform(0.5, 1.5)), 2)
        kind = ("annual", "monthly", "cancelled")[int(rng.choice(3, p=[0.6, 0.3, 0.1]))]
        began = start - 1 - int(rng.integers(0, 30))  # month index it started
        add_on = round(value * 0.1, 2) if rng.random() < 0.3 else None
        if kind == "annual":
            ends = start + int(rng.integers(0, 12))  # renewal month, in the coming year
            first_day = _month_start(ends - 12)
            last_day = _month_start(ends) - dt.timedelta(days=1)
            rows.append(_row(account, line.name, value, "Annual", "active", first_day, last_day))
            rows.append(  # last year's term: expired, not in the book
                _row(
                    account,
                    line.name,
                    value,
                    "Annual",
                    "active",
                    _month_start(ends - 24),
                    first_day - dt.timedelta(days=1),
                )
            )
            if add_on:
                rows.append(
                    _row(account, line.name, add_on, "Annual", "active", first_day, last_day)
                )
            book.append(BookEntry(account, line.name, value + (add_on or 0.0), _label(ends)))
        elif kind == "monthly":
            first_day = _month_start(began) + dt.timedelta(days=9)
            monthly = round(value / 12, 2)
            rows.append(_row(account, line.name, monthly, "Monthly", "active", first_day, None))
            if add_on:
                rows.append(
                    _row(
                        account,
                        line.name,
                        round(add_on / 12, 2),
                        "month",
                        "active",
                        first_day,
                        None,
                    )
                )
            ends = began + 12 * max(1, -(-(start - began) // 12))
            total = monthly * 12 + (round(add_on / 12, 2) * 12 if add_on else 0.0)
            book.append(BookEntry(account, line.name, total, _label(ends)))
        else:
            rows.append(
                _row(account, line.name, value, "Annual", "canceled", _month_start(began), None)
            )
    return rows, book


def _month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def _label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _row(account, product, amount, billing, status, start, end) -> dict[str, str]:
    return {
        "Customer Name": account,
        "Product": product,
        "Amount": f"{amount:.2f}",
        "Billing Period": billing,
        "Status": status,
        "Start Date": start.isoformat(),
        "End Date": end.isoformat() if end else "",
    }


def write_book(rows: list[dict[str, str]], *, delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "crm_opportunities.csv"
SAMPLE_TRUTH = Truth(
    lines=(
        LineTruth("Subscriptions", 2.0, 0.3, 3, 18_000.0, 0.5),
        LineTruth("Implementation", 0.7, 0.45, 2, 40_000.0, 0.3),
    ),
    reps=8,
    start=dt.date(2023, 1, 1),
    months=24,
)
SAMPLE_SEED = 2024


def sample_text() -> str:
    """The sample export of ``examples/``: a Salesforce report of two years, two lines."""
    return write_csv(generate(SAMPLE_TRUTH, seed=SAMPLE_SEED), style="salesforce")


if __name__ == "__main__":
    SAMPLE.parent.mkdir(exist_ok=True)
    SAMPLE.write_text(sample_text(), encoding="utf-8")
    print(
        f"wrote {SAMPLE.relative_to(Path.cwd()) if SAMPLE.is_relative_to(Path.cwd()) else SAMPLE}"
    )
    sys.exit(0)
