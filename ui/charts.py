"""Altair chart builders for the app: pure functions from results and scenarios to charts.

Every builder returns a finished chart (theme applied, ``width="container"``) that
``st.altair_chart`` can show as is, and that validates with ``chart.to_dict()``.
No model arithmetic here: the numbers come from ``ResultSummary.monthly``,
``.quarter_table``, ``.report`` and the scenario's fields; this module only
reshapes, labels and colours them.

Colours come from the Okabe-Ito palette (safe for the common colour-vision
deficiencies); fonts are sized for a projector at the back of a training room.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import altair as alt
import pandas as pd

from simulator.engine import SOURCES
from simulator.metrics import VERDICTS
from simulator.models import STAGES, Currency, Effort, Scenario, month_index, month_label
from simulator.money import DEFAULT_CURRENCY, current_currency
from simulator.results import SOURCE_LABELS, ResultSummary, quarter_label

from .format import money, month_name, month_start, percent, percent_change
from .timeline import describe_change

# --- Palette: Okabe & Ito (2008), "Color Universal Design".
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#8C8C8C"
PALETTE = (BLUE, ORANGE, GREEN, PURPLE, SKY_BLUE, VERMILLION, BLACK, YELLOW)
"""Categorical colours in order of use; enough for the 8 product lines a scenario may have."""

STATUS_COLOURS = {"boom": BLUE, "steady": GREY, "bust": VERMILLION}
VERDICT_COLOURS = {"none": GREEN, "mild": ORANGE, "severe": VERMILLION}
STAGE_COLOURS = {
    "attract": SKY_BLUE,
    "close": ORANGE,
    "engage": GREEN,
    "retain": BLUE,
    "leverage": PURPLE,
}
STAGE_TEXT_COLOURS = {  # whichever of black and white reads better on the stage's colour
    "attract": BLACK,
    "close": BLACK,
    "engage": BLACK,
    "retain": "#FFFFFF",
    "leverage": BLACK,
}
SOURCE_COLOURS = {
    "existing": BLUE,
    "new": SKY_BLUE,
    "renewal": GREEN,
    "expansion": PURPLE,
    "one_off": ORANGE,
}
STAGE_NAMES = {
    "attract": "Attract",
    "close": "Close",
    "engage": "Engage",
    "retain": "Retain",
    "leverage": "Leverage",
}
STAGE_MEANINGS = {
    "attract": "Prospecting: finding new leads and filling the pipeline",
    "close": "Closing the deals already in the pipeline",
    "engage": "Onboarding clients after the sale",
    "retain": "Account care: keeping clients satisfied so they renew",
    "leverage": "Up-sell, cross-sell and referrals from existing clients",
}
CONTACT_GROUPS = ("1 (single-threaded)", "2", "3 or more")
CONTACT_COLOURS = (VERMILLION, ORANGE, BLUE)

# --- Text colours: dark enough to read from the back of a room. Every text colour here has
# at least 4.5:1 contrast against BACKGROUND (WCAG AA for body text; tests/test_chart_legibility.py
# computes it). The palette's own vermillion and purple (3.9:1, 3.1:1) stay for rules and
# areas; their text uses the darker shades below.
BACKGROUND = "#FFFFFF"
TEXT = "#31333F"
"""Axis, legend and title text (12.5:1 on white): Streamlit's own dark text colour."""
MUTED_TEXT = "#555867"
"""Subtitles and the message of an empty chart (7.1:1 on white)."""
WARNING_TEXT = "#A34400"
"""Text in vermillion's hue: the coverage warning (6.2:1 on white)."""
CHANGE_TEXT = "#8F3F72"
"""Text in the plan-change purple's hue (6.7:1 on white)."""

# --- Theme: sizes for a projector, the page's own font (Streamlit serves "Source Sans"),
# dark text on a white chart whatever the host page does.
FONT = "'Source Sans', 'Source Sans Pro', 'Source Sans 3', 'Helvetica Neue', Arial, sans-serif"
FONT_SIZE = 16
"""Axis, legend and label text in pixels; the page's base font is 18 px."""
TITLE_SIZE = FONT_SIZE + 5
MIN_FONT_SIZE = 14
"""No text in a chart is smaller than this (the effort legend in the sidebar is)."""
PLOT_HEIGHT = 260
"""Height of each chart's plot area in pixels; :func:`chart_height` adds titles, legends
and axes to it."""
CHART_HEIGHT = PLOT_HEIGHT
"""The plot height under its older name (other pages' charts size by it)."""
NARROWEST_CHART = 350
"""The narrowest chart the layouts draw, in pixels: half the main column at 1280 px with
the sidebar open (372), or a phone (390 px less the page's margins: 354). Titles and
subtitles wrap to fit this width (Vega cannot wrap them to the width it finds)."""
CHART_PADDING = 8
PADDING_PX = 2 * CHART_PADDING
Y_AXIS_PX = 80
"""Width of a money axis left of the plot: "$800k" and the axis title (measured)."""
NARROWEST_PLOT = NARROWEST_CHART - PADDING_PX - Y_AXIS_PX
"""The plot's width in the narrowest chart: a legend above the plot has this much room."""
LEGEND_SYMBOL_PX = 38
"""A legend entry's symbol and its gap to the label (22 px with Streamlit's legend
padding), and the padding to the next column (16 px); measured in Chromium."""
LEGEND_LABEL_LIMIT = NARROWEST_PLOT - LEGEND_SYMBOL_PX
"""Legend labels up to this many pixels are drawn whole however narrow the chart (wider
charts allow wider ones); Vega shortens a longer one with "…". Only a long product-line
name can reach it."""
THEME: dict[str, dict] = {
    "config": {"font": FONT, "background": BACKGROUND},
    "axis": {
        "labelFontSize": FONT_SIZE,
        "titleFontSize": FONT_SIZE + 1,
        "titleFontWeight": "normal",
        "titlePadding": 10,
        "labelOverlap": "greedy",
        "labelColor": TEXT,
        "titleColor": TEXT,
    },
    "legend": {
        "labelFontSize": FONT_SIZE,
        "titleFontSize": FONT_SIZE,
        "titleFontWeight": "normal",
        "symbolSize": 180,
        # The plot's width, less the symbol (a chart's ``width`` signal is its plot's).
        "labelLimit": {"expr": f"max({LEGEND_LABEL_LIMIT}, width - {LEGEND_SYMBOL_PX})"},
        "orient": "top",
        "labelColor": TEXT,
        "titleColor": TEXT,
    },
    "title": {
        "fontSize": TITLE_SIZE,
        "subtitleFontSize": FONT_SIZE,
        "anchor": "start",
        # Over the whole chart, axes included: Vega shortens a title longer than its
        # frame with "…", and the default frame (the plot) is narrower by the y axis.
        "frame": "bounds",
        "offset": 10,
        "color": TEXT,
        "subtitleColor": MUTED_TEXT,
    },
    "text": {"color": TEXT, "fontSize": FONT_SIZE},
    "view": {"stroke": None},
}
"""Shared chart configuration; :func:`themed` applies it to a finished chart."""
USERMETA = {"embedOptions": {"renderer": "svg"}}
"""Vega-embed draws SVG: text stays sharp on a projector, and the browser tests can read
every legend entry (Streamlit would switch a chart of many marks to canvas)."""

# Pixels the parts around a plot take, for :func:`chart_height` (measured in Chromium
# with the theme's sizes; tests/e2e/test_presenter_browser.py checks the plot's height).
TITLE_PX = 37
TITLE_LINE_PX = 26
SUBTITLE_LINE_PX = 20
LEGEND_PX = 18
LEGEND_ROW_PX = 39
X_AXIS_PX = 52
"""Two-line quarter labels ("Q1" over "2013") under the plot."""
X_TITLE_PX = 28

ChartLike = alt.Chart | alt.LayerChart | alt.VConcatChart


# Altair re-validates every object against the Vega-Lite schema as it is created
# ("debug mode"): a third of a cold rerun of the app. The finished specs are validated
# by tests/test_charts.py (``to_dict()`` validates whatever this flag says), so the
# builders run without it.
alt.utils.schemapi.disable_debug_mode()


def chart_height(
    plot: int = PLOT_HEIGHT,
    *,
    title_lines: int = 1,
    subtitle_lines: int = 0,
    legend_rows: int = 0,
    x_axis: bool = True,
    x_title: bool = False,
) -> int:
    """The whole chart's height for a plot of ``plot`` pixels: what :func:`themed` asks
    Vega to fit, so that a fullscreen chart (whose height Streamlit sets to the screen's)
    keeps its axes and legend on screen."""
    height = plot + PADDING_PX
    height += TITLE_PX + TITLE_LINE_PX * (title_lines - 1) if title_lines else 0
    height += SUBTITLE_LINE_PX * subtitle_lines
    height += LEGEND_PX + LEGEND_ROW_PX * legend_rows if legend_rows else 0
    height += X_AXIS_PX if x_axis else 0
    height += X_TITLE_PX if x_title else 0
    return height


def themed(chart: ChartLike, *, height: int | None = None) -> ChartLike:
    """Apply :data:`THEME` so every chart in the app reads the same on a projector.

    Width follows the container. With ``height`` (from :func:`chart_height`) the chart
    fits in that height, titles, legends and axes included, and so fits a fullscreen view
    too; without it the height is the plot's own (Streamlit's default "fit" would squash a
    chart with a two-line title or a legend).
    """
    # One shallow copy with the whole config, not a deep copy per configure_* call: the
    # same spec, about 50 ms less per page of charts (bench.app).
    out = chart.copy(deep=False)
    out.config = alt.Config(
        **THEME["config"],
        axis=alt.AxisConfig(**THEME["axis"]),
        legend=alt.LegendConfig(**THEME["legend"]),
        title=alt.TitleConfig(**THEME["title"]),
        text=alt.MarkConfig(**THEME["text"]),
        view=alt.ViewConfig(**THEME["view"]),
    )
    out.usermeta = USERMETA
    # Vega fits text by its font size; a rotated axis title's descenders and a title's
    # accents reach a few pixels beyond, which the default 5 px padding would cut off.
    # (An object: Streamlit adds to its "bottom" and fails on a plain number.)
    out.padding = {side: CHART_PADDING for side in ("top", "left", "right", "bottom")}
    if height is None:
        out.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    else:
        out.height = height
        out.autosize = alt.AutoSizeParams(type="fit", contains="padding")
    return out


# --- Fitting text into the narrowest chart. Vega neither wraps titles nor wraps a legend
# row, so the builders do: from an estimate of the text's width in Source Sans.
_NARROW = frozenset("fijlrt1.,:;'!|()[] ")
_WIDE = frozenset("mwMW@%")


def text_width(text: str, *, font_size: float = FONT_SIZE, bold: bool = False) -> float:
    """Estimated width in pixels of ``text`` in Source Sans: a little wider than Chromium
    draws it (measured on the app's labels), so what fits here fits on screen."""
    em = sum(
        0.3 if c in _NARROW else 0.85 if c in _WIDE else 0.62 if c.isupper() else 0.52 for c in text
    )
    return em * font_size * (1.06 if bold else 1.0)


def legend_column_px(labels: Sequence[str], *, font_size: float = FONT_SIZE) -> int:
    """The width of one column of a legend of ``labels``: the widest label and a symbol."""
    widest = max((text_width(t, font_size=font_size) for t in labels), default=0.0)
    return round(min(widest, LEGEND_LABEL_LIMIT) + LEGEND_SYMBOL_PX)


def legend_columns(
    labels: Sequence[str], *, font_size: float = FONT_SIZE, width: float = NARROWEST_PLOT
) -> int:
    """How many columns of ``labels`` fit side by side in ``width`` pixels (at least one)."""
    column = legend_column_px(labels, font_size=font_size)
    return max(1, min(len(labels), int(width // column)))


def fitted_columns(labels: Sequence[str], *, font_size: float = FONT_SIZE) -> alt.ExprRef:
    """A legend's ``columns``: as many as fit the chart's width when it is drawn (one row on
    a wide screen, more on a phone). One row wider than the chart is cut off at its edge."""
    column = legend_column_px(labels, font_size=font_size)
    return alt.ExprRef(f"max(1, min({len(labels)}, floor(width / {column})))")


def legend_rows(
    labels: Sequence[str], *, font_size: float = FONT_SIZE, width: float = NARROWEST_PLOT
) -> int:
    """Rows of a :func:`fitted_columns` legend in the narrowest chart (the most it takes)."""
    columns = legend_columns(labels, font_size=font_size, width=width)
    return -(-len(labels) // columns)


def wrap(
    text: str, *, font_size: float = FONT_SIZE, width: float = NARROWEST_CHART - PADDING_PX
) -> list[str]:
    """``text`` broken at spaces into lines that each fit in ``width`` pixels (a title or
    subtitle); a single word longer than that stays whole."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", font_size=font_size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def verdict_colour(verdict: str) -> str:
    """The colour of a whiplash verdict ('none', 'mild', 'severe'), for badges and text."""
    try:
        return VERDICT_COLOURS[verdict]
    except KeyError:
        known = ", ".join(VERDICTS)
        raise ValueError(f"verdict {verdict!r} is not one of: {known}") from None


def status_colour(status: str) -> str:
    """The colour of a quarter's status ('boom', 'steady', 'bust')."""
    try:
        return STATUS_COLOURS[status]
    except KeyError:
        known = ", ".join(STATUS_COLOURS)
        raise ValueError(f"status {status!r} is not one of: {known}") from None


# --- Axes.
def money_label_expr(currency: Currency) -> str:
    """Axis labels as :func:`simulator.money.money_text` writes amounts (Vega's own
    format), with ``currency``'s symbol before or after (a symbol is letters, currency
    signs and dots, so it cannot end the quoted string)."""
    symbol = "'" + currency.symbol + "'"

    def amount(digits: str) -> str:
        return f"{digits} + ' ' + {symbol}" if currency.symbol_after else f"{symbol} + {digits}"

    scaled = [("1e9", "B"), ("1e6", "M"), ("1e3", "k")]
    parts = [
        f"abs(datum.value) >= {size} ? "
        + amount(f"format(datum.value / {size}, '.3~r') + '{suffix}'")
        for size, suffix in scaled
    ]
    return " : ".join([*parts, amount("format(datum.value, '.3~r')")])


MONEY_LABEL_EXPR = money_label_expr(DEFAULT_CURRENCY)
"""The axis labels in the default currency ("$1.2M")."""
# Two-line labels: the quarter on every tick, the year under each Q1 (and under the first tick).
QUARTER_LABEL_EXPR = (
    "['Q' + quarter(datum.value),"
    " quarter(datum.value) == 1 || datum.index == 0 ? timeFormat(datum.value, '%Y') : '']"
)
QUARTER_NAME_LABEL_EXPR = (
    "[substring(datum.value, 4),"
    " substring(datum.value, 5) == '1' || datum.index == 0 ? substring(datum.value, 0, 4) : '']"
)
"""The same two-line labels for an axis of quarter names like '2013Q1'."""


def money_axis(title: str) -> alt.Axis:
    """A y axis in the current currency with k/M/B suffixes ('$1.2M', '1.2M kr.')."""
    return alt.Axis(title=title, labelExpr=money_label_expr(current_currency()), tickCount=5)


def month_axis(*, months: int, title: str | None = None) -> alt.Axis:
    """A time axis with one tick per calendar quarter: 'Q1' over '2013', then 'Q2', ...

    Long horizons tick every half year or year so labels never overlap.
    """
    step = 3 if months <= 48 else 6 if months <= 96 else 12
    return alt.Axis(
        title=title,
        labelExpr=QUARTER_LABEL_EXPR,
        tickCount={"interval": "month", "step": step},
        labelAngle=0,
        labelFlush=True,
        labelOverlap="parity",  # when crowded, every other quarter: Q1 (with its year), Q3
        grid=False,
    )


def _x_month(*, months: int, field: str = "date", title: str | None = None) -> alt.X:
    return alt.X(
        f"{field}:T",
        axis=month_axis(months=months, title=title),
        scale=alt.Scale(nice=False),
    )


TITLE_ROOM = NARROWEST_CHART - PADDING_PX
"""Titles and subtitles wrap to this width unless a chart is drawn wider."""


def _lines(
    text: str | list[str] | None, *, font_size: float, width: float = TITLE_ROOM
) -> list[str]:
    """Each paragraph of ``text`` wrapped to fit ``width`` (the narrowest chart)."""
    if text is None:
        return []
    paragraphs = [text] if isinstance(text, str) else text
    return [line for p in paragraphs for line in wrap(p, font_size=font_size, width=width)]


def _title(
    text: str, subtitle: str | list[str] | None = None, *, width: float = TITLE_ROOM
) -> alt.TitleParams:
    """A title and subtitle wrapped into lines that fit the narrowest chart, or ``width``
    (Vega would draw a long one past the chart's edge, where it is cut off)."""
    # Bold and larger: the title wraps a little earlier than the subtitle.
    lines = _lines(text, font_size=TITLE_SIZE * 1.1, width=width)
    title = lines[0] if len(lines) == 1 else lines
    sub = _lines(subtitle, font_size=FONT_SIZE, width=width)
    if not sub:
        return alt.TitleParams(text=title)
    return alt.TitleParams(text=title, subtitle=sub[0] if len(sub) == 1 else sub)


def _title_rows(title: alt.TitleParams) -> dict[str, int]:
    """The lines of a :func:`_title`, as :func:`chart_height` counts them."""
    text, sub = title.text, title.subtitle
    sub_lines = 0 if sub is alt.Undefined else 1 if isinstance(sub, str) else len(sub)
    return {
        "title_lines": 1 if isinstance(text, str) else len(text),
        "subtitle_lines": sub_lines,
    }


def _series(result: ResultSummary, series: str) -> pd.DataFrame:
    """One series of ``result.monthly`` with a date column for the time axis."""
    monthly = result.monthly
    frame = monthly.loc[monthly["series"] == series, ["month", "mean", "p10", "p50", "p90"]]
    frame = frame.reset_index(drop=True)
    frame["date"] = [month_start(m) for m in frame["month"]]
    frame["month_name"] = [month_name(m) for m in frame["month"]]
    return frame


def _hover(frame: pd.DataFrame, *, tooltip: list[alt.Tooltip], name: str = "hover") -> alt.Chart:
    """A vertical rule that follows the pointer and shows one month's tooltip."""
    pick = alt.selection_point(
        name=name, fields=["date"], nearest=True, on="pointerover", clear="pointerout", empty=False
    )
    return (
        alt.Chart(frame)
        .mark_rule(color=GREY, strokeWidth=1.5)
        .encode(
            x=alt.X("date:T"),
            opacity=alt.condition(pick, alt.value(0.8), alt.value(0.0)),
            tooltip=tooltip,
        )
        .add_params(pick)
    )


# --- Plan changes: a labelled rule at each month the plan changes.
CHANGE_COLOUR = PURPLE
MAX_CHANGE_LABELS = 6
"""Change months labelled on a chart; more are drawn as rules only (labels would overlap)."""


def _change_frame(scenario: Scenario) -> pd.DataFrame:
    """One row per change month: its date, quarter, label and what changes (tooltip)."""
    rows = []
    for month in scenario.change_months:
        words = [describe_change(scenario, c) for c in scenario.changes if c.from_ == month]
        rows.append(
            {
                "date": month_start(month),
                "quarter": quarter_label(month_index(month)),
                "label": f"From {month_name(month)}",
                "words": " | ".join(words),
            }
        )
    return pd.DataFrame(rows, columns=["date", "quarter", "label", "words"])


CHANGE_LABEL_ROWS = (4, 4 + FONT_SIZE + 2)
"""Pixels from the top of the plot of the change labels, in turn: two changes a few
months apart do not write over each other."""


def change_markers(scenario: Scenario, *, quarters: list[str] | None = None) -> list[alt.Chart]:
    """Layers marking the months the plan changes (``Scenario.change_months``): a dashed
    rule and "From Jul 2012" at the top. ``quarters``: the chart's quarter names, for a
    chart with one bar per quarter (the rule then stands at the left of the change's
    quarter; a change outside them is not drawn)."""
    frame = _change_frame(scenario)
    if quarters is not None:
        frame = frame[frame["quarter"].isin(quarters)].drop_duplicates("quarter")
        x = alt.X("quarter:N", sort=quarters, bandPosition=0)
    else:
        x = alt.X("date:T")
    if frame.empty:
        return []
    frame = frame.assign(
        label_y=[CHANGE_LABEL_ROWS[i % len(CHANGE_LABEL_ROWS)] for i in range(len(frame))]
    )
    tooltip = [
        alt.Tooltip("label:N", title="Plan change"),
        alt.Tooltip("words:N", title="What changes"),
    ]
    rule = (
        alt.Chart(frame)
        .mark_rule(color=CHANGE_COLOUR, strokeWidth=2, strokeDash=[6, 3])
        .encode(x=x, tooltip=tooltip)
    )
    layers = [rule]
    if len(frame) <= MAX_CHANGE_LABELS:
        label = (
            alt.Chart(frame)
            .mark_text(
                align="left",
                dx=4,
                baseline="top",
                color=CHANGE_TEXT,
                fontSize=MIN_FONT_SIZE,
                fontWeight="bold",
            )
            .encode(
                x=x,
                y=alt.Y("label_y:Q", scale=None),
                text=alt.Text("label:N"),
                tooltip=tooltip,
            )
        )
        layers.append(label)
    return layers


CHANGE_HEADROOM = 1.45
"""With change labels, the quarterly bars' axis reaches this far above the tallest bar,
so the labels stand clear of the bars' own (the median change) above them."""


# --- 1. Revenue fan chart.
FAN_LINES = ("Median", "Baseline median", "Monthly target")
FAN_LINE_COLOURS = (BLUE, GREY, GREEN)
FAN_LINE_DASHES = ([1, 0], [8, 5], [2, 3])


def revenue_fan_chart(
    result: ResultSummary,
    *,
    baseline: ResultSummary | None = None,
    title: str | None = None,
    plot_height: int = PLOT_HEIGHT,
    narrowest: float = NARROWEST_PLOT,
) -> alt.LayerChart:
    """Monthly revenue: p10-p90 band, median line, target and the pinned baseline's median.

    The band is what 8 futures (runs) in 10 fall within, so a trainer can point at the
    uncertainty, not only at the middle line. ``plot_height`` and ``narrowest`` (the
    narrowest plot it is drawn at, which sets the legend's rows and where the subtitle
    wraps): the presenter view's shorter plot on a wide screen, so the chart fits under
    the verdict on a 720-pixel projector.
    """
    frame = _series(result, "revenue")
    frame["median_text"] = [money(v) for v in frame["p50"]]
    frame["range_text"] = [
        f"{money(a)} – {money(b)}" for a, b in zip(frame.p10, frame.p90, strict=True)
    ]
    months = len(frame)

    lines = [frame.assign(line="Median", value=frame["p50"])[["date", "line", "value"]]]
    if baseline is not None:
        base = _series(baseline, "revenue")
        lines.append(
            base.assign(line="Baseline median", value=base["p50"])[["date", "line", "value"]]
        )
        frame = frame.merge(
            base[["month", "p50"]].rename(columns={"p50": "baseline_p50"}), on="month", how="left"
        )
        frame["baseline_text"] = [money(v) for v in frame["baseline_p50"]]
    target = result.scenario.targets.quarterly_revenue
    if target is not None:
        monthly_target = target / 3  # the target is set per quarter; this chart is per month
        lines.append(
            frame.assign(line="Monthly target", value=monthly_target)[["date", "line", "value"]]
        )
        frame["target_text"] = money(monthly_target)
    line_frame = pd.concat(lines, ignore_index=True)
    shown = [name for name in FAN_LINES if name in set(line_frame["line"])]
    colours = [c for name, c in zip(FAN_LINES, FAN_LINE_COLOURS, strict=True) if name in shown]
    dashes = [d for name, d in zip(FAN_LINES, FAN_LINE_DASHES, strict=True) if name in shown]

    x = _x_month(months=months)
    band = (
        alt.Chart(frame)
        .mark_area(color=SKY_BLUE, opacity=0.3)
        .encode(x=x, y=alt.Y("p10:Q", axis=money_axis("Revenue per month")), y2=alt.Y2("p90:Q"))
    )
    legend = alt.Legend(
        title=None, symbolStrokeWidth=3, symbolSize=400, columns=fitted_columns(shown)
    )
    line = (
        alt.Chart(line_frame)
        .mark_line(strokeWidth=3)
        .encode(
            x=x,
            y=alt.Y("value:Q"),
            color=alt.Color("line:N", scale=alt.Scale(domain=shown, range=colours), legend=legend),
            strokeDash=alt.StrokeDash(
                "line:N", scale=alt.Scale(domain=shown, range=dashes), legend=legend
            ),
        )
    )
    tooltip = [
        alt.Tooltip("month_name:N", title="Month"),
        alt.Tooltip("median_text:N", title="Median"),
        alt.Tooltip("range_text:N", title="8 in 10 futures"),
    ]
    if baseline is not None:
        tooltip.append(alt.Tooltip("baseline_text:N", title="Baseline median"))
    if target is not None:
        tooltip.append(alt.Tooltip("target_text:N", title="Monthly target"))
    markers = change_markers(result.scenario)
    heading = _title(
        title or "Revenue per month",
        f"Line: the middle of {result.runs:,} futures. Band: 8 futures in 10 fall inside it.",
        width=narrowest + Y_AXIS_PX,  # the presenter view's wide chart: one line
    )
    chart = alt.layer(band, line, *markers, _hover(frame, tooltip=tooltip)).properties(
        width="container", title=heading, description="Revenue fan chart"
    )
    rows = legend_rows(shown, width=narrowest)
    height = chart_height(plot_height, **_title_rows(heading), legend_rows=rows)
    return themed(chart, height=height)


# --- 2. Quarterly bars.
def status_legend_labels(result: ResultSummary) -> dict[str, str]:
    """The quarterly bars' legend: each status with the threshold that defines it."""
    th = result.scenario.thresholds
    return {
        "boom": f"Boom (≥ +{percent(th.boom_rise)})",
        "steady": "Steady",
        "bust": f"Bust (≤ -{percent(th.bust_drop)})",
    }


def _status_legend_expr(result: ResultSummary) -> str:
    names = status_legend_labels(result)
    return (
        f"datum.label == 'boom' ? '{names['boom']}' : "
        f"datum.label == 'bust' ? '{names['bust']}' : '{names['steady']}'"
    )


LABEL_MIN_BAND = 40
"""Bar width in pixels below which a steady quarter's change label is left out: the
labels always read across (never upright), and a boom's or a bust's is the one to read."""


def quarterly_bars(result: ResultSummary) -> alt.LayerChart:
    """Median revenue per calendar quarter, coloured boom / steady / bust, with the QoQ change."""
    table = result.quarter_table
    frame = table[["quarter", "p10", "p50", "p90", "qoq_change", "bust_share", "status"]].copy()
    frame["change_label"] = [percent_change(v) for v in frame["qoq_change"]]
    frame["median_text"] = [money(v) for v in frame["p50"]]
    frame["range_text"] = [
        f"{money(a)} – {money(b)}" for a, b in zip(frame.p10, frame.p90, strict=True)
    ]
    frame["bust_text"] = [percent(v) for v in frame["bust_share"]]
    order = list(frame["quarter"])
    x = alt.X(
        "quarter:N",
        sort=order,
        title=None,
        axis=alt.Axis(labelAngle=0, labelExpr=QUARTER_NAME_LABEL_EXPR, labelOverlap="parity"),
    )
    tooltip = [
        alt.Tooltip("quarter:N", title="Quarter"),
        alt.Tooltip("median_text:N", title="Median revenue"),
        alt.Tooltip("range_text:N", title="8 in 10 futures"),
        alt.Tooltip("change_label:N", title="Change on previous quarter"),
        alt.Tooltip("bust_text:N", title="Futures with a bust here"),
    ]
    markers = change_markers(result.scenario, quarters=order)
    y_scale: Any = alt.Undefined  # the default scale
    if markers and len(frame) and frame["p50"].max() > 0:
        y_scale = alt.Scale(domainMax=float(frame["p50"].max()) * CHANGE_HEADROOM)
    bars = (
        alt.Chart(frame)
        .mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3)
        .encode(
            x=x,
            y=alt.Y("p50:Q", axis=money_axis("Median revenue per quarter"), scale=y_scale),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
                legend=alt.Legend(
                    title=None,
                    labelExpr=_status_legend_expr(result),
                    columns=fitted_columns(list(status_legend_labels(result).values())),
                ),
            ),
            tooltip=tooltip,
        )
    )
    # Labels read across; where bars are too narrow for every label, only booms and busts
    # keep theirs (upright labels cannot be read from the back of a room).
    # (A condition, not a calculated field: the scale's band width exists only when the
    # marks are drawn.)
    text = alt.condition(
        f"bandwidth('x') >= {LABEL_MIN_BAND} || datum.status != 'steady'",
        alt.Text("change_label:N"),
        alt.value(""),
    )
    labels = (
        alt.Chart(frame)
        .mark_text(dy=-6, fontSize=FONT_SIZE, fontWeight="bold", baseline="bottom")
        .encode(x=x, y=alt.Y("p50:Q"), text=text, tooltip=tooltip)
    )
    heading = _title("Revenue per quarter", "Label: median change on the previous quarter.")
    chart = alt.layer(bars, labels, *markers).properties(
        width="container", title=heading, description="Quarterly revenue bars"
    )
    rows = legend_rows(list(status_legend_labels(result).values()))
    return themed(chart, height=chart_height(**_title_rows(heading), legend_rows=rows))


# --- 3. Revenue by source or product line.
def breakdown_chart(result: ResultSummary, *, by: Literal["source", "line"]) -> alt.LayerChart:
    """Mean monthly revenue stacked by source (new, renewal, ...) or by product line.

    Means (not medians) so the layers add up to the average total.
    """
    if by == "source":
        keys, labels = list(SOURCES), [SOURCE_LABELS[s] for s in SOURCES]
        colours = [SOURCE_COLOURS[s] for s in SOURCES]
        title = "Revenue by source"
    elif by == "line":
        lines = result.scenario.product_lines
        keys, labels = list(lines), [line.name for line in lines.values()]
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(keys))]
        title = "Revenue by product line"
    else:
        raise ValueError(f"by must be 'source' or 'line', not {by!r}")

    monthly = result.monthly
    parts = []
    for order, (key, label) in enumerate(zip(keys, labels, strict=True)):
        rows = monthly.loc[monthly["series"] == f"{by}:{key}", ["month", "mean"]]
        if (rows["mean"] > 0).any():  # leave out sources this scenario never has
            parts.append(rows.assign(key=key, label=label, order=order))
    if not parts:
        return _message_chart("No revenue in this scenario", title=title)
    frame = pd.concat(parts, ignore_index=True)
    frame["date"] = [month_start(m) for m in frame["month"]]
    frame["month_name"] = [month_name(m) for m in frame["month"]]
    frame["value_text"] = [money(v) for v in frame["mean"]]
    shown = [label for label in labels if label in set(frame["label"])]
    shown_colours = [c for label, c in zip(labels, colours, strict=True) if label in shown]

    # One row per month with every layer's value, for the hover tooltip.
    wide = frame.pivot(index="month", columns="order", values="value_text")
    wide.columns = [f"v{c}" for c in wide.columns]
    wide = wide.reset_index()
    wide["date"] = [month_start(m) for m in wide["month"]]
    wide["month_name"] = [month_name(m) for m in wide["month"]]
    tooltip = [alt.Tooltip("month_name:N", title="Month")] + [
        alt.Tooltip(f"v{order}:N", title=label)
        for order, label in enumerate(labels)
        if f"v{order}" in wide.columns
    ]

    area = (
        alt.Chart(frame)
        .mark_area(opacity=0.9, line={"strokeWidth": 1, "color": "white"})
        .encode(
            x=_x_month(months=frame["month"].nunique()),
            y=alt.Y("mean:Q", stack="zero", axis=money_axis("Mean revenue per month")),
            color=alt.Color(
                "label:N",
                sort=shown,
                scale=alt.Scale(domain=shown, range=shown_colours),
                # Wrap long legends: Vega clips a legend row wider than the chart.
                legend=alt.Legend(title=None, columns=fitted_columns(shown)),
            ),
            order=alt.Order("order:Q"),
        )
    )
    markers = change_markers(result.scenario)
    heading = _title(title, f"Average of {result.runs:,} futures, stacked.")
    chart = alt.layer(area, *markers, _hover(wide, tooltip=tooltip)).properties(
        width="container", title=heading, description=f"Revenue by {by}"
    )
    height = chart_height(**_title_rows(heading), legend_rows=legend_rows(shown))
    return themed(chart, height=height)


# --- 4b. The team: headcount and productive capacity.
CAPACITY_SERIES = {"headcount": "Headcount", "productive_reps": "Productive reps"}
"""The monthly series the capacity chart reads, and their names on it."""
CAPACITY_COLOURS = (BLUE, ORANGE)


def has_capacity(result: ResultSummary) -> bool:
    """True when the result has the team's monthly series (engines before the headcount
    stock do not)."""
    return set(CAPACITY_SERIES) <= set(result.monthly["series"])


def _reps_text(value: float) -> str:
    return f"{value:.1f}"


def capacity_chart(result: ResultSummary) -> alt.LayerChart:
    """Headcount and productive (ramped) reps per month: median lines and 8-in-10 bands,
    so hires ramping up and leavers not yet replaced show as a gap between the two."""
    names = list(CAPACITY_SERIES.values())
    parts = []
    for order, (series, name) in enumerate(CAPACITY_SERIES.items()):
        parts.append(_series(result, series).assign(line=name, order=order))
    frame = pd.concat(parts, ignore_index=True)
    frame["median_text"] = [_reps_text(v) for v in frame["p50"]]
    frame["range_text"] = [
        f"{_reps_text(a)} – {_reps_text(b)}" for a, b in zip(frame.p10, frame.p90, strict=True)
    ]
    months = int(frame["month"].nunique())
    scale = alt.Scale(domain=names, range=list(CAPACITY_COLOURS))
    legend = alt.Legend(
        title=None, symbolStrokeWidth=3, symbolSize=400, columns=fitted_columns(names)
    )
    colour = alt.Color("line:N", sort=names, scale=scale, legend=legend)
    x = _x_month(months=months)
    band = (
        alt.Chart(frame)
        .mark_area(opacity=0.2)
        .encode(
            x=x,
            y=alt.Y("p10:Q", axis=alt.Axis(title="Sales reps", tickCount=5)),
            y2=alt.Y2("p90:Q"),
            color=alt.Color("line:N", sort=names, scale=scale, legend=None),
        )
    )
    median = alt.Chart(frame).mark_line(strokeWidth=3).encode(x=x, y="p50:Q", color=colour)

    # One row per month with both series, for the hover tooltip.
    wide = frame.pivot(index="month", columns="order", values=["median_text", "range_text"])
    wide.columns = [f"{field}{order}" for field, order in wide.columns]
    wide = wide.reset_index()
    wide["date"] = [month_start(m) for m in wide["month"]]
    wide["month_name"] = [month_name(m) for m in wide["month"]]
    tooltip = [alt.Tooltip("month_name:N", title="Month")]
    for order, name in enumerate(names):
        tooltip += [
            alt.Tooltip(f"median_text{order}:N", title=f"{name} (median)"),
            alt.Tooltip(f"range_text{order}:N", title=f"{name}, 8 in 10 futures"),
        ]
    markers = change_markers(result.scenario)
    heading = _title(
        "Sales team: headcount and productive reps",
        [
            f"Lines: the middle of {result.runs:,} futures. Band: 8 futures in 10 fall inside it.",
            "New hires count in part while they ramp up; a leaver's seat is empty "
            "until backfilled.",
        ],
    )
    chart = alt.layer(band, median, *markers, _hover(wide, tooltip=tooltip)).properties(
        width="container", title=heading, description="Team capacity"
    )
    # The lines' legend on its own: merged with the band's (switched off, and first),
    # Vega-Lite would switch both off.
    chart = chart.resolve_legend(color="independent")
    height = chart_height(**_title_rows(heading), legend_rows=legend_rows(names))
    return themed(chart, height=height)


# --- 5. Renewal calendar.
CONTACT_LEGEND_TITLE = "Buyer contacts:"


def _contact_legend() -> alt.Legend:
    """The calendar's legend: "Buyer contacts:" left of one row where the row fits beside
    it, above the entries where it does not."""
    groups = list(CONTACT_GROUPS)
    column = legend_column_px(groups)
    beside = f"width - {text_width(CONTACT_LEGEND_TITLE) + 10:.0f} >= {column * len(groups)}"
    return alt.Legend(
        title=CONTACT_LEGEND_TITLE,
        titleOrient=alt.ExprRef(f"{beside} ? 'left' : 'top'"),
        columns=alt.ExprRef(f"{beside} ? {len(groups)} : max(1, floor(width / {column}))"),
    )


def _contact_group(contacts: int) -> str:
    if contacts <= 1:
        return CONTACT_GROUPS[0]
    if contacts == 2:
        return CONTACT_GROUPS[1]
    return CONTACT_GROUPS[2]


def _contract_frame(scenario: Scenario) -> pd.DataFrame:
    rows = []
    for i, contract in enumerate(scenario.contracts):
        contacts = scenario.contacts_of(contract)
        rows.append(
            {
                "index": i,
                "name": contract.name,
                "product_line": scenario.product_lines[contract.product_line].name,
                "annual_value": contract.annual_value,
                "value_text": money(contract.annual_value),
                "ends": contract.ends,
                "ends_name": month_name(contract.ends),
                "date": month_start(contract.ends),
                "date_end": month_start(month_label(month_index(contract.ends) + 1)),
                "contacts": contacts,
                "contact_group": _contact_group(contacts),
            }
        )
    return pd.DataFrame(rows)


def _month_totals(frame: pd.DataFrame) -> pd.DataFrame:
    totals = frame.groupby(["ends", "date", "date_end"], as_index=False)["annual_value"].sum()
    totals["total_text"] = [money(v) for v in totals["annual_value"]]
    return totals


def renewal_calendar(
    scenario: Scenario, *, baseline_scenario: Scenario | None = None
) -> alt.LayerChart | alt.Chart:
    """The contract book by end month: bar height = annual value, colour = buyer contacts.

    Two big single-threaded contracts ending in the same month show as one tall
    red bar: the renewal cliff of the article's 2012 client. With a baseline, its
    end dates are drawn as dashed outlines, so staggering is visible.
    """
    title = "Renewal calendar"
    if not scenario.contracts:
        return _message_chart("No contracts in the book", title=title)
    frame = _contract_frame(scenario)
    totals = _month_totals(frame)

    # The time axis spans the whole horizon, even where no contract ends.
    span = [
        month_start(scenario.simulation.start),
        month_start(month_label(scenario.start_index + scenario.simulation.months)),
    ]
    base_totals = None
    if baseline_scenario is not None and baseline_scenario.contracts:
        base_totals = _month_totals(_contract_frame(baseline_scenario))
        base_totals["ends_name"] = [month_name(m) for m in base_totals["ends"]]
        base_totals["zero"] = 0.0
        span.append(month_start(baseline_scenario.simulation.start))
    dates = [
        *span,
        *frame["date_end"],
        *(base_totals["date_end"] if base_totals is not None else []),
    ]
    first, last = min(dates), max(dates)
    months = month_index(last.strftime("%Y-%m")) - month_index(first.strftime("%Y-%m"))
    x = alt.X(
        "date:T",
        axis=month_axis(months=months, title="Month the contract ends"),
        scale=alt.Scale(nice=False),
    )
    extent = (
        alt.Chart(pd.DataFrame({"date": [first, last]})).mark_point(opacity=0, size=1).encode(x=x)
    )
    tooltip = [
        alt.Tooltip("name:N", title="Contract"),
        alt.Tooltip("value_text:N", title="Annual value"),
        alt.Tooltip("ends_name:N", title="Ends"),
        alt.Tooltip("contacts:Q", title="Buyer contacts"),
        alt.Tooltip("product_line:N", title="Product line"),
    ]
    bars = (
        alt.Chart(frame)
        .transform_stack(
            stack="annual_value",
            groupby=["ends"],
            as_=["bottom", "top"],
            sort=[alt.SortField("index")],
        )
        .mark_bar(stroke="white", strokeWidth=1)
        .encode(
            x=x,
            x2=alt.X2("date_end:T"),
            y=alt.Y("bottom:Q", axis=money_axis("Annual value ending")),
            y2=alt.Y2("top:Q"),
            color=alt.Color(
                "contact_group:N",
                scale=alt.Scale(domain=list(CONTACT_GROUPS), range=list(CONTACT_COLOURS)),
                legend=_contact_legend(),
            ),
            tooltip=tooltip,
        )
    )
    labels = (
        alt.Chart(totals)
        .mark_text(dy=-10, fontSize=FONT_SIZE, fontWeight="bold", color=TEXT)
        .encode(x=x, y=alt.Y("annual_value:Q"), text=alt.Text("total_text:N"))
    )
    layers = [extent, bars, labels]
    subtitle = "Bar height: annual value of the contracts ending that month. A tall bar is a cliff."
    if base_totals is not None:
        outline = (
            alt.Chart(base_totals)
            .mark_bar(fillOpacity=0, stroke=GREY, strokeWidth=2, strokeDash=[5, 3])
            .encode(
                x=x,
                x2=alt.X2("date_end:T"),
                y=alt.Y("zero:Q"),
                y2=alt.Y2("annual_value:Q"),
                tooltip=[
                    alt.Tooltip("ends_name:N", title="Baseline end month"),
                    alt.Tooltip("total_text:N", title="Baseline value ending"),
                ],
            )
        )
        layers.insert(1, outline)
        subtitle = [subtitle, "Dashed outline: the baseline's end dates."]
    heading = _title(title, subtitle)
    chart = alt.layer(*layers).properties(
        width="container", title=heading, description="Renewal calendar"
    )
    height = chart_height(
        **_title_rows(heading),
        legend_rows=legend_rows(CONTACT_GROUPS) + 1,  # the title above the entries
        x_title=True,
    )
    return themed(chart, height=height)


def _message_chart(message: str, *, title: str) -> alt.Chart:
    """A small chart that says why there is nothing to draw, instead of an empty frame."""
    chart = (
        alt.Chart(pd.DataFrame({"message": [message]}))
        .mark_text(fontSize=18, color=MUTED_TEXT)
        .encode(text=alt.Text("message:N"))
        .properties(width="container", height=90, title=_title(title), description=title)
    )
    return themed(chart)


# --- 6. Effort split.
def effort_split_bar(effort: Effort) -> alt.LayerChart:
    """The five effort shares as one stacked bar, so the plan's balance is seen, not read."""
    shares = effort.as_dict()
    frame = pd.DataFrame(
        {
            "stage": list(STAGES),
            "name": [STAGE_NAMES[s] for s in STAGES],
            "meaning": [STAGE_MEANINGS[s] for s in STAGES],
            "share": [shares[s] for s in STAGES],
            "order": range(len(STAGES)),
            "row": "Effort",
        }
    )
    frame["share_text"] = [percent(v) for v in frame["share"]]
    names = [STAGE_NAMES[s] for s in STAGES]
    tooltip = [
        alt.Tooltip("name:N", title="Stage"),
        alt.Tooltip("share_text:N", title="Share of time"),
        alt.Tooltip("meaning:N", title="What it is"),
    ]
    stacked = alt.Chart(frame).transform_stack(
        stack="share", groupby=[], as_=["start", "end"], sort=[alt.SortField("order")]
    )
    bars = stacked.mark_bar(stroke="white", strokeWidth=1).encode(
        x=alt.X("start:Q", axis=None, scale=alt.Scale(domain=[0, 1], nice=False)),
        x2=alt.X2("end:Q"),
        y=alt.Y("row:N", axis=None),
        color=alt.Color(
            "name:N",
            sort=names,
            scale=alt.Scale(domain=names, range=[STAGE_COLOURS[s] for s in STAGES]),
            # As many columns as fit the sidebar; the legend names what the colours mean.
            legend=alt.Legend(
                title=None,
                orient="bottom",
                direction="horizontal",
                columns=fitted_columns(names, font_size=MIN_FONT_SIZE),
                symbolType="square",
                labelFontSize=MIN_FONT_SIZE,
            ),
        ),
        tooltip=tooltip,
    )
    labels = (
        stacked.transform_calculate(
            middle="(datum.start + datum.end) / 2",
            # Label a segment only where the text fits: the sidebar is narrow.
            label="datum.share * width >= 34 ? datum.share_text : ''",
        )
        .mark_text(fontSize=FONT_SIZE - 1, fontWeight="bold")
        .encode(
            x=alt.X("middle:Q"),
            y=alt.Y("row:N", axis=None),
            text=alt.Text("label:N"),
            color=alt.Color(
                "stage:N",
                scale=alt.Scale(domain=list(STAGES), range=[STAGE_TEXT_COLOURS[s] for s in STAGES]),
                legend=None,
            ),
            tooltip=tooltip,
        )
    )
    chart = (
        alt.layer(bars, labels)
        .resolve_scale(color="independent")
        .properties(
            width="container",
            height=36,
            description="Effort split",
        )
    )
    return themed(chart)
