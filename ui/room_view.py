"""The room page's pure builders: the teams' chart, the leaderboard, the QR code, words.

No Streamlit here: every builder takes store records (:mod:`rooms`) and returns a chart,
a table, text or SVG, so the tests call them directly. Team names are anyone's text:
in a chart or a table they are data (drawn as text, never markup); in Markdown they
go through :func:`ui.text.markdown_text`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import pandas as pd
import segno

from rooms import (
    TEAM_LEVERS,
    RevealedRound,
    RoundChange,
    Standing,
    TeamResult,
    compare_rounds,
    same_score,
)
from simulator import Scenario, levers
from simulator.models import Currency
from simulator.money import using_currency

from . import vega
from .charts import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    QUARTER_NAME_LABEL_EXPR,
    current_currency,
    finish,
    fitted_columns,
    money_label_expr,
)
from .controls import apply_group, effort_controls, widget_groups, widget_values
from .format import money, percent
from .text import markdown_text
from .timeline import listed_changes

# --- The team's plan controls: the sidebar's control groups, under keys of their own.
PREFIX = "room_w_"
"""Widget keys of the room's plan controls: the simulator page's keys with this prefix,
so a team's plan never moves the simulator page's sliders (one session, two pages)."""
PLAN_GROUPS = tuple(dict.fromkeys(levers.lever(name).groups[0] for name in TEAM_LEVERS))
"""The control groups (ui/controls.py) a team's page shows: each team lever's own group
in the registry (simulator/levers.py), so a lever that joins ``rooms.TEAM_LEVERS`` brings
its controls; not the simulation settings or the company."""


class PrefixedState(MutableMapping[str, Any]):
    """``state`` seen through the simulator page's widget keys: key ``k`` is
    ``state[PREFIX + k]``, so the page's helpers (ui/timeline.py) work on a team's
    widgets without moving the simulator page's."""

    def __init__(self, state: MutableMapping[str, Any]) -> None:
        self.state = state

    def __getitem__(self, key: str) -> Any:
        return self.state[PREFIX + key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.state[PREFIX + key] = value

    def __delitem__(self, key: str) -> None:
        del self.state[PREFIX + key]

    def __iter__(self) -> Iterator[str]:
        return (k[len(PREFIX) :] for k in list(self.state) if str(k).startswith(PREFIX))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def plan_groups(scenario: Scenario) -> dict[str, list[str]]:
    """The team's widget groups and their (prefixed) keys."""
    return {
        group: [PREFIX + key for key in keys]
        for group, keys in widget_groups(scenario).items()
        if group.partition(":")[0] in PLAN_GROUPS
    }


def plan_widget_values(scenario: Scenario) -> dict[str, Any]:
    """Every plan widget's value for ``scenario`` (prefixed keys)."""
    keys = {key for keys in plan_groups(scenario).values() for key in keys}
    return {PREFIX + k: v for k, v in widget_values(scenario).items() if PREFIX + k in keys}


def apply_plan_group(scenario: Scenario, group: str, state: Mapping[str, Any]) -> Scenario:
    """``scenario`` with one group of the team's widgets applied (validated); a widget
    missing from ``state`` keeps the scenario's value."""
    values = widget_values(scenario)
    values.update({k: state[PREFIX + k] for k in values if PREFIX + k in state})
    return apply_group(scenario, group, values)


def sync_plan_widgets(
    state: MutableMapping[str, Any], scenario: Scenario, *, skip: Sequence[str] = ()
) -> None:
    """Move every plan widget to ``scenario`` (before the widgets are drawn), except the
    keys in ``skip``."""
    state.update({k: v for k, v in plan_widget_values(scenario).items() if k not in skip})


# --- What a team chose, in words (the facilitator's debrief).
def push_words(plan: Scenario) -> str:
    """The quarter-end push of a plan, as a sales leader says it."""
    policy = plan.policy
    if not policy.active:
        return "off"
    quota = plan.targets.quarterly_bookings
    against = "the quota a change sets" if quota is None else f"a {money(quota)} quota"
    delay = policy.perception_delay_months
    return (
        f"{percent(policy.quarter_end_push)} of prospecting to closing when below "
        f"{percent(policy.push_trigger)} of {against} (seen after {delay} "
        f"month{'s' if delay > 1 else ''})"
    )


def effort_words(plan: Scenario) -> str:
    """The effort split as the team's sliders set it: new business and closing."""
    shown = effort_controls(plan.effort)
    return f"{shown.new_business:.0f}% new business, {shown.closing:.0f}% of it closing"


def timeline_words(plan: Scenario) -> str:
    """The plan's changes in the order they take effect ("none" without any)."""
    return "; ".join(words for _, _, words in listed_changes(plan)) or "none"


def plan_choices(plan: Scenario, *, round_scenario: Scenario) -> dict[str, str]:
    """What a team set of its levers (rooms.TEAM_LEVERS), in words, marking what
    differs from the round's plan."""

    def mark(words: str, lever: str) -> str:
        return words if _same(plan, round_scenario, lever) else f"{words} (changed)"

    contacts = plan.relationships.contacts_per_account
    same_push = plan.policy == round_scenario.policy and (
        not plan.policy.active or _same(plan, round_scenario, "pressure")
    )  # a quota left behind by a push turned off again changes nothing
    return {  # the dynamics first: the longest words, and what the debrief asks about
        "Quarter-end push": push_words(plan) + ("" if same_push else " (changed)"),
        "Plan timeline": mark(timeline_words(plan), "changes"),
        "Effort": mark(effort_words(plan), "effort"),
        "Contacts": mark(f"{contacts} per account", "contacts"),
        "Renewals": "as given" if _same(plan, round_scenario, "renewal_dates") else "moved",
    }


def own_plan_words(chosen: Mapping[str, str]) -> str:
    """A team's own push and plan timeline, the dynamics the debrief asks about, for the
    line under its result (plain text): "Your plan: quarter-end push off; no plan
    timeline", or "...; plan timeline: From Jul 2026: 10 reps (changed)"."""
    timeline = chosen["Plan timeline"]
    planned = "no plan timeline" if timeline == "none" else f"plan timeline: {timeline}"
    return f"Your plan: quarter-end push {chosen['Quarter-end push']}; {planned}"


def _same(plan: Scenario, other: Scenario, lever: str) -> bool:
    return levers.lever(lever).read(plan) == levers.lever(lever).read(other)


def choices_frame(
    standings: Sequence[Standing], choices: Mapping[int, Mapping[str, str]]
) -> pd.DataFrame:
    """What each team chose, in leaderboard order (text cells, shown literally)."""
    rows = [
        {"Rank": s.rank, "Team": s.team, **choices[s.team_id]}
        for s in standings
        if s.team_id in choices
    ]
    return pd.DataFrame(rows)


# --- Joining.
TIME_LIMITS = (0, 3, 5, 8, 10, 15, 20, 30)
"""A round's time limits the facilitator picks from, in minutes (0: none)."""


def time_limit_words(minutes: int) -> str:
    return "None: I close the round" if minutes == 0 else f"{minutes} minutes"


def time_left(closes_at: int, now: float) -> str:
    """The time a round has left, to the second, as a clock reads it: '4:05', '0:09'."""
    seconds = max(int(closes_at - now + 0.999), 0)  # a round is open until its last second
    return f"{seconds // 60}:{seconds % 60:02d}"


HURRY_SECONDS = 60
"""Under this much time left, the countdown turns orange and bold: submit now."""


def hurry(closes_at: int, now: float) -> bool:
    """The round's last minute: a team still shaping its plan must submit or lose it."""
    return closes_at - now < HURRY_SECONDS


def submitted_words(submitted: int, teams: int) -> str:
    """'3 of 30 teams have submitted', and in a room of one team '0 of 1 team has
    submitted' (the dashboard and every team's page say it while a round is open)."""
    return f"{submitted} of {teams} team{'s have' if teams != 1 else ' has'} submitted"


def waiting_words(teams: int) -> str:
    """What a team's page says of the room while it waits for the first round (live):
    a team sees it joined the room the others are joining."""
    if teams <= 1:
        return "Your team is the first in the room."
    return f"{teams} teams in the room, yours included."


def deadline_words(closes_at: int, now: float) -> str:
    """'closes in 4:05' (Markdown), orange and bold in the last minute. Shown as a
    caption, Streamlit would fade it to 60% (under 3:1 against white): a page shows the
    last minute as body text."""
    words = f"closes in {time_left(closes_at, now)}"
    return f":orange[**{words}**]" if hurry(closes_at, now) else words


def join_link(page_url: str, code: str) -> str:
    """The address a team opens to join: this page with ``?join=CODE``."""
    parts = urlsplit(page_url or "")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode({"join": code}), ""))


def qr_svg(text: str, *, scale: int = 8) -> str:
    """A QR code of ``text`` as a standalone SVG document (black on white)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out, kind="svg", scale=scale, border=2, dark="#000000", light="#ffffff", xmldecl=False
    )
    return out.getvalue().decode("utf-8")


# --- The reveal.
HIGHLIGHTS = (GREEN, BLUE, ORANGE)
"""Colours of the first three teams on the facilitator's chart (the rest are grey)."""


TEAMS_CHART_HEIGHT = 380
"""The teams' chart's plot, in pixels, on a team's page."""
DASHBOARD_CHART_HEIGHT = 300
"""The same plot on the facilitator's dashboard: with the round's heading above it, the
chart fits a projector at 1280x720 (tests/e2e/test_room_browser.py)."""


def teams_chart(
    standings: Sequence[Standing],
    *,
    highlight: int | None = None,
    title: str | None = None,
    height: int | None = None,
) -> vega.Spec:
    """Every team's median quarterly revenue on one chart (a Vega-Lite dict, see
    ``ui/vega.py``: at a reveal every team's page draws it at once, and building it as
    Altair objects cost about 50 ms a page).

    ``highlight`` (a team id) draws that team in blue over the others in grey (a team's
    own page); without it the first three of the leaderboard are in colour.
    """
    if highlight is not None:
        picked = [s.team for s in standings if s.team_id == highlight]
        colours = [BLUE]
    else:
        picked = [s.team for s in standings[: len(HIGHLIGHTS)]]
        colours = list(HIGHLIGHTS[: len(picked)])
    shown = set(picked)
    rows = [
        {
            "team": s.team,
            "rank": s.rank,
            "quarter": q,
            "revenue": vega.finite(v),
            "shown": s.team if s.team in shown else "Other teams",
            "order": 0 if s.team in shown else 1,
        }
        for s in standings
        for q, v in zip(s.result.quarters, s.result.quarter_revenue, strict=True)
    ]
    domain = [*picked, "Other teams"] if len(picked) < len(standings) else picked
    emphasis = "(datum.order === 0)"
    layer = {
        "mark": {"type": "line", "point": True},
        "encoding": {
            "color": vega.field(
                "shown",
                "nominal",
                scale={"domain": domain, "range": [*colours, GREY][: len(domain)]},
                # In rows when one row is wider than the chart (a phone, long names).
                legend={"columns": fitted_columns(domain), "title": None},
                title=None,
            ),
            "detail": vega.field("team", "nominal"),
            "opacity": {"condition": {"test": emphasis, "value": 1.0}, "value": 0.55},
            "order": vega.field("order", "quantitative", sort="descending"),
            "strokeWidth": {"condition": {"test": emphasis, "value": 4}, "value": 1.5},
            "tooltip": [
                vega.field("team", "nominal", title="Team"),
                vega.field("rank", "quantitative", title="Rank"),
                vega.field("quarter", "ordinal", title="Quarter"),
                vega.field("revenue", "quantitative", format="$,.0f", title="Median revenue"),
            ],
            "x": vega.field(
                "quarter",
                "ordinal",
                axis={"labelAngle": 0, "labelExpr": QUARTER_NAME_LABEL_EXPR},
                sort=list(dict.fromkeys(r["quarter"] for r in rows)),
                title=None,
            ),
            "y": vega.field(
                "revenue",
                "quantitative",
                axis={
                    "labelExpr": money_label_expr(current_currency()),
                    "tickCount": 5,
                    "title": "Median revenue per quarter",
                },
            ),
        },
    }
    spec = vega.layer_chart(
        [layer],
        datasets={"teams-revenue": rows},
        data=vega.named("teams-revenue"),
        height=height or TEAMS_CHART_HEIGHT,
        title=title or "Revenue by team",
    )
    return finish(spec)


def leaderboard_frame(
    standings: Sequence[Standing], *, previous: Sequence[Standing] | None = None
) -> pd.DataFrame:
    """The leaderboard as a table (text cells, shown literally by ``st.dataframe``).

    From round 2 on, the change since the last round follows the score it is a change
    of: at 1280 px the table is wider than the page, and what runs off its right edge
    (until the facilitator scrolls it) is the end of the verdict in words, not the
    column the second round's debrief is about."""
    before = {s.team_id: s for s in previous or ()}
    rows = []
    for s in standings:
        r = s.result
        row = {"Rank": s.rank, "Team": s.team, "Score": money(r.score)}
        if previous is not None:
            old = before.get(s.team_id)
            row["vs last round"] = _change_text(RoundChange(s.team_id, s.team, s, old))
        row |= {
            "Median revenue": money(r.median_revenue),
            "Whiplash": percent(r.probability),
            "Fall from best quarter": percent(r.max_drawdown),
            "Verdict": r.sentence,
        }
        rows.append(row)
    return pd.DataFrame(rows)


STANDINGS_COLUMNS = ("Rank", "Team", "Score", "Whiplash")
"""The leaderboard's columns shown beside the teams' chart (the rest, and the change since
the last round, are in the full table below it): what the back row reads while the
facilitator talks from the chart; four fit beside it at 1280 px."""


def standings_frame(standings: Sequence[Standing]) -> pd.DataFrame:
    """The leaderboard's :data:`STANDINGS_COLUMNS` (text cells, as in the full table)."""
    return leaderboard_frame(standings)[list(STANDINGS_COLUMNS)]


def _change_text(change: RoundChange) -> str:
    if change.before is None:
        return "new this round"
    if change.now is None:
        return "did not submit"
    places = change.rank_change or 0
    moved = "same rank" if places == 0 else f"{places:+d} place{'s' if abs(places) > 1 else ''}"
    delta = change.score_change or 0.0
    if _prints_as_nothing(delta):  # the same plan again: not "score +$0"
        return f"score unchanged, {moved}"
    sign = "+" if delta >= 0 else "-"
    return f"score {sign}{money(abs(delta))}, {moved}"


def _prints_as_nothing(delta: float) -> bool:
    """A change of score that prints as $0: the leaderboard and a team's own comparison
    both call it unchanged."""
    return money(abs(delta)) == money(0.0)


def _names(teams: Sequence[str]) -> str:
    """'East', 'East and North', 'East, North and South', or '5 teams' beyond three."""
    if len(teams) > 3:
        return f"{len(teams)} teams"
    return teams[0] if len(teams) == 1 else f"{', '.join(teams[:-1])} and {teams[-1]}"


def result_sentence(result: TeamResult) -> str:
    """A result's score and what it is made of, in words (plain text)."""
    return (
        f"Score {money(result.score)}: median revenue {money(result.median_revenue)}, "
        f"whiplash in {percent(result.probability)} of futures, largest fall from the best "
        f"quarter (max drawdown) {percent(result.max_drawdown)}."
    )


def leader_words(board: Sequence[Standing]) -> str:
    """Who leads, in words (plain text): 'East leads', and when equal scores share first
    place (a room whose teams all submit the round's plan unchanged) 'East and North share
    the lead', 'East, North and South share the lead', '5 teams share the lead'."""
    first = [s.team for s in board if s.rank == 1]
    if len(first) <= 1:
        return f"{first[0] if first else 'Nobody'} leads"
    return f"{_names(first)} share the lead"


def rank_words(standing: Standing, board: Sequence[Standing]) -> str:
    """A team's place in words (plain text): 'Rank 2 of 5', and where others have the
    same score 'Rank 1 of 5, tied with North' or '..., tied with 3 other teams'."""
    others = [s.team for s in board if s.rank == standing.rank and s.team_id != standing.team_id]
    words = f"Rank {standing.rank} of {len(board)}"
    if len(others) == 1:
        return f"{words}, tied with {others[0]}"
    if others:
        return f"{words}, tied with {len(others)} other teams"
    return words


def standing_sentence(standing: Standing, board: Sequence[Standing]) -> str:
    """A team's place and result in words (plain text)."""
    return f"{rank_words(standing, board)}. {result_sentence(standing.result)}"


def own_change_sentence(team_id: int, before: RevealedRound, now: RevealedRound) -> str | None:
    """How a team did in ``now`` against ``before`` (plain text; None if not in both)."""
    change = next(
        (c for c in compare_rounds(before.standings, now.standings) if c.team_id == team_id), None
    )
    if change is None or change.now is None or change.before is None:
        return None
    was, score = change.before.result.score, change.now.result.score
    delta = score - was
    if _prints_as_nothing(delta):  # the same plan again, as the leaderboard says
        scored = f"score unchanged at {money(score)}"
    elif money(was) == money(score):  # a change the amounts round away: say its size
        scored = f"score {'up' if delta > 0 else 'down'} {money(abs(delta))} to {money(score)}"
    else:
        scored = f"score {money(was)} → {money(score)}"
    rank = change.now.rank
    ranked = (
        f"still rank {rank}"
        if rank == change.before.rank
        else f"rank {change.before.rank} → {rank}"
    )
    return f"Round {before.number} → {now.number}: {scored}, {ranked}."


def most_improved(before: RevealedRound, now: RevealedRound) -> str | None:
    """The team whose score rose most since the round before (plain text)."""
    changes = [
        c for c in compare_rounds(before.standings, now.standings) if c.score_change is not None
    ]
    if not changes:
        return None
    best = max(changes, key=lambda c: c.score_change or 0.0)
    if (best.score_change or 0.0) <= 0:
        return f"No team raised its score since round {before.number}."
    rise = best.score_change or 0.0
    tied = [c.team for c in changes if same_score(c.score_change or 0.0, rise)]
    return f"Most improved since round {before.number}: {_names(tied)} (+{money(rise)})."


def debrief_markdown(
    title: str,
    revealed: Sequence[RevealedRound],
    *,
    choices: Mapping[int, Mapping[int, Mapping[str, str]]] | None = None,
    currencies: Mapping[int, Currency] | None = None,
) -> str:
    """Every revealed round's leaderboard as one Markdown page (names escaped), with
    what each team chose (``choices``: round number -> team id -> lever -> words) and
    amounts in each round's currency (``currencies``: round number -> currency; the
    default where none is given)."""
    lines = [f"# {markdown_text(title or 'Whiplash room')}", "", "Debrief of the rounds", ""]
    if not revealed:
        lines.append("No round has been revealed yet.")
    for i, rnd in enumerate(revealed):
        with using_currency((currencies or {}).get(rnd.number)):
            lines += [f"## Round {rnd.number}: {markdown_text(rnd.label)}", ""]
            for s in rnd.standings:
                lines.append(
                    f"{s.rank}. **{markdown_text(s.team)}**: "
                    f"{markdown_text(standing_sentence(s, rnd.standings))} "
                    f"{markdown_text(s.result.sentence)}"
                )
                chosen = (choices or {}).get(rnd.number, {}).get(s.team_id)
                if chosen:
                    lines += [f"   - {n}: {markdown_text(words)}" for n, words in chosen.items()]
            note = most_improved(revealed[i - 1], rnd) if i else None
            if note:
                lines += ["", markdown_text(note)]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def verdict_colour_name(verdict: str) -> str:
    """Streamlit's colour name for a verdict badge."""
    return {"severe": "red", "mild": "orange", "none": "green"}.get(verdict, "gray")
