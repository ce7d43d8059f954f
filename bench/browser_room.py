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

Then the reveal as the room sees it, in a room of 30 teams: the facilitator's
dashboard (opened with **Open a new room**) and two teams' pages (joined with the join
link and form, one at each size) in Chromium, the other 28 teams through the store. For
each of ``--reveals`` rounds the facilitator presses **Open round N**, the two teams
press **Submit our plan** once their pages show the round, the others submit through
the store, and the facilitator presses **Close and reveal**. Timed, by the pages' wall
clock from that press: the debrief drawn on the dashboard (heading, the teams' chart,
the leaderboard and the choices), and each team's rank and chart drawn on its page
(the page finds the change on its own timer, ``POLL_SECONDS``). ``bench.load --pattern
room`` plays 30 teams' pages at once, without a browser.

Run: ``python -m bench.browser_room`` (part of ``make bench``).
"""

from __future__ import annotations

import argparse
import re
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
CONTROLS_JS = """() => document.querySelectorAll('[data-testid="stSlider"]').length >= 7
  && !document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]')
  ? performance.now() : null"""
"""...when the plan's controls are drawn (its sliders, none still a loading placeholder)."""
RANK_JS = """() => [...document.querySelectorAll("h3")]
  .some(h => /Rank \\d+ of \\d+/.test(h.innerText))
  && document.querySelector(".vega-embed svg g.mark-line path") !== null ? Date.now() : null"""
"""The wall clock (ms) when a team's page shows its rank and the teams' chart is drawn."""
SUBMITTED_JS = """() => document.body.innerText.includes("Plan submitted.")"""


DEBRIEF_JS = """(n) => [...document.querySelectorAll("h2")]
  .some(h => h.innerText.startsWith(`Round ${n} revealed`))
  && document.querySelector(".vega-embed svg g.mark-line path") !== null
  && document.querySelectorAll('[data-testid="stDataFrame"]').length >= 2 ? Date.now() : null"""
"""The wall clock (ms) when the facilitator's debrief (heading, teams' chart, leaderboard
and choices) is drawn."""
ROOM_TEAMS = 30
"""Teams in the reveal's room: two in Chromium, the rest through the store."""


def _new_page(browser, url: str, size: tuple[int, int]):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def measure_reveals(server, url: str, browser, *, reveals: int) -> dict[str, list[float]]:
    """Time ``reveals`` rounds' reveals in a room of :data:`ROOM_TEAMS`: the facilitator's
    dashboard and two teams' pages (a laptop's, a phone's) in Chromium, the other teams
    joined and submitting through the store. Those submit the round's plan unchanged,
    which the Chromium teams' previews have simulated, as a room's teams' previews would
    have simulated theirs: the reveal finds every result in the cache."""
    from playwright.sync_api import expect

    times: dict[str, list[float]] = {}
    host = _new_page(browser, f"{server.url}/Room", VIEWPORTS["laptop"])
    host.get_by_role("button", name="Open a new room").click()
    heading = host.get_by_role("heading", name=re.compile(r"Room code: \w{4}-\w{4}"))
    code = heading.inner_text().split(":", 1)[1].strip().replace("-", "")
    teams = {}
    for name, size in VIEWPORTS.items():
        page = _new_page(browser, f"{server.url}/Room?join={code}", size)
        page.get_by_label("Team name").fill(f"Team {name}")
        page.get_by_role("button", name="Join").click()
        page.get_by_text("Waiting for the facilitator").wait_for()
        teams[name] = page
    store = RoomStore(url)
    try:
        others = [
            store.join(code, f"Team {i + 1}", client=f"bench-reveal-{i}")
            for i in range(ROOM_TEAMS - len(teams))
        ]
        expect(host.get_by_text(f"{ROOM_TEAMS} teams in the room")).to_be_visible()
        for number in range(1, reveals + 1):
            host.get_by_role("button", name=f"Open round {number}").click()
            for page in teams.values():
                page.wait_for_function(READY_JS, polling=10)
                page.get_by_role("button", name="Submit our plan").click()
                page.wait_for_function(SUBMITTED_JS, polling=10)
            for member in others:
                plan = store.round_scenario(code, secret=member.token)
                store.submit(code, secret=member.token, plan=plan)
            expect(
                host.get_by_text(f"{ROOM_TEAMS} of {ROOM_TEAMS} teams have submitted")
            ).to_be_visible()
            pressed = host.evaluate("Date.now()")
            host.get_by_role("button", name="Close and reveal").click()
            drawn = host.wait_for_function(DEBRIEF_JS, arg=number, polling=10).json_value()
            times.setdefault("Close and reveal → the facilitator's debrief drawn", []).append(
                drawn - pressed
            )
            for name, page in teams.items():
                shown = page.wait_for_function(RANK_JS, polling=10).json_value()
                times.setdefault(
                    f"Close and reveal → rank and chart on a team's {name}", []
                ).append(shown - pressed)
    finally:
        store.dispose()
        for page in [host, *teams.values()]:
            page.context.close()
    return times


def measure(*, teams: int, reveals: int) -> dict[str, list[float]]:
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
            whole = page.wait_for_function(CONTROLS_JS, polling=10).json_value()
            if name != "warm-up":
                first = f"Team's first load ({name})"
                times.setdefault(f"{first} → can submit", []).append(ready)
                times.setdefault(f"{first} → plan chart drawn", []).append(drawn)
                times.setdefault(f"{first} → plan controls drawn", []).append(whole)
            context.close()
        if reveals:
            times |= measure_reveals(server, url, browser, reveals=reveals)
        browser.close()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser_room", description=__doc__)
    parser.add_argument("--teams", type=int, default=10, help="teams per viewport (default 10)")
    parser.add_argument(
        "--reveals", type=int, default=10, help="rounds revealed in a room of 30 (default 10)"
    )
    args = parser.parse_args(argv)
    if not (1 <= args.teams <= 19 and 0 <= args.reveals <= 12):
        parser.error("--teams 1..19 (a room holds 40 teams), --reveals 0..12 (rounds in a room)")
    times = measure(teams=args.teams, reveals=args.reveals)
    print(
        f"A team's first load of its Room page (round of the {DEFAULT_PRESET} preset), "
        f"headless Chromium, {args.teams} teams per viewport. Target: nobody waits more "
        f"than {TARGET_MS:,.0f} ms. Then {args.reveals} reveals in a room of {ROOM_TEAMS} "
        "teams (the dashboard and two teams' pages in Chromium)."
    )
    print()
    print(timing_table(times, count="Loads"))
    print()
    for what, picked in (
        (
            "first screen (can submit, plan chart)",
            lambda c: "first load" in c and "controls" not in c,
        ),
        ("whole page (plan controls)", lambda c: "first load" in c and "controls" in c),
        ("reveal", lambda c: c.startswith("Close and reveal")),
    ):
        waits = [t for case, values in times.items() if picked(case) for t in values]
        if waits:
            slowest = max(waits)
            verdict = "met" if slowest < TARGET_MS else "not met"
            print(f"slowest {what}: {slowest:,.0f} ms ({verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
