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
STAGE_TEXT_COLOURS = {
    "attract": BLACK,
    "close": BLACK,
    "engage": "#FFFFFF",
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

# --- Theme: sizes for a projector, the page's own font (Streamlit serves "Source Sans");
# colours are left to the host (light or dark page).
FONT = "'Source Sans', 'Source Sans Pro', 'Source Sans 3', 'Helvetica Neue', Arial, sans-serif"
FONT_SIZE = 16
"""Axis, legend and label text in pixels; the page's base font is 18 px."""
CHART_HEIGHT = 260
"""Height of each chart's plot area in pixels; titles and legends add to it."""
THEME: dict[str, dict] = {
    "config": {"font": FONT},
    "axis": {
        "labelFontSize": FONT_SIZE,
        "titleFontSize": FONT_SIZE + 1,
        "titleFontWeight": "normal",
        "titlePadding": 10,
        "labelOverlap": "greedy",
    },
    "legend": {
        "labelFontSize": FONT_SIZE,
        "titleFontSize": FONT_SIZE,
        "titleFontWeight": "normal",
        "symbolSize": 180,
        "labelLimit": 320,
        "orient": "top",
    },
    "title": {
        "fontSize": FONT_SIZE + 5,
        "subtitleFontSize": FONT_SIZE,
        "anchor": "start",
        "offset": 10,
    },
    "view": {"stroke": None},
}
"""Shared chart configuration; :func:`themed` applies it to a finished chart."""

ChartLike = alt.Chart | alt.LayerChart | alt.VConcatChart


# Altair re-validates every object against the Vega-Lite schema as it is created
# ("debug mode"): a third of a cold rerun of the app. The finished specs are validated
# by tests/test_charts.py (``to_dict()`` validates whatever this flag says), so the
# builders run without it.
alt.utils.schemapi.disable_debug_mode()


def themed(chart: ChartLike) -> ChartLike:
    """Apply :data:`THEME` so every chart in the app reads the same on a projector.

    Width follows the container; the height is the plot's own, so a chart with a
    two-line title or a legend is not squashed (Streamlit's default "fit" would).
    """
    # One shallow copy with the whole config, not a deep copy per configure_* call: the
    # same spec, about 50 ms less per page of charts (bench.app).
    out = chart.copy(deep=False)
    out.config = alt.Config(
        **THEME["config"],
        axis=alt.AxisConfig(**THEME["axis"]),
        legend=alt.LegendConfig(**THEME["legend"]),
        title=alt.TitleConfig(**THEME["title"]),
        view=alt.ViewConfig(**THEME["view"]),
    )
    out.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    return out


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


def _title(text: str, subtitle: str | list[str] | None = None) -> alt.TitleParams:
    if subtitle is None:
        return alt.TitleParams(text=text)
    return alt.TitleParams(text=text, subtitle=subtitle)


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
                color=CHANGE_COLOUR,
                fontSize=FONT_SIZE - 2,
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
) -> alt.LayerChart:
    """Monthly revenue: p10-p90 band, median line, target and the pinned baseline's median.

    The band is what 8 futures (runs) in 10 fall within, so a trainer can point at the
    uncertainty, not only at the middle line.
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
    legend = alt.Legend(title=None, symbolStrokeWidth=3, symbolSize=400)
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
    chart = alt.layer(band, line, *markers, _hover(frame, tooltip=tooltip)).properties(
        width="container",
        height=CHART_HEIGHT,
        title=_title(
            title or "Revenue per month",
            f"Line: the middle of {result.runs:,} futures. Band: 8 futures in 10 fall inside it.",
        ),
        description="Revenue fan chart",
    )
    return themed(chart)


# --- 2. Quarterly bars.
def _status_legend_expr(result: ResultSummary) -> str:
    th = result.scenario.thresholds
    boom = f"Boom (≥ +{percent(th.boom_rise)})"
    bust = f"Bust (≤ -{percent(th.bust_drop)})"
    return f"datum.label == 'boom' ? '{boom}' : datum.label == 'bust' ? '{bust}' : 'Steady'"


LABEL_MIN_BAND = 40
"""Bar width in pixels below which the change labels are drawn upright."""


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
                legend=alt.Legend(title=None, labelExpr=_status_legend_expr(result)),
            ),
            tooltip=tooltip,
        )
    )
    # Labels read across where bars are wide, and turn upright where they are narrow.
    wide = f"bandwidth('x') >= {LABEL_MIN_BAND}"
    labels = (
        alt.Chart(frame)
        .mark_text(
            dy=-6,
            fontSize=FONT_SIZE,
            fontWeight="bold",
            angle=alt.ExprRef(f"{wide} ? 0 : 270"),
            align=alt.ExprRef(f"{wide} ? 'center' : 'left'"),
            baseline=alt.ExprRef(f"{wide} ? 'bottom' : 'middle'"),
        )
        .encode(x=x, y=alt.Y("p50:Q"), text=alt.Text("change_label:N"), tooltip=tooltip)
    )
    chart = alt.layer(bars, labels, *markers).properties(
        width="container",
        height=CHART_HEIGHT,
        title=_title("Revenue per quarter", "Label: median change on the previous quarter."),
        description="Quarterly revenue bars",
    )
    return themed(chart)


# --- 3. Revenue by source or product line.
def breakdown_chart(result: ResultSummary, *, by: Literal["source", "line"]) -> alt.LayerChart:
    """Mean monthly revenue stacked by source (new, renewal, ...) or by product line.

    Means (not medians) so the layers add up to the average total.
    """
    if by == "source":
        keys, labels = list(SOURCES), [SOURCE_LABELS[s] for s in SOURCES]
        colours = [SOURCE_COLOURS[s] for s in SOURCES]
        title, legend_columns = "Revenue by source", 3
    elif by == "line":
        lines = result.scenario.product_lines
        keys, labels = list(lines), [line.name for line in lines.values()]
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(keys))]
        title = "Revenue by product line"
        legend_columns = 1 if max(len(name) for name in labels) > 20 else 2
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
                legend=alt.Legend(title=None, columns=legend_columns),
            ),
            order=alt.Order("order:Q"),
        )
    )
    markers = change_markers(result.scenario)
    chart = alt.layer(area, *markers, _hover(wide, tooltip=tooltip)).properties(
        width="container",
        height=CHART_HEIGHT,
        title=_title(title, f"Average of {result.runs:,} futures, stacked."),
        description=f"Revenue by {by}",
    )
    return themed(chart)


# --- 4. Forward coverage.
def coverage_chart(result: ResultSummary) -> alt.LayerChart:
    """Forward pipeline coverage with the warning level and the month the warning fires.

    This is the early-warning view: the line drops below the level months before
    revenue does.
    """
    frame = _series(result, "coverage")
    level = result.scenario.thresholds.coverage_warning
    frame["median_text"] = [percent(v) for v in frame["p50"]]
    frame["range_text"] = [
        f"{percent(a)} – {percent(b)}" for a, b in zip(frame.p10, frame.p90, strict=True)
    ]
    months = len(frame)
    # Coverage is capped at 10x by the engine; keep a quiet month from squashing the view.
    top = max(level * 1.4, min(float(frame["p90"].max()), 3.0), 1.2)
    y_scale = alt.Scale(domain=[0, top], clamp=True, nice=False)
    x = _x_month(months=months)

    band = (
        alt.Chart(frame)
        .mark_area(color=SKY_BLUE, opacity=0.3)
        .encode(
            x=x,
            y=alt.Y(
                "p10:Q",
                scale=y_scale,
                axis=alt.Axis(title="Forward coverage", format=".0%", tickCount=5),
            ),
            y2=alt.Y2("p90:Q"),
        )
    )
    median = alt.Chart(frame).mark_line(color=BLUE, strokeWidth=3).encode(x=x, y=alt.Y("p50:Q"))
    rule_frame = pd.DataFrame({"level": [level], "label": [f"Warning level {percent(level)}"]})
    warning = alt.Chart(rule_frame).mark_rule(color=VERMILLION, strokeWidth=2, strokeDash=[6, 4])
    warning_rule = warning.encode(y=alt.Y("level:Q"))
    warning_text = (
        alt.Chart(rule_frame)
        .mark_text(
            align="right",
            baseline="top",
            dx=-4,
            dy=5,
            color=VERMILLION,
            fontSize=FONT_SIZE,
            fontWeight="bold",
        )
        # At the right edge: the warning usually fires early, so the left is busy.
        .encode(x=alt.value(alt.ExprRef("width")), y=alt.Y("level:Q"), text=alt.Text("label:N"))
    )
    layers = [band, median, warning_rule, warning_text]

    fired = result.report.warning_month
    if fired is not None:
        fire_frame = pd.DataFrame(
            {"date": [month_start(fired)], "label": [f"Warning fires {month_name(fired)}"]}
        )
        layers.append(
            alt.Chart(fire_frame)
            .mark_rule(color=VERMILLION, strokeWidth=2)
            .encode(x=alt.X("date:T"))
        )
        layers.append(
            alt.Chart(fire_frame)
            .mark_text(
                align="left",
                dx=5,
                baseline="top",
                color=VERMILLION,
                fontSize=FONT_SIZE,
                fontWeight="bold",
            )
            .encode(x=alt.X("date:T"), y=alt.value(4), text=alt.Text("label:N"))
        )
    tooltip = [
        alt.Tooltip("month_name:N", title="Month"),
        alt.Tooltip("median_text:N", title="Median coverage"),
        alt.Tooltip("range_text:N", title="8 in 10 futures"),
    ]
    layers.append(_hover(frame, tooltip=tooltip))
    lookahead = result.scenario.thresholds.coverage_lookahead_months
    chart = alt.layer(*layers).properties(
        width="container",
        height=CHART_HEIGHT,
        title=_title(
            "Forward pipeline coverage",
            f"How much of the next {lookahead} months' revenue is already in sight.",
        ),
        description="Forward coverage",
    )
    return themed(chart)


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
    legend = alt.Legend(title=None, symbolStrokeWidth=3, symbolSize=400)
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
    chart = alt.layer(band, median, *markers, _hover(wide, tooltip=tooltip)).properties(
        width="container",
        height=CHART_HEIGHT,
        title=_title(
            "Sales team: headcount and productive reps",
            [
                f"Lines: the middle of {result.runs:,} futures. "
                "Band: 8 futures in 10 fall inside it.",
                "New hires count in part while they ramp up; a leaver's seat is empty "
                "until backfilled.",
            ],
        ),
        description="Team capacity",
    )
    return themed(chart)


# --- 5. Renewal calendar.
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
                legend=alt.Legend(title="Buyer contacts:", titleOrient="left"),
            ),
            tooltip=tooltip,
        )
    )
    labels = (
        alt.Chart(totals)
        .mark_text(dy=-10, fontSize=FONT_SIZE, fontWeight="bold")
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
    chart = alt.layer(*layers).properties(
        width="container",
        height=CHART_HEIGHT,
        title=_title(title, subtitle),
        description="Renewal calendar",
    )
    return themed(chart)


def _message_chart(message: str, *, title: str) -> alt.Chart:
    """A small chart that says why there is nothing to draw, instead of an empty frame."""
    chart = (
        alt.Chart(pd.DataFrame({"message": [message]}))
        .mark_text(fontSize=18, color=GREY)
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
            # Three columns fit the sidebar; the legend names what the colours mean.
            legend=alt.Legend(
                title=None,
                orient="bottom",
                direction="horizontal",
                columns=3,
                symbolType="square",
                labelFontSize=13,
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
