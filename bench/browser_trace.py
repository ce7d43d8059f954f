"""Where the browser's main thread spends a first page load and a key press (issue 13).

Wall-clock figures on a shared 2-core machine swing with the other jobs; the renderer's
main-thread busy time, read from a Chromium trace, swings far less. This tool opens the
app in Debian's Chromium with tracing on (``devtools.timeline`` and V8's sampling
profiler, as DevTools' Performance panel records), then splits the main thread's time
between navigation start and the revenue chart's median line:

- by trace event (self time): script compile, style, layout, paint, GC, ...;
- JavaScript by the bundle file its samples ran in (``embed.*.js`` is Vega, Vega-Lite
  and vega-embed; ``index.*.js`` is Streamlit's React app; ...).

With several ``--url`` (servers started beforehand, e.g. an old and a new checkout on
two ports), loads alternate between them, round by round: an interleaved A/B.

Run: ``python -m bench.browser_trace --url http://127.0.0.1:8601 --url http://...``
(without ``--url`` it starts this checkout's app itself).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import re
import statistics
import sys
from collections.abc import Iterator
from typing import Any

from tests.support.server import CHROMIUM, CHROMIUM_ARGS, streamlit_server

CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "disabled-by-default-devtools.timeline.frame",
    "v8.execute",
    "v8",
    "disabled-by-default-v8.cpu_profiler",
    "blink.user_timing",
    "loading",
    "toplevel",
]
DRAWN_JS = """() => {
  for (const svg of document.querySelectorAll(".vega-embed svg")) {
    const title = svg.querySelector("g.role-title text");
    if (title && title.textContent === "Revenue per month"
        && svg.querySelector("g.mark-line path")) {
      if (!performance.getEntriesByName("fan-drawn").length) performance.mark("fan-drawn");
      return performance.now();
    }
  }
  return null;
}"""
"""Marks (in the trace, on the page's clock) the moment the revenue chart has its line."""
PRESS_JS = """() => {
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
  const probe = window.__probe = {t0: null, chart: null, idle: null, before: null};
  document.addEventListener("keydown", () => {
    performance.mark("key-down");
    probe.t0 = performance.now(); probe.chart = null; probe.idle = null;
    probe.before = medianPath();
  }, true);
  new MutationObserver(records => {
    if (probe.t0 === null) return;
    const now = performance.now();
    if (probe.chart === null) {
      const path = medianPath();
      if (path !== null && path !== probe.before) {
        probe.chart = now - probe.t0; performance.mark("chart-redrawn");
      }
    }
    for (const r of records) {
      if (r.attributeName === "data-test-script-state" && r.oldValue === "running"
          && r.target.getAttribute("data-test-script-state") === "notRunning"
          && probe.idle === null) {
        probe.idle = now - probe.t0; performance.mark("run-finished");
      }
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             attributeOldValue: true, characterData: true});
}"""
SLIDER = re.compile(re.escape("of which closing (the rest prospecting)"))

COMPILE = ("compile", "Compile", "v8.parse", "ParseScript", "Deserialize")
STYLE = ("UpdateLayoutTree", "RecalculateStyles", "ParseAuthorStyleSheet", "InvalidateLayout")
LAYOUT = ("Layout", "UpdateLayerTree")
PAINT = ("Paint", "PrePaint", "Layerize", "Composite", "Commit", "RasterTask", "Decode")
GC = ("GC", "Scavenge", "MarkCompact", "MinorMS", "Sweep")


def category(name: str) -> str:
    """A trace event's kind, for the breakdown."""
    for label, needles in (
        ("compile/parse JS", COMPILE),
        ("GC", GC),
        ("style", STYLE),
        ("layout", LAYOUT),
        ("paint/composite", PAINT),
    ):
        if any(n in name for n in needles):
            return label
    if name in ("ParseHTML",):
        return "HTML parse"
    return "JS and other"


def bundle(url: str) -> str:
    """The bundle file a script URL names, without its hash: ``embed``, ``index``, ..."""
    if not url:
        return ""
    base = url.rsplit("/", 1)[-1].split("?", 1)[0]
    return re.sub(r"\.[A-Za-z0-9_-]{8}\.js$", "", base) or base


def main_thread(events: list[dict[str, Any]]) -> tuple[int, int]:
    """(pid, tid) of the busiest renderer main thread."""
    names = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M"
        and e.get("name") == "thread_name"
        and e["args"].get("name") == "CrRendererMain"
    }
    busy: collections.Counter[tuple[int, int]] = collections.Counter()
    for e in events:
        key = (e.get("pid"), e.get("tid"))
        if key in names and e.get("ph") == "X" and "RunTask" in e.get("name", ""):
            busy[key] += e.get("dur", 0)
    return busy.most_common(1)[0][0]


def marks(events: list[dict[str, Any]], pid: int) -> dict[str, float]:
    """First timestamp (µs, trace clock) of each user-timing mark and navigationStart."""
    out: dict[str, float] = {}
    for e in events:
        if e.get("pid") != pid:
            continue
        name = e.get("name", "")
        if "user_timing" in e.get("cat", "") or name == "navigationStart":
            out.setdefault(name, e["ts"])
    return out


def self_times(
    events: list[dict[str, Any]], key: tuple[int, int], lo: float, hi: float
) -> tuple[float, collections.Counter[str]]:
    """Busy µs (top-level tasks, clipped to the window) and self µs per event name."""
    spans = sorted(
        (e for e in events if (e.get("pid"), e.get("tid")) == key and e.get("ph") == "X"),
        key=lambda e: (e["ts"], -e.get("dur", 0)),
    )
    selfs: collections.Counter[str] = collections.Counter()
    stack: list[list[Any]] = []  # [end, name, child_time]
    busy = 0.0

    def clip(a: float, b: float) -> float:
        return max(0.0, min(b, hi) - max(a, lo))

    for e in spans:
        start, end = e["ts"], e["ts"] + e.get("dur", 0)
        while stack and stack[-1][0] <= start:
            stack.pop()
        if not stack:
            busy += clip(start, end)
        else:
            stack[-1][2] += clip(start, end)
            selfs[stack[-1][1]] -= clip(start, end)
        selfs[e["name"]] += clip(start, end)
        stack.append([end, e["name"], 0.0])
    return busy, selfs


def profile_samples(
    events: list[dict[str, Any]], key: tuple[int, int], lo: float, hi: float
) -> tuple[collections.Counter[str], collections.Counter[str]]:
    """Sampled µs by bundle (first frame with a URL, from the leaf up) and by the
    leaf's (bundle, function)."""
    nodes: dict[tuple[Any, int], dict[str, Any]] = {}
    by_bundle: collections.Counter[str] = collections.Counter()
    by_function: collections.Counter[str] = collections.Counter()
    clocks: dict[Any, float] = {}
    for e in events:
        if e.get("pid") != key[0] or e.get("name") not in ("Profile", "ProfileChunk"):
            continue
        pid_id = e.get("id")
        data = e["args"]["data"]
        if e["name"] == "Profile":
            clocks[pid_id] = data["startTime"]
            continue
        prof = data.get("cpuProfile", {})
        for node in prof.get("nodes", []):
            nodes[(pid_id, node["id"])] = node
        clock = clocks.get(pid_id, 0.0)
        for sample, delta in zip(prof.get("samples", []), data.get("timeDeltas", []), strict=False):
            clock += delta
            if lo <= clock <= hi:
                walk = nodes.get((pid_id, sample))
                leaf = walk
                label = ""
                while walk is not None:
                    url = walk["callFrame"].get("url", "")
                    if url:
                        label = bundle(url)
                        break
                    walk = nodes.get((pid_id, walk.get("parent"))) if "parent" in walk else None
                if not label and leaf is not None:
                    label = leaf["callFrame"].get("functionName") or "(native)"
                by_bundle[label] += 1
                if leaf is not None:
                    cf = leaf["callFrame"]
                    by_function[f"{bundle(cf.get('url', ''))}:{cf.get('functionName')}"] += 1
        clocks[pid_id] = clock
    return by_bundle, by_function


def analyse(trace: bytes, start: str, end: str) -> dict[str, Any]:
    events = json.loads(trace)["traceEvents"]
    key = main_thread(events)
    m = marks(events, key[0])
    lo, hi = m[start], m[end]
    busy, selfs = self_times(events, key, lo, hi)
    kinds: collections.Counter[str] = collections.Counter()
    for name, us in selfs.items():
        kinds[category(name)] += us
    by_bundle, by_function = profile_samples(events, key, lo, hi)
    return {
        "window_ms": (hi - lo) / 1000,
        "busy_ms": busy / 1000,
        "kinds_ms": {k: v / 1000 for k, v in kinds.most_common()},
        "events_ms": {k: v / 1000 for k, v in selfs.most_common(25)},
        "samples_by_bundle": dict(by_bundle.most_common(15)),
        "samples_by_function": dict(by_function.most_common(25)),
    }


def shares(samples: dict[str, int], busy_ms: float) -> dict[str, float]:
    """Sample counts as milliseconds of the busy time (in proportion); the profiler's
    ``(idle)`` samples fall between tasks, so they are left out."""
    busy = {k: v for k, v in samples.items() if k != "(idle)"}
    total = sum(busy.values()) or 1
    return {k: round(busy_ms * v / total, 1) for k, v in busy.items()}


@contextlib.contextmanager
def servers(urls: list[str]) -> Iterator[list[str]]:
    if urls:
        yield urls
        return
    with streamlit_server() as server:
        yield [server.url]


def load(browser: Any, url: str) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    browser.start_tracing(page=page, categories=CATEGORIES)
    page.goto(url)
    page.wait_for_function(DRAWN_JS, polling=10)
    page.wait_for_function("() => document.querySelectorAll('.vega-embed svg').length >= 7")
    svgs = page.evaluate(
        """() => [...document.querySelectorAll('.vega-embed svg')].map(s => [
            (s.querySelector('g.role-title text') || {}).textContent || '?',
            s.querySelectorAll('*').length])"""
    )
    trace = browser.stop_tracing()
    context.close()
    out = analyse(trace, "navigationStart", "fan-drawn")
    out["svg_elements"] = svgs
    return out


def press(browser: Any, url: str, *, presses: int) -> list[dict[str, Any]]:
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")
    page.wait_for_function("() => document.querySelectorAll('.vega-embed svg').length >= 7")
    page.evaluate(PRESS_JS)
    slider = page.get_by_role("slider", name=SLIDER)
    if not slider.count():  # not the simulator (e.g. a floor app): nothing to press
        page.close()
        return []
    slider.focus()
    out = []
    for i in range(presses + 1):
        browser.start_tracing(page=page, categories=CATEGORIES)
        slider.press("ArrowRight")
        page.wait_for_function(
            "() => window.__probe.chart !== null && window.__probe.idle !== null"
        )
        page.wait_for_timeout(300)  # what the page does after the run, in the trace too
        probe = page.evaluate("() => window.__probe")
        trace = browser.stop_tracing()
        if i:
            result = analyse(trace, "key-down", "chart-redrawn")
            result["chart_ms"], result["idle_ms"] = probe["chart"], probe["idle"]
            after = analyse(trace, "key-down", "run-finished")
            result["busy_to_idle_ms"] = after["busy_ms"]
            out.append(result)
    page.close()
    return out


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    med = statistics.median
    kinds = {k for r in runs for k in r["kinds_ms"]}
    bundles = collections.Counter()
    for r in runs:
        for k, v in shares(r["samples_by_bundle"], r["busy_ms"]).items():
            bundles[k] += v / len(runs)
    return {
        "runs": len(runs),
        "window_ms": round(med(r["window_ms"] for r in runs), 1),
        "busy_ms": round(med(r["busy_ms"] for r in runs), 1),
        "kinds_ms": {
            k: round(med(r["kinds_ms"].get(k, 0) for r in runs), 1) for k in sorted(kinds)
        },
        "bundles_ms(mean share of busy)": {k: round(v, 1) for k, v in bundles.most_common(10)},
    }


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(prog="python -m bench.browser_trace", description=__doc__)
    parser.add_argument("--url", action="append", default=[], help="an app already running")
    parser.add_argument("--rounds", type=int, default=7, help="loads per URL (default 7)")
    parser.add_argument("--presses", type=int, default=0, help="traced key presses per URL")
    parser.add_argument("--json", help="write every run's figures here")
    parser.add_argument("--verbose", action="store_true", help="print each run's top events")
    args = parser.parse_args(argv if argv is not None else [])
    with servers(args.url) as urls, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for url in urls:  # each server's first page (imports, caches) is not counted
            load(browser, url)
        runs: dict[str, list[dict[str, Any]]] = {url: [] for url in urls}
        for _ in range(args.rounds):
            for url in urls:
                for _attempt in range(3):  # a trace now and then lacks the page's mark
                    with contextlib.suppress(KeyError):
                        runs[url].append(load(browser, url))
                        break
                if args.verbose:
                    print(url, json.dumps(runs[url][-1], indent=1))
        presses = {url: press(browser, url, presses=args.presses) for url in urls}
        browser.close()
    for url in urls:
        print(f"== {url}: first page load")
        print(json.dumps(summary(runs[url]), indent=1))
        print("svg elements per chart:", runs[url][-1]["svg_elements"])
        if presses[url]:
            print(f"== {url}: key press (cold)")
            print(json.dumps(summary(presses[url]), indent=1))
            print(
                "chart ms:",
                [round(p["chart_ms"]) for p in presses[url]],
                "busy to idle ms:",
                [round(p["busy_to_idle_ms"]) for p in presses[url]],
            )
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"loads": runs, "presses": presses}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
