"""The room's pure parts: the score, the leaderboard, the teams' chart, the CSV, the plan
controls and what a team may change of a round's scenario."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from rooms import (
    RevealedRound,
    RoomError,
    TeamResult,
    compare_rounds,
    leaderboard,
    results_csv,
    round_sources,
    source_scenario,
    stable_revenue,
    team_plan,
    team_result,
)
from rooms.codes import MAX_NAME
from simulator import levers, load_preset, simulate
from simulator.models import Currency
from ui import controls
from ui import room_view as view
from ui import verdict as ui_verdict
from ui.format import percent
from ui.text import shown_text

PRESET = load_preset("team_a_team_b")


def result(score: float, **change) -> TeamResult:
    values = {
        "score": score,
        "median_revenue": 2 * score,
        "probability": 0.5,
        "severe_probability": 0.25,
        "max_drawdown": 0.2,
        "verdict": "mild",
        "sentence": "Mild whiplash in 50% of runs",
        "quarters": ("2012Q1", "2012Q2", "2012Q3"),
        "quarter_revenue": (score, score * 1.1, score * 0.9),
    }
    return TeamResult(**(values | change))


# --- The score.
def test_the_score_rewards_revenue_and_stability():
    assert stable_revenue(10e6, 0.0, 0.0) == 10e6
    assert stable_revenue(10e6, 1.0, 0.0) == 5e6  # whiplash in every run: half the credit
    assert stable_revenue(10e6, 0.5, 0.2) == pytest.approx(10e6 * 0.75 * 0.8)
    smooth = team_result(simulate(load_preset("balanced"), runs=300).summary_only(), sentence="")
    swinging = team_result(
        simulate(load_preset("close_close_close"), runs=300).summary_only(), sentence=""
    )
    assert smooth.score > swinging.score  # similar revenue, far steadier


def test_a_team_result_is_the_simulations_own_figures():
    summary = simulate(PRESET, runs=300).summary_only()
    got = team_result(summary, sentence="x" * 1000)
    verdict, drawdown = summary.whiplash, summary.report.max_drawdown
    assert got.score == pytest.approx(
        summary.median_revenue * (1 - verdict.probability / 2) * (1 - drawdown)
    )
    assert list(got.quarters) == summary.quarter_labels and len(got.sentence) == 400
    revenue = summary.quarterly[summary.quarterly["series"] == "revenue"]
    assert list(got.quarter_revenue) == pytest.approx(list(revenue["p50"]))


def test_a_teams_whiplash_is_the_verdicts_as_its_sentence_states_it():
    """The score line and the verdict on a team's page give one share of futures with
    whiplash: the verdict's. On this preset the report's quarter-on-quarter count says
    about 88% and severe, the verdict about 62% and mild, so the wrong one shows."""
    summary = simulate(PRESET).summary_only()
    assert summary.report.probability - summary.whiplash.probability > 0.2
    got = team_result(summary, sentence=ui_verdict.verdict_sentence(summary))
    assert (got.probability, got.severe_probability, got.verdict) == (
        summary.whiplash.probability,
        summary.whiplash.severe_probability,
        summary.whiplash.verdict,
    )
    assert f"whiplash in {percent(got.probability)} of futures" in got.sentence
    assert f"whiplash in {percent(got.probability)} of futures" in view.result_sentence(got)


def test_the_debrief_gives_each_rounds_amounts_in_its_own_currency():
    dollars = RevealedRound(1, "In dollars", tuple(leaderboard([(1, "A", result(5e6))])))
    kroner = RevealedRound(2, "I kroner", tuple(leaderboard([(1, "A", result(6e6))])))
    markdown = view.debrief_markdown(
        "Room", [dollars, kroner], currencies={2: Currency(code="DKK")}
    )
    first, second = shown_text(markdown).split("## Round 2")
    assert "Score $5M" in first and "kr." not in first
    assert "Score 6M kr." in second and "$" not in second


def test_equal_scores_share_a_rank_and_the_board_is_best_first():
    board = leaderboard(
        [(1, "b", result(5)), (2, "a", result(9)), (3, "c", result(5)), (4, "d", result(1))]
    )
    assert [(s.rank, s.team) for s in board] == [(1, "a"), (2, "b"), (2, "c"), (4, "d")]


def test_rounds_compare_team_by_team():
    before = leaderboard([(1, "A", result(5)), (2, "B", result(9))])
    after = leaderboard([(1, "A", result(12)), (3, "C", result(1))])
    changes = {c.team: c for c in compare_rounds(before, after)}
    assert changes["A"].score_change == 7 and changes["A"].rank_change == 1
    assert changes["B"].now is None and changes["C"].before is None
    rounds = (RevealedRound(1, "R1", tuple(before)), RevealedRound(2, "R2", tuple(after)))
    assert view.most_improved(*rounds) == "Most improved since round 1: A (+$7)."
    assert view.own_change_sentence(1, *rounds) == "Round 1 → 2: score $5 → $12, rank 2 → 1."
    frame = view.leaderboard_frame(after, previous=before)
    assert list(frame["vs last round"]) == ["score +$7, +1 place", "new this round"]
    # The change beside the score, where a 1280 px table shows it; the verdict last.
    assert list(frame.columns)[2:4] == ["Score", "vs last round"]
    assert list(frame.columns)[-1] == "Verdict"


def test_a_teams_own_comparison_says_what_stayed_the_same():
    """Not "score $13.7M → $13.7M, rank 1 → 1": the same plan again reads as unchanged,
    and a rise the amounts round away says its size."""
    million = 1_000_000

    def sentence(was: float, now: float, *, others_before: float, others_now: float) -> str:
        before = leaderboard([(1, "A", result(was)), (2, "B", result(others_before))])
        after = leaderboard([(1, "A", result(now)), (2, "B", result(others_now))])
        rounds = (RevealedRound(1, "R1", tuple(before)), RevealedRound(2, "R2", tuple(after)))
        return view.own_change_sentence(1, *rounds)

    same = 13.7 * million
    assert sentence(same, same, others_before=1, others_now=1) == (
        "Round 1 → 2: score unchanged at $13.7M, still rank 1."
    )
    assert sentence(same, same + 12_000, others_before=1, others_now=1) == (
        "Round 1 → 2: score up $12k to $13.7M, still rank 1."
    )
    assert sentence(same, same, others_before=1, others_now=20 * million) == (
        "Round 1 → 2: score unchanged at $13.7M, rank 1 → 2."
    )
    assert sentence(5, 4, others_before=9, others_now=9) == (
        "Round 1 → 2: score $5 → $4, still rank 2."
    )


def test_equal_rises_share_most_improved_and_an_unchanged_score_says_so():
    """Two teams that make the same change rise by the same amount: both are named. A
    team that submits the same plan again reads 'score unchanged', not 'score +$0'."""
    before = leaderboard([(1, "A", result(5)), (2, "B", result(5)), (3, "C", result(9))])
    after = leaderboard([(1, "A", result(12)), (2, "B", result(12)), (3, "C", result(9))])
    rounds = (RevealedRound(1, "R1", tuple(before)), RevealedRound(2, "R2", tuple(after)))
    assert view.most_improved(*rounds) == "Most improved since round 1: A and B (+$7)."
    # Equal to the cent, as ranks are shared: rises that only print alike are not.
    near = leaderboard([(1, "A", result(7_014_000.0)), (2, "B", result(7_012_000.0))])
    start = leaderboard([(1, "A", result(0.0)), (2, "B", result(0.0))])
    close = (RevealedRound(1, "R1", tuple(start)), RevealedRound(2, "R2", tuple(near)))
    assert view.most_improved(*close) == "Most improved since round 1: A (+$7.01M)."
    frame = view.leaderboard_frame(after, previous=before)
    assert list(frame["vs last round"]) == [
        "score +$7, +1 place",
        "score +$7, +1 place",
        "score unchanged, -2 places",
    ]


# --- The chart, the table, the downloads.
def test_the_teams_chart_draws_every_team_and_names_the_leaders():
    board = leaderboard([(i, f"Team {i}", result(10 - i)) for i in range(6)])
    spec = view.teams_chart(board).to_dict()  # validates against the Vega-Lite schema
    rows = next(iter(spec["datasets"].values()))
    assert {r["team"] for r in rows} == {f"Team {i}" for i in range(6)}
    assert len(rows) == 6 * 3
    domain = spec["layer"][0]["encoding"]["color"]["scale"]["domain"]
    assert domain == ["Team 0", "Team 1", "Team 2", "Other teams"]
    mine = view.teams_chart(board, highlight=4).to_dict()
    assert mine["layer"][0]["encoding"]["color"]["scale"]["domain"] == ["Team 4", "Other teams"]


def test_long_team_names_wrap_the_legend_into_rows_instead_of_off_the_chart():
    """A 40-character name is drawn whole on a wide chart (the theme's label limit grows
    with the width), so the legend's columns count it whole too."""
    from tests.test_chart_legibility import evaluate
    from ui.charts import LEGEND_SYMBOL_PX, text_width

    names = [f"Team {i} of the Northern Region Sales"[:MAX_NAME] for i in range(5)]
    board = leaderboard([(i, name, result(10 - i)) for i, name in enumerate(names)])
    spec = view.teams_chart(board).to_dict()
    columns = spec["layer"][0]["encoding"]["color"]["legend"]["columns"]["expr"]
    widest = max(text_width(n) for n in [*names[:3], "Other teams"])
    for plot in (500, 700, 1100):  # the dashboard's chart at 1280 px, wider, 1920 px
        n = evaluate(columns, plot)
        assert n == 1 or n * (widest + LEGEND_SYMBOL_PX) <= plot, (plot, n)
    assert evaluate(columns, 1100) > 1  # still side by side where they fit
    short = view.teams_chart(leaderboard([(1, "A", result(5)), (2, "B", result(4))])).to_dict()
    assert evaluate(short["layer"][0]["encoding"]["color"]["legend"]["columns"]["expr"], 300) == 2


def test_the_standings_beside_the_chart_are_the_boards_first_columns():
    before = leaderboard([(1, "A", result(5)), (2, "B", result(9))])
    after = leaderboard([(i, f"T{i}", result(20 - i)) for i in range(20)])
    frame = view.standings_frame(after)
    assert list(frame.columns) == ["Rank", "Team", "Score", "Whiplash"]
    full = view.leaderboard_frame(after, previous=before)
    assert frame.equals(full[list(frame.columns)])  # the same cells, best first


def _altair_teams_chart(standings, *, highlight=None):
    """The teams chart as Altair objects, as ui/room_view.py built it before it wrote
    the dict itself: the oracle the dict must equal."""
    import altair as alt
    import pandas as pd

    from ui.charts import BLUE, GREY, QUARTER_NAME_LABEL_EXPR, fitted_columns, money_axis, themed

    frame = pd.DataFrame(
        [
            {"team": s.team, "rank": s.rank, "quarter": q, "revenue": v}
            for s in standings
            for q, v in zip(s.result.quarters, s.result.quarter_revenue, strict=True)
        ],
        columns=["team", "rank", "quarter", "revenue"],
    )
    if highlight is not None:
        picked, colours = [s.team for s in standings if s.team_id == highlight], [BLUE]
    else:
        picked = [s.team for s in standings[: len(view.HIGHLIGHTS)]]
        colours = list(view.HIGHLIGHTS[: len(picked)])
    frame["shown"] = [t if t in picked else "Other teams" for t in frame["team"]]
    frame["order"] = [0 if t in picked else 1 for t in frame["team"]]
    domain = [*picked, "Other teams"] if len(picked) < len(standings) else picked
    x = alt.X(
        "quarter:O",
        title=None,
        sort=list(dict.fromkeys(frame["quarter"])),
        axis=alt.Axis(labelExpr=QUARTER_NAME_LABEL_EXPR, labelAngle=0),
    )
    base = alt.Chart(frame).encode(
        x=x,
        y=alt.Y("revenue:Q", axis=money_axis("Median revenue per quarter")),
        detail="team:N",
        color=alt.Color(
            "shown:N",
            title=None,
            scale=alt.Scale(domain=domain, range=[*colours, GREY][: len(domain)]),
            legend=alt.Legend(columns=fitted_columns(domain), title=None),
        ),
        tooltip=[
            alt.Tooltip("team:N", title="Team"),
            alt.Tooltip("rank:Q", title="Rank"),
            alt.Tooltip("quarter:O", title="Quarter"),
            alt.Tooltip("revenue:Q", title="Median revenue", format="$,.0f"),
        ],
    )
    lines = base.mark_line(point=True).encode(
        strokeWidth=alt.condition(alt.datum.order == 0, alt.value(4), alt.value(1.5)),
        opacity=alt.condition(alt.datum.order == 0, alt.value(1.0), alt.value(0.55)),
        order=alt.Order("order:Q", sort="descending"),
    )
    return themed(alt.layer(lines).properties(height=380, title="Revenue by team"))


def _same_chart(spec: dict) -> dict:
    """A spec with its one dataset inline under a fixed name (Altair names it by hash)."""
    out = dict(spec)
    (rows,) = out.pop("datasets").values()
    out.pop("data")
    return {**out, "rows": rows}


@pytest.mark.parametrize("highlight", [None, 4, 0])
def test_the_teams_chart_is_the_chart_altair_would_write(highlight):
    board = leaderboard([(i, f"Team {i}", result(10 - i)) for i in range(6)])
    written = view.teams_chart(board, highlight=highlight).to_dict()
    assert _same_chart(written) == _same_chart(
        _altair_teams_chart(board, highlight=highlight).to_dict()
    )


HOSTILE = ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "**b** <i>x</i> :red[y]"]


def test_names_stay_plain_text_in_the_chart_the_table_the_csv_and_the_debrief():
    board = leaderboard([(i, name, result(10 - i)) for i, name in enumerate(HOSTILE)])
    rows = next(iter(view.teams_chart(board).to_dict()["datasets"].values()))
    assert {r["team"] for r in rows} == set(HOSTILE)  # data, drawn as text by Vega
    assert list(view.leaderboard_frame(board)["Team"]) == HOSTILE
    text = results_csv([RevealedRound(1, "=evil", tuple(board))])
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["team"] for r in table] == ["'" + n for n in HOSTILE[:4]] + [HOSTILE[4]]
    assert table[0]["scenario"] == "'=evil" and table[0]["rank"] == "1"
    debrief = view.debrief_markdown("Room", [RevealedRound(1, "R", tuple(board))])
    assert "**b**" not in debrief and HOSTILE[4] in shown_text(debrief)


def test_the_qr_code_is_an_svg_of_the_join_link():
    link = view.join_link("http://10.0.0.5:8501/Room?room=X&team=secret#frag", "7K3M9QXR")
    assert link == "http://10.0.0.5:8501/Room?join=7K3M9QXR"  # no team token leaks into it
    svg = ET.fromstring(view.qr_svg(link))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and int(svg.get("width")) > 100


# --- A team's plan.
def test_the_plan_controls_use_keys_of_their_own_and_set_the_levers():
    values = view.plan_widget_values(PRESET)
    assert values and all(k.startswith(view.PREFIX) for k in values)
    assert view.PREFIX + controls.W_RUNS not in values  # no simulation settings
    state = dict(values) | {view.PREFIX + controls.W_NEW_BUSINESS: 30.0}
    moved = view.apply_plan_group(PRESET, "effort", state)
    assert moved.effort.attract + moved.effort.close == pytest.approx(0.30)
    assert moved.simulation == PRESET.simulation


def test_a_team_plan_takes_only_the_team_levers_from_what_was_submitted():
    submitted = levers.apply(
        PRESET, {"effort": (0.2, 0.2, 0.2, 0.2, 0.2), "runs": 50, "turnover": 0.9}
    )
    plan = team_plan(PRESET, submitted)
    assert plan.effort == submitted.effort
    assert plan.simulation == PRESET.simulation
    assert plan.relationships.champion_turnover == PRESET.relationships.champion_turnover
    with pytest.raises(RoomError, match=r"^plan\.contracts: "):
        team_plan(PRESET, PRESET.model_copy(update={"contracts": PRESET.contracts[:-1]}))


def test_every_round_source_loads_a_scenario():
    sources = round_sources()
    assert any(s.preset == "balanced" for s in sources) and any(s.workshop for s in sources)
    assert len({s.key for s in sources}) == len(sources)
    for source in sources:
        assert source_scenario(source).contracts is not None


def test_the_chart_warmup_names_the_vega_module_streamlit_itself_loads():
    """If a Streamlit upgrade renamed its files, the warm-up would silently do nothing:
    the module it loads must be the one Streamlit's own Vega loader imports."""
    from pathlib import Path

    import streamlit

    from ui import chart_warmup

    name = chart_warmup.vega_module()
    assert name is not None
    folder = Path(streamlit.__file__).parent / "static" / "static" / "js"
    (loader,) = folder.glob("loadVegaEmbed.*.js")
    assert f"./{name}" in loader.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("left", "shown"),
    [
        (300, "5:00"),
        (299.2, "5:00"),
        (245, "4:05"),
        (9, "0:09"),
        (0.4, "0:01"),
        (0, "0:00"),
        (-30, "0:00"),
    ],
)
def test_the_time_a_round_has_left_reads_like_a_clock(left: float, shown: str):
    assert view.time_left(1_800_000_000, 1_800_000_000 - left) == shown


def test_the_countdown_turns_orange_in_the_last_minute():
    now = 1_800_000_000
    assert view.deadline_words(now + 61, now) == "closes in 1:01"
    assert view.deadline_words(now + 60, now) == "closes in 1:00"
    assert view.deadline_words(now + 59, now) == ":orange[**closes in 0:59**]"
    assert view.deadline_words(now - 5, now) == ":orange[**closes in 0:00**]"
    assert not view.hurry(now + 60, now) and view.hurry(now + 59, now)


def test_the_count_of_submissions_reads_as_a_sentence_for_one_team_and_many():
    assert view.submitted_words(3, 30) == "3 of 30 teams have submitted"
    assert view.submitted_words(0, 2) == "0 of 2 teams have submitted"
    assert view.submitted_words(0, 1) == "0 of 1 team has submitted"
    assert view.submitted_words(1, 1) == "1 of 1 team has submitted"


def test_a_waiting_team_reads_how_full_the_room_is():
    assert view.waiting_words(1) == "Your team is the first in the room."
    assert view.waiting_words(12) == "12 teams in the room, yours included."


def board(*scores: float) -> list:
    """A round's leaderboard of teams named East, North, South, ... with these scores."""
    names = ["East", "North", "South", "West", "Centre"]
    return leaderboard([(i, names[i], result(score)) for i, score in enumerate(scores)])


def test_the_lead_is_shared_in_words_when_the_best_scores_are_equal():
    """A room whose teams all submit the round's plan unchanged ties for first place:
    the dashboard must not name one of them the leader (the first by name)."""
    assert view.leader_words(board(3.0, 2.0, 1.0)) == "East leads"
    assert view.leader_words(board(3.0, 3.0, 1.0)) == "East and North share the lead"
    assert view.leader_words(board(3, 3, 3, 1)) == "East, North and South share the lead"
    assert view.leader_words(board(3, 3, 3, 3, 3)) == "5 teams share the lead"
    assert view.leader_words([]) == "Nobody leads"


def test_a_teams_rank_says_whom_it_ties_with():
    ranked = board(3.0, 3.0, 1.0, 1.0, 1.0)
    by_team = {s.team: s for s in ranked}
    assert view.rank_words(by_team["East"], ranked) == "Rank 1 of 5, tied with North"
    assert view.rank_words(by_team["South"], ranked) == "Rank 3 of 5, tied with 2 other teams"
    alone = board(3.0, 2.0)
    assert [view.rank_words(s, alone) for s in alone] == ["Rank 1 of 2", "Rank 2 of 2"]
    assert view.standing_sentence(by_team["North"], ranked).startswith(
        "Rank 1 of 5, tied with East. Score "
    )


def test_a_round_is_named_by_its_scenario_and_picked_by_where_it_comes_from():
    """The picker says 'Preset: ...' beside the workshop steps; the round's heading, a
    team's page and the debrief say the preset's own title, without the prefix."""
    sources = round_sources()
    balanced = next(s for s in sources if s.preset == "balanced")
    title = load_preset("balanced").meta.title
    assert (balanced.label, balanced.title) == (f"Preset: {title}", title)
    step = next(s for s in sources if s.workshop)
    assert step.title == step.label and ", step 1: " in step.label
