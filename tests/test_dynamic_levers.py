"""The dynamics as levers: the quarter-end push, when the plan reacts, its hires and reps
leaving have a balanced value and search moves in simulator/levers.py; the diagnosis
names them with the figures before and after, and suggest-a-fix moves them (a push
lowered or off, a reaction a quarter earlier) in the user's words."""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace

import numpy as np
import pytest

from simulator import (
    ScenarioError,
    apply_overrides,
    dump_scenario,
    load_preset,
    scenario_from_dict,
    simulate,
)
from simulator.cli import main
from simulator.diagnose import (
    Concentration,
    book_concentration,
    diagnose,
    neutralising_overrides,
    reference_levels,
    simulations,
)
from simulator.levers import CAUSES, SEARCHED, Scenario, lever, overrides
from simulator.models import month_index
from simulator.optimize import (
    DEFAULT_LEVERS,
    Limits,
    describe_changes,
    search_plan,
    suggest_fix,
)
from simulator.results import _to_quarters

DYNAMICS = ("pressure", "timing", "hiring", "team")
CARE_BACK = {"attract": 0.33, "close": 0.27, "engage": 0.15, "retain": 0.15, "leverage": 0.10}


def services(*, push: float = 0.0, quota: float | None = None) -> Scenario:
    """A transactional company (revenue is the month's bookings) of 2,500 reps, so luck
    alone rarely moves a quarter: smooth unless management pushes."""
    data: dict = {
        "simulation": {"start": "2012-01", "months": 48, "runs": 300, "seed": 11},
        "team": {"reps": 2_500},
        "product_lines": {
            "services": {
                "name": "Services",
                "deal_size": 5_000,
                "sales_cycle_months": 5,
                "win_rate": 0.25,
                "term_months": 0,
                "renewal_rate": 0.0,
                "leads_per_rep_month": 2.0,
                "close_effort_per_deal": 0.35,
            }
        },
    }
    if push:
        data["targets"] = {"quarterly_bookings": quota}
        data["policy"] = {"quarter_end_push": push}
    return scenario_from_dict(data)


@cache
def pushed() -> Scenario:
    """The same company pushing half its prospecting time when a quarter trails a quota
    5% above the bookings it makes without the push."""
    calm = simulate(services())
    quarters = _to_quarters(calm.output.bookings.sum(axis=2), calm.quarter_first_month)
    return services(push=0.5, quota=round(1.05 * float(np.median(quarters)), -3))


def late(month: str = "2013-01") -> Scenario:
    """Hand-off after close (nobody onboards or cares for the book), giving care its time
    back only in ``month``."""
    data = load_preset("hand_off_after_close").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    data["changes"] = [{"from": month, "effort": CARE_BACK}]
    return scenario_from_dict(data)


def planned() -> Scenario:
    """The balanced company with everything dynamic: reps leaving, a hire in July, a
    change of plan in January and the push."""
    data = load_preset("balanced").model_dump(mode="json", by_alias=True, exclude_none=True)
    data["team"] = {"reps": 12, "attrition_annual": 0.2, "backfill_months": 3}
    data["changes"] = [
        {"from": "2012-07", "reps": 15},
        {"from": "2013-01", "effort": CARE_BACK, "contacts_per_account": 4},
    ]
    data["targets"] = {**data.get("targets", {}), "quarterly_bookings": 900_000}
    data["policy"] = {"quarter_end_push": 0.5}
    return scenario_from_dict(data)


# --- The push: named first, and stopping it cuts the whiplash -------------------------------


def test_a_pushing_company_is_diagnosed_with_the_push_first():
    result = diagnose(pushed())
    first = result.ranked[0]
    assert first.cause == "pressure", [(e.cause, round(e.score, 2)) for e in result.ranked]
    assert result.top_causes[0] == "pressure"
    # Measured: whiplash in 91% of futures with the push, 3% without.
    assert first.before.probability > 0.6
    assert first.after.probability < 0.5 * first.before.probability
    assert first.sentence.startswith("Quarter-end push: while a quarter's bookings")
    before, after = f"{first.before.probability:.0%}", f"{first.after.probability:.0%}"
    assert f"no push: whiplash {before} → {after} of futures" in first.sentence
    assert "largest fall in a year" in first.sentence
    fixed = apply_overrides(pushed(), list(first.overrides))
    assert fixed.policy.quarter_end_push == 0.0
    assert fixed.targets == pushed().targets  # the quota is the company's: it stays


def test_a_company_that_does_not_push_hears_nothing_of_the_push():
    result = diagnose(services())
    assert {e.cause for e in result.effects}.isdisjoint(DYNAMICS)
    assert not any("push" in line for line in result.lines())


def test_suggest_a_fix_stops_or_lowers_the_push_in_words():
    s = suggest_fix(pushed(), limits=Limits(levers=("pressure",)))
    assert s.improved
    assert s.suggested.policy.quarter_end_push < pushed().policy.quarter_end_push
    assert s.after.probability < 0.5 * s.before.probability
    [change] = s.changes
    assert change.field == "policy.quarter_end_push" and change.before == "50%"
    assert s.headline.startswith(change.words + ": largest fall in a year")
    assert change.words in (
        "Stop the quarter-end push",
        "Push with 25% of prospecting time instead of 50%",
    )
    assert s.headline in s.lines()
    assert apply_overrides(s.original, s.overrides) == s.suggested


# --- A late reaction: reacting earlier is named and suggested -------------------------------


def test_reacting_later_makes_the_fall_deeper():
    falls = [diagnose(late(m), runs=300).baseline.largest_fall for m in ("2012-07", "2013-01")]
    assert falls[0] < falls[1]  # measured: 18% and 30%


def test_the_diagnosis_names_the_late_reaction_with_its_figures():
    result = diagnose(late(), runs=300)
    timing = result.effect("timing")
    assert timing.applies and timing.label == "Timing of the reaction"
    assert "the plan first changes in January 2013" in timing.sentence
    assert "reacting in January 2012 instead of January 2013:" in timing.sentence
    assert timing.after.largest_fall < 0.5 * timing.before.largest_fall
    assert f"{timing.before.largest_fall:.0%} → {timing.after.largest_fall:.0%}" in (
        timing.sentence
    )
    fixed = apply_overrides(late(), list(timing.overrides))
    assert [c.from_ for c in fixed.changes] == ["2012-01"]


def test_suggest_a_fix_reacts_earlier_and_its_figures_improve():
    scenario = late()
    s = suggest_fix(scenario, limits=Limits(levers=("timing",)), runs=400)
    assert s.improved
    [moved] = s.suggested.changes
    shift = month_index("2013-01") - month_index(moved.from_)
    assert 0 < shift <= Limits().max_shift_months  # earlier, within the shift limit
    assert s.after.largest_fall < s.before.largest_fall
    assert s.after.probability < s.before.probability
    # Measured: "React in July 2012 instead of January 2013: largest fall in a year
    # 30% → 18%, ...".
    assert s.headline.startswith(
        f"React in July 2012 instead of January 2013: largest fall in a year "
        f"{s.before.largest_fall:.0%} → {s.after.largest_fall:.0%}"
    )
    [change] = s.changes
    assert (change.field, change.before, change.after) == (
        "changes.0.from",
        "January 2013",
        "July 2012",
    )
    assert apply_overrides(scenario, s.overrides) == s.suggested
    rerun = simulate(s.suggested, runs=s.runs, seed=s.seed).whiplash
    assert rerun.largest_fall == pytest.approx(s.after.largest_fall)


def test_with_dates_fixed_the_reaction_stays_where_it_is():
    s = suggest_fix(late(), limits=Limits(levers=("timing",), max_shift_months=0), runs=200)
    assert not s.improved and s.suggested == late()


def test_the_search_over_every_lever_stays_within_its_budget():
    scenario = planned()
    s = suggest_fix(scenario, limits=Limits(levers=SEARCHED, max_extra_reps=2), runs=200)
    assert s.evaluations <= search_plan(scenario, 200).max_evaluations
    assert s.after.probability <= s.before.probability
    assert s.suggested.team.reps == scenario.team.reps  # the opening headcount is fixed
    for b, a in zip(scenario.changes, s.suggested.changes, strict=True):
        assert abs(month_index(a.from_) - month_index(b.from_)) <= 6
        assert (a.reps or 0) <= (b.reps or 0) + 2
    assert apply_overrides(scenario, s.overrides) == s.suggested


# --- The levers: neutral values and moves read back, refuse bad values by name --------------


@pytest.mark.parametrize("name", DYNAMICS)
def test_a_dynamic_lever_writes_what_it_reads(name: str):
    scenario = planned()
    assert lever(name).write(scenario, lever(name).read(scenario)) == scenario


@pytest.mark.parametrize("name", ["pressure", "timing", "team"])
def test_a_neutral_value_reads_back_and_is_balanced(name: str):
    scenario = planned()
    chosen = lever(name)
    value = chosen.balanced(scenario)
    assert name in CAUSES and value is not None
    fixed = chosen.write(scenario, value)
    assert chosen.read(fixed) == value and fixed != scenario
    assert chosen.balanced(fixed) is None  # neutralising twice changes nothing more
    assert (
        apply_overrides(scenario, neutralising_overrides(scenario, name, reference_levels()))
        == fixed
    )


def test_the_neutral_values_say_what_they_mean():
    scenario = planned()
    assert lever("pressure").balanced(scenario).policy.quarter_end_push == 0.0
    assert lever("timing").balanced(scenario) == (0, 6)  # at once, six months apart
    assert lever("team").balanced(scenario) == (12.0, 5, 0.0, 3)  # nobody leaving
    quiet = load_preset("balanced")
    assert [lever(n).balanced(quiet) for n in ("pressure", "timing", "team")] == [None] * 3


@pytest.mark.parametrize("name", ["pressure", "timing", "hiring"])
def test_every_move_reads_back_and_travels_as_overrides(name: str):
    scenario = planned()
    chosen = lever(name)
    now = chosen.read(scenario)
    moves = [m for step in chosen.steps for m in chosen.moves(now, step)]
    assert moves and now not in moves
    for value in moves:
        moved = chosen.write(scenario, value)
        assert chosen.read(moved) == value
        assert apply_overrides(scenario, overrides(scenario, moved)) == moved


def test_the_moves_are_a_quarter_a_share_of_the_hire_or_the_push_lowered():
    scenario = planned()
    assert lever("timing").moves(lever("timing").read(scenario), 3) == [
        (3, 12),
        (9, 12),
        (6, 9),
        (6, 15),
    ]
    # Never before the start, never past or onto another change (later changes win).
    assert lever("timing").moves((0, 3), 3) == [(0, 6)]
    assert lever("timing").moves((2, 2), 3) == []
    assert lever("hiring").moves((15.0, None), 0.2) == [(18.0, None), (12.0, None)]
    pressure = lever("pressure").read(scenario)
    assert [m.policy.quarter_end_push for m in lever("pressure").moves(pressure, 0.25)] == [
        0.25,
        0.0,
    ]


def test_a_bad_month_or_headcount_is_refused_naming_the_change():
    scenario = planned()
    with pytest.raises(ScenarioError, match=r"changes\.1\.from"):
        lever("timing").write(scenario, (6, 60))  # past the horizon
    with pytest.raises(ScenarioError, match=r"changes\.0\.reps"):
        lever("hiring").write(scenario, (-1.0, None))
    with pytest.raises(ScenarioError, match="changes: 1 months for 2"):
        lever("timing").write(scenario, (3,))


def test_hiring_is_searched_only_when_asked():
    assert "hiring" in SEARCHED and "hiring" not in DEFAULT_LEVERS
    assert Limits().levers == DEFAULT_LEVERS
    with pytest.raises(ScenarioError, match="max_extra_reps"):
        Limits(max_extra_reps=-1)


def test_a_hire_moved_earlier_is_said_as_a_hire():
    scenario = planned()
    earlier = lever("timing").write(scenario, (3, 12))
    [change] = describe_changes(scenario, earlier)
    assert change.words == "Hire to 15 reps in April 2012 instead of July 2012"
    smaller = lever("hiring").write(scenario, (12.0, None))  # no hire left at all
    [change] = describe_changes(scenario, smaller)
    assert change.words == "No change of headcount in July 2012: stay at 12 reps instead of 15"


# --- Reps leaving, and the diagnosis' budget --------------------------------------------------


def test_reps_leaving_is_a_cause_with_its_figures():
    result = diagnose(planned(), runs=200)
    team = result.effect("team")
    assert team.label == "Reps leaving"
    assert team.sentence.startswith("Reps leaving: 20% of reps leave in a year; a seat")
    assert "nobody leaving" in team.sentence and "→" in team.sentence
    assert {e.cause for e in result.effects} >= {"pressure", "timing", "team"}
    assert simulations(planned()) == 1 + sum(e.applies for e in result.effects)


# --- Concentration: named from the result, not a lever ----------------------------------------


def test_a_book_held_by_a_few_accounts_is_named():
    result = diagnose(load_preset("team_a_team_b"), runs=200)
    assert result.concentration is not None and result.concentration.named
    assert result.concentration_sentence.startswith("Concentration: the 10 largest accounts hold")
    assert result.concentration_sentence in result.lines()
    assert result.to_dict()["concentration"] == result.concentration_sentence
    assert "concentration" not in CAUSES  # a property of the book, not a habit to neutralise


def test_a_pooled_book_is_not_concentrated():
    result = diagnose(load_preset("balanced"), runs=200)
    assert result.concentration is not None and not result.concentration.named
    assert result.concentration_sentence == ""
    assert not any(line.startswith("Concentration") for line in result.lines())


def test_the_reports_top_accounts_share_is_used_when_the_engine_gives_it():
    stand_in = SimpleNamespace(report=SimpleNamespace(top_accounts_share=0.8))
    found = book_concentration(stand_in)  # type: ignore[arg-type]
    assert found == Concentration(accounts=10, share=0.8)
    assert found.sentence().startswith("Concentration: the 10 largest accounts hold 80% of")


# --- The command line --------------------------------------------------------------------------


def test_cli_optimize_moves_hires_only_with_the_hiring_lever(tmp_path, capsys):
    path = tmp_path / "planned.toml"
    path.write_text(dump_scenario(planned()), encoding="utf-8")
    argv = ["optimize", str(path), "--runs", "100", "--levers", "hiring"]
    assert main([*argv, "--max-extra-reps", "2"]) == 0
    out = capsys.readouterr().out
    assert "at most 2 more reps than the plan's" in out
    assert main([*argv, "--max-extra-reps", "lots"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--max-extra-reps" in err
