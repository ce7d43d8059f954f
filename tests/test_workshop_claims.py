"""Every text the default workshop shows is checked against the simulation it describes.

Each sentence of the workshop's title and introduction and of every step's title, story,
question, lesson, fix and "why it works" (``scenarios/workshops/four_causes.toml``, with
the presets' ``[meta]`` texts it falls back to) must contain a phrase listed below, and
each phrase comes with a check on the step's scenario or on the simulation the room
sees (the step's own runs and seed): "notice the boom" holds only if a boom-bust is in
most futures. A sentence that is only a question to the room needs no check (the
prediction check scores its answer); a new or reworded sentence fails until it is given
one. The few sentences that state no fact are listed, with the reason, in RHETORIC.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest

from simulator import apply_overrides, load_preset, simulate
from simulator.models import Scenario
from simulator.plan_verdict import first_position, revenue_noise
from simulator.results import SimulationResult, _to_quarters
from simulator.verdict import judge_plan
from simulator.verdict_text import percent
from simulator.workshop import (
    HOLDS,
    StepContent,
    check_quarter,
    first_break_shares,
    load_workshop,
    resolve,
    simulated_break,
)

WORKSHOP = load_workshop()
STEPS = [resolve(WORKSHOP, i) for i in range(len(WORKSHOP.steps))]
BY_PRESET = {c.step.preset: c for c in STEPS}


@cache
def run(scenario_json: str) -> SimulationResult:
    """The simulation the room sees: the scenario's own runs and seed."""
    return simulate(Scenario.model_validate_json(scenario_json))


@dataclass(frozen=True)
class Facts:
    content: StepContent

    @property
    def scenario(self) -> Scenario:
        return self.content.scenario

    @property
    def fixed_scenario(self) -> Scenario:
        assert self.content.fixed is not None
        return self.content.fixed

    @property
    def result(self) -> SimulationResult:
        return run(self.scenario.model_dump_json())

    @property
    def fixed(self) -> SimulationResult:
        return run(self.fixed_scenario.model_dump_json())

    def variant(self, *overrides: str) -> SimulationResult:
        return run(apply_overrides(self.scenario, list(overrides)).model_dump_json())


def median(result: SimulationResult, series: str = "revenue") -> dict[str, float]:
    """The middle future's value per quarter of a quarterly series."""
    q = result.quarterly
    rows = q[q.series == series]
    return dict(zip(rows.quarter, rows.p50, strict=True))


def monthly_median(result: SimulationResult, series: str) -> np.ndarray:
    m = result.monthly
    return m[m.series == series].p50.to_numpy()


def bookings(result: SimulationResult) -> np.ndarray:
    return _to_quarters(result.output.bookings.sum(axis=2), result.quarter_first_month)


def boom_bust_runs(result: SimulationResult) -> np.ndarray:
    """Per run, the boom-bust peaks by the verdict's rules."""
    runs, _ = judge_plan(
        result.quarterly_revenue,
        first_position=first_position(result.quarter_labels),
        noise=revenue_noise(result),
    )
    return runs.boom_bust_events


def line_bookings(result: SimulationResult, line: str, months: slice) -> float:
    """Median bookings of one product line over some months."""
    index = list(result.scenario.product_lines).index(line)
    return float(np.median(result.output.bookings[:, months, index].sum(axis=1)))


def kept_share(result: SimulationResult, months: slice = slice(None)) -> float:
    out = result.output
    return float(out.renewals_kept[:, months].sum() / out.renewals_due[:, months].sum())


def months_between(first: str, second: str) -> int:
    """'2012-07' to '2013-01' is 6."""
    (y1, m1), (y2, m2) = (map(int, first.split("-")), map(int, second.split("-")))
    return (y2 - y1) * 12 + m2 - m1


def quarter_month(quarter: str) -> str:
    """'2013Q1' -> '2013-01'."""
    return f"{quarter[:4]}-{(int(quarter[-1]) - 1) * 3 + 1:02d}"


def effort_distance(scenario: Scenario, other: Scenario) -> float:
    a, b = scenario.plan_periods()[-1][1].effort, other.effort
    return sum(abs(getattr(a, k) - getattr(b, k)) for k in ("attract", "close", "engage"))


def closing_habits() -> list[str]:
    """The close, close, close plan's effort from April, as overrides."""
    effort = BY_PRESET["close_close_close"].scenario.changes[0].effort
    return [
        f"effort.{k}={getattr(effort, k)}"
        for k in ("attract", "close", "engage", "retain", "leverage")
    ]


Check = Callable[[Facts], bool]


# --- The workshop's own title and introduction.
def _every_fix_calms(_: Facts) -> bool:
    fixed = [Facts(c) for c in STEPS if c.fixed is not None]
    return all(f.fixed.whiplash.probability < f.result.whiplash.probability for f in fixed)


WORKSHOP_CLAIMS: dict[str, Check] = {
    "the 2012 client and the four causes": lambda _: (
        STEPS[0].step.preset == "team_a_team_b"
        and sum(c.title.startswith("Cause ") for c in STEPS) == 4
    ),
    "revenue that booms one quarter and busts the next": lambda _: (
        (boom_bust_runs(Facts(BY_PRESET["close_close_close"]).result) > 0).mean() > 0.5
    ),
    "the room predicts what happens, the simulation shows it, and then we apply the fix": (
        lambda _: all(c.fixed is not None for c in STEPS[:-1])
    ),
    "every one can be fixed": _every_fix_calms,
}


# --- Each step's texts.
CLAIMS: dict[str, dict[str, Check]] = {
    "team_a_team_b": {
        "team a and team b": lambda f: (
            [ln.name[:6] for ln in f.scenario.product_lines.values()] == ["Team A", "Team B"]
        ),
        "two very different markets": lambda f: (
            f.scenario.product_lines["enterprise"].deal_size
            > 50 * f.scenario.product_lines["transactional"].deal_size
        ),
        "team a sells very large multi-year contracts": lambda f: (
            f.scenario.product_lines["enterprise"].term_months >= 24
            and f.scenario.product_lines["enterprise"].deal_size >= 500_000
        ),
        "carry most of the company's profit": lambda f: (
            sum(c.annual_value for c in f.scenario.contracts)
            > 0.5 * sum(v for q, v in median(f.result).items() if q.startswith("2012"))
        ),
        "both end in january 2013": lambda f: (
            [c.ends for c in f.scenario.contracts] == ["2013-01", "2013-01"]
        ),
        "each hangs on a single buyer": lambda f: all(
            f.scenario.contacts_of(c) == 1 for c in f.scenario.contracts
        ),
        "team b sells small transactional deals": lambda f: (
            not f.scenario.product_lines["transactional"].recurring
            and f.scenario.product_lines["transactional"].deal_size <= 20_000
        ),
        "never really hit its target": lambda f: max(f.result.bookings.attainment_p50) < 0.5,
        "its quarterly quota is 900k": lambda f: f.scenario.targets.quarterly_bookings == 900_000,
        "its pipeline brings about a tenth of that": lambda f: (
            0.05 <= float(np.median(f.result.bookings.attainment_p50)) <= 0.15
        ),
        "nobody noticed while team a was winning": lambda f: not f.scenario.changes,
        "this is how the team has always worked": lambda f: (
            f.scenario.pipeline.warm_start
            and f.scenario.history is not None
            and f.scenario.history.effort == f.scenario.effort
        ),
        "most of its time goes to closing": lambda f: f.scenario.effort.close >= 0.5,
        "little goes to prospecting, onboarding or account care": lambda f: (
            max(f.scenario.effort.attract, f.scenario.effort.engage, f.scenario.effort.retain)
            <= 0.15
        ),
        "notice the cliff in 2013q1": lambda f: (
            f.result.early_warning.bust_quarter == "2013Q1"
            and simulated_break(f.result) == "2013Q1"
            and median(f.result)["2013Q1"] < 0.8 * median(f.result)["2012Q4"]
        ),
        "come up in january and do not renew": lambda f: (
            median(f.result, "source:existing")["2013Q1"]
            < 0.3 * median(f.result, "source:existing")["2012Q4"]
            and median(f.result, "line:enterprise")["2013Q1"]
            < 0.7 * median(f.result, "line:enterprise")["2012Q4"]
        ),
        "team b's thin pipeline covers only a sliver of the hole": lambda f: (
            median(f.result)["2014Q4"] - median(f.result)["2013Q1"]
            < 0.2 * (median(f.result)["2012Q4"] - median(f.result)["2013Q1"])
        ),
        "the early warning was on long before": lambda f: (
            (f.result.early_warning.lead_months or 0) >= 6
        ),
        "pipeline coverage sat below its healthy level all through 2012": lambda f: all(
            v < f.result.early_warning.pipeline_coverage.warning_level
            for m, v in zip(
                f.result.early_warning.months,
                f.result.early_warning.pipeline_coverage.p50,
                strict=True,
            )
            if m.startswith("2012")
        ),
        "from july 2012 the two giants' renewals were at risk": lambda f: (
            f.result.early_warning.renewal_exposure.first_warning == "2012-07"
        ),
        "the cliff was visible six months ahead": lambda f: (
            months_between(
                f.result.early_warning.renewal_exposure.first_warning or "",
                quarter_month(f.result.early_warning.bust_quarter or ""),
            )
            == 6
        ),
        "but nothing was done": lambda f: not f.scenario.changes,
        "stagger the big renewals, add buyer contacts in the big accounts, and shift time": (
            lambda f: (
                len({c.ends for c in f.fixed_scenario.contracts}) == 2
                and all(f.fixed_scenario.contacts_of(c) > 1 for c in f.fixed_scenario.contracts)
                and f.fixed_scenario.effort.close < f.scenario.effort.close
                and f.fixed_scenario.effort.attract > f.scenario.effort.attract
                and f.fixed_scenario.effort.retain > f.scenario.effort.retain
            )
        ),
        "make losing both giants at once unlikely": lambda f: (
            len({c.ends for c in f.fixed_scenario.contracts}) == 2
            and f.fixed.whiplash.severe_probability < f.result.whiplash.severe_probability
        ),
        "steady prospecting refills the pipeline before the hole opens": lambda f: (
            np.median(f.fixed.early_warning.pipeline_coverage.p50[:12])
            > 1.5 * np.median(f.result.early_warning.pipeline_coverage.p50[:12])
        ),
        "stagger the renewals, broaden the relationships, rebalance the time": lambda f: (
            len({c.ends for c in f.fixed_scenario.contracts}) == 2
            and f.fixed_scenario.relationships.contacts_per_account
            > f.scenario.relationships.contacts_per_account
            and f.fixed_scenario.effort != f.scenario.effort
        ),
    },
    "hand_off_after_close": {
        "attending to one stage only (hand-off after close)": lambda f: (
            f.scenario.effort.engage == 0 and f.scenario.effort.retain == 0
        ),
        "the sellers close and hand the client over": lambda f: f.scenario.effort.engage == 0,
        "nobody onboards them and nobody looks after the account afterwards": lambda f: (
            f.scenario.effort.engage == 0 and f.scenario.effort.retain == 0
        ),
        "all the team's time goes to prospecting, closing and chasing up-sells": lambda f: (
            abs(
                f.scenario.effort.attract + f.scenario.effort.close + f.scenario.effort.leverage - 1
            )
            < 1e-9
        ),
        "at first nothing seems wrong": lambda f: (
            median(f.result)["2012Q2"] >= 0.9 * median(f.result)["2012Q1"]
        ),
        "the book still pays": lambda f: (
            median(f.result, "source:existing")["2012Q1"] > 0.5 * median(f.result)["2012Q1"]
        ),
        "then satisfaction drops, renewals slip and the up-sells dry up": lambda f: (
            monthly_median(f.result, "care_index")[-1]
            < 0.1 * monthly_median(f.result, "care_index")[0]
            and kept_share(f.result, slice(24, 36)) < kept_share(f.result, slice(0, 12))
            and list(median(f.result, "source:expansion").values())[-1]
            < 0.25 * median(f.result, "source:expansion")["2012Q1"]
        ),
        "new business is strong": lambda f: min(f.result.bookings.attainment_p50) >= 1.0,
        "notice the slow slide": lambda f: (
            f.result.whiplash.verdict == "none"
            and f.result.whiplash.trend == "declining"
            and all(
                b < a
                for a, b in zip(
                    list(median(f.result).values()),
                    list(median(f.result).values())[1:],
                    strict=False,
                )
            )
        ),
        "then the steeper fall as renewals come due": lambda f: (
            # The first half-year loses less a quarter than the year the renewals come due.
            1 - median(f.result)["2012Q2"] / median(f.result)["2012Q1"]
            < (1 - (median(f.result)["2013Q4"] / median(f.result)["2012Q4"]) ** 0.25)
        ),
        "clients are not retained and expansion revenue disappears with them": lambda f: (
            kept_share(f.result) < 0.6
            and list(median(f.result, "source:expansion").values())[-1]
            < 0.25 * max(median(f.result, "source:expansion").values())
        ),
        "put time back into engage and retain (about a third of the team's time)": lambda f: (
            0.3 <= f.fixed_scenario.effort.engage + f.fixed_scenario.effort.retain <= 0.4
        ),
        "and the book holds": lambda f: (
            f.fixed.whiplash.verdict == "none" and f.fixed.whiplash.trend != "declining"
        ),
        "keep clients satisfied, so they renew and buy more": lambda f: (
            kept_share(f.fixed) > kept_share(f.result) + 0.2
            and sum(median(f.fixed, "source:expansion").values())
            > 2 * sum(median(f.result, "source:expansion").values())
        ),
        "new business then adds to the book instead of replacing it": lambda f: (
            f.fixed.whiplash.trend == "growing"
        ),
        "put time back into onboarding and account care": lambda f: (
            f.fixed_scenario.effort.engage > 0 and f.fixed_scenario.effort.retain > 0
        ),
    },
    "single_threaded": {
        "single-threaded relationships": lambda f: (
            f.scenario.relationships.contacts_per_account == 1
            and all(f.scenario.contacts_of(c) == 1 for c in f.scenario.contracts)
        ),
        "a healthy-looking book of annual contracts": lambda f: (
            all(
                (c.renewal_term_months or f.scenario.product_lines[c.product_line].term_months)
                == 12
                for c in f.scenario.contracts
            )
            and median(f.result)["2012Q2"] >= median(f.result)["2012Q1"]
        ),
        "every account hangs on one buyer": lambda f: (
            f.scenario.relationships.contacts_per_account == 1
        ),
        "buyers change jobs": lambda f: f.scenario.relationships.champion_turnover > 0,
        "about a third of them a year in this market": lambda f: (
            0.3 <= f.scenario.relationships.champion_turnover <= 0.37
        ),
        "the account is far less likely to renew": lambda f: (
            f.scenario.engagement.orphan_renewal_factor <= 0.6
        ),
        "four large accounts come up for renewal within one half-year": lambda f: (
            len(f.scenario.contracts) == 4
            and all("2012-07" <= c.ends <= "2012-12" for c in f.scenario.contracts)
        ),
        "four big accounts come up for renewal in the second half of 2012": lambda f: all(
            "2012-07" <= c.ends <= "2012-12" for c in f.scenario.contracts
        ),
        "notice the drops at the renewal dates": lambda f: (
            # Whiplash first hits in a renewal quarter (Q3, Q4) or the one after (Q1).
            np.mean(
                [f.result.quarter_labels[i][-1] in "341" for i in f.result.first_whiplash if i >= 0]
            )
            > 0.9
            and f.result.whiplash.probability >= 0.5
        ),
        "accounts whose only champion left churn": lambda f: kept_share(f.result) < 0.8,
        "each loss takes a slice of revenue with it": lambda f: (
            f.result.whiplash.largest_fall_p90 >= 0.1
        ),
        "raise the contacts per account from one to three or four and watch the renewals hold": (
            lambda f: (
                f.fixed_scenario.relationships.contacts_per_account == 3
                and kept_share(f.fixed) > kept_share(f.result) + 0.1
            )
        ),
        "the fix costs no extra selling time": lambda f: (
            f.fixed_scenario.effort == f.scenario.effort
            and f.fixed_scenario.team == f.scenario.team
        ),
        "a habit of meeting more people in every account": lambda f: all(
            f.fixed_scenario.contacts_of(c) >= 3 for c in f.fixed_scenario.contracts
        ),
        "losing one buyer no longer orphans the account, so renewals hold": lambda f: (
            kept_share(f.fixed) > kept_share(f.result) + 0.1 and f.fixed.whiplash.verdict == "none"
        ),
        "three contacts in every account": lambda f: all(
            f.fixed_scenario.contacts_of(c) == 3 for c in f.fixed_scenario.contracts
        ),
    },
    "close_close_close": {
        "close, close, close": lambda f: f.scenario.changes[0].effort.close >= 0.75,
        "the same kind of company as the balanced plan": lambda f: (
            set(f.scenario.product_lines) == {"subscriptions", "projects"}
            and f.scenario.effort == load_preset("balanced").effort
        ),
        "selling subscriptions and implementation projects (one-off work": lambda f: (
            f.scenario.product_lines["subscriptions"].recurring
            and not f.scenario.product_lines["projects"].recurring
        ),
        "until march it works in balance": lambda f: (
            f.scenario.changes[0].from_ == "2012-04"
            and f.scenario.effort == load_preset("balanced").effort
        ),
        "in april management tells everyone to close": lambda f: (
            f.scenario.changes[0].from_ == "2012-04"
        ),
        "three quarters of the team's time goes to closing, prospecting gets three percent": (
            lambda f: (
                abs(f.scenario.changes[0].effort.close - 0.75) <= 0.03
                and f.scenario.changes[0].effort.attract == 0.03
            )
        ),
        "push young deals to a decision early, at a lower win rate": lambda f: (
            # Closing capacity far above what matures: the engine decides young deals early.
            (bookings(f.result)[:, 1] > 1.5 * bookings(f.result)[:, 0]).mean() > 0.8
        ),
        "the pipeline built up in balanced years carries the first months": lambda f: (
            f.scenario.pipeline.warm_start
            and median(f.result)["2012Q2"] > median(f.result)["2012Q1"]
        ),
        "2012q2 beats the plan": lambda f: (
            median(f.result)["2012Q2"] > median(Facts(BY_PRESET["balanced"]).result)["2012Q2"]
        ),
        "notice the boom first": lambda f: (boom_bust_runs(f.result) > 0).mean() > 0.5,
        "bookings and revenue jump well above the first quarter": lambda f: (
            median(f.result)["2012Q2"] >= 1.15 * median(f.result)["2012Q1"]
            and median(f.result, "bookings")["2012Q2"]
            >= 1.5 * median(f.result, "bookings")["2012Q1"]
        ),
        "within two quarters the pipeline is empty": lambda f: (
            f.result.early_warning.pipeline_ratio[9]
            < 0.1 * f.result.early_warning.pipeline_ratio[3]
            and (f.result.early_warning.pipeline_coverage.first_warning or "9999") <= "2012-10"
        ),
        "the bust comes by 2012q4": lambda f: (
            (f.result.early_warning.bust_quarter or "9999") <= "2012Q4"
            and (f.result.first_whiplash >= 0).mean() > 0.9
        ),
        "revenue then settles below where it started": lambda f: (
            list(median(f.result).values())[-1] < median(f.result)["2012Q1"]
        ),
        "the fix is not less closing, it is balance": lambda f: (
            f.fixed_scenario.changes[0].effort.close > 0 and f.fixed.whiplash.verdict == "none"
        ),
        "move prospecting back to a quarter of the team's time, as much as closing": lambda f: (
            f.fixed_scenario.changes[0].effort.attract
            == f.fixed_scenario.changes[0].effort.close
            == 0.25
        ),
        "steady prospecting keeps the front of the pipeline full": lambda f: (
            f.fixed.early_warning.pipeline_coverage.first_warning is None
        ),
        "instead of a harvest followed by a drought": lambda f: (
            min(f.fixed.bookings.attainment_p50) >= 0.8
            and (boom_bust_runs(f.fixed) > 0).mean() < 0.1
        ),
        "from april, prospect as much as you close (a quarter of the time each)": lambda f: (
            f.fixed_scenario.changes[0].from_ == "2012-04"
            and f.fixed_scenario.changes[0].effort.attract
            == f.fixed_scenario.changes[0].effort.close
            == 0.25
        ),
    },
    "new_product_splash": {
        "favouring one product line": lambda f: all(
            sorted(c.focus.values()) == [0.0, 1.0] for c in f.scenario.changes
        ),
        "a new platform launched this year": lambda f: (
            f.scenario.product_lines["platform"].focus == 1.0
        ),
        "bigger one-off deals, a strong bonus and a directive to push it": lambda f: (
            not f.scenario.product_lines["platform"].recurring
            and f.scenario.product_lines["platform"].deal_size
            > f.scenario.product_lines["subscriptions"].deal_size
            and f.scenario.product_lines["platform"].focus == 1.0
        ),
        "the whole team's new-business effort goes to it": lambda f: (
            f.scenario.product_lines["subscriptions"].focus == 0.0
        ),
        "with its short sales cycle, gets no prospecting and no closing time": lambda f: (
            f.scenario.product_lines["subscriptions"].sales_cycle_months
            < f.scenario.product_lines["platform"].sales_cycle_months
            and f.scenario.product_lines["subscriptions"].focus == 0.0
        ),
        "management swings the directive (and the bonus) back to it, and later back again": (
            lambda f: [c.focus["subscriptions"] for c in f.scenario.changes] == [1.0, 0.0, 1.0, 0.0]
        ),
        "every nine months the favoured line changes": lambda f: all(
            months_between(a.from_, b.from_) == 9
            for a, b in zip(f.scenario.changes, f.scenario.changes[1:], strict=False)
        ),
        "management backs whichever product line is behind": lambda f: all(
            a.focus != b.focus
            for a, b in zip(f.scenario.changes, f.scenario.changes[1:], strict=False)
        ),
        "notice the waves": lambda f: (boom_bust_runs(f.result) > 0).mean() > 0.9,
        "each swing starves the line that was favoured": lambda f: (
            # Subscriptions are favoured from 2012-07 to 2013-03 and not from 2013-04 to
            # 2013-12; the platform's revenue stops in 2014Q1-Q3, when it is not.
            line_bookings(f.result, "subscriptions", slice(15, 24))
            < 0.2 * line_bookings(f.result, "subscriptions", slice(6, 15))
            and median(f.result, "line:platform")["2014Q3"]
            < 0.5 * median(f.result, "line:platform")["2013Q4"]
        ),
        "two months for the subscriptions, six for the platform": lambda f: (
            f.scenario.product_lines["subscriptions"].sales_cycle_months == 2
            and f.scenario.product_lines["platform"].sales_cycle_months == 6
        ),
        "a boom followed by a bust in nearly every future": lambda f: (
            (boom_bust_runs(f.result) > 0).mean() > 0.9
            and f.result.whiplash.boom_bust_events >= 1.5  # again and again
        ),
        "split new-business effort across both lines and keep it there": lambda f: (
            not f.fixed_scenario.changes
            and min(ln.focus for ln in f.fixed_scenario.product_lines.values()) > 0.2
        ),
        "the same company grows smoothly": lambda f: (
            f.fixed.whiplash.verdict == "none" and f.fixed.whiplash.trend == "growing"
        ),
        "so revenue flows steadily instead of in waves": lambda f: (
            (boom_bust_runs(f.fixed) > 0).mean() < 0.1
        ),
        "work both lines all the time (60/40, as in the balanced plan)": lambda f: (
            [ln.focus for ln in f.fixed_scenario.product_lines.values()]
            == sorted(ln.focus for ln in load_preset("balanced").product_lines.values())[::-1]
            == [0.6, 0.4]
        ),
    },
    "balanced": {
        "the balanced organisation": lambda f: (
            min(getattr(f.scenario.effort, k) for k in ("attract", "close", "engage", "retain"))
            >= 0.15
        ),
        "the best companies' set-up": lambda f: (
            f.result.whiplash.verdict == "none"
            and f.result.whiplash.probability < 0.05
            and f.result.whiplash.trend == "growing"
        ),
        "the whole client engagement cycle": lambda f: (
            min(
                getattr(f.scenario.effort, k)
                for k in ("attract", "close", "engage", "retain", "leverage")
            )
            >= 0.15
        ),
        "it prospects, closes, onboards new clients, looks after the book and grows it": (
            lambda f: (
                min(
                    getattr(f.scenario.effort, k)
                    for k in ("attract", "close", "engage", "retain", "leverage")
                )
                > 0
            )
        ),
        "buyer relationships are broad (three contacts per account)": lambda f: (
            f.scenario.relationships.contacts_per_account == 3
        ),
        "both product lines get attention": lambda f: (
            min(ln.focus for ln in f.scenario.product_lines.values()) >= 0.4
        ),
        "the big contracts renew in different quarters": lambda f: (
            len({(c.ends[:4], (int(c.ends[5:]) - 1) // 3) for c in f.scenario.contracts})
            == len(f.scenario.contracts)
        ),
        "notice the smooth band": lambda f: f.result.whiplash.verdict == "none",
        "revenue grows or holds steady quarter after quarter": lambda f: all(
            b >= 0.98 * a
            for a, b in zip(
                list(median(f.result).values()), list(median(f.result).values())[1:], strict=False
            )
        ),
        "the early warning never comes on": lambda f: f.result.early_warning.first_warning is None,
        "pipeline coverage, renewals and revenue in sight stay healthy": lambda f: all(
            s.first_warning is None
            for s in (
                f.result.early_warning.pipeline_coverage,
                f.result.early_warning.renewal_exposure,
                f.result.early_warning.revenue_in_sight,
            )
        ),
        "try the close, close, close habits from the start": lambda f: (
            f.variant(*closing_habits()).whiplash.trend != "growing"
        ),
        "or one buyer per account, and watch the growth stall": lambda f: (
            f.variant(
                "relationships.contacts_per_account=1",
                *(f"contracts.{i}.contacts=1" for i in range(len(f.scenario.contracts))),
            ).whiplash.trend
            != "growing"
        ),
        "there is nothing to fix": lambda f: (
            f.content.fixed is None and f.result.whiplash.verdict == "none"
        ),
        "this is the plan every other step moved back towards": lambda f: all(
            effort_distance(c.fixed, f.scenario) <= effort_distance(c.scenario, f.scenario)
            and c.fixed.relationships.contacts_per_account
            >= c.scenario.relationships.contacts_per_account
            for c in STEPS
            if c.fixed is not None
        ),
    },
}

RHETORIC = {
    "Nothing here is heroic; it is balance.": "an opinion; the smooth band above is checked",
}


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+", " ".join(text.split())) if s]


def step_texts(content: StepContent) -> list[str]:
    texts = [content.title, content.story, content.question, content.lesson, content.why]
    if content.fixed is not None:  # the fix button's label; without a fix it is not shown
        texts.append(content.step.fix_title)
    return [t for t in texts if t]


def unclaimed(texts: list[str], phrases: list[str]) -> list[str]:
    """Sentences that are neither a question to the room nor hold a checked phrase."""
    return [
        s
        for text in texts
        for s in sentences(text)
        if not s.endswith("?") and s not in RHETORIC and not any(p in s.lower() for p in phrases)
    ]


def test_every_sentence_of_the_workshop_is_checked() -> None:
    assert unclaimed([WORKSHOP.title, WORKSHOP.intro], list(WORKSHOP_CLAIMS)) == []
    assert set(CLAIMS) == {c.step.preset for c in STEPS}, "every step has its claims"
    for content in STEPS:
        missing = unclaimed(step_texts(content), list(CLAIMS[content.step.preset]))
        assert missing == [], f"{content.step.preset}: no check for {missing}"


def _all_claims() -> list[tuple[str, str]]:
    return [(preset, phrase) for preset, claims in CLAIMS.items() for phrase in claims]


@pytest.mark.parametrize(("preset", "phrase"), _all_claims())
def test_each_step_text_holds_in_its_simulation(preset: str, phrase: str) -> None:
    content = BY_PRESET[preset]
    assert phrase in " ".join(" ".join(step_texts(content)).split()).lower(), "still in the text"
    assert CLAIMS[preset][phrase](Facts(content)), phrase


@pytest.mark.parametrize("phrase", list(WORKSHOP_CLAIMS))
def test_the_workshop_introduction_holds(phrase: str) -> None:
    text = " ".join(f"{WORKSHOP.title} {WORKSHOP.intro}".split()).lower()
    assert phrase in text
    assert WORKSHOP_CLAIMS[phrase](Facts(STEPS[0]))


def test_a_check_fails_when_its_text_does_not_hold() -> None:
    """The checks can fail: the balanced plan is not the cliff the 2012 client's lesson
    names, and the 2012 client is not the balanced plan's smooth band."""
    swapped = Facts(BY_PRESET["balanced"])
    assert not CLAIMS["team_a_team_b"]["notice the cliff in 2013q1"](swapped)
    assert not CLAIMS["balanced"]["notice the smooth band"](Facts(BY_PRESET["team_a_team_b"]))
    assert not CLAIMS["close_close_close"]["notice the boom first"](swapped)


def test_the_quarter_answer_uses_the_headline_figures() -> None:
    """The quarter question's 'whiplash in X% of futures' is the headline's (a horizon of
    three years: one risk window), and a quarter answer is where most whiplash starts."""
    for content in STEPS:
        if content.prediction != "quarter":
            continue
        result = Facts(content).result
        shares = first_break_shares(result)
        v = result.whiplash
        assert 1 - shares[HOLDS] == pytest.approx(v.probability)
        sentence = check_quarter(result, None).sentence
        assert f"whiplash in {percent(v.probability)}" in sentence
        assert (simulated_break(result) == HOLDS) == (v.verdict == "none")
