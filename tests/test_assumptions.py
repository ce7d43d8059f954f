"""The assumptions panel's domain: the registry of judgement constants and the sweep.

The registry's ranges contain the model's defaults and match docs/model.md; a constant
that matters moves the whiplash the way its meaning says; the runs are bounded by the
cost model; the verdict is called robust exactly when the three verdicts agree.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from simulator import ScenarioError, load_preset, models
from simulator.assumptions import (
    ASSUMPTIONS_MAX_RUNS,
    ASSUMPTIONS_SECONDS,
    JUDGEMENTS,
    LEVELS,
    AssumptionsReport,
    LevelOutcome,
    Sensitivity,
    assess_assumptions,
    assumption_runs,
    judgement,
    simulations_needed,
)
from simulator.budget import estimate

MODEL = (Path(__file__).resolve().parent.parent / "docs" / "model.md").read_text(encoding="utf-8")
RUNS = 200
SEED = 11


def _doc_rows() -> dict[str, dict[str, str]]:
    """The table under '## Assumptions and their ranges', by field."""
    section = MODEL.split("## Assumptions and their ranges", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True))
        rows[cells["Field"].strip("`")] = cells
    return rows


# --- The registry -----------------------------------------------------------------------


@pytest.mark.parametrize("item", JUDGEMENTS, ids=lambda j: j.path)
def test_every_range_contains_the_model_default(item):
    section = getattr(models.Scenario(), item.section)
    assert item.default == getattr(section, item.field)  # read from the models, not repeated
    assert item.low < item.default < item.high


@pytest.mark.parametrize("item", JUDGEMENTS, ids=lambda j: j.path)
def test_both_ends_of_every_range_are_valid_scenarios(item):
    base = models.Scenario()
    for value in (item.low, item.high):
        assert item.value_in(item.write(base, value)) == value


def test_the_issue_s_three_constants_are_in_the_registry():
    paths = {j.path for j in JUDGEMENTS}
    assert {
        "engagement.orphan_renewal_factor",
        "engagement.care_renewal_penalty",
        "engagement.pull_forward_win_factor",
    } <= paths
    assert len(paths) == len(JUDGEMENTS)


def test_docs_list_every_range_and_source_as_the_registry():
    rows = _doc_rows()
    assert set(rows) == {j.path for j in JUDGEMENTS}
    for item in JUDGEMENTS:
        row = rows[item.path]
        assert math.isclose(float(row["Low"]), item.low), item.path
        assert math.isclose(float(row["High"]), item.high), item.path
        assert row["Source or judgement"] == item.source, item.path
        sources = MODEL.split("## Sources", 1)[1]
        for number in re.findall(r"\[(\d+)\]", item.source):  # each reference exists
            assert re.search(rf"^{number}\. ", sources, re.M), (item.path, number)


def test_an_unknown_constant_is_named():
    with pytest.raises(ScenarioError, match=r"engagement\.nope"):
        judgement("engagement.nope")


# --- The sweep --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def single_threaded() -> AssumptionsReport:
    return assess_assumptions(load_preset("single_threaded"), runs=RUNS, seed=SEED)


def test_fewer_orphan_renewals_mean_more_whiplash(single_threaded):
    orphan = next(
        s for s in single_threaded.sensitivities if s.judgement.field == "orphan_renewal_factor"
    )
    low, high = orphan.at("low"), orphan.at("high")
    assert low.value < high.value
    assert low.probability > high.probability
    assert low.largest_fall > high.largest_fall
    assert low.median_revenue < high.median_revenue


def test_more_buyer_turnover_means_more_whiplash():
    scenario = load_preset("team_a_team_b")
    turnover = judgement("relationships.champion_turnover")
    report = assess_assumptions(scenario, runs=RUNS, seed=SEED, judgements=[turnover])
    (only,) = report.sensitivities
    assert only.at("low").probability < only.at("high").probability
    assert only.at("low").largest_fall < only.at("high").largest_fall


def test_the_middle_level_is_the_scenario_itself_with_the_same_seed(single_threaded):
    base = single_threaded.baseline
    for s in single_threaded.sensitivities:
        assert [o.level for o in s.levels] == list(LEVELS)
        middle = s.at("default")
        assert middle.value == s.judgement.value_in(load_preset("single_threaded"))
        assert (middle.verdict, middle.probability, middle.median_revenue) == (
            base.verdict,
            base.probability,
            base.median_revenue,
        )
    again = assess_assumptions(load_preset("single_threaded"), runs=RUNS, seed=SEED)
    assert again == single_threaded


def test_a_constant_that_does_not_apply_changes_nothing():
    # No pipeline to pull forward and no one on closing: the pull-forward factor is idle.
    scenario = models.Scenario.model_validate(
        {
            "simulation": {"runs": 50, "months": 12},
            "effort": {"attract": 0.5, "close": 0.0, "engage": 0.2, "retain": 0.2, "leverage": 0.1},
        }
    )
    item = judgement("engagement.pull_forward_win_factor")
    (only,) = assess_assumptions(scenario, seed=3, judgements=[item]).sensitivities
    assert only.robust
    assert len({(o.probability, o.median_revenue) for o in only.levels}) == 1


def _outcome(level: str, value: float, verdict: str, probability: float) -> LevelOutcome:
    return LevelOutcome(level, value, verdict, probability, 0.0, 0.2, 1e6)


def _sensitivity(path: str, verdicts: tuple[str, str, str]) -> Sensitivity:
    item = judgement(path)
    values = (item.low, item.default, item.high)
    shares = {"none": 0.1, "mild": 0.6, "severe": 0.9}
    return Sensitivity(
        item,
        tuple(
            _outcome(level, value, verdict, shares[verdict])
            for level, value, verdict in zip(LEVELS, values, verdicts, strict=True)
        ),
    )


def _report(*sensitivities: Sensitivity) -> AssumptionsReport:
    return AssumptionsReport("t", 10, 1, _outcome("scenario", 0.0, "mild", 0.6), sensitivities)


def test_robust_exactly_when_the_three_verdicts_agree():
    holds = _sensitivity("engagement.care_memory_months", ("mild", "mild", "mild"))
    moves = _sensitivity("engagement.orphan_renewal_factor", ("severe", "mild", "mild"))
    assert holds.robust and not moves.robust
    assert _report(holds).robust
    assert _report(holds).sentence == (
        "The verdict (mild) holds across every assumption's plausible range."
    )
    report = _report(holds, moves)
    assert not report.robust
    assert report.depends_on == [moves]
    default = judgement("engagement.orphan_renewal_factor").value_text(
        judgement("engagement.orphan_renewal_factor").default
    )
    assert report.sentence == (
        "The verdict depends on renewal chance of an orphaned account (× usual): "
        f"severe at 20%, mild at {default} (default) and 70%."
    )
    assert report.to_dict()["depends_on"] == ["engagement.orphan_renewal_factor"]


def test_runs_fit_the_time_bound_and_an_explicit_excess_is_refused():
    scenario = load_preset("balanced")
    runs, note = assumption_runs(scenario, None)
    assert runs == min(scenario.simulation.runs, ASSUMPTIONS_MAX_RUNS) and not note
    assert simulations_needed() * estimate(scenario, runs).seconds <= ASSUMPTIONS_SECONDS
    big = scenario.model_copy(
        update={"simulation": scenario.simulation.model_copy(update={"runs": 20_000})}
    )
    runs, note = assumption_runs(big, None)
    assert runs <= ASSUMPTIONS_MAX_RUNS and "20,000" in note
    lines = {f"l{i}": {"name": f"Line {i}", "sales_cycle_months": 12} for i in range(4)}
    long = models.Scenario.model_validate(
        {"simulation": {"runs": 2000, "months": 120}, "product_lines": lines}
    )
    runs, note = assumption_runs(long, None)
    assert simulations_needed() * estimate(long, runs).seconds <= ASSUMPTIONS_SECONDS
    assert runs < ASSUMPTIONS_MAX_RUNS and "2,000" in note
    with pytest.raises(ScenarioError, match=rf"^runs: 2,000 runs .* use at most {runs:,} runs$"):
        assumption_runs(long, 2000)
