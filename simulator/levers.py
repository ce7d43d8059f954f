"""The plan's levers, each declared once: what it reads and writes, how it travels in a link,
its balanced value for the diagnosis and its moves for suggest-a-fix.

A lever is a group of scenario fields a sales leader changes together (the effort split,
the renewal dates, ...). The app's controls (``ui/controls.py``), the shareable link
(``ui/links.py``), the diagnosis (:mod:`simulator.diagnose`) and the search
(:mod:`simulator.optimize`) all read this registry, so adding a lever is one entry here
plus its mechanism in the engine and its docs. Every write goes back through the
scenario model, so an edit is either valid or a :class:`ScenarioError` naming the field.

Pure Python; the app's widgets for each lever live in the UI.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from .models import (
    CURRENCY_SYMBOLS,
    LAST_YEAR,
    MAX_CHANGES,
    MAX_PRODUCT_LINES,
    SEASONAL_PATTERNS,
    STAGES,
    YEAR_MONTH,
    Change,
    ChangeTargets,
    Currency,
    Effort,
    Policy,
    ProductLine,
    Scenario,
    Seasonality,
    Team,
    month_index,
    month_label,
)
from .scenario_io import ScenarioError, load_preset, scenario_from_dict

FRONT_STAGES = ("attract", "close", "leverage")
CARE_STAGES = ("engage", "retain")


# --- Editing a scenario ---------------------------------------------------------------


def revalidate(scenario: Scenario) -> Scenario:
    """Check an edited scenario (made with ``model_copy``) through the model again."""
    return scenario_from_dict(scenario.model_dump(warnings=False))


def _with(scenario: Scenario, **sections: Any) -> Scenario:
    return scenario.model_copy(update=sections)


# --- The balanced organisation ----------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """The balanced organisation's levels each cause is neutralised to."""

    effort: dict[str, float]
    contacts: int
    focus_ratio: float
    """Largest over smallest product-line focus in the balanced plan: a plan whose lines
    differ more than this favours one line."""

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Reference:
        shares = scenario.focus_shares.values()
        return cls(
            effort=scenario.effort.as_dict(),
            contacts=scenario.relationships.contacts_per_account,
            focus_ratio=max(shares) / min(shares) if min(shares) > 0 else 1.0,
        )


@lru_cache(maxsize=1)
def reference_levels() -> Reference:
    """Levels of the balanced preset; the model defaults if the preset is missing."""
    try:
        return Reference.from_scenario(load_preset("balanced"))
    except ScenarioError:
        return Reference(effort=Effort().as_dict(), contacts=3, focus_ratio=1.5)


def round_shares(shares: Mapping[str, float], *, digits: int = 4) -> dict[str, float]:
    """Round shares so they still sum to exactly 1 (the largest takes the remainder)."""
    rounded = {k: round(v, digits) for k, v in shares.items()}
    largest = max(rounded, key=lambda k: rounded[k])
    rounded[largest] = round(1.0 - sum(v for k, v in rounded.items() if k != largest), digits)
    return rounded


def _rounded(values: Sequence[float]) -> tuple[float, ...]:
    """Shares normalised to sum to 1 and rounded (see :func:`round_shares`)."""
    total = sum(values)
    rounded = round_shares({str(i): v / total for i, v in enumerate(values)})
    return tuple(rounded[str(i)] for i in range(len(values)))


def balanced_mix(effort: Mapping[str, float], reference: Reference) -> dict[str, float]:
    """Prospecting, closing and leverage in the reference ratio; care time unchanged."""
    care = sum(effort[s] for s in CARE_STAGES)
    ref_total = sum(reference.effort[s] for s in FRONT_STAGES)
    out = {s: effort[s] for s in CARE_STAGES}
    for s in FRONT_STAGES:
        out[s] = (1.0 - care) * reference.effort[s] / ref_total
    return {s: out[s] for s in STAGES}


def with_care(effort: Mapping[str, float], reference: Reference) -> dict[str, float]:
    """Onboarding and account care raised to the reference, time taken proportionally."""
    target = {s: max(effort[s], reference.effort[s]) for s in CARE_STAGES}
    needed = sum(target[s] - effort[s] for s in CARE_STAGES)
    if needed <= 0:
        return dict(effort)
    # Donors: the other stages, and a care stage's time above its reference level.
    floors = {s: (reference.effort[s] if s in CARE_STAGES else 0.0) for s in STAGES}
    spare = {s: max(effort[s] - floors[s], 0.0) for s in STAGES if effort[s] >= target.get(s, 0)}
    total_spare = sum(spare.values())
    out = dict(effort)
    for s in CARE_STAGES:
        out[s] = target[s]
    for s, amount in spare.items():
        out[s] -= needed * amount / total_spare
    return out


def favours_one_line(shares: Mapping[str, float], reference: Reference) -> bool:
    """True when the lines' focus differs more than in the balanced plan."""
    low, high = min(shares.values()), max(shares.values())
    return low <= 0 or high / low > reference.focus_ratio * 1.01


def _differs(a: Sequence[float], b: Sequence[float], tol: float = 0.005) -> bool:
    return any(abs(x - y) > tol for x, y in zip(a, b, strict=True))


# --- The one renewal calendar -------------------------------------------------------------


QUARTER_ORDER = (0, 2, 1, 3)
"""The quarter each contract takes, largest first: the two largest six months apart, the
next in the quarters between (two contracts: the 1st and 3rd quarter of the year)."""
MONTH_IN_QUARTER = (1, 0, 2)
"""Months into the quarter: the middle month first (as the balanced preset renews), then
the first and the last month for the fifth contract onwards."""


def staggered_ends(scenario: Scenario) -> tuple[int, ...]:
    """End months (after the start) that spread the contracts over the quarters of a year,
    largest first: the app's "Stagger renewals" and the diagnosis' balanced renewal dates.

    The year starts at the quarter of the earliest current end date (never before the
    start), so renewals stay about where they are. Up to four contracts take one quarter
    each, in its middle month as the balanced preset renews (see QUARTER_ORDER); more fill
    every quarter in turn, then another month of each. Near the end of the calendar the
    year moves back, so no end is after LAST_YEAR-12 or before the start.
    """
    contracts = scenario.contracts
    if not contracts:
        return ()
    start = scenario.start_index
    earliest = min(month_index(c.ends) for c in contracts)
    window = max(earliest - earliest % 3, start)
    order = sorted(range(len(contracts)), key=lambda i: -contracts[i].annual_value)
    offsets: dict[int, int] = {}
    for rank, i in enumerate(order):
        offsets[i] = 3 * QUARTER_ORDER[rank % 4] + MONTH_IN_QUARTER[(rank // 4) % 3]
    last = month_index(f"{LAST_YEAR}-12")
    window = max(min(window, last - max(offsets.values())), start)
    return tuple(min(window + offsets[i], last) - start for i in range(len(contracts)))


# --- Link text: plain strings, each error naming the parameter -----------------------------

_NUMBER = re.compile(
    r"[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][+-]?[0-9]{1,3})?"
)
"""A decimal number as links write it (``repr`` of a float), in ASCII digits."""


def shorten(text: str, limit: int = 40) -> str:
    """``text`` quoted and cut to ``limit`` characters, for a message."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def format_number(value: float) -> str:
    """A float as a link writes it: exact (``repr``), without a trailing '.0'."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def parse_numbers(text: str, count: int | None, name: str) -> list[float]:
    """Comma-separated ASCII numbers, ``count`` of them; ScenarioError naming ``name``."""
    parts = text.split(",")
    if count is not None and len(parts) != count:
        raise ScenarioError(f"{name}: expected {count} comma-separated numbers, got {len(parts)}")
    if not all(_NUMBER.fullmatch(p.strip()) for p in parts):  # ASCII only: no '١.٥'
        raise ScenarioError(f"{name}: {shorten(text)} is not a list of numbers")
    values = [float(p) for p in parts]
    if not all(math.isfinite(v) for v in values):
        raise ScenarioError(f"{name}: numbers must be finite")
    return values


def parse_whole(text: str, name: str) -> int:
    """A whole number of at most 19 ASCII digits (``int`` would also read '١٢' or '1_0')."""
    if not re.fullmatch(r"[0-9]{1,19}", text.strip()):
        raise ScenarioError(f"{name}: {shorten(text)} is not a whole number")
    return int(text.strip())


def _parts(text: str, count: int, name: str, what: str) -> list[str]:
    """``count`` comma-separated parts of ``text``; an empty text is no parts (a plan with
    no contracts writes ``cc=`` and ``ends=``, which ``split`` would read as one)."""
    parts = text.split(",") if count or text.strip() else []
    if len(parts) != count:
        raise ScenarioError(f"{name}: expected {count} {what}, got {len(parts)}")
    return parts


@dataclass(frozen=True)
class LinkParam:
    """How (part of) a lever travels in the shareable link's query string."""

    name: str
    encode: Callable[[Scenario, Any], str]
    """The lever's value as the parameter's text."""
    decode: Callable[[Scenario, str, Any], Any]
    """The lever's value with the parameter's text read into it (ScenarioError naming
    the parameter when the text is not what the link writes)."""


# --- Buyer contacts: per account and per contract -------------------------------------------


@dataclass(frozen=True)
class BuyerContacts:
    """Contacts per new account, and each contract's own number (None: the per-account one)."""

    per_account: int
    contracts: tuple[int | None, ...]

    @property
    def fewest(self) -> int:
        """The fewest buyer contacts any account has."""
        return min([self.per_account, *(c for c in self.contracts if c is not None)])

    def at_least(self, minimum: int) -> BuyerContacts:
        """Every account with at least ``minimum`` contacts (none lowered)."""
        return BuyerContacts(
            per_account=max(self.per_account, minimum),
            contracts=tuple(None if c is None else max(c, minimum) for c in self.contracts),
        )


def _read_contacts(scenario: Scenario) -> BuyerContacts:
    return BuyerContacts(
        per_account=scenario.relationships.contacts_per_account,
        contracts=tuple(c.contacts for c in scenario.contracts),
    )


def _put_contacts(scenario: Scenario, value: BuyerContacts) -> Scenario:
    if len(value.contracts) != len(scenario.contracts):
        raise ScenarioError(
            f"contracts: {len(value.contracts)} contact counts for {len(scenario.contracts)} "
            "contracts"
        )
    relationships = scenario.relationships.model_copy(
        update={"contacts_per_account": value.per_account}
    )
    contracts = tuple(
        c.model_copy(update={"contacts": n})
        for c, n in zip(scenario.contracts, value.contracts, strict=True)
    )
    return _with(scenario, relationships=relationships, contracts=contracts)


def _neutral_contacts(scenario: Scenario, reference: Reference) -> BuyerContacts | None:
    now = _read_contacts(scenario)
    raised = now.at_least(reference.contacts)
    return raised if raised != now else None


def _neutral_contacts_changes(
    scenario: Scenario, reference: Reference
) -> tuple[Change, ...] | None:
    """Every change that sets contacts per account with at least the reference's."""

    def edit(change: Change) -> Change:
        n = change.contacts_per_account
        if n is None or n >= reference.contacts:
            return change
        return change.model_copy(update={"contacts_per_account": reference.contacts})

    return _changes_with(scenario, edit)


def _decode_cc(scenario: Scenario, text: str, value: BuyerContacts) -> BuyerContacts:
    parts = _parts(text, len(value.contracts), "cc", "entries")
    counts = tuple(parse_whole(p, "cc") if p.strip() else None for p in parts)
    return replace(value, contracts=counts)


# --- Renewal dates: each contract's end month, counted from the start ----------------------


def _read_ends(scenario: Scenario) -> tuple[int, ...]:
    return tuple(scenario.contract_end_offset(c) for c in scenario.contracts)


def _put_ends(scenario: Scenario, offsets: Sequence[int]) -> Scenario:
    if len(offsets) != len(scenario.contracts):
        raise ScenarioError(
            f"contracts: {len(offsets)} end months for {len(scenario.contracts)} contracts"
        )
    start = scenario.start_index
    contracts = tuple(
        c.model_copy(update={"ends": month_label(start + int(off))})
        for c, off in zip(scenario.contracts, offsets, strict=True)
    )
    return _with(scenario, contracts=contracts)


def end_offset(scenario: Scenario, text: str, *, name: str) -> int:
    """A 'YYYY-MM' month as months after the scenario's start (ScenarioError naming
    ``name`` when it is not such a month)."""
    text = text.strip()
    if not YEAR_MONTH.fullmatch(text):
        raise ScenarioError(f"{name}: {shorten(text)} is not a month in the form YYYY-MM")
    return month_index(text) - scenario.start_index


def end_months(scenario: Scenario, offsets: Sequence[int]) -> tuple[str, ...]:
    """The 'YYYY-MM' labels of end months counted from the start."""
    return tuple(month_label(scenario.start_index + off) for off in offsets)


def _decode_ends(scenario: Scenario, text: str, value: tuple[int, ...]) -> tuple[int, ...]:
    parts = _parts(text, len(value), "ends", "months")
    return tuple(end_offset(scenario, p, name="ends") for p in parts)


def _neutral_ends(scenario: Scenario, reference: Reference) -> tuple[int, ...] | None:
    if len(scenario.contracts) < 2:
        return None
    spread = staggered_ends(scenario)
    return spread if spread != _read_ends(scenario) else None


def _end_moves(value: tuple[int, ...], step: float) -> list[tuple[int, ...]]:
    """Each contract's end one step earlier or later."""
    months = int(step)
    return [
        (*value[:i], value[i] + delta, *value[i + 1 :])
        for i in range(len(value))
        for delta in (-months, months)
    ]


# --- Effort and product focus ----------------------------------------------------------------


def _read_effort(scenario: Scenario) -> tuple[float, ...]:
    return tuple(getattr(scenario.effort, s) for s in STAGES)


def _put_effort(scenario: Scenario, shares: Sequence[float]) -> Scenario:
    values = dict(zip(STAGES, (float(v) for v in shares), strict=True))
    return _with(scenario, effort=Effort.model_construct(**values))


def _neutral_effort(scenario: Scenario, reference: Reference) -> tuple[float, ...] | None:
    now = scenario.effort.as_dict()
    mix = _rounded(list(balanced_mix(now, reference).values()))
    return mix if _differs(mix, _read_effort(scenario)) else None


def _neutral_care(scenario: Scenario, reference: Reference) -> tuple[float, ...] | None:
    now = scenario.effort.as_dict()
    cared = _rounded(list(with_care(now, reference).values()))
    return cared if _differs(cared, _read_effort(scenario)) else None


def _changes_with(
    scenario: Scenario, edit: Callable[[Change], Change]
) -> tuple[Change, ...] | None:
    """The plan's changes each passed through ``edit`` (None: ``edit`` changed none)."""
    edited = tuple(edit(change) for change in scenario.changes)
    return None if edited == scenario.changes else edited


def _effort_in_changes(
    scenario: Scenario, balance: Callable[[Mapping[str, float]], Mapping[str, float]]
) -> tuple[Change, ...] | None:
    """Every change that sets an effort split with ``balance`` applied to it."""

    def edit(change: Change) -> Change:
        if change.effort is None:
            return change
        now = tuple(change.effort.as_dict().values())
        shares = _rounded(list(balance(change.effort.as_dict()).values()))
        if not _differs(shares, now):
            return change
        effort = Effort.model_construct(**dict(zip(STAGES, shares, strict=True)))
        return change.model_copy(update={"effort": effort})

    return _changes_with(scenario, edit)


def _neutral_effort_changes(scenario: Scenario, reference: Reference) -> tuple[Change, ...] | None:
    return _effort_in_changes(scenario, lambda e: balanced_mix(e, reference))


def _neutral_care_changes(scenario: Scenario, reference: Reference) -> tuple[Change, ...] | None:
    return _effort_in_changes(scenario, lambda e: with_care(e, reference))


def _share_moves(value: tuple[float, ...], step: float) -> list[tuple[float, ...]]:
    """``step`` of the total moved from one share to another, for every ordered pair."""
    out = []
    for i in range(len(value)):
        if value[i] < step - 1e-9:
            continue
        for j in range(len(value)):
            if i != j:
                moved = list(value)
                moved[i] -= step
                moved[j] += step
                out.append(_rounded(moved))
    return out


def _decode_effort(scenario: Scenario, text: str, value: Any) -> tuple[float, ...]:
    return tuple(parse_numbers(text, len(STAGES), "effort"))


def _read_focus(scenario: Scenario) -> tuple[float, ...]:
    return tuple(line.focus for line in scenario.product_lines.values())


def _put_focus(scenario: Scenario, focus: Sequence[float]) -> Scenario:
    if len(focus) != len(scenario.product_lines):
        raise ScenarioError(
            f"product_lines: {len(focus)} focus values for {len(scenario.product_lines)} lines"
        )
    lines = {
        k: line.model_copy(update={"focus": float(f)})
        for (k, line), f in zip(scenario.product_lines.items(), focus, strict=True)
    }
    return _with(scenario, product_lines=lines)


def _neutral_focus(scenario: Scenario, reference: Reference) -> tuple[float, ...] | None:
    shares = scenario.focus_shares
    if len(shares) < 2 or not favours_one_line(shares, reference):
        return None
    return _rounded([1.0] * len(shares))


def _neutral_focus_changes(scenario: Scenario, reference: Reference) -> tuple[Change, ...] | None:
    """When some period of the plan favours one line, every change that sets a focus sets
    the even split the opening plan is neutralised to (a written value, not a removed
    one, so the ``--set`` overrides can show it)."""
    favoured = any(
        len(plan.focus) > 1 and favours_one_line(plan.focus_shares, reference)
        for _, plan in scenario.plan_periods()
    )
    if not favoured:
        return None
    even = dict(zip(scenario.line_ids, _rounded([1.0] * len(scenario.line_ids)), strict=True))

    def edit(change: Change) -> Change:
        return change if change.focus is None else change.model_copy(update={"focus": even})

    return _changes_with(scenario, edit)


def _decode_focus(scenario: Scenario, text: str, value: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(parse_numbers(text, len(value), "focus"))


def _numbers(scenario: Scenario, value: Sequence[float]) -> str:
    return ",".join(format_number(v) for v in value)


# --- The team as a stock: headcount, ramp, attrition, backfill --------------------------------


TEAM_FIELDS = ("reps", "ramp_months", "attrition_annual", "backfill_months")


def _read_team(scenario: Scenario) -> tuple[float, int, float, int]:
    team = scenario.team
    return (team.reps, team.ramp_months, team.attrition_annual, team.backfill_months)


def _put_team(scenario: Scenario, value: Sequence[Any]) -> Scenario:
    return _with(scenario, team=Team.model_construct(**dict(zip(TEAM_FIELDS, value, strict=True))))


def _decode_team(scenario: Scenario, text: str, value: Any) -> tuple[float, int, float, int]:
    reps, ramp, attrition, backfill = _parts(text, 4, "team", "entries")
    return (
        parse_numbers(reps, 1, "team")[0],
        parse_whole(ramp, "team"),
        parse_numbers(attrition, 1, "team")[0],
        parse_whole(backfill, "team"),
    )


def _encode_team(scenario: Scenario, value: Sequence[Any]) -> str:
    reps, ramp, attrition, backfill = value
    return f"{format_number(reps)},{ramp},{format_number(attrition)},{backfill}"


# --- Seasonality: a named pattern or twelve multipliers ---------------------------------------


def season_name(values: Sequence[float] | None) -> str | None:
    """The name in ``models.SEASONAL_PATTERNS`` of these multipliers (None: a custom set)."""
    for name, pattern in SEASONAL_PATTERNS.items():
        if (None if values is None else tuple(values)) == pattern:
            return name
    return None


def _encode_factors(values: Sequence[float] | None) -> str:
    return season_name(values) or ",".join(format_number(v) for v in values or ())


def _decode_factors(text: str) -> tuple[float, ...] | None:
    text = text.strip()
    if text in ("", "none"):
        return None
    if text in SEASONAL_PATTERNS:
        return SEASONAL_PATTERNS[text]
    if "," not in text:
        names = ", ".join(SEASONAL_PATTERNS)
        raise ScenarioError(f"season: {shorten(text)} is not one of {names} or 12 numbers")
    return tuple(parse_numbers(text, 12, "season"))


def _encode_season(scenario: Scenario, value: Seasonality) -> str:
    text = _encode_factors(value.leads)
    return text if value.decisions is None else f"{text}/{_encode_factors(value.decisions)}"


def _decode_season(scenario: Scenario, text: str, value: Any) -> Seasonality:
    parts = text.split("/")
    if len(parts) > 2:
        raise ScenarioError(f"season: {shorten(text)} has more than leads/decisions")
    leads = _decode_factors(parts[0])
    decisions = _decode_factors(parts[1]) if len(parts) == 2 else None
    return Seasonality.model_construct(leads=leads, decisions=decisions)


# --- Management pressure: the quarter-end push and the quota it reacts to ---------------------


@dataclass(frozen=True)
class Pressure:
    """The quarter-end push (``[policy]``) and the new-business quota it reacts to."""

    policy: Policy
    quota: float | None
    """``targets.quarterly_bookings`` at the start (a change may set another later)."""


def _read_pressure(scenario: Scenario) -> Pressure:
    return Pressure(policy=scenario.policy, quota=scenario.targets.quarterly_bookings)


def _put_pressure(scenario: Scenario, value: Pressure) -> Scenario:
    targets = scenario.targets.model_copy(update={"quarterly_bookings": value.quota})
    return _with(scenario, policy=value.policy, targets=targets)


def _encode_push(scenario: Scenario, value: Pressure) -> str:
    policy = value.policy
    quota = "" if value.quota is None else format_number(value.quota)
    return (
        f"{format_number(policy.quarter_end_push)},{format_number(policy.push_trigger)},"
        f"{policy.perception_delay_months},{quota}"
    )


def _decode_push(scenario: Scenario, text: str, value: Any) -> Pressure:
    push, trigger, delay, quota = _parts(text, 4, "push", "entries")
    policy = Policy.model_construct(
        quarter_end_push=parse_numbers(push, 1, "push")[0],
        push_trigger=parse_numbers(trigger, 1, "push")[0],
        perception_delay_months=parse_whole(delay, "push"),
    )
    return Pressure(
        policy=policy, quota=parse_numbers(quota, 1, "push")[0] if quota.strip() else None
    )


def _with_push(value: Pressure, push: float) -> Pressure:
    return replace(value, policy=value.policy.model_copy(update={"quarter_end_push": push}))


def _neutral_pressure(scenario: Scenario, reference: Reference) -> Pressure | None:
    """No quarter-end push (the quota stays: it is the company's, not the habit)."""
    if not scenario.policy.active:
        return None
    return _with_push(_read_pressure(scenario), 0.0)


def _push_moves(value: Pressure, step: float) -> list[Pressure]:
    """The push lowered by ``step`` of prospecting time, and the push off."""
    push = value.policy.quarter_end_push
    if push <= 0:
        return []
    lower = round(push - step, 4)
    levels = ([lower] if lower > 0 else []) + [0.0]
    return [_with_push(value, level) for level in levels]


# --- The plan timeline: changes of plan from a month on ----------------------------------------

CHANGE_KEYS = ("reps", "effort", "focus", "contacts", "revenue", "bookings")
"""The link's names for a change's fields, in the order it writes them."""


def _encode_change(scenario: Scenario, change: Change) -> str:
    parts = [change.from_]
    if change.reps is not None:
        parts.append(f"reps:{format_number(change.reps)}")
    if change.effort is not None:
        parts.append(f"effort:{_numbers(scenario, change.effort.as_dict().values())}")
    if change.focus is not None:
        focus = change.focus
        shown = ",".join(
            format_number(focus[k]) if k in focus else "" for k in scenario.product_lines
        )
        parts.append(f"focus:{shown}")
    if change.contacts_per_account is not None:
        parts.append(f"contacts:{change.contacts_per_account}")
    targets = change.targets
    if targets is not None and targets.quarterly_revenue is not None:
        parts.append(f"revenue:{format_number(targets.quarterly_revenue)}")
    if targets is not None and targets.quarterly_bookings is not None:
        parts.append(f"bookings:{format_number(targets.quarterly_bookings)}")
    return "/".join(parts)


def _decode_change(scenario: Scenario, text: str, i: int) -> Change:
    """One change as the link writes it (``2012-07/reps:15/effort:...``); the model checks
    the values, this only their form."""
    month, *parts = text.split("/")
    values: dict[str, str] = {}
    for part in parts:
        key, sep, raw = part.partition(":")
        if not sep or key not in CHANGE_KEYS:
            raise ScenarioError(
                f"changes: change {i}: {shorten(part, 20)} is not one of "
                f"{', '.join(CHANGE_KEYS)} with a value"
            )
        if key in values:
            raise ScenarioError(f"changes: change {i} sets {key} twice")
        values[key] = raw

    def read(key: str, parse: Callable[[str, str], Any]) -> Any:
        try:
            return parse(values[key], key)
        except ScenarioError as exc:
            raise ScenarioError(f"changes: change {i}, {exc}") from None

    def number(text: str, name: str) -> float:
        return parse_numbers(text, 1, name)[0]

    def focus(text: str, name: str) -> dict[str, float]:
        cells = _parts(text, len(scenario.line_ids), name, "values (one per product line)")
        return {
            line: number(cell, name)
            for line, cell in zip(scenario.line_ids, cells, strict=True)
            if cell.strip()  # a blank keeps the line's focus
        }

    fields: dict[str, Any] = {"from_": month.strip()}
    if "reps" in values:
        fields["reps"] = read("reps", number)
    if "effort" in values:
        shares = read("effort", lambda text, name: parse_numbers(text, len(STAGES), name))
        fields["effort"] = Effort.model_construct(**dict(zip(STAGES, shares, strict=True)))
    if "focus" in values:
        fields["focus"] = read("focus", focus)
    if "contacts" in values:
        fields["contacts_per_account"] = read("contacts", parse_whole)
    targets = {
        field: read(key, number)
        for key, field in (("revenue", "quarterly_revenue"), ("bookings", "quarterly_bookings"))
        if key in values
    }
    if targets:
        fields["targets"] = ChangeTargets.model_construct(**targets)
    return Change.model_construct(**fields)


def _encode_changes(scenario: Scenario, value: Sequence[Change]) -> str:
    return "~".join(_encode_change(scenario, change) for change in value)


def _decode_changes(scenario: Scenario, text: str, value: Any) -> tuple[Change, ...]:
    if not text.strip():
        return ()
    parts = text.split("~")
    if len(parts) > MAX_CHANGES:
        raise ScenarioError(f"changes: {len(parts):,} changes; a plan holds at most {MAX_CHANGES}")
    return tuple(_decode_change(scenario, part, i) for i, part in enumerate(parts))


def _put_changes(scenario: Scenario, value: Sequence[Change]) -> Scenario:
    return _with(scenario, changes=tuple(value))


# --- When the plan changes, and the hires in it -------------------------------------------

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def month_words(year_month: str) -> str:
    """'2012-07' as people say it: 'July 2012'."""
    return f"{MONTH_NAMES[int(year_month[5:7]) - 1]} {year_month[:4]}"


def _read_timing(scenario: Scenario) -> tuple[int, ...]:
    """Each change's month, counted from the start (the file's order)."""
    start = scenario.start_index
    return tuple(month_index(change.from_) - start for change in scenario.changes)


def _put_timing(scenario: Scenario, offsets: Sequence[int]) -> Scenario:
    if len(offsets) != len(scenario.changes):
        raise ScenarioError(
            f"changes: {len(offsets)} months for {len(scenario.changes)} changes of plan"
        )
    start = scenario.start_index
    changes = tuple(
        change.model_copy(update={"from_": month_label(max(start + int(off), 0))})
        for change, off in zip(scenario.changes, offsets, strict=True)
    )
    return _with(scenario, changes=changes)


def _neutral_timing(scenario: Scenario, reference: Reference) -> tuple[int, ...] | None:
    """Every change as many months earlier as the first one comes after the start, so
    the plan reacts at once and its changes keep their order and spacing."""
    offsets = _read_timing(scenario)
    if not offsets or min(offsets) <= 0:
        return None
    first = min(offsets)
    return tuple(off - first for off in offsets)


def _timing_moves(value: tuple[int, ...], step: float) -> list[tuple[int, ...]]:
    """Each change ``step`` months earlier or later, never before the start nor past
    another change (which would change what each one means: later changes win)."""
    months = int(step)
    out = []
    for i, now in enumerate(value):
        others = value[:i] + value[i + 1 :]
        if now in others:  # two changes in one month act together: keep them so
            continue
        low = max((o for o in others if o < now), default=-1)
        high = min((o for o in others if o > now), default=math.inf)
        for moved in (now - months, now + months):
            if low < moved < high and moved >= 0:
                out.append((*value[:i], moved, *value[i + 1 :]))
    return out


ChangeEfforts = tuple[tuple[float, ...] | None, ...]
"""Each change of plan's effort split (STAGES order; None: the change keeps the split)."""


def _read_effort_of(effort: Effort) -> tuple[float, ...]:
    return tuple(getattr(effort, s) for s in STAGES)


def _read_change_effort(scenario: Scenario) -> ChangeEfforts:
    return tuple(
        None if change.effort is None else _read_effort_of(change.effort)
        for change in scenario.changes
    )


def _put_change_effort(scenario: Scenario, efforts: ChangeEfforts) -> Scenario:
    if len(efforts) != len(scenario.changes):
        raise ScenarioError(
            f"changes: {len(efforts)} effort splits for {len(scenario.changes)} changes of plan"
        )
    changes = tuple(
        change.model_copy(
            update={
                "effort": None
                if shares is None
                else Effort.model_construct(**dict(zip(STAGES, map(float, shares), strict=True)))
            }
        )
        for change, shares in zip(scenario.changes, efforts, strict=True)
    )
    return _with(scenario, changes=changes)


def _change_effort_moves(value: ChangeEfforts, step: float) -> list[ChangeEfforts]:
    """``step`` of the time moved between two stages in one change's effort split."""
    return [
        (*value[:i], moved, *value[i + 1 :])
        for i, shares in enumerate(value)
        if shares is not None
        for moved in _share_moves(shares, step)
    ]


def _read_hiring(scenario: Scenario) -> tuple[float | None, ...]:
    """Each change's headcount (None: the change leaves headcount as it is)."""
    return tuple(change.reps for change in scenario.changes)


def _put_hiring(scenario: Scenario, reps: Sequence[float | None]) -> Scenario:
    if len(reps) != len(scenario.changes):
        raise ScenarioError(
            f"changes: {len(reps)} headcounts for {len(scenario.changes)} changes of plan"
        )
    changes = tuple(
        change.model_copy(update={"reps": None if n is None else float(n)})
        for change, n in zip(scenario.changes, reps, strict=True)
    )
    return _with(scenario, changes=changes)


def _hiring_moves(value: tuple[float | None, ...], step: float) -> list[tuple[float | None, ...]]:
    """Each change that sets headcount with ``step`` of it more or fewer reps (whole reps,
    at least one)."""
    out = []
    for i, reps in enumerate(value):
        if reps is None:
            continue
        delta = max(1.0, float(round(step * reps)))
        for moved in (reps + delta, reps - delta):
            if moved > 0:
                out.append((*value[:i], moved, *value[i + 1 :]))
    return out


def _neutral_team(scenario: Scenario, reference: Reference) -> tuple[float, int, float, int] | None:
    """Nobody leaving: what the team's attrition costs (not a move the search may make)."""
    reps, ramp, attrition, backfill = _read_team(scenario)
    return None if attrition <= 0 else (reps, ramp, 0.0, backfill)


# --- The company: product lines, revenue target, start month, currency ------------------------

LINE_FIELDS = (
    "deal_size",
    "sales_cycle_months",
    "win_rate",
    "term_months",
    "renewal_rate",
    "leads_per_rep_month",
    "close_effort_per_deal",
    "deal_size_cv",
    "prior_focus",
)
"""A line's numbers in the order a link writes them (its focus travels in ``focus``)."""
WHOLE_LINE_FIELDS = ("sales_cycle_months", "term_months")

Lines = tuple[tuple[str, ProductLine], ...]
"""The product lines as (id, line) pairs in the file's order."""


def _read_lines(scenario: Scenario) -> Lines:
    return tuple(scenario.product_lines.items())


def _put_lines(scenario: Scenario, value: Lines) -> Scenario:
    return _with(scenario, product_lines=dict(value))


def _encode_lines(scenario: Scenario, value: Lines) -> str:
    """``id:name:numbers`` per line, joined by ``~``; the name percent-encoded, so no
    separator can appear in it; a blank number is a field not set."""
    out = []
    for line_id, line in value:
        numbers = ",".join(
            "" if getattr(line, f) is None else format_number(getattr(line, f)) for f in LINE_FIELDS
        )
        out.append(f"{line_id}:{urllib.parse.quote(line.name, safe='')}:{numbers}")
    return "~".join(out)


def _decode_lines(scenario: Scenario, text: str, value: Lines) -> Lines:
    """The lines a link lists; a line keeps its focus when it was there before (the
    ``focus`` parameter, read after this one, sets it), a new line has focus 1."""
    parts = text.split("~")
    if len(parts) > MAX_PRODUCT_LINES:
        raise ScenarioError(
            f"lines: {len(parts):,} product lines; a scenario has at most {MAX_PRODUCT_LINES}"
        )
    focus = {line_id: line.focus for line_id, line in value}
    out = []
    for i, part in enumerate(parts):
        line_id, sep, rest = part.partition(":")
        name, sep2, numbers = rest.partition(":")
        if not (sep and sep2):
            raise ScenarioError(f"lines: line {i} is not id:name:numbers")
        cells = _parts(numbers, len(LINE_FIELDS), "lines", "numbers per line")
        fields: dict[str, Any] = {"name": _unquote(name, "lines"), "focus": focus.get(line_id, 1.0)}
        for field, cell in zip(LINE_FIELDS, cells, strict=True):
            if not cell.strip():
                fields[field] = None
            elif field in WHOLE_LINE_FIELDS:
                fields[field] = parse_whole(cell, "lines")
            else:
                fields[field] = parse_numbers(cell, 1, "lines")[0]
        out.append((line_id, ProductLine.model_construct(**fields)))
    return tuple(out)


def _unquote(text: str, name: str) -> str:
    """Percent-encoded UTF-8 text; ScenarioError naming ``name`` when it is damaged."""
    try:
        return urllib.parse.unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise ScenarioError(f"{name}: {shorten(text)} is not percent-encoded text") from None


def _read_revenue_target(scenario: Scenario) -> float | None:
    return scenario.targets.quarterly_revenue


def _put_revenue_target(scenario: Scenario, value: float | None) -> Scenario:
    return _with(scenario, targets=scenario.targets.model_copy(update={"quarterly_revenue": value}))


def _decode_optional_number(name: str) -> Callable[[Scenario, str, Any], float | None]:
    def decode(scenario: Scenario, text: str, value: Any) -> float | None:
        return parse_numbers(text, 1, name)[0] if text.strip() else None

    return decode


def shift_month(year_month: str, months: int) -> str:
    """``year_month`` moved by ``months`` (ScenarioError past the calendar's ends)."""
    index = month_index(year_month) + months
    if not 0 <= index < (LAST_YEAR + 1) * 12:
        raise ScenarioError(f"simulation.start: moving the plan puts {year_month} off the calendar")
    return month_label(index)


def _put_start(scenario: Scenario, value: str) -> Scenario:
    """The start month, with the plan's dates moved along (contract end months and
    changes keep their distance from the start): the same company, another calendar."""
    if not isinstance(value, str) or not YEAR_MONTH.fullmatch(value):
        raise ScenarioError(f"simulation.start: {shorten(str(value))} is not a month YYYY-MM")
    delta = month_index(value) - scenario.start_index
    contracts = tuple(
        c.model_copy(update={"ends": shift_month(c.ends, delta)}) for c in scenario.contracts
    )
    changes = tuple(
        c.model_copy(update={"from_": shift_month(c.from_, delta)}) for c in scenario.changes
    )
    simulation = scenario.simulation.model_copy(update={"start": value})
    return _with(scenario, simulation=simulation, contracts=contracts, changes=changes)


def _decode_start(scenario: Scenario, text: str, value: Any) -> str:
    text = text.strip()
    if not YEAR_MONTH.fullmatch(text):
        raise ScenarioError(f"start: {shorten(text)} is not a month in the form YYYY-MM")
    return text


def _encode_currency(scenario: Scenario, value: Currency) -> str:
    """The code alone when the symbol is its usual one, else code,symbol,before|after."""
    usual = CURRENCY_SYMBOLS.get(value.code, (value.code, True))
    if (value.symbol, value.symbol_after) == usual:
        return value.code
    return f"{value.code},{value.symbol},{'after' if value.symbol_after else 'before'}"


def _decode_currency(scenario: Scenario, text: str, value: Any) -> Currency:
    parts = text.split(",")
    if len(parts) == 1:
        code = parts[0].strip()
        symbol, after = CURRENCY_SYMBOLS.get(code, (code, True))
    elif len(parts) == 3 and parts[2] in ("before", "after"):
        code, symbol, after = parts[0].strip(), parts[1], parts[2] == "after"
    else:
        raise ScenarioError(f"cur: {shorten(text)} is not CODE or CODE,symbol,before|after")
    return Currency.model_construct(code=code, symbol=symbol, symbol_after=after)


# --- The registry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lever:
    """One lever: its fields, link parameters, balanced value and search moves.

    ``read`` and ``put`` are exact inverses; ``put`` does not validate (use :meth:`write`
    or :func:`apply`, which re-validate through the model).
    """

    name: str
    label: str
    """The lever in the user's words."""
    fields: tuple[str, ...]
    """The scenario fields it reads and writes (``N`` stands for a contract's row)."""
    groups: tuple[str, ...]
    """The app's control groups whose widgets set it (``ui/controls.py``)."""
    read: Callable[[Scenario], Any]
    put: Callable[[Scenario, Any], Scenario]
    links: tuple[LinkParam, ...] = ()
    cause: str = ""
    """The diagnosis' heading when this lever is one of its causes ("" if it is not)."""
    neutral: Callable[[Scenario, Reference], Any] | None = None
    """The balanced value the diagnosis neutralises to; None from it means the scenario
    is balanced on this lever already (or the lever does not apply)."""
    moves: Callable[[Any, float], list[Any]] | None = None
    """Suggest-a-fix's moves from a value: one step of ``steps`` each."""
    steps: tuple[float, ...] = ()
    said_when_balanced: bool = True
    """The diagnosis says "already balanced" when its value is; False for a dynamic a plan
    may not have at all (no push, no change of plan, nobody leaving): left out unless set."""
    neutral_changes: Callable[[Scenario, Reference], tuple[Change, ...] | None] | None = None
    """The plan's changes with this lever balanced in each (None: balanced there already),
    given the scenario with the opening plan neutralised: a habit a change of plan sets
    (``[[changes]]``' effort, focus or contacts) is the same habit from that month on."""

    def write(self, scenario: Scenario, value: Any) -> Scenario:
        """The scenario with this lever set to ``value``, re-validated."""
        return apply(scenario, {self.name: value})

    def balanced(self, scenario: Scenario, reference: Reference | None = None) -> Any:
        """The lever's balanced value for ``scenario`` (None: already balanced)."""
        if self.neutral is None:
            return None
        return self.neutral(scenario, reference or reference_levels())

    def neutralise(self, scenario: Scenario, reference: Reference | None = None) -> Scenario | None:
        """``scenario`` with this lever balanced in the opening plan and in every change of
        plan, re-validated (None: balanced throughout already)."""
        reference = reference or reference_levels()
        value = self.balanced(scenario, reference)
        edited = scenario if value is None else self.put(scenario, value)
        changes = None
        if self.neutral_changes is not None and scenario.changes:
            changes = self.neutral_changes(edited, reference)
        if value is None and changes is None:
            return None
        if changes is not None:
            edited = _with(edited, changes=changes)
        return revalidate(edited)


def _simulation(field: str) -> Lever:
    def put(scenario: Scenario, value: int) -> Scenario:
        return _with(scenario, simulation=scenario.simulation.model_copy(update={field: value}))

    return Lever(
        name=field,
        label={"months": "Horizon (months)", "runs": "Runs", "seed": "Seed"}[field],
        fields=(f"simulation.{field}",),
        groups=("simulation",),
        read=lambda s: getattr(s.simulation, field),
        put=put,
        links=(LinkParam(field, lambda s, v: str(v), lambda s, text, v: parse_whole(text, field)),),
    )


def _put_turnover(scenario: Scenario, value: float) -> Scenario:
    relationships = scenario.relationships.model_copy(update={"champion_turnover": value})
    return _with(scenario, relationships=relationships)


LEVERS: tuple[Lever, ...] = (
    Lever(
        name="effort",
        label="Effort split",
        fields=tuple(f"effort.{s}" for s in STAGES),
        groups=("effort",),
        read=_read_effort,
        put=_put_effort,
        links=(LinkParam("effort", _numbers, _decode_effort),),
        cause="Effort balance",
        neutral=_neutral_effort,
        neutral_changes=_neutral_effort_changes,
        moves=_share_moves,
        steps=(0.10, 0.05),
    ),
    Lever(
        name="care",
        label="Onboarding and account care",
        fields=tuple(f"effort.{s}" for s in STAGES),  # care time is taken from the others
        groups=("effort",),
        read=_read_effort,
        put=_put_effort,
        cause="Onboarding and account care",
        neutral=_neutral_care,
        neutral_changes=_neutral_care_changes,
    ),
    Lever(
        name="focus",
        label="Product focus",
        fields=("product_lines.*.focus",),
        groups=("focus",),
        read=_read_focus,
        put=_put_focus,
        links=(LinkParam("focus", _numbers, _decode_focus),),
        cause="Product focus",
        neutral=_neutral_focus,
        neutral_changes=_neutral_focus_changes,
        moves=_share_moves,
        steps=(0.2, 0.1),
    ),
    Lever(
        name="contacts",
        label="Buyer contacts",
        fields=("relationships.contacts_per_account", "contracts.N.contacts"),
        groups=("relationships", "contract"),
        read=_read_contacts,
        put=_put_contacts,
        links=(
            LinkParam(
                "contacts",
                lambda s, v: str(v.per_account),
                lambda s, text, v: replace(v, per_account=parse_whole(text, "contacts")),
            ),
            LinkParam(
                "cc",
                lambda s, v: ",".join("" if n is None else str(n) for n in v.contracts),
                _decode_cc,
            ),
        ),
        cause="Relationships",
        neutral=_neutral_contacts,
        neutral_changes=_neutral_contacts_changes,
        moves=lambda v, step: [v.at_least(v.fewest + int(step))],
        steps=(1,),
    ),
    Lever(
        name="turnover",
        label="Buyer turnover",
        fields=("relationships.champion_turnover",),
        groups=("relationships",),
        read=lambda s: s.relationships.champion_turnover,
        put=_put_turnover,
        links=(
            LinkParam(
                "turnover",
                lambda s, v: format_number(v),
                lambda s, text, v: parse_numbers(text, 1, "turnover")[0],
            ),
        ),
    ),
    Lever(
        name="renewal_dates",
        label="Renewal dates",
        fields=("contracts.N.ends",),
        groups=("contract",),
        read=_read_ends,
        put=_put_ends,
        links=(LinkParam("ends", lambda s, v: ",".join(end_months(s, v)), _decode_ends),),
        cause="Renewal dates",
        neutral=_neutral_ends,
        moves=_end_moves,
        steps=(3,),
    ),
    _simulation("months"),
    _simulation("runs"),
    _simulation("seed"),
    Lever(
        name="team",
        label="Team: headcount, ramp, attrition, backfill",
        fields=tuple(f"team.{f}" for f in TEAM_FIELDS),
        groups=("team",),
        read=_read_team,
        put=_put_team,
        links=(LinkParam("team", _encode_team, _decode_team),),
        cause="Reps leaving",
        neutral=_neutral_team,
        said_when_balanced=False,
    ),
    Lever(
        name="lines",
        label="Product lines: deal size, cycle, win rate, term, renewal, lead flow",
        fields=tuple(f"product_lines.*.{f}" for f in ("name", *LINE_FIELDS)),
        groups=("company",),
        read=_read_lines,
        put=_put_lines,
        links=(LinkParam("lines", _encode_lines, _decode_lines),),
    ),
    Lever(
        name="revenue_target",
        label="Revenue target per quarter",
        fields=("targets.quarterly_revenue",),
        groups=("company",),
        read=_read_revenue_target,
        put=_put_revenue_target,
        links=(
            LinkParam(
                "target",
                lambda s, v: "" if v is None else format_number(v),
                _decode_optional_number("target"),
            ),
        ),
    ),
    Lever(
        name="start",
        label="Start month (the plan's dates move with it)",
        fields=("simulation.start", "contracts.N.ends", "changes.N.from"),
        groups=("company",),
        read=lambda s: s.simulation.start,
        put=_put_start,
        links=(LinkParam("start", lambda s, v: v, _decode_start),),
    ),
    Lever(
        name="currency",
        label="Currency",
        fields=("currency.code", "currency.symbol", "currency.symbol_after"),
        groups=("company",),
        read=lambda s: s.currency,
        put=lambda s, v: _with(s, currency=v),
        links=(LinkParam("cur", _encode_currency, _decode_currency),),
    ),
    Lever(
        name="season",
        label="Seasonality",
        fields=("seasonality.leads", "seasonality.decisions"),
        groups=("season",),
        read=lambda s: s.seasonality,
        put=lambda s, v: _with(s, seasonality=v),
        links=(LinkParam("season", _encode_season, _decode_season),),
    ),
    Lever(
        name="changes",
        label="Plan timeline",
        fields=("changes",),
        groups=("timeline",),
        read=lambda s: s.changes,
        put=_put_changes,
        links=(LinkParam("changes", _encode_changes, _decode_changes),),
    ),
    Lever(
        name="timing",
        label="When the plan changes",
        fields=("changes.N.from",),
        groups=("timeline",),
        read=_read_timing,
        put=_put_timing,
        cause="Timing of the reaction",
        neutral=_neutral_timing,
        moves=_timing_moves,
        steps=(3,),
        said_when_balanced=False,
    ),
    Lever(
        name="change_effort",
        label="Effort split in the plan's changes",
        fields=tuple(f"changes.N.effort.{s}" for s in STAGES),
        groups=("timeline",),
        read=_read_change_effort,
        put=_put_change_effort,
        moves=_change_effort_moves,
        steps=(0.10, 0.05),
    ),
    Lever(
        name="hiring",
        label="Hires in the plan's changes",
        fields=("changes.N.reps",),
        groups=("timeline",),
        read=_read_hiring,
        put=_put_hiring,
        moves=_hiring_moves,
        steps=(0.2, 0.1),
    ),
    Lever(
        name="pressure",
        label="Quarter-end push",
        fields=(
            "policy.quarter_end_push",
            "policy.push_trigger",
            "policy.perception_delay_months",
            "targets.quarterly_bookings",
        ),
        groups=("pressure", "company"),
        read=_read_pressure,
        put=_put_pressure,
        links=(LinkParam("push", _encode_push, _decode_push),),
        cause="Quarter-end push",
        neutral=_neutral_pressure,
        moves=_push_moves,
        steps=(0.25,),
        said_when_balanced=False,
    ),
)
"""Every lever: the plan's, then the simulation settings (which a link also carries), then
the dynamics: the team as a stock, the seasons, the plan's changes and the push."""

BY_NAME: dict[str, Lever] = {lever.name: lever for lever in LEVERS}
HABITS: tuple[str, ...] = ("effort", "contacts", "renewal_dates", "focus", "care")
"""The article's habits: every diagnosis reports each (balanced or not)."""
CAUSES: tuple[str, ...] = (*HABITS, "pressure", "timing", "team")
"""The diagnosis' causes (levers with a balanced value), in the order it reports them:
the habits, then the dynamics (the push, when the plan reacts, reps leaving), which it
reports only when the plan has them (``said_when_balanced``)."""
SEARCHED: tuple[str, ...] = tuple(lever.name for lever in LEVERS if lever.moves is not None)
"""The levers suggest-a-fix may move."""
LINK_ORDER = (
    "cur",
    "start",
    "lines",
    "target",
    "effort",
    "focus",
    "contacts",
    "turnover",
    "ends",
    "cc",
    "months",
    "runs",
    "seed",
    "team",
    "season",
    "changes",
    "push",
)
"""The order a link writes and applies its parameters (as links always have): the
company first (its calendar before the contracts' end months and the changes it moves,
its lines before the focus on them); months before runs, so a longer horizon with fewer
runs stays within the size limit one step at a time; the changes after the months they
must fall in, and before the push, whose quota a change may set. Every lever's link
parameters are listed (tests/test_levers.py checks)."""
LINK_PARAMS: tuple[tuple[Lever, LinkParam], ...] = tuple(
    sorted(
        ((lever, param) for lever in LEVERS for param in lever.links),
        key=lambda pair: LINK_ORDER.index(pair[1].name),
    )
)


def lever(name: str) -> Lever:
    """A lever by name; ValueError listing the known ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown lever {name!r} (known: {', '.join(BY_NAME)})") from None


def apply(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """``scenario`` with several levers set at once, validated once (so two settings that
    only fit together, such as more runs over fewer months, can change in one step)."""
    edited = scenario
    for name, value in values.items():
        edited = lever(name).put(edited, value)
    return revalidate(edited) if edited is not scenario else scenario


# --- The edit as ``--set`` overrides (what the CLI and the app show) -----------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _leaves(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, Mapping):
        items = data.items()
    elif isinstance(data, list | tuple):
        items = ((str(i), v) for i, v in enumerate(data))
    else:
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in items:
        out.update(_leaves(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def overrides(before: Scenario, after: Scenario) -> list[str]:
    """The ``--set`` overrides that turn ``before`` into ``after`` (only what changed), for
    edits that set values (a lever edit never clears one)."""
    old = _leaves(before.model_dump(mode="json", exclude_none=True))
    new = _leaves(after.model_dump(mode="json", exclude_none=True))
    return [f"{path}={_toml_value(value)}" for path, value in new.items() if old.get(path) != value]
