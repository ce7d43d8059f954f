"""Validated, frozen scenario models: the public contract of a scenario file.

Every default the simulator uses is defined here, once; the app and the CLI read
them from these models. Field names are the scenario file's keys (see
``docs/scenario-format.md``), so an error can name the exact field a user wrote.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import budget

# --- Limits: no setting may exhaust memory or stall the server (docs/scenario-format.md).
MAX_MONTHS = 120
MAX_RUNS = 20_000
MAX_PRODUCT_LINES = 8
MAX_CONTRACTS = 200
MAX_CELLS = 5_000_000
"""Upper bound on runs x months x product lines: the size of the engine's largest arrays."""
MAX_REPS = 10_000
MAX_TEXT = 2_000

EFFORT_TOLERANCE = 0.001
"""How far the five effort shares may be from summing to 1 (rounding in hand-written files)."""

YEAR_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
LINE_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
STAGES = ("attract", "close", "engage", "retain", "leverage")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _check_year_month(value: str) -> str:
    if not isinstance(value, str) or not YEAR_MONTH.match(value):
        raise ValueError(f"{value!r} is not a month in the form YYYY-MM (e.g. 2013-01)")
    year = int(value[:4])
    if not 1900 <= year <= 2200:
        raise ValueError(f"{value!r}: the year must be between 1900 and 2200")
    return value


def month_index(year_month: str) -> int:
    """Months since year 0 for a 'YYYY-MM' string, so months can be subtracted."""
    return int(year_month[:4]) * 12 + int(year_month[5:7]) - 1


def month_label(index: int) -> str:
    """The 'YYYY-MM' label for a month index made by :func:`month_index`."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


YearMonth = Annotated[str, Field(description="A calendar month, 'YYYY-MM'.")]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class Meta(_Frozen):
    """What a scenario is and what it teaches; shown as plain text, never HTML."""

    title: str = Field("Untitled scenario", min_length=1, max_length=200)
    description: str = Field("", max_length=MAX_TEXT)
    lesson: str = Field("", max_length=MAX_TEXT)
    question: str = Field(
        "", max_length=MAX_TEXT, description="A question for the room before the reveal."
    )
    fix: str = Field(
        "", max_length=MAX_TEXT, description="One sentence on why the fixed plan works."
    )


class Simulation(_Frozen):
    """Calendar and Monte Carlo settings."""

    start: YearMonth = "2012-01"
    months: int = Field(36, ge=3, le=MAX_MONTHS)
    runs: int = Field(1000, ge=1, le=MAX_RUNS)
    seed: int = Field(2012, ge=0, le=2**63 - 1)

    _start = field_validator("start")(_check_year_month)


class Team(_Frozen):
    """The sales team's size in full-time reps."""

    reps: float = Field(10.0, gt=0.0, le=MAX_REPS)


class Effort(_Frozen):
    """How the team splits its time over the client engagement cycle; sums to 1."""

    attract: Share = 0.25
    close: Share = 0.25
    engage: Share = 0.15
    retain: Share = 0.20
    leverage: Share = 0.15

    @model_validator(mode="after")
    def _sums_to_one(self) -> Effort:
        total = sum(getattr(self, stage) for stage in STAGES)
        if abs(total - 1.0) > EFFORT_TOLERANCE:
            raise ValueError(
                f"the five effort shares (attract, close, engage, retain, leverage) "
                f"must sum to 1; they sum to {total:.4g}"
            )
        return self

    def as_dict(self) -> dict[str, float]:
        return {stage: getattr(self, stage) for stage in STAGES}


class Relationships(_Frozen):
    """Breadth of buyer relationships: the single-threading cause."""

    contacts_per_account: int = Field(3, ge=1, le=20)
    champion_turnover: float = Field(
        0.25, ge=0.0, le=3.0, description="Share of buyer contacts who leave their job a year."
    )


class Targets(_Frozen):
    """Optional revenue target; without it the run-rate is the yardstick."""

    quarterly_revenue: float | None = Field(None, gt=0.0, le=1e13)


class ProductLine(_Frozen):
    """One product or service line and how it sells."""

    name: str = Field(..., min_length=1, max_length=100)
    focus: float = Field(1.0, ge=0.0, le=1e6, description="Relative share of new-business effort.")
    deal_size: float = Field(
        50_000.0,
        ge=1.0,  # money amounts below 1 make quarter-over-quarter ratios overflow
        le=1e12,
        description="Annual value (or one-off value if term is 0).",
    )
    sales_cycle_months: int = Field(3, ge=1, le=36)
    win_rate: float = Field(0.25, gt=0.0, le=1.0)
    term_months: int = Field(12, ge=0, le=120, description="Contract length; 0 = one-off sale.")
    renewal_rate: Share = 0.90
    leads_per_rep_month: float = Field(
        2.0, ge=0.0, le=1e4, description="New opportunities per rep-month of prospecting."
    )
    close_effort_per_deal: float = Field(
        0.35,
        ge=0.001,  # ~10 minutes; far smaller values overflow the closing capacity
        le=100.0,
        description="Rep-months of closing work per decided deal.",
    )
    prior_focus: float | None = Field(
        None,
        ge=0.0,
        le=1e6,
        description="Focus before the simulation starts (warm pipeline); default equal split.",
    )

    @property
    def recurring(self) -> bool:
        return self.term_months > 0


class Contract(_Frozen):
    """An existing contract in the book; its end month is a what-if lever."""

    name: str = Field(..., min_length=1, max_length=100)
    product_line: str
    annual_value: float = Field(..., ge=1.0, le=1e12)
    ends: YearMonth
    contacts: int | None = Field(None, ge=1, le=20)
    renewal_term_months: int | None = Field(None, ge=1, le=120)

    _ends = field_validator("ends")(_check_year_month)


class Pipeline(_Frozen):
    """How the pipeline looks on day one."""

    warm_start: bool = True
    prior_attract: Share = Field(
        0.25, description="Share of effort spent prospecting before the start (warm pipeline)."
    )


class Engagement(_Frozen):
    """Model constants for care, relationships and leverage (docs/model.md gives sources)."""

    onboarding_effort_per_client: float = Field(0.3, ge=0.0, le=100.0)
    care_effort_per_account: float = Field(0.01, ge=0.0, le=100.0)
    leverage_effort_per_account: float = Field(0.01, ge=0.0, le=100.0)
    care_renewal_penalty: Share = 0.6
    orphan_renewal_factor: Share = 0.3
    expansion_rate_annual: float = Field(0.10, ge=0.0, le=2.0)
    referral_rate_annual: float = Field(0.1, ge=0.0, le=10.0)
    pull_forward_win_factor: Share = 0.5
    pull_forward_slack: Share = 0.5
    care_memory_months: float = Field(6.0, ge=1.0, le=60.0)
    expansion_term_months: int = Field(12, ge=1, le=60)


class Thresholds(_Frozen):
    """When quarter-over-quarter swings count as whiplash (docs/model.md)."""

    boom_rise: float = Field(0.15, gt=0.0, le=10.0)
    bust_drop: float = Field(0.10, gt=0.0, lt=1.0)
    severe_drop: float = Field(0.25, gt=0.0, lt=1.0)
    mild_drawdown: float = Field(0.15, gt=0.0, lt=1.0)
    severe_drawdown: float = Field(0.30, gt=0.0, lt=1.0)
    boom_bust_window_quarters: int = Field(2, ge=1, le=8)
    coverage_warning: float = Field(0.85, gt=0.0, le=10.0)
    coverage_lookahead_months: int = Field(6, ge=1, le=24)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.severe_drop < self.bust_drop:
            raise ValueError("severe_drop must be at least bust_drop")
        if self.severe_drawdown < self.mild_drawdown:
            raise ValueError("severe_drawdown must be at least mild_drawdown")
        return self


def _default_lines() -> dict[str, ProductLine]:
    return {"core": ProductLine(name="Core product")}


class Scenario(_Frozen):
    """A complete what-if: plan, book, model constants and thresholds."""

    meta: Meta = Meta()
    simulation: Simulation = Simulation()
    team: Team = Team()
    effort: Effort = Effort()
    relationships: Relationships = Relationships()
    targets: Targets = Targets()
    product_lines: dict[str, ProductLine] = Field(
        default_factory=_default_lines, min_length=1, max_length=MAX_PRODUCT_LINES
    )
    contracts: tuple[Contract, ...] = Field((), max_length=MAX_CONTRACTS)
    pipeline: Pipeline = Pipeline()
    engagement: Engagement = Engagement()
    thresholds: Thresholds = Thresholds()

    @field_validator("product_lines")
    @classmethod
    def _line_ids(cls, lines: dict[str, ProductLine]) -> dict[str, ProductLine]:
        for line_id in lines:
            if not LINE_ID.match(line_id):
                raise ValueError(
                    f"product line id {line_id!r} must start with a lower-case letter and use "
                    "only a-z, 0-9 and _ (at most 32 characters)"
                )
        if sum(line.focus for line in lines.values()) <= 0:
            raise ValueError("at least one product line needs a focus above 0")
        return lines

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        start = month_index(self.simulation.start)
        for i, contract in enumerate(self.contracts):
            if contract.product_line not in self.product_lines:
                known = ", ".join(sorted(self.product_lines))
                raise ValueError(
                    f"contracts.{i}.product_line: {contract.product_line!r} is not a product "
                    f"line of this scenario (known: {known})"
                )
            if month_index(contract.ends) < start:
                raise ValueError(
                    f"contracts.{i}.ends: {contract.ends} is before simulation.start "
                    f"{self.simulation.start}; a contract in the book ends on or after the start"
                )
        cells = self.simulation.runs * self.simulation.months * len(self.product_lines)
        if cells > MAX_CELLS:
            raise ValueError(
                f"simulation.runs x simulation.months x product lines = {cells:,} is above the "
                f"limit of {MAX_CELLS:,}; lower the runs or the months"
            )
        budget.check(self)  # peak memory and time of one simulation (simulator/budget.py)
        return self

    # --- Derived values the engine and the UI share (no arithmetic in the UI).
    @property
    def line_ids(self) -> list[str]:
        return list(self.product_lines)

    @property
    def focus_shares(self) -> dict[str, float]:
        """Focus normalised to shares that sum to 1."""
        total = sum(line.focus for line in self.product_lines.values())
        return {k: line.focus / total for k, line in self.product_lines.items()}

    @property
    def prior_focus_shares(self) -> dict[str, float]:
        raw = {
            k: (line.prior_focus if line.prior_focus is not None else 1.0)
            for k, line in self.product_lines.items()
        }
        total = sum(raw.values())
        if total <= 0 or not math.isfinite(total):
            return {k: 1.0 / len(raw) for k in raw}
        return {k: v / total for k, v in raw.items()}

    @property
    def start_index(self) -> int:
        return month_index(self.simulation.start)

    def contract_end_offset(self, contract: Contract) -> int:
        """Months from the start to the contract's end month (0 = the first month)."""
        return month_index(contract.ends) - self.start_index

    def month_labels(self) -> list[str]:
        return [month_label(self.start_index + t) for t in range(self.simulation.months)]
