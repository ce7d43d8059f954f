"""A team's result in a round, the leaderboard, round-on-round changes and the CSV.

The score rewards revenue *and* stability (docs/workshop-guide.md, "Scoring"):

    score = median revenue x (1 - whiplash probability / 2) x (1 - max drawdown)

with the median total revenue over the horizon, the share of runs with (mild or
severe) whiplash as the verdict counts it (docs/model.md, section 12) and the median
run's largest peak-to-trough fall in quarterly revenue.
A plan that whiplashes in every run keeps half its revenue's credit, so revenue still
separates two swinging plans; a smooth plan keeps nearly all of it. The score is in
dollars: "revenue you can count on".
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulator import VERDICTS, ResultSummary

from .errors import RoomError

MAX_SENTENCE = 400
MAX_QUARTERS = 40
"""Quarters kept per result: a horizon of MAX_MONTHS (120) has 40."""
QUARTER = re.compile(r"[0-9]{4}Q[1-4]")


def stable_revenue(median_revenue: float, probability: float, drawdown: float) -> float:
    """The leaderboard's score (see the module's docstring)."""
    return float(median_revenue) * (1.0 - float(probability) / 2.0) * (1.0 - float(drawdown))


class TeamResult(BaseModel):
    """What a reveal records of one team's plan: enough to rank, chart and explain it.

    Validated whenever it is read back from the database, like everything there.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    score: float = Field(ge=0.0)
    median_revenue: float = Field(ge=0.0)
    probability: float = Field(ge=0.0, le=1.0)
    severe_probability: float = Field(ge=0.0, le=1.0)
    max_drawdown: float = Field(ge=0.0, le=1.0)
    verdict: Literal[VERDICTS]  # type: ignore[valid-type]
    sentence: str = Field(max_length=MAX_SENTENCE)
    quarters: tuple[str, ...] = Field(max_length=MAX_QUARTERS)
    """Labels of the full quarters, e.g. ``2012Q1``."""
    quarter_revenue: tuple[float, ...] = Field(max_length=MAX_QUARTERS)
    """Median revenue in each quarter (the chart of all teams)."""

    @model_validator(mode="after")
    def _consistent(self) -> TeamResult:
        if len(self.quarters) != len(self.quarter_revenue):
            raise ValueError("quarters and quarter_revenue differ in length")
        if any(not QUARTER.fullmatch(q) for q in self.quarters):
            raise ValueError("quarters: a label is not like 2012Q1")
        if any(v < 0 for v in self.quarter_revenue):
            raise ValueError("quarter_revenue: negative revenue")
        return self

    def quarters_json(self) -> str:
        return json.dumps({"labels": self.quarters, "p50": self.quarter_revenue})


def team_result(summary: ResultSummary, *, sentence: str) -> TeamResult:
    """Score a simulated plan; ``sentence`` is its verdict in words (ui/verdict.py).

    The whiplash figures are the verdict's (``summary.whiplash``), the ones the sentence,
    the simulator's key figures and the CLI state: a team reads one share of futures with
    whiplash on its page, not two. The drawdown is the report's, named as its own figure."""
    verdict = summary.whiplash
    drawdown = summary.report.max_drawdown
    revenue = summary.quarterly[summary.quarterly["series"] == "revenue"]
    return TeamResult(
        score=max(stable_revenue(summary.median_revenue, verdict.probability, drawdown), 0.0),
        median_revenue=max(float(summary.median_revenue), 0.0),
        probability=verdict.probability,
        severe_probability=verdict.severe_probability,
        max_drawdown=drawdown,
        verdict=verdict.verdict,
        sentence=sentence[:MAX_SENTENCE],
        quarters=tuple(str(q) for q in revenue["quarter"]),
        quarter_revenue=tuple(max(float(v), 0.0) for v in revenue["p50"]),
    )


def result_from_row(row: Mapping) -> TeamResult:
    """A stored result, validated; RoomError naming the field if the row is damaged."""
    try:
        quarters = json.loads(row["quarters"])
        return TeamResult(
            score=row["score"],
            median_revenue=row["median_revenue"],
            probability=row["probability"],
            severe_probability=row["severe_probability"],
            max_drawdown=row["max_drawdown"],
            verdict=row["verdict"],
            sentence=row["sentence"],
            quarters=tuple(quarters["labels"]),
            quarter_revenue=tuple(quarters["p50"]),
        )
    except (ValidationError, ValueError, TypeError, KeyError) as exc:
        raise RoomError(f"a stored result is damaged ({str(exc).splitlines()[0]})") from None


@dataclass(frozen=True)
class Standing:
    """One line of a round's leaderboard."""

    rank: int
    """1 for the best score; equal scores share a rank (1, 2, 2, 4)."""
    team_id: int
    team: str
    result: TeamResult


def same_score(a: float, b: float) -> bool:
    """Equal to the cent: the rule by which teams share a rank (and credit)."""
    return round(a, 2) == round(b, 2)


def leaderboard(entries: Sequence[tuple[int, str, TeamResult]]) -> list[Standing]:
    """(team id, name, result) ranked by score, best first; ties share a rank and are
    listed by name."""
    ordered = sorted(entries, key=lambda e: (-round(e[2].score, 2), e[1].casefold(), e[0]))
    out: list[Standing] = []
    for i, (team_id, name, result) in enumerate(ordered):
        tied = out and same_score(out[-1].result.score, result.score)
        out.append(Standing(out[-1].rank if tied else i + 1, team_id, name, result))
    return out


@dataclass(frozen=True)
class RoundChange:
    """A team's standing in a round against the round before."""

    team_id: int
    team: str
    now: Standing | None
    before: Standing | None

    @property
    def score_change(self) -> float | None:
        if self.now is None or self.before is None:
            return None
        return self.now.result.score - self.before.result.score

    @property
    def rank_change(self) -> int | None:
        """Places gained (positive) since the round before."""
        if self.now is None or self.before is None:
            return None
        return self.before.rank - self.now.rank


def compare_rounds(before: Sequence[Standing], now: Sequence[Standing]) -> list[RoundChange]:
    """Every team of either round, in the order of the later round's board."""
    old = {s.team_id: s for s in before}
    new = {s.team_id: s for s in now}
    names = {s.team_id: s.team for s in [*before, *now]}
    order = [s.team_id for s in now] + [t for t in old if t not in new]
    return [RoundChange(t, names[t], new.get(t), old.get(t)) for t in order]


@dataclass(frozen=True)
class RevealedRound:
    number: int
    label: str
    standings: tuple[Standing, ...]


CSV_COLUMNS = (
    "round",
    "scenario",
    "rank",
    "team",
    "score",
    "median_revenue",
    "whiplash_probability",
    "severe_probability",
    "max_drawdown",
    "verdict",
    "sentence",
)


def _cell(value: object) -> object:
    """A text cell that a spreadsheet will not run: a leading =, +, -, @ or a tab/CR
    is prefixed with an apostrophe (team names are anyone's text)."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def _column(name: str) -> str:
    """'Quarter-end push' -> 'quarter_end_push' (a CSV header like the others)."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def results_csv(
    revealed: Sequence[RevealedRound],
    *,
    choices: Mapping[int, Mapping[int, Mapping[str, str]]] | None = None,
) -> str:
    """Every revealed round's leaderboard, one row per team and round; with ``choices``
    (round number -> team id -> what the team chose, in words) a column each after."""
    chosen = choices or {}
    named = list(dict.fromkeys(k for rnd in chosen.values() for team in rnd.values() for k in team))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *(_column(k) for k in named)])
    for rnd in revealed:
        for s in rnd.standings:
            r = s.result
            mine = chosen.get(rnd.number, {}).get(s.team_id, {})
            row = (
                rnd.number,
                rnd.label,
                s.rank,
                s.team,
                round(r.score, 2),
                round(r.median_revenue, 2),
                round(r.probability, 4),
                round(r.severe_probability, 4),
                round(r.max_drawdown, 4),
                r.verdict,
                r.sentence,
                *(mine.get(k, "") for k in named),
            )
            writer.writerow([_cell(v) for v in row])
    return out.getvalue()
