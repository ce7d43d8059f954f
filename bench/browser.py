"""Browser benchmark: from a key press on a slider to the updated chart on screen.

Starts the real app (``streamlit run`` on a free loopback port), opens it in Debian's
Chromium, focuses the "closing" effort slider of the default preset and presses an
arrow key. The clock runs in the page (``performance.now()``): from the ``keydown``
event to the moment the revenue chart's median line has a new path (Vega has
redrawn it), and to the moment the script run ends (every element updated).

*Cold* presses go to a setting not seen before (simulation and charts computed);
*warm* presses walk back over settings already seen (served from ``st.cache_data``).
The first press is a warm-up and is not counted.

*First page load*: a new visitor (a fresh browser context, so a new session) opens the
app; the clock is the page's own, from the start of navigation to the moment the
revenue chart has its median line. The server has already served one page (its own
first run imports the app's modules), so this is what each person in a room waits.
Rows marked "first page load, part" split it, on the same loads and the same clock:
when Streamlit's scripts have run (``DOMContentLoaded``), when its websocket is open,
when the first script run has finished. A new visitor's first run sends the first
screen alone (verdict, key figures, revenue chart: ui/first_paint.py), and the page
asks for the rest once the revenue chart is drawn; the last row is when that rest is
drawn too (the sidebar's sliders and every chart).

Run: ``python -m bench.browser`` (part of ``make bench``). Targets (issue 13): a key
press to the redrawn chart under 300 ms, a first page load under 1.5 s.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from bench.report import timing_table
from tests.support.server import CHROMIUM, CHROMIUM_ARGS, streamlit_server

TARGET_MS = 300.0
PRESS_TIMEOUT_MS = 20_000
"""A press whose chart or run has not ended by then is counted as missed, not timed."""
PAGE_TARGET_MS = 1500.0
FAN_DRAWN_JS = """() => {
  for (const svg of document.querySelectorAll(".vega-embed svg")) {
    const title = svg.querySelector("g.role-title text");
    const fan = title && title.textContent === "Revenue per month";
    if (fan && svg.querySelector("g.mark-line path")) {
      return performance.now();
    }
  }
  return null;
}"""
"""Milliseconds since navigation started when the revenue chart has its median line."""
WHOLE_DRAWN_JS = """() => {
  const charts = [...document.querySelectorAll("[data-testid='stVegaLiteChart']")];
  const sliders = document.querySelectorAll("[data-testid='stSidebar'] [data-testid='stSlider']");
  const drawn = charts.every(c => c.querySelector(".vega-embed svg g.role-mark path"));
  return sliders.length > 0 && charts.length >= 8 && drawn ? performance.now() : null;
}"""
"""...when the whole page is there: the sidebar's sliders and every chart drawn."""
WHOLE = "First page load (new session) → whole page drawn (sidebar, every chart)"
LOAD_PARTS_INIT = """(() => {
  const parts = window.__loadParts = {wsOpen: null, runFinished: null};
  // The page's own socket, timed: a subclass keeps WebSocket.OPEN and the rest.
  window.WebSocket = class extends window.WebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("open", () => {
        if (parts.wsOpen === null) parts.wsOpen = performance.now();
      });
    }
  };
  // Attributes only, filtered: no cost for the page's other mutations.
  new MutationObserver(records => {
    for (const r of records) {
      if (r.oldValue === "running" && parts.runFinished === null
          && r.target.getAttribute("data-test-script-state") === "notRunning") {
        parts.runFinished = performance.now();
      }
    }
  }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ["data-test-script-state"]});
})();"""
"""Installed before the page's own scripts: the clock readings of :data:`LOAD_PARTS_JS`."""
LOAD_PARTS_JS = """() => ({
  scripts: performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd,
  wsOpen: window.__loadParts.wsOpen,
  runFinished: window.__loadParts.runFinished,
})"""
LOAD_PARTS = {
    "scripts": "First page load, part: Streamlit's scripts run (DOMContentLoaded)",
    "wsOpen": "First page load, part: websocket open",
    "runFinished": "First page load, part: first script run finished",
}
DRAWING = "First page load, part: script run finished → revenue chart drawn"
"""What the browser alone spends: laying out the elements, then the charts' Vega embeds."""
SLIDER = "…of which closing (the rest prospecting)"
"""The app's closing-share slider: effort feeds every result chart."""

PROBE_JS = """() => {
  const medianPath = () => {
    for (const svg of document.querySelectorAll(".vega-embed svg")) {
      const title = svg.querySelector("g.role-title text");
      if (title && title.textContent === "Revenue per month") {
        const line = svg.querySelector("g.mark-line path");
        return line ? line.getAttribute("d") : null;
      }
    }
    return null;
  };
  const probe = {t0: null, chart: null, idle: null, before: null};
  window.__probe = probe;
  document.addEventListener("keydown", () => {
    probe.t0 = performance.now();
    probe.chart = null;
    probe.idle = null;
    probe.before = medianPath();
  }, true);
  new MutationObserver(records => {
    if (probe.t0 === null) return;
    const now = performance.now();
    if (probe.chart === null) {
      const path = medianPath();
      if (path !== null && path !== probe.before) probe.chart = now - probe.t0;
    }
    for (const r of records) {
      if (r.attributeName === "data-test-script-state" && r.oldValue === "running"
          && r.target.getAttribute("data-test-script-state") === "notRunning"
          && probe.idle === null) {
        probe.idle = now - probe.t0;
      }
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             attributeOldValue: true, characterData: true});
}"""


def measure(*, presses: int) -> tuple[dict[str, list[float]], list[str]]:
    """Milliseconds per key press for each case, ``presses`` times, and the keys of the
    presses that missed (no redraw or no end of the run within PRESS_TIMEOUT_MS)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {
        "Key press → revenue chart redrawn, cold cache": [],
        "Key press → script run finished, cold cache": [],
        "Key press → revenue chart redrawn, warm cache": [],
        "Key press → script run finished, warm cache": [],
        "First page load (new session) → revenue chart drawn": [],
        WHOLE: [],
        **{row: [] for row in LOAD_PARTS.values()},
        DRAWING: [],
    }
    with streamlit_server() as server, sync_playwright() as pw:
        missed: list[str] = []
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for visit in range(presses + 1):  # the server's first page is a warm-up
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            context.add_init_script(LOAD_PARTS_INIT)
            visitor = context.new_page()
            visitor.set_default_timeout(60_000)
            visitor.goto(server.url)
            drawn = visitor.wait_for_function(FAN_DRAWN_JS, polling=10).json_value()
            whole = visitor.wait_for_function(WHOLE_DRAWN_JS, polling=10).json_value()
            if visit:
                times["First page load (new session) → revenue chart drawn"].append(drawn)
                times[WHOLE].append(whole)
                visitor.wait_for_function("() => window.__loadParts.runFinished !== null")
                parts = visitor.evaluate(LOAD_PARTS_JS)
                for part, value in parts.items():
                    times[LOAD_PARTS[part]].append(value)
                times[DRAWING].append(drawn - parts["runFinished"])
            context.close()
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(server.url)
        page.get_by_test_id("stMetric").first.wait_for()
        page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")
        page.wait_for_function("() => document.querySelectorAll('.vega-embed svg').length >= 7")
        page.evaluate(PROBE_JS)
        slider = page.get_by_role("slider", name=re.compile(re.escape(SLIDER.lstrip("…"))))
        slider.focus()

        def press(key: str, label: str) -> tuple[float, float] | None:
            """The press's (chart redrawn, run finished), or None if either did not
            happen within PRESS_TIMEOUT_MS (counted and reported, not timed)."""
            slider.press(key)
            try:
                page.wait_for_function(
                    "() => window.__probe.chart !== null && window.__probe.idle !== null",
                    timeout=PRESS_TIMEOUT_MS,
                )
            except PlaywrightTimeout:
                missed.append(label)
                page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")
                return None
            probe = page.evaluate("() => window.__probe")
            page.wait_for_timeout(150)  # a user does not press again within a frame
            return probe["chart"], probe["idle"]

        press("ArrowRight", "warm-up")  # not counted
        for key, cache in (("ArrowRight", "cold"), ("ArrowLeft", "warm")):
            for _ in range(presses):
                timed = press(key, f"{key} ({cache})")
                if timed is not None:
                    times[f"Key press → revenue chart redrawn, {cache} cache"].append(timed[0])
                    times[f"Key press → script run finished, {cache} cache"].append(timed[1])
        browser.close()
    return times, missed


def table(times: dict[str, list[float]]) -> str:
    return timing_table(times, count="Presses")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__)
    parser.add_argument("--presses", type=int, default=10, help="presses per case (default 10)")
    args = parser.parse_args(argv if argv is not None else [])
    if not Path(CHROMIUM).exists():
        print(f"Skipped: {CHROMIUM} is missing (`make browser` installs it).")
        return 0
    times, missed = measure(presses=max(1, args.presses))
    print(f"Key press on the '{SLIDER}' slider, default preset, headless Chromium.")
    print(
        f"Targets: a key press under {TARGET_MS:.0f} ms, a first page load under "
        f"{PAGE_TARGET_MS:,.0f} ms, in the browser.\n"
    )
    print(table(times))
    if missed:
        print(
            f"\n{len(missed)} key press(es) did not redraw the chart or finish the run "
            f"within {PRESS_TIMEOUT_MS / 1000:.0f} s and are not in the table: " + ", ".join(missed)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
