"""The "Your history" page's pure parts: reading an upload, the words and the example.

An uploaded revenue history is parsed by :mod:`simulator.history_csv` and judged by
:func:`simulator.history_csv.assess_history`, the same verdict a plan gets (without a
luck allowance: a history's deal counts are unknown). Nothing here writes the file
anywhere or caches it across sessions: the page keeps it in the browser session's
memory only (the uploader's own state), and it is gone when the session ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator import verdict_text
from simulator.history_csv import HistoryAssessment, HistoryError, assess_history, parse_history
from simulator.scenario_io import MAX_FILE_BYTES

from .session import upload_limit

EXAMPLE_NAME = "revenue_history_example.csv"
EXAMPLE_CSV = "quarter,revenue\n" + "".join(
    f'{2022 + i // 4}Q{i % 4 + 1},"{amount:,}"\n'
    for i, amount in enumerate(
        (
            *(1_180_000, 1_210_000, 1_190_000, 1_530_000),
            *(1_240_000, 1_260_000, 1_250_000, 1_610_000),
            *(1_290_000, 1_300_000, 1_310_000, 1_680_000),
        )
    )
)
"""A small example to download: three years with a fiscal Q4 peak, a season and not
whiplash."""


def upload_label() -> str:
    """The uploader's label, with the size limit it enforces."""
    return f"Your revenue history (.csv, up to {upload_limit()})"


FORMAT_HELP = (
    "One row per month or per quarter: a 'month' column (YYYY-MM, e.g. 2024-03) or a "
    "'quarter' column (YYYYQn, e.g. 2024Q1), and a 'revenue' column. Other columns are "
    "ignored; thousands commas, currency signs and a spreadsheet's byte-order mark are "
    "fine. Months are added up into calendar quarters."
)
PRIVACY = (
    "The file stays in this browser session's memory: it is not saved on the server or "
    "shared with other sessions, and it is gone when you close the tab."
)


@dataclass(frozen=True)
class HistoryView:
    """What the page shows of one upload: the assessment, or the one-line error."""

    assessment: HistoryAssessment | None
    error: str = ""

    @property
    def headline(self) -> str:
        return verdict_text.history_headline(self.assessment) if self.assessment else ""

    @property
    def details(self) -> list[str]:
        return verdict_text.history_details(self.assessment) if self.assessment else []

    @property
    def tone(self) -> str:
        return verdict_text.tone(self.assessment.verdict) if self.assessment else "warn"


def read_upload(name: str, data: bytes) -> HistoryView:
    """Parse and judge an uploaded file; a bad file becomes one line naming the line of
    the file and the column (never a traceback)."""
    if len(data) > MAX_FILE_BYTES:
        return HistoryView(
            None, f"{name}: the file is {len(data):,} bytes; the limit is {upload_limit()}"
        )
    try:
        return HistoryView(assess_history(parse_history(data, source=name)))
    except HistoryError as exc:
        return HistoryView(None, str(exc))
