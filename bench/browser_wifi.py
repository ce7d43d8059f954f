"""Browser benchmark: a team's first load over a room's Wi-Fi, with and without the
proxy's compression.

On loopback the bytes of a first visit cost nothing; in a room thirty phones fetch
Streamlit's scripts and styles over one Wi-Fi. Starts the app twice on one throwaway
SQLite room store: ``streamlit run`` alone (what ``make run`` serves: no compression)
and ``make serve``'s set-up with one worker (HAProxy compressing text, ``serve``).
Opens a room and a round of the default preset through the store, then loads teams'
links in fresh Chromium contexts, alternating the two servers, with Chromium's own
network throttling (``Network.emulateNetworkConditions``: ``--mbit`` down, half that
up, 20 ms latency). Reported: the bytes the page fetched (its resources' transfer
sizes) and the time from navigation to **Submit our plan** and to the plan's chart.

Run: ``python -m bench.browser_wifi`` (part of ``make bench``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench.browser_room import DRAWN_JS, READY_JS, VIEWPORTS
from bench.report import timing_table
from rooms.store import RoomStore
from serve import cluster, free_port
from simulator import load_preset
from tests.support.room_burst import DEFAULT_PRESET
from tests.support.server import CHROMIUM, CHROMIUM_ARGS, streamlit_server

BYTES_JS = """() => performance.getEntriesByType("navigation")
  .concat(performance.getEntriesByType("resource"))
  .reduce((sum, entry) => sum + entry.transferSize, 0)"""
"""Bytes the page fetched so far, headers included (Chromium's transfer sizes)."""


def _load(browser, url: str, *, mbit: float) -> tuple[float, float, float]:
    """(ms to can submit, ms to the plan's chart, bytes fetched) for one first load."""
    width, height = VIEWPORTS["phone"]
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.set_default_timeout(120_000)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": 20,
                "downloadThroughput": mbit * 1e6 / 8,
                "uploadThroughput": mbit * 1e6 / 16,
            },
        )
        page.goto(url, wait_until="commit")
        ready = page.wait_for_function(READY_JS, polling=10).json_value()
        drawn = page.wait_for_function(DRAWN_JS, polling=10).json_value()
        return ready, drawn, page.evaluate(BYTES_JS)
    finally:
        context.close()


def measure(*, loads: int, mbit: float) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="whiplash-wifi-") as folder:
        url = f"sqlite:///{Path(folder) / 'rooms.sqlite'}"
        env = dict(os.environ, WHIPLASH_DATABASE_URL=url)
        os.environ["WHIPLASH_DATABASE_URL"] = url
        store = RoomStore(url)
        try:
            room = store.create_room(creator="bench", title="Wi-Fi")
            members = [
                store.join(room.code, f"Team {i + 1}", client=f"bench-{i}")
                for i in range(2 * loads + 2)
            ]
            store.open_round(
                room.code, secret=room.key, scenario=load_preset(DEFAULT_PRESET), label="Round 1"
            )
        finally:
            store.dispose()
        with (
            streamlit_server("app.py") as direct,
            cluster(workers=1, port=free_port(), run_dir=Path(folder), env=env) as proxied,
            sync_playwright() as pw,
        ):
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            servers = {"make run (uncompressed)": direct.url, "make serve (gzip)": proxied.url}
            for i, member in enumerate(members):
                name = list(servers)[i % 2]
                link = f"{servers[name]}/Room?room={member.code}&team={member.token}"
                ready, drawn, fetched = _load(browser, link, mbit=mbit)
                if i >= 2:  # the first load of each server is a warm-up
                    times.setdefault(f"{name} → can submit", []).append(ready)
                    times.setdefault(f"{name} → plan chart drawn", []).append(drawn)
                    times.setdefault(f"{name}: fetched", []).append(fetched)
            browser.close()
        os.environ.pop("WHIPLASH_DATABASE_URL", None)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser_wifi", description=__doc__)
    parser.add_argument("--loads", type=int, default=5, help="first loads per server")
    parser.add_argument("--mbit", type=float, default=10.0, help="a phone's Wi-Fi, Mbit/s")
    args = parser.parse_args(argv)
    if not (1 <= args.loads <= 19 and 0.5 <= args.mbit <= 1000):
        parser.error("--loads 1..19, --mbit 0.5..1000")
    times = measure(loads=args.loads, mbit=args.mbit)
    print(
        f"A team's first load of its Room page on a phone-sized Chromium throttled to "
        f"{args.mbit:g} Mbit/s down, 20 ms latency; {args.loads} loads per server, "
        f"alternating; load average before: {os.getloadavg()[0]:.1f}"
    )
    print()
    fetched = {k: v for k, v in times.items() if k.endswith(": fetched")}
    print(timing_table({k: v for k, v in times.items() if k not in fetched}, count="Loads"))
    print()
    for name, sizes in fetched.items():
        print(f"{name} {statistics.median(sizes) / 1e6:.2f} MB a first load (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
