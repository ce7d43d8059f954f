"""Legible from the back row: the app on a 1280x720 projector, a big screen and a phone.

The presenter view (``?present=1``) shows the verdict and the revenue chart without
scrolling; in every view each chart draws every legend entry and every label whole (not
cut at the chart's edge, not shortened with "…", never upright), the key figures and the
baseline button keep their whole text, and a fullscreen chart fits the screen. Each run
saves screenshots at 1280x720, 1920x1080 and 390x844 under test-artifacts/ (not committed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import pytest

from simulator import ResultSummary, list_presets
from tests.support.server import BROWSER_TIMEOUT_MS, ROOT, Server
from ui import charts, links, presenter, verdict_charts
from ui import verdict as verdict_text
from ui.runtime import simulate_summary

playwright_api = pytest.importorskip("playwright.sync_api")
Browser = playwright_api.Browser
Page = playwright_api.Page
expect = playwright_api.expect

ARTIFACTS = ROOT / "test-artifacts"
PROJECTOR = {"width": 1280, "height": 720}
SIZES = {"1280x720": PROJECTOR, "1920x1080": {"width": 1920, "height": 1080}}
PHONE = {"width": 390, "height": 844}

# Every chart on the page has drawn its SVG with visible marks.
CHARTS_DRAWN_JS = """() => {
  const charts = [...document.querySelectorAll("[data-testid='stVegaLiteChart']")];
  return charts.length > 0 && charts.every(chart => {
    const marks = chart.querySelectorAll("svg g.role-mark path, svg g.role-mark text");
    return [...marks].some(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
  });
}"""

# Per chart: its name, the legend labels it drew, and any text that is not drawn whole:
# outside the SVG (Vega draws past the chart's edge, where the browser cuts it off),
# shortened with "…" (a label longer than its limit) or turned upright.
CHART_TEXT_JS = """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
.map(chart => {
  const svg = chart.querySelector("svg");
  if (!svg) return {name: chart.getAttribute("aria-label"), svg: false};
  const box = svg.getBoundingClientRect();
  const problems = [];
  for (const text of svg.querySelectorAll("text")) {
    const content = text.textContent;
    if (!content.trim() || getComputedStyle(text).opacity === "0") continue;
    if (text.getAttribute("opacity") === "0") continue;
    // The browser's box of a text is its font's whole line (a quarter of the size above
    // the capitals and below the descenders): that much may overhang, no more.
    const r = text.getBoundingClientRect();
    const slack = 0.25 * parseFloat(getComputedStyle(text).fontSize || "16");
    if (r.left < box.left - slack || r.right > box.right + slack || r.top < box.top - slack
        || r.bottom > box.bottom + slack) problems.push("outside the chart: " + content);
    if (content.includes("…")) problems.push("shortened: " + content);
    if (/rotate\\((-?90|270)/.test(text.getAttribute("transform") || "")
        && !text.closest("g.role-axis-title")) problems.push("upright: " + content);
  }
  // The y axis spans the plot (its labels overhang it by half a line).
  const plot = svg.querySelector("g.role-axis[aria-label^='Y-axis']");
  return {
    name: chart.getAttribute("aria-label"), svg: true, width: box.width, height: box.height,
    legend: [...svg.querySelectorAll("g.role-legend-label text, g.role-legend-title text")]
      .map(t => t.textContent),
    plotHeight: plot ? plot.getBoundingClientRect().height : null,
    problems,
  };
})"""

# The named charts are all on the page with their SVG drawn (Streamlit re-embeds a chart
# whose column changes width, e.g. when the page's scrollbar appears).
NAMED_CHARTS_DRAWN_JS = """(names) => names.every(name => {
  const chart = document.querySelector(
    `[data-testid='stVegaLiteChart'][aria-label='${name}']`);
  const marks = chart ? chart.querySelectorAll("svg g.role-mark path, svg g.role-mark text") : [];
  return [...marks].some(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
})"""

# Text Streamlit cuts off with "…" (CSS text-overflow) in the key figures, the row of
# baseline buttons and the page's links (a link's label does not wrap).
CUT_TEXT_JS = """() => [...document.querySelectorAll("[data-testid='stMetric'] *, "
  + ".st-key-baseline_row *, .st-key-presenter_header *, "
  + "[data-testid='stMain'] [data-testid='stPageLink'] *")]
.filter(el => el.offsetParent !== null && getComputedStyle(el).textOverflow === "ellipsis"
  && el.scrollWidth > el.clientWidth + 1)
.map(el => el.textContent)"""

SKELETONS_GONE_JS = """() => !document.querySelector("[data-testid='stSkeleton']")"""

SCROLLED_JS = """() => window.scrollY
  + (document.querySelector("[data-testid='stMain']")?.scrollTop ?? 0)
  + (document.querySelector("[data-testid='stAppViewContainer']")?.scrollTop ?? 0)"""


# --- What the charts should show: built from the scenario the app opens by default.
@cache
def default_result() -> ResultSummary:
    scenario, _, _ = links.scenario_from_params({})
    return simulate_summary(scenario)


def legend_entries(spec: dict, *, names: dict[str, str] | None = None) -> set[str]:
    """The legend entries a Vega-Lite spec asks for: the domain of each legend's scale
    (through ``names`` where the legend renames them), and each legend's title."""
    entries: set[str] = set()
    for layer in spec.get("layer", [spec]):
        for channel in ("color", "strokeDash"):
            enc = layer.get("encoding", {}).get(channel, {})
            legend = enc.get("legend", {})
            if "field" not in enc or legend is None:
                continue
            entries |= {(names or {}).get(v, v) for v in enc["scale"]["domain"]}
            if legend.get("title"):
                entries.add(legend["title"])
    return entries


@cache
def longest_verdict_preset() -> str:
    """The preset whose verdict sentence is the longest (two lines on a projector)."""
    lengths = {
        name: len(verdict_text.verdict_sentence(simulate_summary(links.preset_scenario(name))))
        for name in list_presets()
    }
    return max(lengths, key=lambda name: lengths[name])


@cache
def expected_legends() -> dict[str, set[str]]:
    """Chart name (its aria-label) -> the legend entries it must draw."""
    result = default_result()
    built = {
        "Revenue fan chart": legend_entries(charts.revenue_fan_chart(result).to_dict()),
        "Quarterly revenue bars": legend_entries(
            charts.quarterly_bars(result).to_dict(), names=charts.status_legend_labels(result)
        ),
        "Revenue by source": legend_entries(charts.breakdown_chart(result, by="source").to_dict()),
        "Revenue by line": legend_entries(charts.breakdown_chart(result, by="line").to_dict()),
        "Early warning": legend_entries(verdict_charts.warning_chart(result).to_dict()),
        "Renewal calendar": legend_entries(charts.renewal_calendar(result.scenario).to_dict()),
        "Effort split": legend_entries(charts.effort_split_bar(result.scenario.effort).to_dict()),
    }
    if charts.has_capacity(result):
        built["Team capacity"] = legend_entries(charts.capacity_chart(result).to_dict())
    return built


# --- The browser.
@pytest.fixture
def open_page(browser: Browser, server: Server) -> Iterator:
    """``open_page(viewport, query)``: a fresh tab on the app, scripts done and every chart
    drawn. Collects the page's JavaScript errors in ``page.js_errors``."""
    contexts = []

    def open_(viewport: dict[str, int], query: str = "") -> Page:
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(BROWSER_TIMEOUT_MS)
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.js_errors = errors  # type: ignore[attr-defined]
        tab.goto(f"{server.url}/{'?' + query if query else ''}")
        tab.get_by_test_id("stMetric").first.wait_for()
        wait_until_idle(tab)
        return tab

    yield open_
    for context in contexts:
        context.close()


def wait_until_idle(page: Page) -> None:
    """The script has run to its end (the sidebar comes last) and every chart is drawn."""
    page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")
    page.get_by_test_id("stSidebar").get_by_text("Simulation settings").wait_for(state="attached")
    page.wait_for_function(CHARTS_DRAWN_JS)


def verdict(page: Page):
    return page.get_by_test_id("stMain").locator("h2").first


def fan_chart(page: Page):
    return page.locator("[data-testid='stVegaLiteChart'][aria-label='Revenue fan chart']")


def assert_on_screen(page: Page, locator, what: str) -> None:
    box = locator.bounding_box()
    view = page.viewport_size
    assert box is not None, f"{what} is not drawn"
    assert box["y"] >= 0 and box["x"] >= 0, (what, box)
    assert box["y"] + box["height"] <= view["height"], f"{what} ends below the fold: {box}"
    assert box["x"] + box["width"] <= view["width"], f"{what} is wider than the screen: {box}"


def assert_charts_drawn_whole(page: Page, *, names: set[str] | None = None) -> list[dict]:
    """Every chart (or those in ``names``) draws its expected legend entries and every
    text whole; returns what the page reported."""
    expected = expected_legends()
    wanted = sorted(names if names is not None else expected)
    page.wait_for_function(NAMED_CHARTS_DRAWN_JS, arg=wanted)
    report = page.evaluate(CHART_TEXT_JS)
    seen = {chart["name"] for chart in report}
    assert set(wanted) <= seen, f"charts missing: {set(wanted) - seen}"
    for chart in report:
        name = chart["name"]
        if names is not None and name not in names:
            continue
        assert chart["svg"], f"{name} did not draw as SVG"
        missing = expected.get(name, set()) - set(chart["legend"])
        assert not missing, f"{name}: legend entries missing {missing}, drawn {chart['legend']}"
        assert not chart["problems"], f"{name} at {chart['width']:.0f} px: {chart['problems']}"
    return report


def assert_no_cut_text(page: Page) -> None:
    assert page.get_by_test_id("stMetric").count() == 6
    assert page.evaluate(CUT_TEXT_JS) == [], "text cut off with an ellipsis"


def screenshot(page: Page, name: str, *, whole_page: bool = False) -> None:
    """The screen as the room sees it; with ``whole_page``, also the whole page at the
    same width (Streamlit scrolls inside its main area, so the window grows to it)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # Widgets whose code is still loading are grey bars: wait for the real ones.
    page.wait_for_function(SKELETONS_GONE_JS)
    page.screenshot(path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if whole_page:
        view = page.viewport_size
        height = page.get_by_test_id("stMain").evaluate("el => el.scrollHeight")
        page.set_viewport_size({"width": view["width"], "height": int(height) + 20})
        wait_until_idle(page)
        page.wait_for_function(SKELETONS_GONE_JS)
        page.screenshot(path=ARTIFACTS / f"{name}-whole.png", full_page=True)
        page.set_viewport_size(view)


# --- The projector.
def test_presenter_view_shows_the_verdict_and_the_revenue_chart_at_1280x720(open_page) -> None:
    page = open_page(PROJECTOR, f"{presenter.PARAM}=1")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert page.evaluate(SCROLLED_JS) == 0
    assert_on_screen(page, verdict(page), "the verdict")
    assert_on_screen(page, fan_chart(page), "the revenue chart")
    assert_on_screen(page, page.get_by_test_id("stMetric").last, "the last key figure")
    assert_on_screen(page, page.get_by_role("button", name="Pin as baseline"), "Pin as baseline")
    # The sidebar starts folded away; the link keeps the view across a reload.
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    page.wait_for_url(re.compile(rf"[?&]{presenter.PARAM}=1"))
    assert_charts_drawn_whole(page, names=set(expected_legends()) - {"Effort split"})
    assert_no_cut_text(page)
    [fan] = [c for c in page.evaluate(CHART_TEXT_JS) if c["name"] == "Revenue fan chart"]
    assert fan["plotHeight"] >= 0.85 * presenter.FAN_PLOT_HEIGHT, fan
    screenshot(page, "presenter-1280x720")

    # With a baseline pinned the key figures grow a delta line and the chart a legend
    # entry: both still fit.
    page.get_by_role("button", name="Pin as baseline").click()
    expect(page.get_by_role("button", name="Clear baseline")).to_be_enabled()
    expect(page.get_by_test_id("stMetricDelta").first).to_be_visible()
    wait_until_idle(page)
    assert_on_screen(page, verdict(page), "the verdict with a baseline")
    assert_on_screen(page, fan_chart(page), "the revenue chart with a baseline")
    assert_charts_drawn_whole(page, names={"Revenue fan chart"})
    assert "Baseline median" in next(
        c["legend"] for c in page.evaluate(CHART_TEXT_JS) if c["name"] == "Revenue fan chart"
    )
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_the_longest_verdict_and_a_baseline_leave_the_revenue_chart_on_screen(
    open_page,
) -> None:
    """The verdict's notes and the early warning go under the chart when presenting, so
    a two-line verdict and the baseline's deltas still leave the chart on screen."""
    page = open_page(PROJECTOR, f"{presenter.PARAM}=1&preset={longest_verdict_preset()}")
    page.get_by_role("button", name="Pin as baseline").click()
    expect(page.get_by_test_id("stMetricDelta").first).to_be_visible()
    wait_until_idle(page)
    assert page.evaluate(SCROLLED_JS) == 0
    assert_on_screen(page, verdict(page), "the verdict")
    assert_on_screen(page, fan_chart(page), "the revenue chart")
    warning = page.get_by_test_id("stMain").locator("h4").first
    expect(warning).to_contain_text(re.compile("warn", re.IGNORECASE))
    chart_bottom = fan_chart(page).bounding_box()
    warning_top = warning.bounding_box()
    assert chart_bottom is not None and warning_top is not None
    assert warning_top["y"] >= chart_bottom["y"] + chart_bottom["height"], "not under the chart"
    page.mouse.move(0, PROJECTOR["height"] - 1)  # the button's tooltip would cover the verdict
    expect(page.get_by_test_id("stTooltipContent").first).to_be_hidden()
    screenshot(page, "presenter-longest-verdict-1280x720")


def test_the_toggle_turns_the_presenter_view_on_and_off(open_page) -> None:
    page = open_page(PROJECTOR)
    assert page.locator(f".st-key-{presenter.HEADER_KEY}").count() == 0
    page.get_by_text("Presenter view").click()
    expect(page.locator(f".st-key-{presenter.HEADER_KEY}")).to_be_visible()
    page.wait_for_url(re.compile(rf"[?&]{presenter.PARAM}=1"))
    wait_until_idle(page)
    expect(page.get_by_role("heading", name="Sales whiplash simulator")).to_have_count(0)
    page.get_by_text("Presenter view").click()
    expect(page.get_by_role("heading", name="Sales whiplash simulator")).to_be_visible()
    page.wait_for_url(lambda url: f"{presenter.PARAM}=" not in url)


@pytest.mark.parametrize("size", list(SIZES))
def test_every_chart_draws_every_legend_entry_and_label_whole(open_page, size: str) -> None:
    """The ordinary view, sidebar open: at 1280 px the narrowest charts (half the main
    column) still draw every legend entry and label whole."""
    page = open_page(SIZES[size])
    expect(page.get_by_test_id("stException")).to_have_count(0)
    report = assert_charts_drawn_whole(page)
    assert_no_cut_text(page)
    for chart in report:
        if chart["plotHeight"] is not None:  # legends and titles do not squash the plot
            assert chart["plotHeight"] >= 0.85 * charts.PLOT_HEIGHT, chart
    screenshot(page, f"simulator-{size}", whole_page=True)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_key_figures_of_a_ten_year_plan_are_not_cut_at_1280_px(open_page) -> None:
    page = open_page(PROJECTOR, "months=120")
    expect(page.get_by_test_id("stMetric").first).to_contain_text("Revenue, 120 mo")
    assert_no_cut_text(page)


def test_charts_on_a_phone_draw_every_legend_entry_and_label_whole(open_page) -> None:
    page = open_page(PHONE)
    sidebar = page.get_by_test_id("stSidebar")
    if sidebar.get_attribute("data-collapsed") == "false":  # it opens over the page
        page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
        expect(sidebar).to_have_attribute("data-collapsed", "true")
    assert_charts_drawn_whole(page, names=set(expected_legends()) - {"Effort split"})
    assert_no_cut_text(page)
    screenshot(page, "simulator-390x844", whole_page=True)


def test_a_fullscreen_chart_fits_the_screen(open_page) -> None:
    page = open_page(PROJECTOR)
    chart = fan_chart(page)
    chart.scroll_into_view_if_needed()
    chart.hover()
    container = page.get_by_test_id("stElementContainer").filter(has=chart)
    container.get_by_role("button", name="Fullscreen").click()
    page.wait_for_function(
        """() => { const svg = document.querySelector(
             "[data-testid='stVegaLiteChart'][aria-label='Revenue fan chart'] svg");
           return svg && svg.getBoundingClientRect().width > 1200; }"""
    )
    assert_on_screen(page, chart.locator("svg"), "the fullscreen chart")
    assert_charts_drawn_whole(page, names={"Revenue fan chart"})
    screenshot(page, "fullscreen-1280x720")
