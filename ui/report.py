"""The board report: the plan's verdict in words, its key figures, the revenue fan,
quarterly bars and renewal calendar, its settings and changes, and the comparison when
plans are held, as a two-page PDF (A4) or one PNG, rendered without a browser.

Charts are the app's own Vega-Lite specs (``ui/charts.py``), rendered by ``vl-convert``;
the PDF is laid out with ``fpdf2`` in a Unicode TrueType font found on the machine
(DejaVu or Liberation Sans), or in the PDF's core Helvetica when none is, with any
character it lacks replaced (the currency then shows as its code). Every amount is in
the plan's currency. Pure functions of results: no Streamlit here.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from simulator import ResultSummary, Scenario
from simulator.models import Currency
from simulator.money import using_currency

from . import charts, timeline
from .compare_charts import compare_chart, comparison_table
from .format import money, percent
from .verdict import early_warning_sentence, key_figures, verdict_sentence

Named = Sequence[tuple[str, ResultSummary]]

CHART_WIDTH = 900
"""Pixels across a chart in the report (drawn at twice that for print)."""
MAX_LISTED_CHANGES = 10
"""Changes of plan listed by name; the rest are counted."""
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts")
"""The system's font folders, searched for the fonts below."""
FONTS = (
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
)
"""Unicode fonts the PDF uses when the machine has them (regular, bold)."""

OWN_CHANNELS = ("color", "fill", "stroke", "strokeDash", "opacity", "size", "shape", "angle")
"""Channels whose scale and legend stay each chart's own in the PNG's column of charts."""

_ONE_AT_A_TIME = threading.BoundedSemaphore(1)
"""Reports rendered at once in this process: rendering takes a core for a second or two,
so a burst of clicks queues instead of starving the pages."""


# --- The text of the report ---------------------------------------------------------------


def plain(text: str) -> str:
    """User text as one line without control, format or private characters (a bidi
    override must not reorder the board's page)."""
    kept = (" " if c in "\n\r\t" else c for c in str(text))
    return "".join(c for c in kept if unicodedata.category(c)[0] != "C").strip()


@dataclass(frozen=True)
class ReportText:
    """Every sentence and table of the report, in the plan's currency."""

    title: str
    subtitle: str
    verdict: str
    warning: str
    figures: list[tuple[str, str]]
    settings: list[tuple[str, str]]
    lines: list[list[str]]
    changes: list[str]
    comparison: list[list[str]]


LINE_HEADER = [
    "Product line",
    "Focus",
    "Deal size",
    "Cycle",
    "Win rate",
    "Term",
    "Renewal",
    "Leads / rep-month",
    "Close effort",
]


def _amount(value: float | None) -> str:
    return "not set" if value is None else money(value)


def _settings(scenario: Scenario) -> list[tuple[str, str]]:
    team, policy, season = scenario.team, scenario.policy, scenario.seasonality
    effort = ", ".join(f"{s} {percent(v)}" for s, v in scenario.effort.as_dict().items())
    targets = scenario.targets
    push = "off"
    if policy.active:
        push = (
            f"{percent(policy.quarter_end_push)} of prospecting moves to closing when the "
            f"quarter is below {percent(policy.push_trigger)} of quota (seen after "
            f"{policy.perception_delay_months} month(s))"
        )
    book = scenario.contracts
    book_text = "no contracts"
    if book:
        ends = sorted(c.ends for c in book)
        total = money(sum(c.annual_value for c in book))
        book_text = f"{len(book)} contracts, {total} a year, ending {ends[0]} to {ends[-1]}"
    return [
        ("Calendar", f"{scenario.simulation.months} months from {scenario.simulation.start}"),
        (
            "Team",
            f"{team.reps:g} reps; new reps ramp over {team.ramp_months} months; "
            f"{percent(team.attrition_annual)} leave a year, replaced after "
            f"{team.backfill_months} months",
        ),
        ("Effort", effort),
        (
            "Relationships",
            f"{scenario.relationships.contacts_per_account} buyer contacts per account; "
            f"{percent(scenario.relationships.champion_turnover)} of contacts leave a year",
        ),
        (
            "Targets",
            f"revenue {_amount(targets.quarterly_revenue)} a quarter; new-business quota "
            f"{_amount(targets.quarterly_bookings)}",
        ),
        ("Quarter-end push", push),
        (
            "Seasonality",
            "leads vary by month" if season.leads is not None else "none (leads every month alike)",
        ),
        ("Contract book", book_text),
        ("Currency", f"{scenario.currency.code} ({scenario.currency.symbol})"),
    ]


def report_text(result: ResultSummary, *, compared: Named = ()) -> ReportText:
    """The report's words and tables for ``result`` (the plan) and the held plans."""
    scenario = result.scenario
    sim = scenario.simulation
    with using_currency(scenario.currency):
        figures = [(plain(f.label), f.value) for f in key_figures(result)]
        lines = [
            [
                plain(line.name),
                percent(share),
                money(line.deal_size),
                f"{line.sales_cycle_months} mo",
                percent(line.win_rate),
                "one-off" if line.term_months == 0 else f"{line.term_months} mo",
                percent(line.renewal_rate) if line.term_months else "-",
                f"{line.leads_per_rep_month:g}",
                f"{line.close_effort_per_deal:g}",
            ]
            for (_, line), share in zip(
                scenario.product_lines.items(), scenario.focus_shares.values(), strict=True
            )
        ]
        listed = [plain(words) for _, _, words in timeline.listed_changes(scenario)]
        changes = [plain(timeline.opening_words(scenario))] if listed else []
        changes += listed[:MAX_LISTED_CHANGES]
        if len(listed) > MAX_LISTED_CHANGES:
            changes.append(f"... and {len(listed) - MAX_LISTED_CHANGES} more changes")
        text = ReportText(
            title=plain(scenario.meta.title),
            subtitle=(
                f"Board report, {dt.date.today():%d %B %Y}. {result.runs:,} simulated futures "
                f"of {sim.months} months from {sim.start}; amounts in {scenario.currency.code}."
            ),
            verdict=plain(verdict_sentence(result)) + ".",
            warning=plain(early_warning_sentence(result)),
            figures=figures,
            settings=_settings(scenario),
            lines=lines,
            changes=changes,
            comparison=[],
        )
    if compared:
        table = comparison_table(compared)
        rows = [list(table.columns)] + [[plain(str(v)) for v in row] for row in table.values]
        text = ReportText(**{**text.__dict__, "comparison": rows})
    return text


# --- Charts -------------------------------------------------------------------------------


def _fixed_width(spec: dict[str, Any], width: int) -> dict[str, Any]:
    """The spec at a fixed width: a file has no container to fit."""
    out = dict(spec)
    out["width"] = width
    return out


def chart_pngs(result: ResultSummary, *, compared: Named = ()) -> dict[str, bytes]:
    """The report's charts as PNG (twice the pixels, for print), by name."""
    import vl_convert

    scenario = result.scenario
    with using_currency(scenario.currency):
        specs = {
            "fan": charts.revenue_fan_chart(result),
            "bars": charts.quarterly_bars(result),
            "calendar": charts.renewal_calendar(scenario),
        }
        if compared:
            specs["compare"] = compare_chart(compared, current=result)
        dicts = {
            name: _fixed_width(c.to_dict(validate=False), CHART_WIDTH) for name, c in specs.items()
        }
    return {name: vl_convert.vegalite_to_png(spec, scale=2) for name, spec in dicts.items()}


# --- The PDF ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def unicode_font() -> tuple[Path, Path] | None:
    """A regular and a bold Unicode TrueType font of this machine, or None."""
    for regular, bold in FONTS:
        for folder in FONT_DIRS:
            root = Path(folder)
            if not root.is_dir():
                continue
            found = {p.name: p for p in root.rglob("*.ttf") if p.name in (regular, bold)}
            if regular in found and bold in found:
                return found[regular], found[bold]
    return None


class _Writer:
    """Text into the PDF in its font: Unicode, or Latin-1 with replacements."""

    def __init__(self, font: tuple[Path, Path] | None) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(orientation="P", unit="mm", format="A4")
        self.pdf.set_margins(14, 12, 14)
        self.pdf.set_auto_page_break(auto=True, margin=12)
        self.unicode = font is not None
        if font is not None:
            self.pdf.add_font("body", "", str(font[0]))
            self.pdf.add_font("body", "B", str(font[1]))
            self.family = "body"
        else:
            self.family = "helvetica"

    def text(self, value: str) -> str:
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, *, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def paragraph(self, value: str, *, size: float = 10, bold: bool = False, gap: float = 1.5):
        self.font(size, bold=bold)
        self.pdf.multi_cell(0, size * 0.5, self.text(value), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(gap)

    def heading(self, value: str) -> None:
        self.pdf.ln(1)
        self.paragraph(value, size=12, bold=True, gap=1)

    def table(self, rows: list[list[str]], *, widths: Sequence[float], size: float = 8) -> None:
        from fpdf.fonts import FontFace

        self.font(size)
        with self.pdf.table(
            col_widths=tuple(widths),
            line_height=size * 0.5,
            text_align="LEFT",
            first_row_as_headings=True,
            headings_style=FontFace(emphasis="BOLD", fill_color=(235, 240, 245)),
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            for row in rows:
                cells = table.row()
                for cell in row:
                    cells.cell(self.text(cell))
        self.pdf.ln(2)

    def image(self, png: bytes, *, width: float) -> None:
        self.pdf.image(io.BytesIO(png), w=width, keep_aspect_ratio=True)
        self.pdf.ln(2)


def _shown(result: ResultSummary, unicode: bool) -> ResultSummary:
    """Without a Unicode font, a symbol Latin-1 lacks (€, ₹) is shown as the code."""
    currency = result.scenario.currency
    if unicode or currency.symbol == currency.symbol.encode("latin-1", "replace").decode():
        return result
    coded = Currency(code=currency.code, symbol=currency.code, symbol_after=True)
    return replace(result, scenario=result.scenario.model_copy(update={"currency": coded}))


def report_pdf(result: ResultSummary, *, compared: Named = (), core_font: bool = False) -> bytes:
    """The board report as PDF bytes: two A4 pages (the comparison adds to the second).

    ``core_font``: use the PDF's own Helvetica even where a Unicode font exists.
    """
    chosen = None if core_font else unicode_font()
    with _ONE_AT_A_TIME:
        unicode = chosen is not None
        shown = _shown(result, unicode)
        held = [(name, _shown(r, unicode)) for name, r in compared]
        text = report_text(shown, compared=held)
        pngs = chart_pngs(shown, compared=held)
        for scale in SCALES:  # laying out is quick; the charts are drawn once
            writer = _Writer(chosen)
            _lay_out(writer, text, pngs, scale)
            if writer.pdf.page_no() <= 2:
                break
        return bytes(writer.pdf.output())


SCALES = (1.0, 0.85, 0.7, 0.55)
"""Chart sizes tried, largest first, until the report fits on two pages."""


def _lay_out(writer: _Writer, text: ReportText, pngs: dict[str, bytes], scale: float) -> None:
    """Page 1: the verdict, figures and comparison table over the fan and the bars;
    page 2: the calendar, the settings, the changes and the comparison chart."""
    pdf = writer.pdf
    pdf.set_title(writer.text(text.title))
    pdf.set_creator("Sales whiplash simulator")
    pdf.add_page()
    writer.paragraph(text.title, size=17, bold=True, gap=0.5)
    writer.paragraph(text.subtitle, size=9, gap=2.5)
    writer.paragraph(text.verdict, size=13, bold=True, gap=0.5)
    writer.paragraph(text.warning, size=10, gap=2)
    writer.table(
        [[label for label, _ in text.figures], [value for _, value in text.figures]],
        widths=[1] * len(text.figures),
        size=9,
    )
    if text.comparison:
        writer.heading("Plans compared")
        writer.table(text.comparison, widths=(1.4, 1.3, 1, 1.6, 1.3, 1, 1, 0.6, 0.8), size=7)
    width = pdf.epw * scale
    writer.image(pngs["fan"], width=width)
    writer.image(pngs["bars"], width=width * 0.92)
    pdf.add_page()
    writer.image(pngs["calendar"], width=width * 0.85)
    writer.heading("The plan's settings")
    writer.table([["Setting", "Value"], *map(list, text.settings)], widths=(1, 4), size=8)
    writer.table([LINE_HEADER, *text.lines], widths=(3, 1, 1.3, 1, 1, 1, 1, 1.2, 1.1), size=7.5)
    writer.heading("Changes of plan")
    writer.paragraph(
        "; ".join(text.changes) if text.changes else "None: the opening plan holds throughout.",
        size=8.5,
    )
    if text.comparison:
        writer.image(pngs["compare"], width=width * 0.85)


# --- The PNG ------------------------------------------------------------------------------


def report_png(result: ResultSummary, *, compared: Named = ()) -> bytes:
    """The report's first page as one picture for a slide: the verdict and key figures
    over the revenue fan, the quarterly bars and the calendar (and the comparison)."""
    import vl_convert

    with _ONE_AT_A_TIME:
        text = report_text(result, compared=compared)
        scenario = result.scenario
        with using_currency(scenario.currency):
            parts = [
                charts.revenue_fan_chart(result),
                charts.quarterly_bars(result),
                charts.renewal_calendar(scenario),
            ]
            if compared:
                parts.append(compare_chart(compared, current=result))
            specs = [_fixed_width(p.to_dict(validate=False), CHART_WIDTH) for p in parts]
        figures = "   ".join(f"{label}: {value}" for label, value in text.figures)
        parts, datasets = _compose(specs)
        page = {
            "$schema": specs[0].get("$schema"),
            "title": {
                "text": text.title,
                "subtitle": [text.verdict, text.warning, figures, text.subtitle],
                "anchor": "start",
                "fontSize": 30,
                "subtitleFontSize": 18,
                "subtitlePadding": 8,
                "offset": 24,
            },
            "vconcat": parts,
            "datasets": datasets,
            "resolve": {  # each chart keeps its own colours, dashes and legends
                "scale": {c: "independent" for c in OWN_CHANNELS},
                "legend": {c: "independent" for c in OWN_CHANNELS},
            },
            "spacing": 36,
            "config": specs[0].get("config", {}),
            "background": "white",
            "padding": 24,
        }
        return vl_convert.vegalite_to_png(page, scale=1.5)


def _rename_params(spec: Any, names: dict[str, str]) -> Any:
    """``spec`` with its selection parameters renamed (they must be unique in a page)."""
    if isinstance(spec, dict):
        return {
            k: names.get(v, v)
            if k in ("name", "param") and isinstance(v, str)
            else _rename_params(v, names)
            for k, v in spec.items()
        }
    if isinstance(spec, list):
        return [_rename_params(v, names) for v in spec]
    return spec


def _param_names(spec: Any) -> set[str]:
    if isinstance(spec, dict):
        found = {p["name"] for p in spec.get("params", []) if isinstance(p, dict) and "name" in p}
        return found.union(*(_param_names(v) for v in spec.values()))
    if isinstance(spec, list):
        return set().union(*(_param_names(v) for v in spec))
    return set()


def _compose(specs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Charts as parts of one page: their data pooled at the top, their parameters
    renamed apart, top-level-only keys dropped."""
    parts, datasets = [], {}
    for i, spec in enumerate(specs):
        datasets.update(spec.get("datasets", {}))
        names = {n: f"{n}_{i}" for n in _param_names(spec)}
        inner = {k: v for k, v in spec.items() if k not in ("$schema", "config", "datasets")}
        inner.pop("autosize", None)
        # An expression that reads the x scale by name finds it under the part's name.
        text = json.dumps(_rename_params(inner, names))
        parts.append(json.loads(text.replace("bandwidth('x')", f"bandwidth('concat_{i}_x')")))
    return parts, datasets
