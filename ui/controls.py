"""The sidebar's controls: widget keys, ranges, and widgets <-> the levers of a scenario.

Each control group is the widgets one callback re-validates together; it sets levers of
:mod:`simulator.levers` (the registry says which group sets which lever), so a rejected
move names the field and changes nothing. Pure functions of a scenario and a mapping of
widget values: the tests drive them with dicts. Ranges and defaults come from
:mod:`simulator.models`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from pydantic import BaseModel

from simulator import ResultSummary, Scenario, ScenarioError, levers
from simulator.models import (
    CURRENCY_SYMBOLS,
    SEASONAL_PATTERNS,
    STAGES,
    Contract,
    Currency,
    Effort,
    Policy,
    month_index,
)
from simulator.money import format_money, parse_money, using_currency

MAX_CONTRACT_SLIDERS = 12
"""Contracts with their own sliders (the largest by value); the table edits all of them."""

MAX_SAFE_INT = 2**53 - 1
"""Largest whole number a browser widget holds exactly."""

# --- Widget keys.
W_NEW_BUSINESS = "w_new_business"
W_CLOSING = "w_closing"
W_ENGAGE = "w_engage"
W_RETAIN = "w_retain"
W_LEVERAGE = "w_leverage"
W_FOCUS_SPLIT = "w_focus_split"
W_CONTACTS = "w_contacts"
W_TURNOVER = "w_turnover"
W_RUNS = "w_runs"
W_MONTHS = "w_months"
W_SEED = "w_seed"
W_REPS = "w_reps"
W_RAMP = "w_ramp"
W_ATTRITION = "w_attrition"
W_BACKFILL = "w_backfill"
W_SEASON = "w_season"
W_SEASON_CUSTOM = "w_season_custom"
W_PUSH = "w_push"
W_PUSH_TRIGGER = "w_push_trigger"
W_PUSH_DELAY = "w_push_delay"
W_QUOTA = "w_quota"
W_REVENUE_TARGET = "w_co_revenue"
W_COMPANY_QUOTA = "w_co_quota"
W_START = "w_co_start"
W_CURRENCY = "w_co_currency"
W_SYMBOL = "w_co_symbol"
W_SYMBOL_AFTER = "w_co_symbol_after"
EFFORT_KEYS = (W_NEW_BUSINESS, W_CLOSING, W_ENGAGE, W_RETAIN, W_LEVERAGE)
REST_STAGES = ("engage", "retain", "leverage")


def focus_key(line_id: str) -> str:
    return f"w_focus_{line_id}"


def line_key(line_id: str, field: str) -> str:
    """A product line's widget on the company page (``field`` of LINE_CONTROLS)."""
    return f"w_line_{line_id}_{field}"


def end_key(index: int) -> str:
    return f"w_end_{index}"


def contacts_key(index: int) -> str:
    return f"w_cc_{index}"


# --- Field ranges and defaults, read from the models.
@dataclass(frozen=True)
class FieldRange:
    """A field's allowed range and default, as declared in simulator.models."""

    low: float | None
    high: float | None
    default: Any
    max_length: int | None = None


def limits(model: type[BaseModel], name: str) -> FieldRange:
    """Read ``ge``/``gt`` and ``le``/``lt`` bounds, text length and default of a model field."""
    info = model.model_fields[name]
    low = high = max_length = None
    for item in info.metadata:
        if getattr(item, "max_length", None) is not None:
            max_length = item.max_length
        for attr in ("ge", "gt"):
            if getattr(item, attr, None) is not None:
                low = getattr(item, attr)
        for attr in ("le", "lt"):
            if getattr(item, attr, None) is not None:
                high = getattr(item, attr)
    return FieldRange(low=low, high=high, default=info.default, max_length=max_length)


def _round(value: float) -> float:
    """Six decimals: exact enough for any plan, and files stay readable."""
    return round(float(value), 6) + 0.0


def _as_float(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


# --- Effort: five shares that always sum to 100%.
@dataclass(frozen=True)
class EffortControls:
    """The effort sliders: how a plan's time is set without ever breaking the 100% total."""

    new_business: float
    """Percent of all time on new business (prospecting + closing)."""
    closing: float
    """Percent of the new-business time spent closing (the rest is prospecting)."""
    engage: float
    retain: float
    leverage: float
    """Relative weights of the remaining time over onboarding, care and up-sell (0-100)."""


def _default_effort() -> dict[str, float]:
    return {stage: limits(Effort, stage).default for stage in STAGES}


def effort_controls(effort: Effort) -> EffortControls:
    """Slider positions that reproduce ``effort`` exactly."""
    shares = effort.as_dict()
    defaults = _default_effort()
    new_business = shares["attract"] + shares["close"]
    if new_business > 0:
        closing = shares["close"] / new_business
    else:
        closing = defaults["close"] / (defaults["attract"] + defaults["close"])
    rest = sum(shares[s] for s in REST_STAGES)
    source = shares if rest > 0 else defaults
    rest_total = sum(source[s] for s in REST_STAGES)
    weights = {s: source[s] / rest_total * 100 for s in REST_STAGES}
    return EffortControls(new_business=new_business * 100, closing=closing * 100, **weights)


def effort_from_controls(controls: EffortControls) -> Effort:
    """The five shares the sliders mean, normalised so they sum to 100%."""
    new_business = min(max(_as_float(controls.new_business, 0.0) / 100, 0.0), 1.0)
    closing = min(max(_as_float(controls.closing, 0.0) / 100, 0.0), 1.0)
    weights = {s: max(_as_float(getattr(controls, s), 0.0), 0.0) for s in REST_STAGES}
    total = sum(weights.values())
    if total <= 1e-9:  # all at zero (or vanishingly small): fall back to the default mix
        weights = {s: _default_effort()[s] for s in REST_STAGES}
        total = sum(weights.values())
    rest = 1.0 - new_business
    shares = {
        "attract": new_business * (1.0 - closing),
        "close": new_business * closing,
        **{s: rest * (weights[s] / total) for s in REST_STAGES},
    }
    return Effort(**{s: _round(v) for s, v in shares.items()})


# --- Which contracts get sliders.
def contracts_with_sliders(scenario: Scenario) -> list[int]:
    """Indexes of the contracts that get sliders: the largest, in the book's order."""
    ranked = sorted(
        range(len(scenario.contracts)), key=lambda i: -scenario.contracts[i].annual_value
    )
    return sorted(ranked[:MAX_CONTRACT_SLIDERS])


def end_month_options(scenario: Scenario, contract: Contract) -> list[str]:
    """The months an end-date slider offers: the horizon, plus the current end if later."""
    options = scenario.month_labels()
    if contract.ends not in options:
        options = sorted({*options, contract.ends}, key=month_index)
    return options


# --- Control groups: widgets -> levers. --------------------------------------------------


@dataclass(frozen=True)
class ControlGroup:
    """The widgets of one group and how their values become lever values."""

    keys: Callable[[Scenario, int | None], list[str]]
    """The group's widget keys (``index``: the contract, for the per-contract groups)."""
    show: Callable[[Scenario, int | None], dict[str, Any]]
    """Every widget's value for the scenario."""
    read: Callable[[Scenario, int | None, Mapping[str, Any]], dict[str, Any]]
    """Lever values (by lever name) from the widgets' values."""
    per_contract: bool = False
    keep_while_moving: bool = False
    """Leave the moved widgets as the user set them (no snapping while dragging)."""
    keep_on_error: bool = False
    """Leave the group's widgets as the user set them when the move is refused (typed
    text to correct, rather than retype)."""


def _effort_read(scenario: Scenario, _: int | None, values: Mapping[str, Any]) -> dict:
    controls = EffortControls(
        new_business=values[W_NEW_BUSINESS],
        closing=values[W_CLOSING],
        engage=values[W_ENGAGE],
        retain=values[W_RETAIN],
        leverage=values[W_LEVERAGE],
    )
    effort = effort_from_controls(controls)
    return {"effort": tuple(getattr(effort, s) for s in STAGES)}


def _effort_show(scenario: Scenario, _: int | None) -> dict[str, Any]:
    controls = effort_controls(scenario.effort)
    return {
        W_NEW_BUSINESS: controls.new_business,
        W_CLOSING: controls.closing,
        W_ENGAGE: controls.engage,
        W_RETAIN: controls.retain,
        W_LEVERAGE: controls.leverage,
    }


def _focus_keys(scenario: Scenario, _: int | None) -> list[str]:
    lines = scenario.line_ids
    if len(lines) == 2:
        return [W_FOCUS_SPLIT]
    return [focus_key(line) for line in lines] if len(lines) > 2 else []


def _focus_show(scenario: Scenario, _: int | None) -> dict[str, Any]:
    shares = scenario.focus_shares
    lines = scenario.line_ids
    if len(lines) == 2:
        return {W_FOCUS_SPLIT: shares[lines[0]] * 100}
    if len(lines) > 2:
        return {focus_key(line): shares[line] * 100 for line in lines}
    return {}


def _focus_read(scenario: Scenario, _: int | None, values: Mapping[str, Any]) -> dict:
    lines = scenario.line_ids
    if len(lines) == 2:
        first = min(max(_as_float(values[W_FOCUS_SPLIT], 0.0) / 100, 0.0), 1.0)
        focus = (_round(first), _round(1.0 - first))
    else:
        focus = tuple(
            _round(max(_as_float(values[focus_key(line)], 0.0), 0.0) / 100) for line in lines
        )
    return {"focus": focus}


def _relationships_read(scenario: Scenario, _: int | None, values: Mapping[str, Any]) -> dict:
    contacts = levers.lever("contacts").read(scenario)
    return {
        "contacts": replace(contacts, per_account=int(values[W_CONTACTS])),
        "turnover": _round(_as_float(values[W_TURNOVER], math.nan) / 100),
    }


def _contract_show(scenario: Scenario, i: int | None) -> dict[str, Any]:
    assert i is not None
    contract = scenario.contracts[i]
    return {end_key(i): contract.ends, contacts_key(i): scenario.contacts_of(contract)}


def _contract_read(scenario: Scenario, i: int | None, values: Mapping[str, Any]) -> dict:
    assert i is not None
    ends = list(levers.lever("renewal_dates").read(scenario))
    ends[i] = levers.end_offset(scenario, str(values[end_key(i)]), name=f"contracts.{i}.ends")
    out: dict[str, Any] = {"renewal_dates": tuple(ends)}
    count = int(values[contacts_key(i)])
    if count != scenario.contacts_of(scenario.contracts[i]):
        # An untouched slider keeps following the contacts per account.
        contacts = levers.lever("contacts").read(scenario)
        own = (*contacts.contracts[:i], count, *contacts.contracts[i + 1 :])
        out["contacts"] = replace(contacts, contracts=own)
    return out


def _simulation_read(scenario: Scenario, _: int | None, values: Mapping[str, Any]) -> dict:
    out = {"months": int(values[W_MONTHS]), "runs": int(values[W_RUNS])}
    seed = int(values[W_SEED])
    if seed != min(scenario.simulation.seed, MAX_SAFE_INT):  # a huge seed is shown capped
        out["seed"] = seed
    return out


def _team_read(scenario: Scenario, _: int | None, values: Mapping[str, Any]) -> dict:
    return {
        "team": (
            _as_float(values[W_REPS], math.nan),
            int(values[W_RAMP]),
            _round(_as_float(values[W_ATTRITION], math.nan) / 100),
            int(values[W_BACKFILL]),
        )
    }


# --- Seasonality: a named pattern or twelve custom multipliers.
CUSTOM_SEASON = "custom"
SEASON_CHOICES = {
    "none": "None (the same every month)",
    "fiscal_q4": "Fiscal year-end (Q4 high)",
    "summer_dip": "Summer dip",
    CUSTOM_SEASON: "Custom (12 values)",
}
"""The seasonality choices: ``models.SEASONAL_PATTERNS`` and custom multipliers."""
assert set(SEASON_CHOICES) == {*SEASONAL_PATTERNS, CUSTOM_SEASON}


def season_text(values: tuple[float, ...] | None) -> str:
    """Twelve multipliers as the custom box shows them ('0.9, 0.9, 1, ...'); flat if None."""
    return ", ".join(levers.format_number(v) for v in values or (1.0,) * 12)


def _season_show(scenario: Scenario, _: int | None) -> dict[str, Any]:
    leads = scenario.seasonality.leads
    return {
        W_SEASON: levers.season_name(leads) or CUSTOM_SEASON,
        W_SEASON_CUSTOM: season_text(leads),
    }


def _season_read(scenario: Scenario, _: int | None, values: Mapping[str, Any]) -> dict:
    choice = values[W_SEASON]
    if choice == CUSTOM_SEASON:
        leads = tuple(levers.parse_numbers(str(values[W_SEASON_CUSTOM]), 12, "seasonality.leads"))
    else:
        leads = SEASONAL_PATTERNS[choice]
    season = scenario.seasonality.model_copy(update={"leads": leads})
    return {"season": season}


# --- Management pressure: the quarter-end push and its quota.
def _pressure_show(scenario: Scenario, _: int | None) -> dict[str, Any]:
    policy = scenario.policy
    return {
        W_PUSH: policy.quarter_end_push * 100,
        W_PUSH_TRIGGER: policy.push_trigger * 100,
        W_PUSH_DELAY: policy.perception_delay_months,
        W_QUOTA: scenario.targets.quarterly_bookings,
    }


def _pressure_read(scenario: Scenario, _: int | None, values: Mapping[str, Any]) -> dict:
    policy = Policy.model_construct(
        quarter_end_push=_round(_as_float(values[W_PUSH], math.nan) / 100),
        push_trigger=_round(_as_float(values[W_PUSH_TRIGGER], math.nan) / 100),
        perception_delay_months=int(values[W_PUSH_DELAY]),
    )
    quota = values[W_QUOTA]
    quota = None if quota is None else _as_float(quota, math.nan)
    return {"pressure": levers.Pressure(policy=policy, quota=quota)}


def needs_quota(scenario: Scenario, values: Mapping[str, Any]) -> bool:
    """True when the push is being turned on and no quota is set anywhere in the plan."""
    return (
        _as_float(values.get(W_PUSH), 0.0) > 0
        and values.get(W_QUOTA) is None
        and not any(plan.targets.quarterly_bookings for _, plan in scenario.plan_periods())
    )


def suggested_quota(result: ResultSummary) -> float | None:
    """A quota for a plan without one: the median bookings of its quarters (the median
    run's), to two significant figures. None when the plan books nothing, or less than
    the smallest quota a scenario takes (1, ``Targets``)."""
    quarterly = result.quarterly
    # In numpy: pandas' comparison on the str column costs about 10 ms the first time on
    # a frame fresh from the cache, that is on every rerun, and its boolean pick and
    # median another 1 ms. Series.median is np.nanmedian of the values that are not NaN
    # (pandas.core.nanops.nanmedian), so this is the same number.
    rows = quarterly["p50"].to_numpy()[quarterly["series"].to_numpy() == "bookings"]
    if not rows.size:
        return None
    typical = float(np.nanmedian(rows[~np.isnan(rows)]))
    if not math.isfinite(typical) or typical < 1.0:
        return None
    digits = 1 - math.floor(math.log10(typical))
    return float(round(typical, digits))


# --- The company: product lines, targets, currency and the start month.
LINE_CONTROLS = (
    "name",
    "deal_size",
    "sales_cycle_months",
    "win_rate",
    "term_months",
    "renewal_rate",
    "leads_per_rep_month",
    "close_effort_per_deal",
    "deal_size_cv",
)
"""A line's fields the company page edits, in its order (focus is the sidebar's)."""
PERCENT_FIELDS = ("win_rate", "renewal_rate")
WHOLE_FIELDS = ("sales_cycle_months", "term_months")
MONEY_FIELDS = ("deal_size",)


def money_cell(value: float | None) -> str:
    """An amount as its text box shows it ('50k'; blank when not set)."""
    return "" if value is None else format_money(value)


def read_money(text: Any, field: str, *, optional: bool = False) -> float | None:
    """A typed amount ('250k', '1.2M', '€1,200,000'); ScenarioError naming ``field``."""
    shown = str(text if text is not None else "").strip()
    if optional and not shown:
        return None
    try:
        return parse_money(shown)
    except ValueError as exc:
        raise ScenarioError(f"{field}: {levers.shorten(shown, 30)} {exc}") from None


def _whole(value: Any, field: str) -> int:
    number = _as_float(value, math.nan)
    if not number.is_integer():
        raise ScenarioError(f"{field}: {value!r} is not a whole number")
    return int(number)


def _company_keys(scenario: Scenario, _: int | None) -> list[str]:
    lines = [line_key(i, f) for i in scenario.line_ids for f in LINE_CONTROLS]
    return [
        *lines,
        W_REVENUE_TARGET,
        W_COMPANY_QUOTA,
        W_START,
        W_CURRENCY,
        W_SYMBOL,
        W_SYMBOL_AFTER,
    ]


def _line_show(field: str, value: Any) -> Any:
    if field in MONEY_FIELDS:
        return money_cell(value)
    if field in PERCENT_FIELDS:
        return value * 100
    if field in WHOLE_FIELDS:
        return int(value)
    return value if field == "name" else float(value)


def _company_show(scenario: Scenario, _: int | None) -> dict[str, Any]:
    shown: dict[str, Any] = {
        line_key(line_id, f): _line_show(f, getattr(line, f))
        for line_id, line in scenario.product_lines.items()
        for f in LINE_CONTROLS
    }
    currency = scenario.currency
    shown.update(
        {
            W_REVENUE_TARGET: money_cell(scenario.targets.quarterly_revenue),
            W_COMPANY_QUOTA: money_cell(scenario.targets.quarterly_bookings),
            W_START: scenario.simulation.start,
            W_CURRENCY: currency.code,
            W_SYMBOL: currency.symbol,
            W_SYMBOL_AFTER: currency.symbol_after,
        }
    )
    return shown


def _line_read(line_id: str, field: str, value: Any) -> Any:
    name = f"product_lines.{line_id}.{field}"
    if field == "name":
        return str(value if value is not None else "").strip()
    if field in MONEY_FIELDS:
        return read_money(value, name)
    if field in WHOLE_FIELDS:
        return _whole(value, name)
    number = _as_float(value, math.nan)
    return _round(number / 100) if field in PERCENT_FIELDS else number


def _currency_read(scenario: Scenario, values: Mapping[str, Any]) -> Currency:
    """The typed currency; a new code with the old symbol takes the code's own symbol."""
    code = str(values[W_CURRENCY] or "").strip().upper()
    symbol = str(values[W_SYMBOL] or "").strip()
    after = bool(values[W_SYMBOL_AFTER])
    now = scenario.currency
    if code != now.code and (symbol, after) == (now.symbol, now.symbol_after):
        symbol, after = CURRENCY_SYMBOLS.get(code, (code, True))
    return Currency.model_construct(code=code, symbol=symbol, symbol_after=after)


def _company_read(scenario: Scenario, _: int | None, values: Mapping[str, Any]) -> dict:
    with using_currency(scenario.currency):  # "250k kr." reads in the plan's own currency
        lines = tuple(
            (
                line_id,
                line.model_copy(
                    update={
                        f: _line_read(line_id, f, values[line_key(line_id, f)])
                        for f in LINE_CONTROLS
                    }
                ),
            )
            for line_id, line in scenario.product_lines.items()
        )
        revenue = read_money(values[W_REVENUE_TARGET], "targets.quarterly_revenue", optional=True)
        quota = read_money(values[W_COMPANY_QUOTA], "targets.quarterly_bookings", optional=True)
    return {
        "currency": _currency_read(scenario, values),
        "start": str(values[W_START] or "").strip(),
        "lines": lines,
        "revenue_target": revenue,
        "pressure": levers.Pressure(policy=scenario.policy, quota=quota),
    }


def _timeline_read(scenario: Scenario, _: int | None, values: Mapping[str, Any]) -> dict:
    from .timeline import changes_with_draft  # the timeline reads this module's effort controls

    return {"changes": changes_with_draft(scenario, values)}


CONTROL_GROUPS: dict[str, ControlGroup] = {
    "effort": ControlGroup(
        keys=lambda s, _: list(EFFORT_KEYS),
        show=_effort_show,
        read=_effort_read,
        keep_while_moving=True,
    ),
    "focus": ControlGroup(
        keys=_focus_keys, show=_focus_show, read=_focus_read, keep_while_moving=True
    ),
    "relationships": ControlGroup(
        keys=lambda s, _: [W_CONTACTS, W_TURNOVER],
        show=lambda s, _: {
            W_CONTACTS: s.relationships.contacts_per_account,
            W_TURNOVER: s.relationships.champion_turnover * 100,
        },
        read=_relationships_read,
    ),
    "contract": ControlGroup(
        keys=lambda s, i: [end_key(i), contacts_key(i)],
        show=_contract_show,
        read=_contract_read,
        per_contract=True,
    ),
    "simulation": ControlGroup(
        keys=lambda s, _: [W_RUNS, W_MONTHS, W_SEED],
        show=lambda s, _: {
            W_RUNS: s.simulation.runs,
            W_MONTHS: s.simulation.months,
            W_SEED: min(s.simulation.seed, MAX_SAFE_INT),
        },
        read=_simulation_read,
    ),
    "team": ControlGroup(
        keys=lambda s, _: [W_REPS, W_RAMP, W_ATTRITION, W_BACKFILL],
        show=lambda s, _: {
            W_REPS: float(s.team.reps),
            W_RAMP: s.team.ramp_months,
            W_ATTRITION: s.team.attrition_annual * 100,
            W_BACKFILL: s.team.backfill_months,
        },
        read=_team_read,
    ),
    "season": ControlGroup(
        keys=lambda s, _: [W_SEASON, W_SEASON_CUSTOM],
        show=_season_show,
        read=_season_read,
        keep_on_error=True,
    ),
    "pressure": ControlGroup(
        keys=lambda s, _: [W_PUSH, W_PUSH_TRIGGER, W_PUSH_DELAY, W_QUOTA],
        show=_pressure_show,
        read=_pressure_read,
    ),
    "company": ControlGroup(keys=_company_keys, show=_company_show, read=_company_read),
    "timeline": ControlGroup(
        keys=lambda s, _: [],  # a draft (ui/timeline.py): the scenario does not move it
        show=lambda s, _: {},
        read=_timeline_read,
    ),
}
"""The app's control groups by name; simulator/levers.py names the group of each lever."""


def group_levers(group: str) -> list[str]:
    """The levers a control group sets (as the registry declares them)."""
    return [lever.name for lever in levers.LEVERS if group in lever.groups]


def _instances(scenario: Scenario) -> list[tuple[str, str, int | None]]:
    """(widget group name, control group, contract index) for every group on the page."""
    out: list[tuple[str, str, int | None]] = []
    for name, group in CONTROL_GROUPS.items():
        if group.per_contract:
            out += [(f"{name}:{i}", name, i) for i in contracts_with_sliders(scenario)]
        elif group.keys(scenario, None):
            out.append((name, name, None))
    return out


def _parse_group(scenario: Scenario, group: str) -> tuple[ControlGroup, int | None]:
    name, _, index = group.partition(":")
    control = CONTROL_GROUPS.get(name)
    if control is None or control.per_contract != bool(index):
        raise ValueError(f"unknown control group {group!r}")
    if not index:
        return control, None
    i = int(index)
    if not 0 <= i < len(scenario.contracts):
        raise ValueError(f"unknown control group {group!r}")
    return control, i


def widget_groups(scenario: Scenario) -> dict[str, list[str]]:
    """Widget keys by the group a callback re-validates together."""
    return {
        name: CONTROL_GROUPS[control].keys(scenario, i) for name, control, i in _instances(scenario)
    }


def widget_values(scenario: Scenario) -> dict[str, Any]:
    """Every widget's value for ``scenario`` (keys as in :func:`widget_groups`)."""
    values: dict[str, Any] = {}
    for _, control, i in _instances(scenario):
        values.update(CONTROL_GROUPS[control].show(scenario, i))
    return values


def keeps_while_moving(group: str) -> bool:
    """True for groups whose moved widgets stay where the user put them."""
    control = CONTROL_GROUPS.get(group.partition(":")[0])
    return control is not None and control.keep_while_moving


def keeps_on_error(group: str) -> bool:
    """True for groups whose widgets keep what the user set when the move is refused."""
    control = CONTROL_GROUPS.get(group.partition(":")[0])
    return control is not None and control.keep_on_error


def apply_group(scenario: Scenario, group: str, values: Mapping[str, Any]) -> Scenario:
    """The scenario with one group of widget values applied and re-validated."""
    control, index = _parse_group(scenario, group)
    return levers.apply(scenario, control.read(scenario, index, values))


# --- One-click fixes.
def stagger_renewals(scenario: Scenario) -> Scenario:
    """Spread the contracts' end dates over the quarters of a year, largest first: the
    same calendar the diagnosis neutralises renewal dates to (simulator/levers.py)."""
    if not scenario.contracts:
        return scenario
    return levers.lever("renewal_dates").write(scenario, levers.staggered_ends(scenario))
