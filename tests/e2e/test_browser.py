"""The real app in a real browser: Streamlit served on loopback, driven by Chromium.

These tests catch what AppTest cannot: a chart spec Vega refuses to draw, a widget
the keyboard cannot move, a link that does not reopen the same what-if. The last
test saves the screenshot the README shows (``make screenshot`` refreshes docs/screenshot.png).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest

from tests.support.server import (
    BROWSER_TIMEOUT_MS,
    ROOT,
    Server,
)

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")
Browser = playwright_api.Browser
Page = playwright_api.Page
expect = playwright_api.expect

# Every run saves the screenshot under test-artifacts/; `make screenshot` (which sets
# UPDATE_SCREENSHOT=1) refreshes the copy the README shows, so `make test` leaves
# the work tree clean.
SCREENSHOT = (
    ROOT / "docs" / "screenshot.png"
    if os.environ.get("UPDATE_SCREENSHOT")
    else ROOT / "test-artifacts" / "screenshot.png"
)
REQUIRED_CHARTS = (  # the charts' descriptions (ui/charts.py), shown as their aria-label
    "Effort split",
    "Revenue fan chart",
    "Quarterly revenue bars",
    "Quota attainment",
    "Revenue by source",
    "Revenue by line",
    "Early warning",
    "Renewal calendar",
)
NORDIC_CONTACTS = re.compile(r"Nordic Telecom.*buyer contacts")
BALTIC_ENDS = re.compile(r"Baltic Energy.*ends")
BALTIC_CONTACTS = re.compile(r"Baltic Energy.*buyer contacts")

# Every Streamlit chart has drawn an SVG with visible data marks (not just axes).
CHARTS_DRAWN_JS = """() => {
  const charts = [...document.querySelectorAll("[data-testid='stVegaLiteChart']")];
  return charts.length > 0 && charts.every(chart => {
    const marks = chart.querySelectorAll(".vega-embed svg g.role-mark path, "
      + ".vega-embed svg g.role-mark text");
    return [...marks].some(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
  });
}"""

# Every chart is as wide as its column (Vega re-fits a chart after the window resizes).
CHARTS_FIT_JS = """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
.every(chart => {
  const svg = chart.querySelector(".vega-embed svg");
  return svg && Math.abs(svg.getBoundingClientRect().width - chart.clientWidth) <= 1;
})"""

CHART_REPORT_JS = """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
.map(chart => {
  const embed = chart.closest(".vega-embed") || chart.querySelector(".vega-embed");
  const svg = embed && embed.querySelector("svg");
  const marks = svg ? [...svg.querySelectorAll("g.role-mark path, g.role-mark text")] : [];
  const visible = marks.filter(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
  const title = svg && svg.querySelector("g.role-title text");
  return {embed: !!embed, svg: !!svg, canvas: !!(embed && embed.querySelector("canvas")),
          marks: visible.length, title: title ? title.textContent : null,
          name: embed && embed.getAttribute("aria-label")};
})"""

NAMED_CHARTS_DRAWN_JS = """names => {
  const drawn = [...document.querySelectorAll(".vega-embed")]
    .filter(embed => embed.querySelector("svg"))
    .map(embed => embed.getAttribute("aria-label"));
  return names.every(name => drawn.includes(name));
}"""

# The median line of the revenue chart: its path changes when the revenue forecast does.
MEDIAN_PATH_JS = """() => {
  for (const svg of document.querySelectorAll(".vega-embed svg")) {
    const title = svg.querySelector("g.role-title text");
    if (title && title.textContent === "Revenue per month") {
      const line = svg.querySelector("g.mark-line path");
      return line ? line.getAttribute("d") : null;
    }
  }
  return null;
}"""


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(BROWSER_TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors  # type: ignore[attr-defined]
    yield tab
    context.close()


def wait_until_idle(page: Page) -> None:
    """The script has finished its run and every chart has drawn its marks."""
    page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")
    page.wait_for_function(CHARTS_DRAWN_JS)


def open_app(page: Page, server: Server, query: str = "") -> None:
    page.goto(f"{server.url}/{'?' + query if query else ''}")
    page.get_by_test_id("stMetric").first.wait_for()
    wait_until_idle(page)


def verdict(page: Page) -> str:
    return page.get_by_test_id("stMain").locator("h2").first.inner_text()


WHIPLASH = re.compile(r"^Whiplash")
"""The key figure "Whiplash" (share of futures), not "Severe whiplash"."""


def metric(page: Page, label: str | re.Pattern[str]) -> str:
    box = page.get_by_test_id("stMetric").filter(has_text=label)
    return box.get_by_test_id("stMetricValue").inner_text()


def percent_value(text: str) -> float:
    return float(text.strip().rstrip("%"))


def press(page: Page, slider_name: re.Pattern[str], key: str, times: int = 1) -> None:
    """Move a slider with the keyboard, waiting for the app to rerun after each step."""
    slider = page.get_by_role("slider", name=slider_name)
    for _ in range(times):
        before = slider.get_attribute("aria-valuetext")
        slider.focus()
        slider.press(key)
        expect(slider).not_to_have_attribute("aria-valuetext", before or "")
        wait_until_idle(page)


def test_page_loads_without_exception_and_every_chart_draws(page: Page, server: Server) -> None:
    open_app(page, server)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # A chart can join the page after the script run has ended and the charts then on
    # it have drawn (the sidebar's effort split up to half a second later on this
    # machine): wait until every chart named here has drawn.
    page.wait_for_function(NAMED_CHARTS_DRAWN_JS, arg=list(REQUIRED_CHARTS))
    charts = page.evaluate(CHART_REPORT_JS)
    names = [chart["name"] for chart in charts]
    assert set(REQUIRED_CHARTS) <= set(names), names
    assert page.locator(".vega-embed").count() == len(charts)
    for chart in charts:
        assert chart["svg"], f"chart {chart['name']!r} did not render as SVG"
        assert chart["marks"] > 0, f"chart {chart['name']!r} drew no marks"
    assert "whiplash in " in verdict(page), verdict(page)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_new_visitor_sees_the_first_screen_then_the_whole_page_by_itself(
    browser: Browser, server: Server
) -> None:
    """A new visitor's first run sends the first screen alone (ui/first_paint.py); the
    browser asks for the rest by itself once the revenue chart is drawn. Read from the
    messages the page receives: the page's DOM lags behind its script-state attribute."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    runs: list[list[str]] = [[]]  # the elements each script run sent, run by run

    def received(payload: bytes | str) -> None:
        if isinstance(payload, str):
            return
        msg = ForwardMsg.FromString(payload)
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            runs[-1].append(msg.delta.new_element.WhichOneof("type"))
        elif kind == "script_finished":
            runs.append([])

    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(BROWSER_TIMEOUT_MS)
    tab.on("websocket", lambda ws: ws.on("framereceived", received))
    try:
        tab.goto(server.url)
        # Nobody touches anything: the whole page comes.
        expect(tab.get_by_test_id("stSidebar").get_by_test_id("stSlider").first).to_be_visible()
        tab.wait_for_function(NAMED_CHARTS_DRAWN_JS, arg=list(REQUIRED_CHARTS))
        expect(tab.get_by_test_id("stException")).to_have_count(0)
        first, second = runs[0], runs[1]
        assert first.count("vega_lite_chart") == 1 and "slider" not in first, first
        assert first.count("metric") == 6, "the verdict's key figures are on the first screen"
        assert second.count("slider") > 10, second
        assert second.count("vega_lite_chart") >= len(REQUIRED_CHARTS), second
    finally:
        context.close()


def test_keyboard_slider_changes_the_verdict_and_the_chart(page: Page, server: Server) -> None:
    open_app(page, server)
    probability = metric(page, WHIPLASH)
    sentence = verdict(page)
    median = page.evaluate(MEDIAN_PATH_JS)
    assert median

    # A second and third buyer contact in the biggest account: fewer runs lose it.
    press(page, NORDIC_CONTACTS, "ArrowRight", times=2)
    expect(page.get_by_role("slider", name=NORDIC_CONTACTS)).to_have_attribute(
        "aria-valuetext", "3"
    )
    expect(page.get_by_test_id("stMetric").filter(has_text=WHIPLASH)).not_to_contain_text(
        probability
    )
    assert percent_value(metric(page, WHIPLASH)) < percent_value(probability)
    assert verdict(page) != sentence
    assert page.evaluate(MEDIAN_PATH_JS) != median, "the revenue chart did not redraw"
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_shared_url_reopens_the_same_settings(page: Page, browser: Browser, server: Server) -> None:
    open_app(page, server)
    press(page, BALTIC_ENDS, "ArrowRight", times=3)
    press(page, NORDIC_CONTACTS, "ArrowRight")
    # The link's parameter names (simulator/levers.py): ends= per contract, cc= contacts.
    page.wait_for_url(re.compile(r"ends=[^&]*2013-04.*cc=2"))
    link = page.url
    expected = {
        "ends": page.get_by_role("slider", name=BALTIC_ENDS).get_attribute("aria-valuetext"),
        "contacts": page.get_by_role("slider", name=NORDIC_CONTACTS).get_attribute(
            "aria-valuetext"
        ),
        "verdict": verdict(page),
        "probability": metric(page, WHIPLASH),
    }
    assert expected["ends"] == "2013-04" and expected["contacts"] == "2"

    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        other = context.new_page()
        other.set_default_timeout(BROWSER_TIMEOUT_MS)
        other.goto(link)
        other.get_by_test_id("stMetric").first.wait_for()
        wait_until_idle(other)
        reopened = {
            "ends": other.get_by_role("slider", name=BALTIC_ENDS).get_attribute("aria-valuetext"),
            "contacts": other.get_by_role("slider", name=NORDIC_CONTACTS).get_attribute(
                "aria-valuetext"
            ),
            "verdict": verdict(other),
            "probability": metric(other, WHIPLASH),
        }
        assert reopened == expected, (link, other.url)
    finally:
        context.close()


def test_full_page_screenshot_for_the_readme(page: Page, server: Server) -> None:
    """Before and after on the 2012 client: pin the bust, stagger renewals, add contacts."""
    open_app(page, server)
    page.get_by_role("button", name=re.compile("Pin as baseline")).click()
    expect(page.get_by_role("button", name="Clear baseline")).to_be_enabled()
    wait_until_idle(page)
    page.get_by_role("button", name="Stagger renewals").click()
    expect(page.get_by_role("slider", name=BALTIC_ENDS)).not_to_have_attribute(
        "aria-valuetext", "2013-01"
    )
    wait_until_idle(page)
    press(page, NORDIC_CONTACTS, "ArrowRight", times=2)
    press(page, BALTIC_CONTACTS, "ArrowRight", times=2)
    expect(page.get_by_test_id("stException")).to_have_count(0)

    # Streamlit scrolls inside its main area: grow the window to the content's height.
    height = page.get_by_test_id("stMain").evaluate("el => el.scrollHeight")
    page.set_viewport_size({"width": 1440, "height": int(height) + 20})
    wait_until_idle(page)
    page.wait_for_function(CHARTS_FIT_JS)  # the charts have re-fitted the resized window
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOT, full_page=True)
    data = SCREENSHOT.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height_px = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == 1440 and height_px >= 1500
