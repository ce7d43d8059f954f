"""Chart builders for the app: pure functions from results and scenarios to charts.

Every builder returns a finished chart (theme applied, ``width="container"``) that
validates with ``chart.to_dict()``. The main page's charts (fan, bars, breakdowns,
coverage, team, calendar, effort) are Vega-Lite dicts written directly
(:class:`ui.vega.Spec`, shown with ``st.vega_lite_chart``): rebuilding them as Altair
objects on every rerun cost more than the simulation. The Altair helpers below
(:func:`themed`, :func:`money_axis`, ...) serve the other pages' charts.
No model arithmetic here: the numbers come from ``ResultSummary.monthly``,
``.quarter_table``, ``.report`` and the scenario's fields; this module only
reshapes, labels and colours them.

Colours come from the Okabe-Ito palette (safe for the common colour-vision
deficiencies); fonts are sized for a projector at the back of a training room.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Sequence
from typing import Any, Literal

import altair as alt
import numpy as np
import pandas as pd

from simulator.engine import SOURCES
from simulator.metrics import VERDICTS
from simulator.models import STAGES, Currency, Effort, Scenario, month_index, month_label
from simulator.money import DEFAULT_CURRENCY, current_currency
from simulator.results import SOURCE_LABELS, ResultSummary, quarter_label

from . import vega
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
    return list(_wrapped(text, font_size, width))


@functools.lru_cache(maxsize=1024)
def _wrapped(text: str, font_size: float, width: float) -> tuple[str, ...]:
    """:func:`wrap`, remembered: every cold rerun wraps the same titles and subtitles
    again, measuring each line's width as it grows (about 0.4 ms of its charts)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", font_size=font_size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return tuple(lines or [""])


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

CHANGE_LABEL_ROWS = (4, 4 + FONT_SIZE + 2)
"""Pixels from the top of the plot of the change labels, in turn: two changes a few
months apart do not write over each other."""


# --- The main page's charts, written as Vega-Lite dicts (ui/vega.py says why).
ALTAIR_CONFIG_VIEW = {"continuousWidth": 300, "continuousHeight": 300}
"""Altair's default view size, which its specs carry; kept so the specs read as before."""
_MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def _month_text(year_month: str) -> str:
    """'2013-01' -> 'Jan 2013', as :func:`ui.format.month_name` says it, without a Timestamp."""
    return f"{_MONTH_ABBREVIATIONS[int(year_month[5:7]) - 1]} {year_month[:4]}"


def finish(spec: dict[str, Any], *, height: int | None = None) -> vega.Spec:
    """:func:`themed` for a spec written as a dict: the same config, padding and sizing."""
    spec["config"] = {
        **THEME["config"],
        "view": {**ALTAIR_CONFIG_VIEW, **THEME["view"]},
        "axis": dict(THEME["axis"]),
        "legend": dict(THEME["legend"]),
        "title": dict(THEME["title"]),
        "text": dict(THEME["text"]),
    }
    spec["usermeta"] = USERMETA
    spec["padding"] = {side: CHART_PADDING for side in ("top", "left", "right", "bottom")}
    if height is None:
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    else:
        spec["height"] = height
        spec["autosize"] = {"type": "fit", "contains": "padding"}
    spec["$schema"] = vega.SCHEMA_URL
    return vega.Spec(spec)


def _heading(
    text: str, subtitle: str | list[str] | None = None, *, width: float = TITLE_ROOM
) -> dict[str, Any]:
    """:func:`_title` as a dict."""
    lines = _lines(text, font_size=TITLE_SIZE * 1.1, width=width)
    out: dict[str, Any] = {"text": lines[0] if len(lines) == 1 else lines}
    sub = _lines(subtitle, font_size=FONT_SIZE, width=width)
    if sub:
        out["subtitle"] = sub[0] if len(sub) == 1 else sub
    return out


def _heading_rows(heading: dict[str, Any]) -> dict[str, int]:
    """The lines of a :func:`_heading`, as :func:`chart_height` counts them."""
    text, sub = heading["text"], heading.get("subtitle")
    return {
        "title_lines": 1 if isinstance(text, str) else len(text),
        "subtitle_lines": 0 if sub is None else 1 if isinstance(sub, str) else len(sub),
    }


def fitted_columns(labels: Sequence[str], *, font_size: float = FONT_SIZE) -> dict[str, str]:
    """A legend's ``columns``: as many as fit the chart's width when it is drawn (one row on
    a wide screen, more on a phone). One row wider than the chart is cut off at its edge.

    A column is its widest label as the theme's ``labelLimit`` lets it be drawn (wider
    charts draw longer labels, such as a team's name) and a symbol."""
    widest = round(max((text_width(t, font_size=font_size) for t in labels), default=0.0))
    label = f"min({widest}, max({LEGEND_LABEL_LIMIT}, width - {LEGEND_SYMBOL_PX}))"
    return {"expr": f"max(1, min({len(labels)}, floor(width / ({label} + {LEGEND_SYMBOL_PX}))))"}


def _money_axis(title: str) -> dict[str, Any]:
    """:func:`money_axis` as a dict."""
    return {"labelExpr": money_label_expr(current_currency()), "tickCount": 5, "title": title}


def _month_x(*, months: int, title: str | None = None) -> dict[str, Any]:
    """:func:`_x_month` as a dict: a time axis on the ``date`` field."""
    step = 3 if months <= 48 else 6 if months <= 96 else 12
    axis = {
        "grid": False,
        "labelAngle": 0,
        "labelExpr": QUARTER_LABEL_EXPR,
        "labelFlush": True,
        "labelOverlap": "parity",
        "tickCount": {"interval": "month", "step": step},
        "title": title,
    }
    return vega.field("date", "temporal", axis=axis, scale={"nice": False})


def _quarter_x(order: list[str]) -> dict[str, Any]:
    """A band axis of quarter names ('2013Q1') read as two-line labels."""
    axis = {"labelAngle": 0, "labelExpr": QUARTER_NAME_LABEL_EXPR, "labelOverlap": "parity"}
    return vega.field("quarter", "nominal", axis=axis, sort=order, title=None)


DATE_X = vega.field("date", "temporal")


def _hover_layer(
    chart: str, dataset: str, *, tip: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """:func:`_hover` as a dict: the rule layer and its selection parameter (the chart's
    top-level ``params``); the view is named after ``chart``, unique on a report page."""
    view = f"view_{chart}_hover"
    layer = {
        "data": vega.named(dataset),
        "mark": {"type": "rule", "color": GREY, "strokeWidth": 1.5},
        "encoding": {
            "opacity": {
                "condition": {"param": "hover", "value": 0.8, "empty": False},
                "value": 0.0,
            },
            "tooltip": tip,
            "x": DATE_X,
        },
        "name": view,
    }
    param = {
        "name": "hover",
        "select": {
            "type": "point",
            "clear": "pointerout",
            "fields": ["date"],
            "nearest": True,
            "on": "pointerover",
        },
        "views": [view],
    }
    return layer, param


def _series_columns(result: ResultSummary, series: str) -> dict[str, list[Any]]:
    """One series of ``result.monthly`` as columns, with the time axis's date and the
    month's name (what :func:`_series` adds): :func:`_many_series_columns` of one."""
    return _many_series_columns(result, [series])[series]


def _many_series_columns(
    result: ResultSummary, names: Sequence[str]
) -> dict[str, dict[str, list[Any]]]:
    """:func:`_series_columns` of each of ``names``.

    The rows are picked with numpy: pandas' comparison on the str column costs about
    10 ms the first time on a frame fresh from the cache (every rerun), numpy's well
    under one. The table's columns are read as numpy arrays once per table
    (:func:`_monthly_arrays`: a cold rerun's charts read them five times), and each
    month's date and name are written once per call, not once per series."""
    arrays = _monthly_arrays(result.monthly)
    series_of_row = arrays["series"]
    month_of_row = arrays["month"]
    values = {name: arrays[name] for name in ("mean", "p10", "p50", "p90")}
    texts: dict[tuple[str, ...], tuple[list[str], list[str]]] = {}
    picked_columns: dict[str, dict[str, list[Any]]] = {}
    for series in names:
        picked = series_of_row == series
        months = month_of_row[picked].tolist()
        out: dict[str, list[Any]] = {"month": months}
        for name, column in values.items():
            out[name] = vega.finite_list(column[picked])
        key = tuple(months)
        if key not in texts:
            texts[key] = ([vega.month_iso(m) for m in months], [_month_text(m) for m in months])
        dates, month_names = texts[key]
        out["date"] = list(dates)
        out["month_name"] = list(month_names)
        picked_columns[series] = out
    return picked_columns


MONTHLY_COLUMNS = ("series", "month", "mean", "p10", "p50", "p90")
_monthly_held: tuple[weakref.ref[pd.DataFrame], dict[str, np.ndarray]] | None = None
"""The last table :func:`_monthly_arrays` read, and its arrays."""


def _monthly_arrays(monthly: pd.DataFrame) -> dict[str, np.ndarray]:
    """``monthly[name].to_numpy()`` of each of :data:`MONTHLY_COLUMNS`, kept for the last
    table read (a result's tables are never changed in place).

    A cold rerun's charts (fan, two breakdowns, the team's chart) each read the same
    fresh table; reading its columns (``__getitem__`` and the str column's conversion)
    was about 0.4 ms a time. One entry, held by a weak reference: the table of the
    rerun at hand, and nothing kept once its result is gone."""
    global _monthly_held
    held = _monthly_held
    if held is not None and held[0]() is monthly:
        return held[1]
    arrays = {name: monthly[name].to_numpy() for name in MONTHLY_COLUMNS}
    _monthly_held = (weakref.ref(monthly), arrays)
    return arrays


# --- Plan changes: a labelled rule at each month the plan changes.
def change_markers(
    scenario: Scenario, *, chart: str, quarters: list[str] | None = None
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Layers marking the months the plan changes (``Scenario.change_months``): a dashed
    rule and "From Jul 2012" at the top, and their dataset. ``quarters``: the chart's
    quarter names, for a chart with one bar per quarter (the rule then stands at the left
    of the change's quarter; a change outside them is not drawn)."""
    rows = []
    seen: set[str] = set()
    for month in scenario.change_months:
        quarter = quarter_label(month_index(month))
        if quarters is not None and (quarter not in quarters or quarter in seen):
            continue
        seen.add(quarter)
        words = [describe_change(scenario, c) for c in scenario.changes if c.from_ == month]
        rows.append(
            {
                "date": vega.month_iso(month),
                "quarter": quarter,
                "label": f"From {_month_text(month)}",
                "words": " | ".join(words),
                "label_y": CHANGE_LABEL_ROWS[len(rows) % len(CHANGE_LABEL_ROWS)],
            }
        )
    if not rows:
        return [], {}
    if quarters is not None:
        x = vega.field("quarter", "nominal", sort=quarters, bandPosition=0)
    else:
        x = DATE_X
    name = f"{chart}-changes"
    tip = vega.tooltip([("label", "Plan change"), ("words", "What changes")])
    layers = [
        {
            "data": vega.named(name),
            "mark": {
                "type": "rule",
                "color": CHANGE_COLOUR,
                "strokeDash": [6, 3],
                "strokeWidth": 2,
            },
            "encoding": {"tooltip": tip, "x": x},
        }
    ]
    if len(rows) <= MAX_CHANGE_LABELS:
        layers.append(
            {
                "data": vega.named(name),
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "top",
                    "color": CHANGE_TEXT,
                    "dx": 4,
                    "fontSize": MIN_FONT_SIZE,
                    "fontWeight": "bold",
                },
                "encoding": {
                    "text": vega.field("label", "nominal"),
                    "tooltip": tip,
                    "x": x,
                    "y": vega.field("label_y", "quantitative", scale=None),
                },
            }
        )
    return layers, {name: rows}


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
) -> vega.Spec:
    """Monthly revenue: p10-p90 band, median line, target and the pinned baseline's median.

    The band is what 8 futures (runs) in 10 fall within, so a trainer can point at the
    uncertainty, not only at the middle line. ``plot_height`` and ``narrowest`` (the
    narrowest plot it is drawn at, which sets the legend's rows and where the subtitle
    wraps): the presenter view's shorter plot on a wide screen, so the chart fits under
    the verdict on a 720-pixel projector.
    """
    band = _series_columns(result, "revenue")
    band["median_text"] = [money(v) for v in band["p50"]]
    band["range_text"] = [
        f"{money(a)} – {money(b)}" for a, b in zip(band["p10"], band["p90"], strict=True)
    ]
    months = len(band["month"])
    dates = band["date"]
    lines = vega.records({"date": dates, "line": ["Median"] * months, "value": band["p50"]})
    if baseline is not None:
        base = _series_columns(baseline, "revenue")
        lines += vega.records(
            {
                "date": base["date"],
                "line": ["Baseline median"] * len(base["date"]),
                "value": base["p50"],
            }
        )
        by_month = dict(zip(base["month"], base["p50"], strict=True))
        band["baseline_p50"] = [by_month.get(m) for m in band["month"]]
        band["baseline_text"] = [money(v) for v in band["baseline_p50"]]
    target = result.scenario.targets.quarterly_revenue
    if target is not None:
        monthly_target = target / 3  # the target is set per quarter; this chart is per month
        lines += vega.records(
            {"date": dates, "line": ["Monthly target"] * months, "value": [monthly_target] * months}
        )
        band["target_text"] = [money(monthly_target)] * months
    present = {row["line"] for row in lines}
    shown = [name for name in FAN_LINES if name in present]
    colours = [c for name, c in zip(FAN_LINES, FAN_LINE_COLOURS, strict=True) if name in shown]
    dashes = [d for name, d in zip(FAN_LINES, FAN_LINE_DASHES, strict=True) if name in shown]

    x = _month_x(months=months)
    legend = {
        "columns": fitted_columns(shown),
        "symbolSize": 400,
        "symbolStrokeWidth": 3,
        "title": None,
    }
    tip = vega.tooltip(
        [("month_name", "Month"), ("median_text", "Median"), ("range_text", "8 in 10 futures")]
    )
    if baseline is not None:
        tip += vega.tooltip([("baseline_text", "Baseline median")])
    if target is not None:
        tip += vega.tooltip([("target_text", "Monthly target")])
    markers, marker_data = change_markers(result.scenario, chart="fan")
    hover, param = _hover_layer("fan", "fan-band", tip=tip)
    heading = _heading(
        title or "Revenue per month",
        f"Line: the middle of {result.runs:,} futures. Band: 8 futures in 10 fall inside it.",
        width=narrowest + Y_AXIS_PX,  # the presenter view's wide chart: one line
    )
    layers = [
        {
            "data": vega.named("fan-band"),
            "mark": {"type": "area", "color": SKY_BLUE, "opacity": 0.3},
            "encoding": {
                "x": x,
                "y": vega.field("p10", "quantitative", axis=_money_axis("Revenue per month")),
                "y2": {"field": "p90"},
            },
        },
        {
            "data": vega.named("fan-lines"),
            "mark": {"type": "line", "strokeWidth": 3},
            "encoding": {
                "color": vega.field(
                    "line", "nominal", legend=legend, scale={"domain": shown, "range": colours}
                ),
                "strokeDash": vega.field(
                    "line", "nominal", legend=legend, scale={"domain": shown, "range": dashes}
                ),
                "x": x,
                "y": vega.field("value", "quantitative"),
            },
        },
        *markers,
        hover,
    ]
    spec = vega.layer_chart(
        layers,
        datasets={"fan-band": vega.records(band), "fan-lines": lines, **marker_data},
        params=[param],
        width="container",
        title=heading,
        description="Revenue fan chart",
    )
    rows = legend_rows(shown, width=narrowest)
    return finish(
        spec, height=chart_height(plot_height, **_heading_rows(heading), legend_rows=rows)
    )


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


def quarterly_bars(result: ResultSummary) -> vega.Spec:
    """Median revenue per calendar quarter, coloured boom / steady / bust, with the QoQ change."""
    table = result.quarter_table
    frame: dict[str, list[Any]] = {"quarter": table["quarter"].tolist()}
    for name in ("p10", "p50", "p90", "qoq_change", "bust_share"):
        frame[name] = [vega.finite(v) for v in table[name].tolist()]
    frame["status"] = table["status"].tolist()
    frame["change_label"] = [percent_change(v) for v in frame["qoq_change"]]
    frame["median_text"] = [money(v) for v in frame["p50"]]
    frame["range_text"] = [
        f"{money(a)} – {money(b)}" for a, b in zip(frame["p10"], frame["p90"], strict=True)
    ]
    frame["bust_text"] = [percent(v) for v in frame["bust_share"]]
    order = list(frame["quarter"])
    x = _quarter_x(order)
    tip = vega.tooltip(
        [
            ("quarter", "Quarter"),
            ("median_text", "Median revenue"),
            ("range_text", "8 in 10 futures"),
            ("change_label", "Change on previous quarter"),
            ("bust_text", "Futures with a bust here"),
        ]
    )
    markers, marker_data = change_markers(result.scenario, chart="bars", quarters=order)
    y = vega.field("p50", "quantitative", axis=_money_axis("Median revenue per quarter"))
    medians = [v for v in frame["p50"] if v is not None]
    if markers and medians and max(medians) > 0:
        y["scale"] = {"domainMax": float(max(medians)) * CHANGE_HEADROOM}
    legend_names = list(status_legend_labels(result).values())
    bars = {
        "data": vega.named("bars-quarters"),
        "mark": {"type": "bar", "cornerRadiusTopLeft": 3, "cornerRadiusTopRight": 3},
        "encoding": {
            "color": vega.field(
                "status",
                "nominal",
                legend={
                    "columns": fitted_columns(legend_names),
                    "labelExpr": _status_legend_expr(result),
                    "title": None,
                },
                scale={"domain": list(STATUS_COLOURS), "range": list(STATUS_COLOURS.values())},
            ),
            "tooltip": tip,
            "x": x,
            "y": y,
        },
    }
    # Labels read across; where bars are too narrow for every label, only booms and busts
    # keep theirs (upright labels cannot be read from the back of a room).
    # (A condition, not a calculated field: the scale's band width exists only when the
    # marks are drawn.)
    labels = {
        "data": vega.named("bars-quarters"),
        "mark": {
            "type": "text",
            "baseline": "bottom",
            "dy": -6,
            "fontSize": FONT_SIZE,
            "fontWeight": "bold",
        },
        "encoding": {
            "text": {
                "condition": {
                    "test": f"bandwidth('x') >= {LABEL_MIN_BAND} || datum.status != 'steady'",
                    **vega.field("change_label", "nominal"),
                },
                "value": "",
            },
            "tooltip": tip,
            "x": x,
            "y": vega.field("p50", "quantitative"),
        },
    }
    heading = _heading("Revenue per quarter", "Label: median change on the previous quarter.")
    spec = vega.layer_chart(
        [bars, labels, *markers],
        datasets={"bars-quarters": vega.records(frame), **marker_data},
        width="container",
        title=heading,
        description="Quarterly revenue bars",
    )
    rows = legend_rows(legend_names)
    return finish(spec, height=chart_height(**_heading_rows(heading), legend_rows=rows))


# --- 3. Revenue by source or product line.
def breakdown_chart(result: ResultSummary, *, by: Literal["source", "line"]) -> vega.Spec:
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

    rows: list[dict[str, Any]] = []
    by_month: dict[str, dict[str, Any]] = {}  # one row per month, every layer's value
    shown: list[str] = []
    shown_colours: list[str] = []
    tip = vega.tooltip([("month_name", "Month")])
    columns = _many_series_columns(result, [f"{by}:{key}" for key in keys])
    for order, (key, label, colour) in enumerate(zip(keys, labels, colours, strict=True)):
        series = columns[f"{by}:{key}"]
        if not any(v is not None and v > 0 for v in series["mean"]):
            continue  # leave out sources this scenario never has
        shown.append(label)
        shown_colours.append(colour)
        tip += vega.tooltip([(f"v{order}", label)])
        for month, mean, date in zip(series["month"], series["mean"], series["date"], strict=True):
            text = money(mean)
            rows.append(
                {
                    "month": month,
                    "mean": mean,
                    "key": key,
                    "label": label,
                    "order": order,
                    "date": date,
                    "month_name": _month_text(month),
                    "value_text": text,
                }
            )
            by_month.setdefault(month, {"month": month})[f"v{order}"] = text
    if not rows:
        return _message_chart("No revenue in this scenario", title=title, chart=by)
    wide = [
        {**by_month[m], "date": vega.month_iso(m), "month_name": _month_text(m)}
        for m in sorted(by_month)
    ]
    chart = f"by-{by}"
    area = {
        "data": vega.named(f"{chart}-layers"),
        "mark": {"type": "area", "line": {"strokeWidth": 1, "color": "white"}, "opacity": 0.9},
        "encoding": {
            "color": vega.field(
                "label",
                "nominal",
                # Wrap long legends: Vega clips a legend row wider than the chart.
                legend={"columns": fitted_columns(shown), "title": None},
                scale={"domain": shown, "range": shown_colours},
                sort=shown,
            ),
            "order": vega.field("order", "quantitative"),
            "x": _month_x(months=len(by_month)),
            "y": vega.field(
                "mean", "quantitative", axis=_money_axis("Mean revenue per month"), stack="zero"
            ),
        },
    }
    markers, marker_data = change_markers(result.scenario, chart=chart)
    hover, param = _hover_layer(chart, f"{chart}-months", tip=tip)
    heading = _heading(title, f"Average of {result.runs:,} futures, stacked.")
    spec = vega.layer_chart(
        [area, *markers, hover],
        datasets={f"{chart}-layers": rows, **marker_data, f"{chart}-months": wide},
        params=[param],
        width="container",
        title=heading,
        description=f"Revenue by {by}",
    )
    height = chart_height(**_heading_rows(heading), legend_rows=legend_rows(shown))
    return finish(spec, height=height)


# --- 4b. The team: headcount and productive capacity.
CAPACITY_SERIES = {"headcount": "Headcount", "productive_reps": "Productive reps"}
"""The monthly series the capacity chart reads, and their names on it."""
CAPACITY_COLOURS = (BLUE, ORANGE)


def has_capacity(result: ResultSummary) -> bool:
    """True when the result has the team's monthly series (engines before the headcount
    stock do not)."""
    # From numpy's strings: iterating the table's str column (pandas) took 0.35 ms.
    return set(CAPACITY_SERIES) <= set(_monthly_arrays(result.monthly)["series"].tolist())


def _reps_text(value: float) -> str:
    return f"{value:.1f}"


def capacity_chart(result: ResultSummary) -> vega.Spec:
    """Headcount and productive (ramped) reps per month: median lines and 8-in-10 bands,
    so hires ramping up and leavers not yet replaced show as a gap between the two."""
    names = list(CAPACITY_SERIES.values())
    rows: list[dict[str, Any]] = []
    by_month: dict[str, dict[str, Any]] = {}  # one row per month, both series' texts
    picked = _many_series_columns(result, list(CAPACITY_SERIES))
    for order, (series, name) in enumerate(CAPACITY_SERIES.items()):
        columns = picked[series]
        columns["line"] = [name] * len(columns["month"])
        columns["order"] = [order] * len(columns["month"])
        columns["median_text"] = [_reps_text(v) for v in columns["p50"]]
        columns["range_text"] = [
            f"{_reps_text(a)} – {_reps_text(b)}"
            for a, b in zip(columns["p10"], columns["p90"], strict=True)
        ]
        rows += vega.records(columns)
        for month, median, spread in zip(
            columns["month"], columns["median_text"], columns["range_text"], strict=True
        ):
            texts = by_month.setdefault(month, {})
            texts[f"median_text{order}"] = median
            texts[f"range_text{order}"] = spread
    fields = [f"{kind}{order}" for kind in ("median_text", "range_text") for order in range(2)]
    wide = [
        {
            "month": m,
            **{f: by_month[m].get(f) for f in fields},
            "date": vega.month_iso(m),
            "month_name": _month_text(m),
        }
        for m in sorted(by_month)
    ]
    scale = {"domain": names, "range": list(CAPACITY_COLOURS)}
    legend = {
        "columns": fitted_columns(names),
        "symbolSize": 400,
        "symbolStrokeWidth": 3,
        "title": None,
    }
    x = _month_x(months=len(by_month))
    tip = vega.tooltip([("month_name", "Month")])
    for order, name in enumerate(names):
        tip += vega.tooltip(
            [
                (f"median_text{order}", f"{name} (median)"),
                (f"range_text{order}", f"{name}, 8 in 10 futures"),
            ]
        )
    markers, marker_data = change_markers(result.scenario, chart="capacity")
    hover, param = _hover_layer("capacity", "capacity-months", tip=tip)
    heading = _heading(
        "Sales team: headcount and productive reps",
        [
            f"Lines: the middle of {result.runs:,} futures. Band: 8 futures in 10 fall inside it.",
            "New hires count in part while they ramp up; a leaver's seat is empty "
            "until backfilled.",
        ],
    )
    layers = [
        {
            "data": vega.named("capacity-series"),
            "mark": {"type": "area", "opacity": 0.2},
            "encoding": {
                "color": vega.field("line", "nominal", legend=None, scale=scale, sort=names),
                "x": x,
                "y": vega.field(
                    "p10", "quantitative", axis={"tickCount": 5, "title": "Sales reps"}
                ),
                "y2": {"field": "p90"},
            },
        },
        {
            "data": vega.named("capacity-series"),
            "mark": {"type": "line", "strokeWidth": 3},
            "encoding": {
                "color": vega.field("line", "nominal", legend=legend, scale=scale, sort=names),
                "x": x,
                "y": vega.field("p50", "quantitative"),
            },
        },
        *markers,
        hover,
    ]
    spec = vega.layer_chart(
        layers,
        datasets={"capacity-series": rows, **marker_data, "capacity-months": wide},
        params=[param],
        width="container",
        title=heading,
        description="Team capacity",
        # The lines' legend on its own: merged with the band's (switched off, and first),
        # Vega-Lite would switch both off.
        resolve={"legend": {"color": "independent"}},
    )
    height = chart_height(**_heading_rows(heading), legend_rows=legend_rows(names))
    return finish(spec, height=height)


# --- 5. Renewal calendar.
CONTACT_LEGEND_TITLE = "Buyer contacts:"


def _contact_legend() -> dict[str, Any]:
    """The calendar's legend: "Buyer contacts:" left of one row where the row fits beside
    it, above the entries where it does not."""
    groups = list(CONTACT_GROUPS)
    column = legend_column_px(groups)
    beside = f"width - {text_width(CONTACT_LEGEND_TITLE) + 10:.0f} >= {column * len(groups)}"
    return {
        "columns": {"expr": f"{beside} ? {len(groups)} : max(1, floor(width / {column}))"},
        "title": CONTACT_LEGEND_TITLE,
        "titleOrient": {"expr": f"{beside} ? 'left' : 'top'"},
    }


def _contact_group(contacts: int) -> str:
    if contacts <= 1:
        return CONTACT_GROUPS[0]
    if contacts == 2:
        return CONTACT_GROUPS[1]
    return CONTACT_GROUPS[2]


def _contract_rows(scenario: Scenario) -> list[dict[str, Any]]:
    rows = []
    for i, contract in enumerate(scenario.contracts):
        contacts = scenario.contacts_of(contract)
        rows.append(
            {
                "index": i,
                "name": contract.name,
                "product_line": scenario.product_lines[contract.product_line].name,
                "annual_value": float(contract.annual_value),
                "value_text": money(contract.annual_value),
                "ends": contract.ends,
                "ends_name": _month_text(contract.ends),
                "date": vega.month_iso(contract.ends),
                "date_end": vega.month_iso(month_label(month_index(contract.ends) + 1)),
                "contacts": contacts,
                "contact_group": _contact_group(contacts),
            }
        )
    return rows


def _month_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The annual value ending each month (in month order), as the bars' labels."""
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        total = totals.setdefault(
            row["ends"],
            {
                "ends": row["ends"],
                "date": row["date"],
                "date_end": row["date_end"],
                "annual_value": 0.0,
            },
        )
        total["annual_value"] += row["annual_value"]
    out = [totals[m] for m in sorted(totals)]
    for total in out:
        total["total_text"] = money(total["annual_value"])
    return out


def renewal_calendar(scenario: Scenario, *, baseline_scenario: Scenario | None = None) -> vega.Spec:
    """The contract book by end month: bar height = annual value, colour = buyer contacts.

    Two big single-threaded contracts ending in the same month show as one tall
    red bar: the renewal cliff of the article's 2012 client. With a baseline, its
    end dates are drawn as dashed outlines, so staggering is visible.
    """
    title = "Renewal calendar"
    if not scenario.contracts:
        return _message_chart("No contracts in the book", title=title, chart="calendar")
    rows = _contract_rows(scenario)
    totals = _month_totals(rows)

    # The time axis spans the whole horizon, even where no contract ends.
    span = [
        scenario.simulation.start,
        month_label(scenario.start_index + scenario.simulation.months),
    ]
    base_totals = None
    if baseline_scenario is not None and baseline_scenario.contracts:
        base_totals = _month_totals(_contract_rows(baseline_scenario))
        for total in base_totals:
            total["ends_name"] = _month_text(total["ends"])
            total["zero"] = 0.0
        span.append(baseline_scenario.simulation.start)
    ends = [*span, *(month_label(month_index(r["ends"]) + 1) for r in rows)]
    if base_totals is not None:
        ends += [month_label(month_index(t["ends"]) + 1) for t in base_totals]
    first, last = min(ends, key=month_index), max(ends, key=month_index)
    x = vega.field(
        "date",
        "temporal",
        axis=_month_x(
            months=month_index(last) - month_index(first), title="Month the contract ends"
        )["axis"],
        scale={"nice": False},
    )
    tip = vega.tooltip(
        [
            ("name", "Contract"),
            ("value_text", "Annual value"),
            ("ends_name", "Ends"),
        ]
    )
    tip += vega.tooltip([("contacts", "Buyer contacts")], kind="quantitative")
    tip += vega.tooltip([("product_line", "Product line")])
    layers: list[dict[str, Any]] = [
        {
            "data": vega.named("calendar-extent"),
            "mark": {"type": "point", "opacity": 0, "size": 1},
            "encoding": {"x": x},
        },
        {
            "data": vega.named("calendar-contracts"),
            "mark": {"type": "bar", "stroke": "white", "strokeWidth": 1},
            "encoding": {
                "color": vega.field(
                    "contact_group",
                    "nominal",
                    legend=_contact_legend(),
                    scale={"domain": list(CONTACT_GROUPS), "range": list(CONTACT_COLOURS)},
                ),
                "tooltip": tip,
                "x": x,
                "x2": {"field": "date_end"},
                "y": vega.field("bottom", "quantitative", axis=_money_axis("Annual value ending")),
                "y2": {"field": "top"},
            },
            "transform": [
                {
                    "stack": "annual_value",
                    "groupby": ["ends"],
                    "as": ["bottom", "top"],
                    "sort": [{"field": "index"}],
                }
            ],
        },
        {
            "data": vega.named("calendar-totals"),
            "mark": {
                "type": "text",
                "color": TEXT,
                "dy": -10,
                "fontSize": FONT_SIZE,
                "fontWeight": "bold",
            },
            "encoding": {
                "text": vega.field("total_text", "nominal"),
                "x": x,
                "y": vega.field("annual_value", "quantitative"),
            },
        },
    ]
    datasets: dict[str, list[dict[str, Any]]] = {
        "calendar-extent": [{"date": vega.month_iso(first)}, {"date": vega.month_iso(last)}],
        "calendar-contracts": rows,
        "calendar-totals": totals,
    }
    subtitle: str | list[str] = (
        "Bar height: annual value of the contracts ending that month. A tall bar is a cliff."
    )
    if base_totals is not None:
        datasets["calendar-baseline"] = base_totals
        outline = {
            "data": vega.named("calendar-baseline"),
            "mark": {
                "type": "bar",
                "fillOpacity": 0,
                "stroke": GREY,
                "strokeDash": [5, 3],
                "strokeWidth": 2,
            },
            "encoding": {
                "tooltip": vega.tooltip(
                    [("ends_name", "Baseline end month"), ("total_text", "Baseline value ending")]
                ),
                "x": x,
                "x2": {"field": "date_end"},
                "y": vega.field("zero", "quantitative"),
                "y2": {"field": "annual_value"},
            },
        }
        layers.insert(1, outline)
        subtitle = [subtitle, "Dashed outline: the baseline's end dates."]
    heading = _heading(title, subtitle)
    spec = vega.layer_chart(
        layers,
        datasets=datasets,
        width="container",
        title=heading,
        description="Renewal calendar",
    )
    height = chart_height(
        **_heading_rows(heading),
        legend_rows=legend_rows(CONTACT_GROUPS) + 1,  # the title above the entries
        x_title=True,
    )
    return finish(spec, height=height)


def _message_chart(message: str, *, title: str, chart: str) -> vega.Spec:
    """A small chart that says why there is nothing to draw, instead of an empty frame."""
    name = f"{chart}-message"
    spec = {
        "data": vega.named(name),
        "mark": {"type": "text", "color": MUTED_TEXT, "fontSize": 18},
        "encoding": {"text": vega.field("message", "nominal")},
        "description": title,
        "height": 90,
        "title": _heading(title),
        "width": "container",
        "datasets": {name: [{"message": message}]},
    }
    return finish(spec)


# --- 6. Effort split.
def effort_split_bar(effort: Effort) -> vega.Spec:
    """The five effort shares as one stacked bar, so the plan's balance is seen, not read."""
    shares = effort.as_dict()
    rows = [
        {
            "stage": s,
            "name": STAGE_NAMES[s],
            "meaning": STAGE_MEANINGS[s],
            "share": float(shares[s]),
            "order": i,
            "row": "Effort",
            "share_text": percent(shares[s]),
        }
        for i, s in enumerate(STAGES)
    ]
    names = [STAGE_NAMES[s] for s in STAGES]
    tip = vega.tooltip(
        [("name", "Stage"), ("share_text", "Share of time"), ("meaning", "What it is")]
    )
    stack = {"stack": "share", "groupby": [], "as": ["start", "end"], "sort": [{"field": "order"}]}
    row = vega.field("row", "nominal", axis=None)
    bars = {
        "mark": {"type": "bar", "stroke": "white", "strokeWidth": 1},
        "encoding": {
            "color": vega.field(
                "name",
                "nominal",
                # As many columns as fit the sidebar; the legend names what the colours mean.
                legend={
                    "columns": fitted_columns(names, font_size=MIN_FONT_SIZE),
                    "direction": "horizontal",
                    "labelFontSize": MIN_FONT_SIZE,
                    "orient": "bottom",
                    "symbolType": "square",
                    "title": None,
                },
                scale={"domain": names, "range": [STAGE_COLOURS[s] for s in STAGES]},
                sort=names,
            ),
            "tooltip": tip,
            "x": vega.field(
                "start", "quantitative", axis=None, scale={"domain": [0, 1], "nice": False}
            ),
            "x2": {"field": "end"},
            "y": row,
        },
        "transform": [stack],
    }
    labels = {
        "mark": {"type": "text", "fontSize": FONT_SIZE - 1, "fontWeight": "bold"},
        "encoding": {
            "color": vega.field(
                "stage",
                "nominal",
                legend=None,
                scale={"domain": list(STAGES), "range": [STAGE_TEXT_COLOURS[s] for s in STAGES]},
            ),
            "text": vega.field("label", "nominal"),
            "tooltip": tip,
            "x": vega.field("middle", "quantitative"),
            "y": row,
        },
        "transform": [
            stack,
            {"calculate": "(datum.start + datum.end) / 2", "as": "middle"},
            # Label a segment only where the text fits: the sidebar is narrow.
            {"calculate": "datum.share * width >= 34 ? datum.share_text : ''", "as": "label"},
        ],
    }
    spec = {
        "layer": [bars, labels],
        "data": vega.named("effort-stages"),
        "description": "Effort split",
        "height": 36,
        "resolve": {"scale": {"color": "independent"}},
        "width": "container",
        "datasets": {"effort-stages": rows},
    }
    return finish(spec)
