"""Validated, frozen scenario models: the public contract of a scenario file.

Every default the simulator uses is defined here, once; the app and the CLI read
them from these models. Field names are the scenario file's keys (see
``docs/scenario-format.md``), so an error can name the exact field a user wrote.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
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
MAX_CHANGES = 120
"""At most one change of plan a month over the longest horizon."""
MAX_DEAL_SIZE_CV = 3.0
SEASON_TOLERANCE = 0.01
"""How far the mean of twelve seasonal multipliers may be from 1."""
MAX_SEASON_FACTOR = 5.0
MAX_OPEN_DEALS = 1_000_000
"""Most open deals one product line may start with (``pipeline.open_deals``)."""

EFFORT_TOLERANCE = 0.001
"""How far the five effort shares may be from summing to 1 (rounding in hand-written files)."""

YEAR_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
"""A 'YYYY-MM' month in ASCII digits. Use ``fullmatch`` (``$`` alone also matches before
a trailing newline); the pattern stays valid JavaScript for the app's table editor."""
LINE_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
"""A product line id (ASCII); use ``fullmatch``, as for YEAR_MONTH."""
FIRST_YEAR = 1900
LAST_YEAR = 2200
"""The calendar a scenario may use: months from FIRST_YEAR-01 to LAST_YEAR-12."""
STAGES = ("attract", "close", "engage", "retain", "leverage")


class _Frozen(BaseModel):
    """Strict: a file's ``months = "36"`` or ``runs = true`` is an error, not a guess (a
    whole number is still accepted where a decimal is expected, e.g. ``reps = 12``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, strict=True)


def _check_year_month(value: str) -> str:
    if not isinstance(value, str) or not YEAR_MONTH.fullmatch(value):
        raise ValueError(f"{value!r} is not a month in the form YYYY-MM (e.g. 2013-01)")
    year = int(value[:4])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"{value!r}: the year must be between {FIRST_YEAR} and {LAST_YEAR}")
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


CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
"""An ISO 4217 currency code: three ASCII capitals (use ``fullmatch``)."""
MAX_SYMBOL = 6
CURRENCY_SYMBOLS: dict[str, tuple[str, bool]] = {
    "USD": ("$", False),
    "EUR": ("€", False),
    "GBP": ("£", False),
    "JPY": ("¥", False),
    "CNY": ("¥", False),
    "INR": ("₹", False),
    "CAD": ("CA$", False),
    "AUD": ("A$", False),
    "NZD": ("NZ$", False),
    "BRL": ("R$", False),
    "KRW": ("₩", False),
    "CHF": ("CHF", True),
    "DKK": ("kr.", True),
    "SEK": ("kr", True),
    "NOK": ("kr", True),
    "ISK": ("kr", True),
    "PLN": ("zł", True),
}
"""The usual symbol of common currencies and whether it follows the amount ("250k kr.");
any other code is its own symbol, after the amount ("250k XYZ")."""


def _symbol_character(char: str) -> bool:
    """Letters, currency signs and the dot of "kr.": nothing a chart label or a Markdown
    line could read as code."""
    return char == "." or unicodedata.category(char) in ("Lu", "Ll", "Lt", "Lo", "Sc")


class Currency(_Frozen):
    """The currency every money amount of the scenario is in. A label only: amounts are
    never converted. Give the ``code`` alone for the usual symbol (``CURRENCY_SYMBOLS``)."""

    code: str = Field("USD", description="ISO 4217 code, e.g. USD, EUR, DKK.")
    symbol: str = Field(
        "$", min_length=1, max_length=MAX_SYMBOL, description="Shown with every amount."
    )
    symbol_after: bool = Field(False, description="Write the symbol after the amount.")

    @model_validator(mode="before")
    @classmethod
    def _usual_symbol(cls, data: object) -> object:
        """A code without a symbol takes its usual one (and its usual place)."""
        if isinstance(data, dict) and "symbol" not in data and isinstance(data.get("code"), str):
            symbol, after = CURRENCY_SYMBOLS.get(data["code"], (data["code"], True))
            return {"symbol": symbol, "symbol_after": after, **data}
        if isinstance(data, dict) and "symbol_after" not in data:
            symbol = data.get("symbol")
            if isinstance(symbol, str) and symbol.replace(".", "").isalpha():
                return {"symbol_after": True, **data}  # a word such as "kr" follows
        return data

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not CURRENCY_CODE.fullmatch(value):
            raise ValueError(f"{value[:10]!r} is not a currency code such as USD, EUR or DKK")
        return value

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, value: str) -> str:
        if not all(_symbol_character(c) for c in value):
            raise ValueError(
                "a currency symbol is letters, a currency sign or a dot (e.g. $, €, kr.)"
            )
        return value


class Simulation(_Frozen):
    """Calendar and Monte Carlo settings."""

    start: YearMonth = "2012-01"
    months: int = Field(36, ge=3, le=MAX_MONTHS)
    runs: int = Field(1000, ge=1, le=MAX_RUNS)
    seed: int = Field(2012, ge=0, le=2**63 - 1)

    _start = field_validator("start")(_check_year_month)


class Team(_Frozen):
    """The sales team as a stock of people: headcount, how fast hires ramp, who leaves.

    Defaults: ramp 5 months is the median for account executives (docs/model.md cites the
    survey); attrition is off unless set (no survey-backed figure exists: a judgement the
    user makes); a leaver is replaced after ``backfill_months``.
    """

    reps: float = Field(10.0, gt=0.0, le=MAX_REPS)
    ramp_months: int = Field(
        5, ge=0, le=36, description="A new rep's productivity rises linearly to 100% over these."
    )
    attrition_annual: float = Field(
        0.0, ge=0.0, le=3.0, description="Share of reps who leave in a year, drawn per run."
    )
    backfill_months: int = Field(
        3, ge=0, le=MAX_MONTHS, description="Months until a leaver is replaced (who then ramps)."
    )


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
    """Optional targets: revenue (without it the run-rate is the yardstick) and the
    new-business quota that ``[policy]`` reacts to."""

    # At least 1, as deal sizes: attainment and coverage divide by a target, and a
    # target of 1e-313 made a quarter's attainment overflow to infinity.
    quarterly_revenue: float | None = Field(None, ge=1.0, le=1e13)
    quarterly_bookings: float | None = Field(
        None, ge=1.0, le=1e13, description="The new-business quota: bookings a quarter."
    )


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
    deal_size_cv: float = Field(
        0.0,
        ge=0.0,
        le=MAX_DEAL_SIZE_CV,
        description="Spread of deal sizes: standard deviation / mean (lognormal); 0 = all equal.",
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


OpenDealsByAge = Annotated[
    tuple[Annotated[int, Field(ge=0, le=MAX_OPEN_DEALS)], ...],
    Field(max_length=MAX_MONTHS, strict=False),
]
"""Open deals of one line by age, youngest first: opened 1, 2, ... months before the start."""


class Pipeline(_Frozen):
    """How the pipeline looks on day one: the warm start's steady past, or the real open
    deals (``open_deals``, e.g. from ``whiplash calibrate``)."""

    warm_start: bool = True
    prior_attract: Share = Field(
        0.25, description="Share of effort spent prospecting before the start (warm pipeline)."
    )
    open_deals: dict[str, OpenDealsByAge] | None = Field(
        None,
        max_length=MAX_PRODUCT_LINES,
        description="Open deals per line by age, youngest first; replaces the random draw.",
    )

    @field_validator("open_deals")
    @classmethod
    def _bounded_lines(cls, deals: dict[str, tuple[int, ...]] | None):
        for line_id, counts in (deals or {}).items():
            if sum(counts) > MAX_OPEN_DEALS:
                raise ValueError(
                    f"{line_id!r} has {sum(counts):,} open deals; the limit a line is "
                    f"{MAX_OPEN_DEALS:,}"
                )
        return deals


class Engagement(_Frozen):
    """Model constants for care, relationships and leverage (docs/model.md gives sources)."""

    onboarding_effort_per_client: float = Field(0.3, ge=0.0, le=100.0)
    care_effort_per_account: float = Field(0.01, ge=0.0, le=100.0)
    leverage_effort_per_account: float = Field(0.01, ge=0.0, le=100.0)
    care_renewal_penalty: Share = 0.6
    orphan_renewal_factor: Share = 0.5
    expansion_rate_annual: float = Field(0.15, ge=0.0, le=2.0)
    referral_rate_annual: float = Field(0.1, ge=0.0, le=10.0)
    pull_forward_win_factor: Share = 0.5
    pull_forward_slack: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Idle closing capacity tolerated before closers pull young deals forward; "
        "not set: they pull only while management pushes ([policy]).",
    )
    care_memory_months: float = Field(6.0, ge=1.0, le=60.0)

    @model_validator(mode="before")
    @classmethod
    def _removed_fields(cls, data: object) -> object:
        """A field an older version had: say what replaced it rather than 'unknown'."""
        if isinstance(data, dict) and "expansion_term_months" in data:
            raise ValueError(
                "expansion_term_months is no longer used: add-ons now renew with their "
                "contract and leave with it (docs/model.md, section 6); remove the line"
            )
        return data


class Policy(_Frozen):
    """How management reacts to a shortfall: the feedback loop of docs/model.md. Off
    unless ``quarter_end_push`` is above 0."""

    quarter_end_push: Share = Field(
        0.0, description="Share of prospecting time moved to closing while the quarter trails."
    )
    push_trigger: float = Field(
        0.9,
        gt=0.0,
        le=2.0,
        description="Quarter-to-date bookings / pro-rata quota below which the push starts.",
    )
    perception_delay_months: int = Field(
        1,
        ge=1,  # a month's bookings are known at its end: the push can start the next month
        le=2,
        description="Months before management sees a month's bookings.",
    )

    @property
    def active(self) -> bool:
        return self.quarter_end_push > 0


SeasonFactors = Annotated[
    tuple[Annotated[float, Field(ge=0.0, le=MAX_SEASON_FACTOR)], ...],
    Field(min_length=12, max_length=12, strict=False),
]


def _mean_one(values: tuple[float, ...] | None) -> tuple[float, ...] | None:
    if values is not None:
        mean = sum(values) / len(values)
        if abs(mean - 1.0) > SEASON_TOLERANCE:
            raise ValueError(
                f"the twelve monthly multipliers (January first) must average 1; "
                f"they average {mean:.4g}"
            )
    return values


SEASONAL_PATTERNS: dict[str, tuple[float, ...] | None] = {
    "none": None,
    "fiscal_q4": (0.9, 0.9, 1.0, 0.95, 0.95, 1.0, 0.9, 0.9, 1.0, 1.05, 1.15, 1.3),
    "summer_dip": (1.05, 1.05, 1.1, 1.05, 1.05, 0.95, 0.7, 0.75, 1.1, 1.1, 1.1, 1.0),
}
"""Named lead-flow patterns the app offers (January first, each averages 1); judgement."""


class Seasonality(_Frozen):
    """Monthly multipliers by calendar month (January first, mean 1)."""

    leads: SeasonFactors | None = Field(None, description="Lead flow (new opportunities).")
    decisions: SeasonFactors | None = Field(
        None, description="Buyers' decisions (closing capacity), e.g. a fiscal year-end."
    )

    _leads = field_validator("leads")(_mean_one)
    _decisions = field_validator("decisions")(_mean_one)


class History(_Frozen):
    """The habits of the past, which built the starting pipeline and book (warm start).

    Without ``[history]`` the past is a steady one: prospecting at
    ``pipeline.prior_attract``, full care, typical relationships, closing that kept up.
    """

    effort: Effort = Effort()
    contacts_per_account: int = Field(3, ge=1, le=20)


class ChangeTargets(_Frozen):
    """Targets from a change's month on; a field left out keeps its value."""

    quarterly_revenue: float | None = Field(None, ge=1.0, le=1e13)  # as Targets
    quarterly_bookings: float | None = Field(None, ge=1.0, le=1e13)


class Change(_Frozen):
    """The plan from a month on: any subset of the fields; later changes win."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: YearMonth = Field(..., alias="from")
    reps: float | None = Field(
        None,
        gt=0.0,
        le=MAX_REPS,
        description="Headcount from then on: hires ramp, cuts are at once.",
    )
    effort: Effort | None = None
    focus: dict[str, Annotated[float, Field(ge=0.0, le=1e6)]] | None = Field(
        None, max_length=MAX_PRODUCT_LINES
    )
    contacts_per_account: int | None = Field(None, ge=1, le=20)
    targets: ChangeTargets | None = None

    _from = field_validator("from_")(_check_year_month)


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


@dataclass(frozen=True)
class PlanPeriod:
    """The plan in force over a stretch of months (see ``Scenario.plan_periods``)."""

    reps: float
    effort: Effort
    focus: dict[str, float]  # raw focus weights per line, file order
    contacts_per_account: int
    targets: Targets

    @property
    def focus_shares(self) -> dict[str, float]:
        total = sum(self.focus.values())
        return {k: v / total for k, v in self.focus.items()}


class Scenario(_Frozen):
    """A complete what-if: plan, book, model constants and thresholds."""

    meta: Meta = Meta()
    currency: Currency = Currency()
    simulation: Simulation = Simulation()
    team: Team = Team()
    effort: Effort = Effort()
    relationships: Relationships = Relationships()
    targets: Targets = Targets()
    product_lines: dict[str, ProductLine] = Field(
        default_factory=_default_lines, min_length=1, max_length=MAX_PRODUCT_LINES
    )
    contracts: tuple[Contract, ...] = Field(
        (),
        max_length=MAX_CONTRACTS,
        strict=False,  # a file's list; each contract is strict
    )
    pipeline: Pipeline = Pipeline()
    engagement: Engagement = Engagement()
    thresholds: Thresholds = Thresholds()
    changes: tuple[Change, ...] = Field(
        (),
        max_length=MAX_CHANGES,
        strict=False,  # a file's list; each change is strict
    )
    policy: Policy = Policy()
    seasonality: Seasonality = Seasonality()
    history: History | None = None

    @field_validator("product_lines")
    @classmethod
    def _line_ids(cls, lines: dict[str, ProductLine]) -> dict[str, ProductLine]:
        for line_id in lines:
            if not LINE_ID.fullmatch(line_id):
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
        for line_id in self.pipeline.open_deals or {}:
            if line_id not in self.product_lines:
                known = ", ".join(sorted(self.product_lines))
                raise ValueError(
                    f"pipeline.open_deals: {line_id!r} is not a product line of this "
                    f"scenario (known: {known})"
                )
        self._check_changes(start)
        cells = self.simulation.runs * self.simulation.months * len(self.product_lines)
        if cells > MAX_CELLS:
            raise ValueError(
                f"simulation.runs x simulation.months x product lines = {cells:,} is above the "
                f"limit of {MAX_CELLS:,}; lower the runs or the months"
            )
        budget.check(self)  # peak memory and time of one simulation (simulator/budget.py)
        return self

    def _check_changes(self, start: int) -> None:
        end = start + self.simulation.months
        for i, change in enumerate(self.changes):
            at = month_index(change.from_)
            if not start <= at < end:
                raise ValueError(
                    f"changes.{i}.from: {change.from_} is outside the simulated months "
                    f"{month_label(start)} to {month_label(end - 1)}"
                )
            for line_id in change.focus or {}:
                if line_id not in self.product_lines:
                    known = ", ".join(sorted(self.product_lines))
                    raise ValueError(
                        f"changes.{i}.focus: {line_id!r} is not a product line of this "
                        f"scenario (known: {known})"
                    )
        for _, plan, i in self._periods():
            if i is not None and sum(plan.focus.values()) <= 0:
                raise ValueError(
                    f"changes.{i}.focus: at least one product line needs a focus above 0"
                )
        if self.policy.active and not any(
            plan.targets.quarterly_bookings for _, plan in self.plan_periods()
        ):
            raise ValueError(
                "policy.quarter_end_push needs targets.quarterly_bookings, the new-business "
                "quota the push reacts to"
            )

    def plan_periods(self) -> list[tuple[int, PlanPeriod]]:
        """The plan in force from each month it changes: (month offset, plan), the first
        at month 0; changes apply in order of their month, and a later one in the file wins
        within a month. Fields a change leaves out keep their value."""
        return [(at, plan) for at, plan, _ in self._periods()]

    def _periods(self) -> list[tuple[int, PlanPeriod, int | None]]:
        """``plan_periods`` with the index of the change that made each one (None: the
        opening plan)."""
        plan = PlanPeriod(
            reps=self.team.reps,
            effort=self.effort,
            focus={k: line.focus for k, line in self.product_lines.items()},
            contacts_per_account=self.relationships.contacts_per_account,
            targets=self.targets,
        )
        periods: list[tuple[int, PlanPeriod, int | None]] = [(0, plan, None)]
        start = month_index(self.simulation.start)
        order = sorted(range(len(self.changes)), key=lambda i: month_index(self.changes[i].from_))
        for i in order:
            change = self.changes[i]
            targets = plan.targets
            if change.targets is not None:
                targets = targets.model_copy(update=change.targets.model_dump(exclude_none=True))
            plan = PlanPeriod(
                reps=change.reps if change.reps is not None else plan.reps,
                effort=change.effort or plan.effort,
                focus={**plan.focus, **(change.focus or {})},
                contacts_per_account=change.contacts_per_account or plan.contacts_per_account,
                targets=targets,
            )
            at = month_index(change.from_) - start
            if periods[-1][0] == at:
                periods[-1] = (at, plan, i)
            else:
                periods.append((at, plan, i))
        return periods

    @property
    def change_months(self) -> list[str]:
        """The 'YYYY-MM' months at which the plan changes (for chart markers)."""
        return sorted({change.from_ for change in self.changes})

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

    def contacts_of(self, contract: Contract) -> int:
        """A contract's buyer contacts: its own number, else the per-account figure."""
        if contract.contacts is not None:
            return contract.contacts
        return self.relationships.contacts_per_account

    def month_labels(self) -> list[str]:
        return [month_label(self.start_index + t) for t in range(self.simulation.months)]
