"""Browser benchmark: a team's first load of its Room page, as a room's phones see it.

Issue 13's done-when: thirty people join from their phones and laptops, and nobody
waits more than two seconds. Starts the real app with a room store of its own (a
temporary SQLite file, as ``bench.room_load``), opens a room and a round of the default
preset through the store and joins the teams. Then each team opens its own link
(``/Room?room=…&team=…``, what the join form leads to) in a fresh Chromium context, a
new session with an empty browser cache, one team after the other, at a laptop's
1440x1000 and a phone's 390x844. The clock is the page's own, from the start of
navigation to the moment the team can act (the **Submit our plan** button is on the
page) and to the moment its plan's revenue chart has its median line. The first team
is a warm-up (the server's first Room page imports its modules) and is not counted.

Run: ``python -m bench.browser_room`` (part of ``make bench``).
"""

from __future__ import annotations

import argparse
import sys

from bench.report import timing_table
from rooms.store import RoomStore
from simulator import load_preset
from tests.support.room_burst import DEFAULT_PRESET, room_server
from tests.support.server import CHROMIUM, CHROMIUM_ARGS

TARGET_MS = 2000.0
VIEWPORTS = {"laptop": (1440, 1000), "phone": (390, 844)}
READY_JS = """() => [...document.querySelectorAll("button")]
  .some(b => b.innerText.includes("Submit our plan")) ? performance.now() : null"""
"""Milliseconds since navigation started when the team can submit."""
DRAWN_JS = """() => document.querySelector(".vega-embed svg g.mark-line path") !== null
  ? performance.now() : null"""
"""...when its plan's revenue chart (the page's only line chart) has its median line."""


def measure(*, teams: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {}
    with room_server() as (server, url), sync_playwright() as pw:
        store = RoomStore(url)
        try:
            room = store.create_room(creator="bench", title="First loads")
            members = [
                store.join(room.code, f"Team {i + 1}", client=f"bench-{i}")
                for i in range(2 * teams + 1)
            ]
            store.open_round(
                room.code, secret=room.key, scenario=load_preset(DEFAULT_PRESET), label="Round 1"
            )
        finally:
            store.dispose()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        plan = [("warm-up", VIEWPORTS["laptop"])] + [
            (name, size) for _ in range(teams) for name, size in VIEWPORTS.items()
        ]
        for (name, (width, height)), member in zip(plan, members, strict=False):
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{server.url}/Room?room={member.code}&team={member.token}")
            ready = page.wait_for_function(READY_JS, polling=10).json_value()
            drawn = page.wait_for_function(DRAWN_JS, polling=10).json_value()
            if name != "warm-up":
                times.setdefault(f"Team's first load ({name}) → can submit", []).append(ready)
                times.setdefault(f"Team's first load ({name}) → plan chart drawn", []).append(drawn)
            context.close()
        browser.close()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser_room", description=__doc__)
    parser.add_argument("--teams", type=int, default=10, help="teams per viewport (default 10)")
    args = parser.parse_args(argv)
    times = measure(teams=args.teams)
    print(
        f"A team's first load of its Room page (round of the {DEFAULT_PRESET} preset), "
        f"headless Chromium, {args.teams} teams per viewport. Target: nobody waits more "
        f"than {TARGET_MS:,.0f} ms."
    )
    print()
    print(timing_table(times, count="Loads"))
    slowest = max(max(v) for v in times.values())
    print()
    print(f"slowest single load: {slowest:,.0f} ms ({'met' if slowest < TARGET_MS else 'not met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
