"""The CRM import wizard's pure parts (the page is ``pages/3_Import_from_CRM.py``):
the upload limits, the column mapping auto-detected from a file's header, the fit
(``simulator.calibrate``, the same as ``whiplash calibrate``), and "use as my
scenario", which puts the fitted company into the plan and says what it replaced.

No fitting here: the numbers are the calibration's. Privacy: an upload is the bytes the
uploader holds in this session's memory; nothing here writes them anywhere, caches them
across sessions or puts them in a link (only the fitted scenario travels). The size
limit is the web server's in-memory limit as well: Streamlit's server (Starlette) keeps
an upload of up to 1 MiB in memory and spools a larger one to a temporary file, so the
app takes no larger file (``MAX_UPLOAD_MB``, checked by tests/test_crm_import.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from simulator import Scenario, ScenarioError, levers
from simulator.calibrate import Calibration, calibrate
from simulator.crm_csv import (
    CONTRACT_FIELDS,
    OPPORTUNITY_FIELDS,
    CrmFileError,
    FieldSpec,
    decode,
    detect_columns,
    read_header,
)
from simulator.scenario_io import scenario_from_dict, scenario_to_dict

from . import compare
from . import session as app_session
from .format import money

MAX_UPLOAD_MB = 1
"""Largest file the wizard takes, in MiB (the uploader's and the server's limit): about
10,000 opportunities. ``whiplash calibrate`` reads up to 50 MiB on your own machine."""
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
"""Most data rows in one uploaded file (a fit of 20,000 rows takes about a second)."""
NOT_MAPPED = "(not in the file)"
"""The mapping's choice for a field the file has no column for."""
DATE_ORDERS = {
    "Decide from the file": None,
    "Day first (dd/mm)": "dmy",
    "Month first (mm/dd)": "mdy",
}

KEPT_SECTIONS = {
    "currency": "the currency",
    "targets": "the revenue target and the quota",
    "policy": "the quarter-end push",
    "thresholds": "the verdict's thresholds",
    "relationships": "buyer contacts and champion turnover",
}
"""What "use as my scenario" keeps of the plan, as the message names it."""
TEAM_KEPT = ("ramp_months", "attrition_annual", "backfill_months")


def upload_limit_text() -> str:
    """The limit as the page states it."""
    return (
        f"up to {MAX_UPLOAD_MB} MiB and {MAX_IMPORT_ROWS:,} rows a file (about 10,000 "
        "opportunities); for a larger export run whiplash calibrate on your own machine"
    )


PRIVACY = (
    "Your export stays in this browser session's memory: it is not saved on the server, "
    "not shared with other sessions and never put in the link; only the fitted scenario "
    "travels (its product line names and, from a contracts export, the largest accounts' "
    "names and values). Close the tab and it is gone."
)


def fingerprint(data: bytes) -> str:
    """A short digest of an upload, to tell a new file from the same one re-sent."""
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def check_size(name: str, data: bytes) -> str | None:
    """The error for a file above the upload limit, or None."""
    if len(data) > MAX_UPLOAD_BYTES:
        return (
            f"{name}: the file is {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,} "
            f"({MAX_UPLOAD_MB} MiB). Export a shorter period, or run whiplash calibrate "
            "on your own machine for a larger file"
        )
    return None


@dataclass(frozen=True)
class Header:
    """A file's columns and the fields found in them (field -> column name)."""

    columns: tuple[str, ...]
    detected: dict[str, str]
    delimiter: str
    error: str | None = None


def read_file_header(
    name: str, data: bytes, *, fields: Sequence[FieldSpec] = OPPORTUNITY_FIELDS
) -> Header:
    """The header of an upload and its auto-detected mapping, or the one-line error."""
    error = check_size(name, data)
    if error:
        return Header((), {}, ",", error)
    try:
        text, _ = decode(data, source=name)
        columns, delimiter = read_header(text, source=name)
    except CrmFileError as exc:
        return Header((), {}, ",", str(exc))
    found = detect_columns(columns, fields)
    return Header(tuple(columns), {f: columns[i] for f, i in found.items()}, delimiter)


def missing_message(
    name: str, missing: Sequence[FieldSpec], *, what: str = "opportunities"
) -> str | None:
    """One message naming the required fields without a column and how to map them."""
    if not missing:
        return None
    spec = missing[0]
    looked = ", ".join(spec.aliases[:4])
    more = f" (and {', '.join(repr(s.name) for s in missing[1:])}: the same)" if missing[1:] else ""
    return (
        f"{name}: no column for the field '{spec.name}' ({spec.help}; looked for {looked}). "
        f"Choose its column under '{spec.name}' in the {what} mapping{more}"
    )


def unmapped_required(
    mapping: Mapping[str, str | None], fields: Sequence[FieldSpec]
) -> list[FieldSpec]:
    """The required fields the mapping gives no column."""
    return [f for f in fields if f.required and not mapping.get(f.name)]


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the wizard holds it: its name, bytes and chosen mapping."""

    name: str
    data: bytes
    mapping: dict[str, str | None]


@dataclass(frozen=True)
class FitRequest:
    """Everything a fit depends on (two requests alike give the same fit)."""

    opportunities: Upload
    contracts: Upload | None = None
    won: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    reps: float | None = None
    date_order: str | None = None

    def key(self) -> tuple[Any, ...]:
        def part(upload: Upload | None) -> tuple[Any, ...]:
            if upload is None:
                return ()
            return (upload.name, fingerprint(upload.data), sorted(upload.mapping.items()))

        return (
            part(self.opportunities),
            part(self.contracts),
            self.won,
            self.lost,
            self.reps,
            self.date_order,
        )


@dataclass(frozen=True)
class FitOutcome:
    """A fit's calibration, or the one-line error (never both)."""

    calibration: Calibration | None
    error: str | None = None
    key: tuple[Any, ...] = field(default=(), compare=False)


def stages(text: str) -> tuple[str, ...]:
    """Stage names typed as a comma-separated list ("Signed, Closed - paid")."""
    return tuple(s.strip() for s in text.split(",") if s.strip())


def fit(request: FitRequest) -> FitOutcome:
    """Calibrate from the uploads (``simulator.calibrate``) within the upload limits;
    a problem is one line naming the file, row or column."""
    uploads = [u for u in (request.opportunities, request.contracts) if u is not None]
    for upload in uploads:
        error = check_size(upload.name, upload.data)
        if error:
            return FitOutcome(None, error, request.key())
    missing = missing_message(
        request.opportunities.name,
        unmapped_required(request.opportunities.mapping, OPPORTUNITY_FIELDS),
    )
    if missing:
        return FitOutcome(None, missing, request.key())
    contracts = request.contracts
    if contracts is not None:
        missing = missing_message(
            contracts.name,
            unmapped_required(contracts.mapping, CONTRACT_FIELDS),
            what="contracts",
        )
        if missing:
            return FitOutcome(None, missing, request.key())
    try:
        calibration = calibrate(
            request.opportunities.data,
            source=request.opportunities.name,
            contracts=contracts.data if contracts else None,
            contracts_source=contracts.name if contracts else "contracts",
            mapping=request.opportunities.mapping,
            contract_mapping=contracts.mapping if contracts else None,
            won=request.won,
            lost=request.lost,
            reps=request.reps,
            date_order=request.date_order,
            max_rows=MAX_IMPORT_ROWS,
        )
    except ScenarioError as exc:
        return FitOutcome(None, in_app_words(str(exc)), request.key())
    return FitOutcome(calibration, None, request.key())


OPTIONS = "under Options"
IN_APP_WORDS = (
    (
        r"name (?:it|one) with --map contracts\.(\w+)=COLUMN",
        r"choose its column under '\1' in the contracts mapping",
    ),
    (r"name it with --map (\w+)=COLUMN", r"choose its column under '\1' in the mapping"),
    (r"name the won stages with --won STAGE", f"name the won stages {OPTIONS} ('Won stages')"),
    (r"the stages given with --won", "the 'Won stages' given"),
    (r"matches --lost (.*)$", r"matches the 'Lost stages' (\1)"),
    (
        r"name a closed one with --won or --lost",
        f"name a closed one {OPTIONS} ('Won stages' or 'Lost stages')",
    ),
    (r"pass --date-order dmy or mdy", f"choose the 'Date order' {OPTIONS}"),
    (
        r"pass --date-order (?:dmy|mdy) if that is wrong",
        f"choose the other 'Date order' {OPTIONS} if that is wrong",
    ),
    (r"pass --reps", f"set 'Reps' {OPTIONS}"),
    (r"check --reps", f"check 'Reps' {OPTIONS}"),
    (r"--map (?:contracts\.)?(\w+)=\S+", r"the mapping of '\1'"),
    (r"--reps", "'Reps'"),
    (r"--won", "'Won stages'"),
    (r"--lost", "'Lost stages'"),
    (r"--date-order", "'Date order'"),
)
"""The command line's options in a calibration's messages, as the wizard's controls."""


def in_app_words(message: str) -> str:
    """A calibration message or note with the command line's options named as the
    wizard's controls ("pass --reps" -> "set 'Reps' under Options")."""
    for pattern, words in IN_APP_WORDS:
        message = re.sub(pattern, words, message)
    return message


def notes(calibration: Calibration) -> list[str]:
    """The data-quality notes, in the wizard's words."""
    return [in_app_words(note) for note in calibration.warnings]


# --- The fitted numbers, as the page shows them (the calibration's own figures).
def line_table(calibration: Calibration) -> pd.DataFrame:
    """A column per fitted product line, a row per figure (amounts in the current
    currency): a company has a few lines and the wizard six figures, so it reads whole
    on a phone and on a projector, where a row per line ran past the screen's edge."""
    figures = {
        f.name: {
            "Opportunities": f"{f.opportunities:,}",
            "Win rate": f"{f.win_rate:.0%} ({f.won:,} of {f.won + f.lost:,})",
            "Sales cycle": f"{f.sales_cycle_months} mo",
            "Deal size": money(f.deal_size),
            "Leads per rep-month": f"{f.leads_per_rep_month:.2f}",
            "Open deals": f"{sum(f.open_deals):,}",
        }
        for f in calibration.lines
    }
    table = pd.DataFrame(figures)
    table.index.name = "Fitted"
    return table


def summary(calibration: Calibration) -> str:
    """One sentence on what was fitted, and from what."""
    who = {"owners": "distinct owners", "given": "as set", "default": "the model's default"}
    season = "a season in the lead flow" if calibration.seasonality else "no season"
    book = ""
    if calibration.contracts:
        c = calibration.contracts
        book = f", a book of {c['in_force']:,} contracts in force ({money(c['book_value'])} a year)"
    return (
        f"{calibration.rows:,} opportunities, lead flow from {calibration.first_month}, "
        f"export of {calibration.as_of.isoformat()}: {len(calibration.lines)} product "
        f"line(s), {calibration.reps:g} reps ({who[calibration.reps_source]}), "
        f"{calibration.open_deals:,} open deals, {season}{book}. The scenario starts "
        f"{calibration.scenario.simulation.start}."
    )


def backtest_sentence(calibration: Calibration) -> str:
    """How well the fit reproduces the export's own months."""
    bt = calibration.backtest
    if bt is None:
        return "No backtest: the export has fewer than 3 full months after the first sales cycle."
    gap = f" ({bt.total_gap:+.0%})" if bt.total_gap is not None else ""
    return (
        f"Backtest {bt.months[0]} to {bt.months[-1]} ({bt.runs} simulated futures): actual "
        f"bookings fall inside the simulated 8-in-10 band in {bt.within_band} of "
        f"{len(bt.months)} months; over the period {money(bt.total_actual)} was booked and "
        f"the simulation's middle future books {money(bt.total_p50)}{gap}."
    )


# --- "Use as my scenario".
@dataclass(frozen=True)
class Adoption:
    """The plan with the fitted company in it, and what that replaced and kept."""

    scenario: Scenario
    replaced: list[str]
    kept: list[str]
    dropped: list[str]

    def message(self) -> str:
        parts = ["Your plan is now the fitted company. Replaced: " + "; ".join(self.replaced)]
        if self.kept:
            parts.append("Kept from your plan: " + "; ".join(self.kept))
        if self.dropped:
            parts.append("Dropped: " + "; ".join(self.dropped))
        return ". ".join(parts) + "."


def adopt(current: Scenario, fitted: Scenario) -> Adoption:
    """The fitted company (team size, product lines, open pipeline, book, lead-flow
    season, engagement efforts, the effort split the fit assumes, the start month) in
    the current plan, which keeps the rest: currency, targets, the push, thresholds,
    relationships, the team's ramp and attrition, the horizon and seed, and the changes
    of plan (moved with the start; one that sets the focus of a line the fit does not
    have is dropped, and named)."""
    moved = levers.lever("start").write(current, fitted.simulation.start)
    keep_changes, keep_index, dropped = [], [], []
    for i, change in enumerate(moved.changes):
        unknown = sorted(set(change.focus or {}) - set(fitted.product_lines))
        if unknown:
            dropped.append(
                f"change {i + 1} from {change.from_} (it sets the focus of {', '.join(unknown)}, "
                "a line the fit does not have)"
            )
        else:
            keep_changes.append(change)
            keep_index.append(i)
    data = scenario_to_dict(fitted)
    old = scenario_to_dict(moved)
    for section in KEPT_SECTIONS:
        if section in old:
            data[section] = old[section]
        else:
            data.pop(section, None)
    data["team"] = {**data["team"], **{k: old["team"][k] for k in TEAM_KEPT if k in old["team"]}}
    data["simulation"] = {
        **data["simulation"],
        "months": current.simulation.months,
        "seed": current.simulation.seed,
    }
    if keep_changes:
        data["changes"] = [old["changes"][i] for i in keep_index]
    else:
        data.pop("changes", None)
    try:
        scenario = scenario_from_dict(data)
    except ScenarioError as exc:  # a kept change does not fit the fitted company
        if not keep_changes:
            raise
        dropped.append(f"{len(keep_changes)} change(s) of plan ({exc})")
        keep_changes = []
        data.pop("changes", None)
        scenario = scenario_from_dict(data)
    return Adoption(
        scenario=scenario,
        replaced=_replaced(current, scenario),
        kept=_kept(current, keep_changes),
        dropped=dropped,
    )


def _names(scenario: Scenario) -> str:
    return ", ".join(line.name for line in scenario.product_lines.values())


def _replaced(current: Scenario, new: Scenario) -> list[str]:
    out = [
        f"product lines ({_names(current)} -> {_names(new)})",
        f"team size ({current.team.reps:g} -> {new.team.reps:g} reps)",
        f"start month ({current.simulation.start} -> {new.simulation.start})",
        f"book ({len(current.contracts)} -> {len(new.contracts)} listed contracts) and the "
        "open pipeline",
    ]
    if current.effort != new.effort:
        out.append("effort split (to the model's default, which the fitted lead flow assumes)")
    if current.seasonality != new.seasonality:
        out.append("seasonality (the export's)" if new.seasonality.leads else "seasonality (none)")
    if current.engagement != new.engagement:
        out.append("engagement efforts (as fitted)")
    if current.history != new.history:
        out.append("the past before the start (the fit's steady past, not [history])")
    out.append("title")
    return out


def _kept(current: Scenario, changes: Sequence[Any]) -> list[str]:
    out = [KEPT_SECTIONS["currency"] + f" ({current.currency.code})"]
    if current.targets.quarterly_revenue or current.targets.quarterly_bookings:
        out.append(KEPT_SECTIONS["targets"] + " (check they suit the fitted company)")
    if current.policy.quarter_end_push > 0:
        out.append(KEPT_SECTIONS["policy"])
    out.append("ramp-up and attrition")
    out.append(f"the horizon ({current.simulation.months} months) and seed")
    if changes:
        out.append(f"{len(changes)} change(s) of plan, moved with the start")
    return out


# --- The page's session state and callbacks (the session as a plain mapping).
W_OPPORTUNITIES = "crm_w_opportunities"
W_CONTRACTS = "crm_w_contracts"
W_REPS = "crm_w_reps"
W_WON = "crm_w_won"
W_LOST = "crm_w_lost"
W_DATE_ORDER = "crm_w_date_order"
FIT = "crm_fit"
"""The last fit's :class:`FitOutcome` (the calibration, not the export)."""
ADOPTED = "crm_adopted"
"""The message of the last "use as my scenario", while it stands."""
PREVIOUS = "crm_previous"
"""The plan before "use as my scenario", for "Undo"."""


def map_key(kind: str, digest: str, name: str) -> str:
    """The mapping widget of one field of one file (a new file starts afresh)."""
    return f"crm_w_map_{kind}_{digest}_{name}"


def chosen_mapping(
    session: Mapping[str, Any],
    *,
    kind: str,
    digest: str,
    header: Header,
    fields: Sequence[FieldSpec],
) -> dict[str, str | None]:
    """Field -> column as the mapping widgets show it (the detected one until moved)."""
    out: dict[str, str | None] = {}
    for spec in fields:
        value = session.get(map_key(kind, digest, spec.name), header.detected.get(spec.name))
        out[spec.name] = value if value in header.columns else None
    return out


def on_use(session: MutableMapping[str, Any]) -> None:
    """Callback for "Use as my scenario": the fitted company into the plan; the old plan
    is kept for "Undo" and the message says what was replaced."""
    outcome: FitOutcome | None = session.get(FIT)
    if outcome is None or outcome.calibration is None:
        return
    current: Scenario = session[app_session.SCENARIO]
    try:
        adoption = adopt(current, outcome.calibration.scenario)
    except ScenarioError as exc:
        session[app_session.ERROR] = str(exc)
        return
    if session.get(ADOPTED) is None or session.get(PREVIOUS) is None:
        session[PREVIOUS] = current  # a second click keeps the plan from before the first
    app_session.load_scenario_from(session, adoption.scenario, source="your CRM export")
    held = []
    if session.get(app_session.BASELINE) is not None:
        held.append("the pinned baseline")
    if session.get(compare.PLANS):
        held.append("the held plans")
    verb = "stays as it was" if len(held) == 1 else "stay as they were"
    after = f" {' and '.join(held).capitalize()} {verb}." if held else ""
    session[ADOPTED] = adoption.message() + after


def on_undo(session: MutableMapping[str, Any]) -> None:
    """Callback for "Undo": the plan as it was before "use as my scenario"."""
    previous = session.get(PREVIOUS)
    if previous is None:
        return
    app_session.load_scenario_from(session, previous, source="your plan before the CRM import")
    session[PREVIOUS] = None
    session[ADOPTED] = None
