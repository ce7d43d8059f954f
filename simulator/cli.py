"""The ``whiplash`` command line: every subcommand (run, compare, schema, diagnose,
optimize, workshop, assumptions, assess, calibrate, report) and the
``python -m simulator[.workshop]`` entry points.

This is the only module of ``simulator`` that parses arguments or prints: it imports
the domain (models, results, diagnose, optimize, workshop, ...) and the domain imports
nothing from here (``tests/test_layers.py`` checks it). One exception upwards:
``report`` imports the board report (``ui/report.py``, no Streamlit) when it runs, to
draw the app's own charts. Every user error (a bad file, a
bad ``--set``) ends with exit status 2 and one line on standard error naming the
field; a traceback is never shown to the user.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import stat
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from . import verdict_text
from .assumptions import assess_assumptions
from .bundle import MAX_BUNDLE_BYTES, MAX_PLAN_NAME, MAX_PLANS, Plan, check_name, parse_bundle
from .calibrate import Calibration, calibrate
from .crm_csv import read_export
from .diagnose import diagnose
from .history_csv import HistoryAssessment, assess_history, load_history
from .models import MAX_REPS, Scenario, Simulation
from .money import money_text, set_currency, using_currency
from .optimize import LEVERS, Limits, suggest_fix
from .period_table import period_csv
from .results import SimulationResult, simulate
from .scenario_io import (
    ScenarioError,
    apply_overrides,
    bounded_message,
    dump_scenario,
    list_presets,
    load_preset,
    load_scenario,
    parse_scenario,
    read_toml,
)
from .workshop import DEFAULT_WORKSHOP, answer_sheet, list_workshops, load_workshop

EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Characters a terminal obeys instead of showing: C0 and C1 controls (ESC starts ANSI
and OSC sequences, CR overwrites a line, LF fakes one), DEL and bidi overrides."""


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x20 or code == 0x7F:
        return "^" + chr(code ^ 0x40)  # caret notation: ESC is ^[, LF is ^J
    return f"<U+{code:04X}>"


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: every control character and bidi override
    shown as a visible placeholder, so user text (a title, a name, a value quoted in an
    error) can neither fake a line nor send escape sequences."""
    return _UNSAFE.sub(lambda m: _visible(m.group()), text)


def print_lines(lines: Iterable[str], *, file: TextIO | None = None) -> None:
    """Print each line made :func:`printable` (every subcommand's text output)."""
    print("\n".join(printable(line) for line in lines), file=file or sys.stdout)


def _error(message: str) -> None:
    """One short, printable line on stderr."""
    print_lines([f"whiplash: error: {bounded_message(message)}"], file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, status 2, no usage dump
        _error(message)
        self.exit(EXIT_USAGE)


def _field_range(name: str) -> tuple[int, int]:
    """The bounds ``Simulation.<name>`` declares, so an option accepts what a file does."""
    low = high = None
    for item in Simulation.model_fields[name].metadata:
        low = getattr(item, "ge", None) if getattr(item, "ge", None) is not None else low
        high = getattr(item, "le", None) if getattr(item, "le", None) is not None else high
    assert low is not None and high is not None, name
    return low, high


def _whole_number(option: str, field: str) -> Callable[[str], int]:
    """An option's parser: ASCII digits only (``int`` also reads '١٢' and '1_0'), within
    the range of the model's field."""
    low, high = _field_range(field)

    def parse(text: str) -> int:
        if not re.fullmatch(r"[0-9]{1,20}", text.strip()):
            shown = text if len(text) <= 30 else text[:27] + "..."
            raise argparse.ArgumentTypeError(f"{option}: {shown!r} is not a whole number")
        value = int(text.strip())
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{option}: {value} is outside {low}..{high}")
        return value

    return parse


_runs = _whole_number("--runs", "runs")
_seed = _whole_number("--seed", "seed")


def add_scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every scenario-taking subcommand shares."""
    parser.add_argument("--runs", type=_runs, help="Monte Carlo runs (default: the file's)")
    parser.add_argument("--seed", type=_seed, help="random seed (default: the file's)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field, e.g. effort.attract=0.3 or contracts.0.ends=2013-06",
    )


def load_with_overrides(path: str, overrides: Sequence[str], runs: int | None) -> Scenario:
    """Load a file, apply --set overrides and the --runs limit check, all validated."""
    scenario = load_scenario(path)
    if overrides:
        scenario = apply_overrides(scenario, overrides)
    if runs is not None:
        scenario = apply_overrides(scenario, [f"simulation.runs={runs}"])
    set_currency(scenario.currency)  # the command's amounts are in its scenario's currency
    return scenario


def load_file_or_preset(name: str) -> Scenario:
    """A scenario file, or a preset's name (``single_threaded``) when no such file exists."""
    presets = list_presets()
    try:
        is_file = Path(name).exists()
    except (OSError, ValueError):  # a NUL or an over-long name: not a file
        is_file = False
    if not is_file and name in presets:
        scenario = load_preset(name)
    elif not is_file:
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise ScenarioError(
            f"{shown}: no such scenario file or preset (presets: {', '.join(presets) or 'none'})"
        )
    else:
        scenario = load_scenario(name)
    set_currency(scenario.currency)  # the command's amounts are in its scenario's currency
    return scenario


def summary_lines(result: SimulationResult) -> list[str]:
    """The readable summary the CLI prints for one result: the verdict as the app words
    it (:mod:`simulator.verdict_text`), the bookings lens and the early warning."""
    v, rep = result.whiplash, result.report
    seasonal = "yes" if v.seasonal else "no"
    lines = [
        f"Scenario: {result.scenario.meta.title}",
        f"Futures (runs): {result.runs}  seed: {result.seed}  from {result.month_labels[0]} "
        f"for {len(result.month_labels)} months",
        f"Verdict: {v.verdict.upper()}  ({verdict_text.odds(v)})",
        *(f"  {line}" for line in verdict_text.context_sentences(v)),
        f"Trend: {v.trend} ({verdict_text.signed(v.trend_rate)} a year)   seasonal: {seasonal}   "
        f"deal luck: {v.luck_share:.0%} of the swing{' (lumpy deals)' if v.lumpy else ''}   "
        f"boom-busts per future (worst three years): {v.boom_bust_events:.2f}",
        verdict_text.bookings_sentence(result.bookings),
    ]
    if rep.worst_quarter is not None and rep.worst_quarter_change is not None:
        lines.append(
            f"Worst quarter: {rep.worst_quarter} ({rep.worst_quarter_change:+.0%} change on "
            "the quarter before, middle future)"
        )
    lines.append(verdict_text.warning_sentence(result.early_warning))
    totals = result.to_dict()["totals"]
    currency = result.scenario.currency  # ``compare`` may show two currencies side by side
    lines.append(
        f"Totals (middle future): revenue {money_text(totals['revenue'], currency=currency)}, "
        f"new bookings {money_text(totals['bookings'], currency=currency)}"
    )
    book = []
    if rep.net_revenue_retention is not None and rep.gross_revenue_retention is not None:
        lowest = rep.lowest_gross_revenue_retention
        worst = f", gross at its lowest {lowest:.0%}" if lowest is not None else ""
        book.append(
            f"net revenue retention {rep.net_revenue_retention:.0%}, "
            f"gross {rep.gross_revenue_retention:.0%} (last 12 months{worst})"
        )
    if rep.top_accounts_share is not None:
        book.append(f"top 10 accounts hold up to {rep.top_accounts_share:.0%} of it")
    if book:
        lines.append("Recurring book (median): " + "; ".join(book))
    return lines


def _write_csv(result: SimulationResult, path: str) -> None:
    """Write the quarterly CSV (one row per quarter, rounded, units in the headers: the
    app's download too)."""
    _write_bytes(period_csv(result, by="quarter").encode("utf-8"), path, option="--csv")


def _cmd_run(args: argparse.Namespace) -> int:
    scenario = load_with_overrides(args.scenario, args.overrides, args.runs)
    if args.csv:
        _check_output(args.csv, option="--csv")
    result = simulate(scenario, seed=args.seed)
    if args.csv:
        _write_csv(result, args.csv)
    if args.json:
        print_json(run_json(result))
    else:
        print_lines(summary_lines(result))
    return 0


def run_json(result: SimulationResult) -> dict[str, Any]:
    """``run --json``: the result's object (:meth:`SimulationResult.to_dict`): its
    ``whiplash`` verdict with ``trend`` and ``seasonal``, and the ``bookings`` lens."""
    return result.to_dict()


def _cmd_compare(args: argparse.Namespace) -> int:
    results = [
        simulate(load_with_overrides(path, args.overrides, args.runs), seed=args.seed)
        for path in (args.first, args.second)
    ]
    if args.json:
        print_json([r.to_dict() for r in results])
        return 0
    left, right = ([printable(line) for line in summary_lines(r)] for r in results)
    width = max(len(line) for line in left) + 4
    rows = []
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        rows.append(f"{a:<{width}}{b}")
    print_lines(rows)
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return 0


def _json_ready(value: Any) -> Any:
    """Plain JSON values: numpy scalars as Python numbers, NaN and infinity as null."""
    if hasattr(value, "item") and not isinstance(value, dict | list | tuple):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def print_json(data: Any) -> None:
    """Print one JSON document (every subcommand's --json). ``ensure_ascii`` (the
    default, kept on purpose) writes every control and non-ASCII character as ``\\uXXXX``,
    so user text in it is terminal-safe too."""
    print(json.dumps(_json_ready(data), indent=2, allow_nan=False, ensure_ascii=True))


def _cmd_diagnose(args: argparse.Namespace) -> int:
    scenario = load_with_overrides(args.scenario, args.overrides, None)
    result = diagnose(scenario, runs=args.runs, seed=args.seed)
    if args.json:
        print_json(result.to_dict())
    else:
        print_lines(result.lines())
    return 0


def _add_diagnose(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "diagnose", help="rank the causes of a scenario's whiplash (each neutralised alone)"
    )
    cmd.add_argument("scenario", help="scenario TOML file, e.g. scenarios/team_a_team_b.toml")
    add_scenario_arguments(cmd)
    cmd.add_argument("--json", action="store_true", help="print one JSON object")
    cmd.set_defaults(handler=_cmd_diagnose)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--keep-revenue: {text!r} is not a number") from None
    if not 0.0 <= value <= 2.0:
        raise argparse.ArgumentTypeError(f"--keep-revenue: {value} is outside 0..2 (0.95 = 95%)")
    return value


def _bounded_int(name: str, low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not re.fullmatch(r"[0-9]{1,4}", text.strip()):  # ASCII: int() takes '١٢' and '1_0'
            raise argparse.ArgumentTypeError(f"{name}: {text!r} is not a whole number")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name}: {value} is outside {low}..{high}")
        return value

    return parse


def _levers(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in LEVERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"--levers: {', '.join(unknown) or 'none given'}; choose from {','.join(LEVERS)}"
        )
    return names


def _cmd_optimize(args: argparse.Namespace) -> int:
    scenario = load_with_overrides(args.scenario, args.overrides, None)
    limits = Limits(
        keep_revenue=args.keep_revenue,
        max_shift_months=args.max_shift_months,
        max_contacts=args.max_contacts,
        levers=args.levers,
        max_extra_reps=float(args.max_extra_reps),
    )
    result = suggest_fix(scenario, limits=limits, runs=args.runs, seed=args.seed)
    if args.json:
        print_json(result.to_dict())
    else:
        print_lines(result.lines())
    return 0


def _add_optimize(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("optimize", help="suggest a smoother plan that keeps most of the revenue")
    cmd.add_argument("scenario", help="scenario TOML file, e.g. scenarios/team_a_team_b.toml")
    add_scenario_arguments(cmd)
    cmd.add_argument(
        "--keep-revenue",
        type=_share,
        default=Limits.keep_revenue,
        metavar="SHARE",
        help="keep at least this share of the current median revenue (default 0.95)",
    )
    cmd.add_argument(
        "--max-shift-months",
        type=_bounded_int("--max-shift-months", 0, 36),
        default=Limits.max_shift_months,
        metavar="N",
        help="move each renewal date by at most N months (default 6; 0 = dates fixed)",
    )
    cmd.add_argument(
        "--max-contacts",
        type=_bounded_int("--max-contacts", 1, 20),
        default=Limits.max_contacts,
        metavar="N",
        help="at most N buyer contacts per account (default 4)",
    )
    cmd.add_argument(
        "--levers",
        type=_levers,
        default=Limits.levers,
        metavar="LIST",
        help=(
            f"comma-separated levers the search may move, from {','.join(LEVERS)} "
            f"(default {','.join(Limits.levers)})"
        ),
    )
    cmd.add_argument(
        "--max-extra-reps",
        type=_bounded_int("--max-extra-reps", 0, 9999),
        default=0,
        metavar="N",
        help="with --levers hiring: at most N more reps than a change of plan hires (default 0)",
    )
    cmd.add_argument("--json", action="store_true", help="print one JSON object")
    cmd.set_defaults(handler=_cmd_optimize)


def _cmd_assumptions(args: argparse.Namespace) -> int:
    scenario = load_file_or_preset(args.scenario)
    if args.overrides:
        scenario = apply_overrides(scenario, args.overrides)
    result = assess_assumptions(scenario, runs=args.runs, seed=args.seed)
    if args.json:
        print_json(result.to_dict())
    else:
        print_lines(result.lines())
    return 0


def _add_assumptions(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "assumptions",
        help="how the verdict moves across each judgement constant's plausible range",
    )
    cmd.add_argument(
        "scenario",
        metavar="FILE_OR_PRESET",
        help="scenario TOML file or preset name, e.g. single_threaded",
    )
    add_scenario_arguments(cmd)
    cmd.add_argument("--json", action="store_true", help="print one JSON object")
    cmd.set_defaults(handler=_cmd_assumptions)


def assess_lines(assessment: HistoryAssessment) -> list[str]:
    """The readable verdict of an actual revenue history."""
    v, h = assessment.verdict, assessment.history
    count = len(h.periods)
    span = f"{count} {h.period}{'s' if count != 1 else ''}, {h.periods[0]} to {h.periods[-1]}"
    if h.period == "month":
        span += f", judged as {len(h.quarters)} quarters ({h.quarters[0]} to {h.quarters[-1]})"
    lines = [f"History: {h.source}", f"Periods: {span}"]
    if h.partial_first_months:
        lines.append(
            f"  the first {h.partial_first_months} month(s) are left out: "
            "their quarter is incomplete"
        )
    if h.partial_last_months:
        lines.append(
            f"  {h.quarters[-1]} has {h.partial_last_months} month(s) so far and counts "
            "at its run-rate"
        )
    detail = f"largest fall within a year: {v.largest_fall:.0%}"
    if assessment.fall_from and assessment.fall_to:
        detail += f", {assessment.fall_from} to {assessment.fall_to}"
    lines.append(f"Verdict: {v.verdict.upper()}  ({detail})")
    peaks = assessment.boom_bust_quarters
    lines.append(f"Boom-busts: {len(peaks)}" + (f" (peaks in {', '.join(peaks)})" if peaks else ""))
    lines.append(f"Trend: {v.trend} ({v.trend_rate:+.0%} a year)")
    if v.seasonal:
        pattern = ", ".join(f"{q} {share:+.0%}" for q, share in v.season.items())
        lines.append(f"Seasonal: yes ({pattern} against a typical quarter)")
    elif len(h.quarters) < 8:
        lines.append("Seasonal: cannot tell (needs two years of quarters)")
    else:
        lines.append("Seasonal: no")
    return lines


def _cmd_assess(args: argparse.Namespace) -> int:
    assessment = assess_history(load_history(args.history))
    if args.json:
        print_json(assessment.as_dict())
    else:
        print_lines(assess_lines(assessment))
    return 0


def _add_assess(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "assess", help="judge an actual revenue history (CSV: month or quarter, revenue)"
    )
    cmd.add_argument(
        "history",
        help="CSV file with a 'month' (YYYY-MM) or 'quarter' (YYYYQn) column and a "
        "'revenue' column",
    )
    cmd.add_argument("--json", action="store_true", help="print one JSON object")
    cmd.set_defaults(handler=_cmd_assess)


def _cmd_workshop(args: argparse.Namespace) -> int:
    lines = answer_sheet(load_workshop(args.name))
    while lines and not lines[-1]:  # no blank line after the last step
        lines.pop()
    print_lines(lines)
    return 0


def _add_workshop(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "workshop", help="print a workshop's answer sheet (each step's answer and fix)"
    )
    cmd.add_argument(
        "name",
        nargs="?",
        default=DEFAULT_WORKSHOP,
        help=f"a workshop in scenarios/workshops/ (default {DEFAULT_WORKSHOP}; "
        f"available: {', '.join(list_workshops()) or 'none'})",
    )
    cmd.set_defaults(handler=_cmd_workshop)


def _mapping(items: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """``--map FIELD=COLUMN`` options: (opportunities, contracts) field -> column."""
    opportunities: dict[str, str] = {}
    contracts: dict[str, str] = {}
    for item in items:
        name, sep, column = item.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            raise ScenarioError(f"--map {item!r}: expected FIELD=COLUMN, e.g. amount=Deal Value")
        if name.startswith("contracts."):
            contracts[name.removeprefix("contracts.")] = column
        else:
            opportunities[name.removeprefix("opportunities.")] = column
    return opportunities, contracts


def _reps(text: str) -> float:
    if not re.fullmatch(r"[0-9]{1,6}(?:\.[0-9]{1,6})?", text.strip()):
        raise argparse.ArgumentTypeError(f"--reps: {text[:30]!r} is not a number of reps")
    value = float(text)
    if not 0 < value <= MAX_REPS:
        raise argparse.ArgumentTypeError(f"--reps: {value:g} is outside 0 < reps <= {MAX_REPS:,}")
    return value


def calibration_lines(cal: Calibration) -> list[str]:
    """The readable summary of a calibration: the fitted lines, the book, the backtest
    and the data-quality notes."""
    scenario = cal.scenario
    who = {"owners": "distinct owners", "given": "--reps", "default": "model default"}
    lines = [
        f"Calibrated: {cal.rows:,} opportunities, lead flow from {cal.first_month}, export "
        f"of {cal.as_of.isoformat()}; the scenario starts {scenario.simulation.start}",
        f"Reps: {cal.reps:g} ({who[cal.reps_source]})   open deals: {cal.open_deals:,}",
        "",
        f"{'Line':<24} {'win rate':>8} {'cycle':>6} {'deal size':>11} {'cv':>5} "
        f"{'created/mo':>10} {'leads/rep-mo':>12} {'open':>6}",
    ]
    for f in cal.lines:
        lines.append(
            f"{f.name[:24]:<24} {f.win_rate:>8.1%} {f.sales_cycle_months:>4} mo "
            f"{f.deal_size:>11,.0f} {f.deal_size_cv:>5.2f} {f.created_per_month:>10.1f} "
            f"{f.leads_per_rep_month:>12.2f} {sum(f.open_deals):>6,}"
        )
    if cal.seasonality:
        lines.append(
            "Seasonality of leads (Jan-Dec): " + " ".join(f"{x:.2f}" for x in cal.seasonality)
        )
    if cal.contracts:
        c = cal.contracts
        lines.append(
            f"Book: {c['in_force']:,} contracts in force, {c['book_value']:,.0f} a year: "
            f"{c['explicit']:,} as [[contracts]], {c['pooled']:,} pooled"
        )
    bt = cal.backtest
    if bt is not None:
        lines += [
            "",
            f"Backtest {bt.months[0]} to {bt.months[-1]} ({bt.runs} runs): actual bookings "
            f"within the simulated 10-90% band in {bt.within_band} of {len(bt.months)} months; "
            f"total {bt.total_actual:,.0f} actual, {bt.total_p50:,.0f} simulated (median)",
            f"{'month':<8} {'actual':>12} {'p10':>12} {'p50':>12} {'p90':>12}",
        ]
        for month, a, lo, mid, hi in zip(bt.months, bt.actual, bt.p10, bt.p50, bt.p90, strict=True):
            mark = "" if lo <= a <= hi else "  outside"
            lines.append(f"{month:<8} {a:>12,.0f} {lo:>12,.0f} {mid:>12,.0f} {hi:>12,.0f}{mark}")
    if cal.warnings:
        lines += ["", "Data-quality notes:", *(f"- {w}" for w in cal.warnings)]
    return lines


def calibrated_toml(cal: Calibration) -> str:
    """The scenario file ``-o`` writes: the notes as comments, then the scenario."""
    head = [
        f"# Calibrated by whiplash calibrate from a CRM export of {cal.as_of.isoformat()}.",
        "# Data-quality notes:" if cal.warnings else "# No data-quality notes.",
        *(f"# - {printable(w)}" for w in cal.warnings),
        "",
    ]
    return "\n".join(head) + "\n" + dump_scenario(cal.scenario)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    mapping, contract_mapping = _mapping(args.map)
    if args.output:
        _check_output(args.output, option="-o")
    opportunities = read_export(args.opportunities, option="OPPORTUNITIES")
    contracts = read_export(args.contracts, option="--contracts") if args.contracts else None
    cal = calibrate(
        opportunities,
        source=Path(args.opportunities).name,
        contracts=contracts,
        contracts_source=Path(args.contracts).name if args.contracts else "contracts",
        mapping=mapping,
        contract_mapping=contract_mapping,
        won=args.won,
        lost=args.lost,
        reps=args.reps,
        date_order=args.date_order,
    )
    text = calibrated_toml(cal)
    if parse_scenario(text, source="the calibrated scenario") != cal.scenario:  # pragma: no cover
        raise ScenarioError("the calibrated scenario does not load back; please report it")
    if args.output:
        _write_bytes(text.encode("utf-8"), args.output, option="-o")
    if args.json:
        data = cal.to_dict()
        data["scenario"] = args.output
        print_json(data)
        return 0
    lines = calibration_lines(cal)
    if args.output:
        lines += ["", f"Scenario written to {args.output} (try: whiplash run {args.output})"]
    else:
        lines += ["", "Write the scenario with -o SCENARIO.toml"]
    print_lines(lines)
    return 0


def _add_calibrate(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "calibrate",
        help="fit a scenario to a CRM export (opportunities, optionally contracts)",
        description="Fit win rates, cycles, deal sizes, lead flow, the open pipeline and "
        "the book to a CRM export, and backtest the fit against the export's own bookings.",
    )
    cmd.add_argument("opportunities", metavar="OPPORTUNITIES.csv", help="opportunities export")
    cmd.add_argument(
        "--contracts", metavar="CONTRACTS.csv", help="contracts or subscriptions export"
    )
    cmd.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="the column of a field, e.g. amount='Deal Value' or contracts.end=Renewal",
    )
    cmd.add_argument(
        "--won", action="extend", nargs="+", default=[], metavar="STAGE", help="stages that are won"
    )
    cmd.add_argument(
        "--lost",
        action="extend",
        nargs="+",
        default=[],
        metavar="STAGE",
        help="stages that are lost",
    )
    cmd.add_argument("--reps", type=_reps, help="team size (default: distinct owners)")
    cmd.add_argument(
        "--date-order",
        choices=("dmy", "mdy"),
        help="day/month or month/day, for numeric dates the file does not settle",
    )
    cmd.add_argument("-o", "--output", metavar="SCENARIO.toml", help="write the fitted scenario")
    cmd.add_argument("--json", action="store_true", help="print one JSON object")
    cmd.set_defaults(handler=_cmd_calibrate)


def _check_output(path: str, *, option: str) -> None:
    """Refuse a file the command cannot write before the work that fills it: a missing
    folder or a folder given as the file is known at once, not after a simulation."""
    target = Path(path)
    if target.is_dir():
        raise ScenarioError(f"{option} {path}: is a folder; give a file name")
    if not target.parent.is_dir():
        reason = f"the folder {str(target.parent)!r} does not exist"
        raise ScenarioError(f"{option} {path}: cannot write the file ({reason})")


def _write_bytes(data: bytes, path: str, *, option: str) -> None:
    """Write a file the command was asked for (--csv, -o, --png); a failure names the
    option, the path and why in plain words."""
    target = Path(path)
    try:
        target.write_bytes(data)
    except FileNotFoundError:
        reason = f"the folder {str(target.parent)!r} does not exist"
        raise ScenarioError(f"{option} {path}: cannot write the file ({reason})") from None
    except IsADirectoryError:
        raise ScenarioError(f"{option} {path}: is a folder; give a file name") from None
    except PermissionError:
        raise ScenarioError(f"{option} {path}: cannot write the file (permission denied)") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ScenarioError(f"{option} {path}: cannot write the file ({reason})") from None


def _read_bundle(path: str) -> bytes:
    """A plan bundle's (or a scenario file's) bytes: a regular file (checked before it
    is opened, so a pipe cannot hang the command) of at most MAX_BUNDLE_BYTES."""
    target = Path(path)
    try:
        info = target.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError(f"--compare {path}: is a folder, not a plan bundle or scenario")
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(f"--compare {path}: is not a regular file")
        if info.st_size > MAX_BUNDLE_BYTES:
            raise ScenarioError(
                f"--compare {path}: the file is {info.st_size:,} bytes; the limit is "
                f"{MAX_BUNDLE_BYTES:,}"
            )
        with target.open("rb") as handle:
            return handle.read(MAX_BUNDLE_BYTES + 1)
    except ScenarioError:
        raise
    except FileNotFoundError:
        raise ScenarioError(f"--compare {path}: no such file") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ScenarioError(f"--compare {path}: cannot be read ({reason})") from None


def _plans_of(path: str) -> list[Plan]:
    """The plans of a ``--compare`` file: a bundle's plans, or a scenario file as one
    plan named after the file ("best_case.toml" is "best_case")."""
    raw = _read_bundle(path)
    name = Path(path).name
    data = read_toml(raw, source=name, max_bytes=MAX_BUNDLE_BYTES)
    if "bundle" in data or "plans" in data:
        return list(parse_bundle(raw, source=name))
    stem = check_name(Path(path).stem[:MAX_PLAN_NAME], where=f"--compare {name}")
    return [Plan(name=stem, scenario=parse_scenario(raw, source=name))]


def _cmd_report(args: argparse.Namespace) -> int:
    scenario = load_file_or_preset(args.scenario)
    if args.overrides:
        scenario = apply_overrides(scenario, args.overrides)
    if args.runs is not None:
        scenario = apply_overrides(scenario, [f"simulation.runs={args.runs}"])
    plans: list[Plan] = []
    for path in args.compare:
        plans += _plans_of(path)
    if len(plans) > MAX_PLANS:
        raise ScenarioError(f"--compare: {len(plans)} plans; a report compares at most {MAX_PLANS}")
    output = args.output
    if not output.lower().endswith((".pdf", ".png")):
        raise ScenarioError(f"-o {output}: name a .pdf file (or a .png one with --png)")
    png = output if output.lower().endswith(".png") else str(Path(output).with_suffix(".png"))
    _check_output(output, option="-o")
    if args.png:
        _check_output(png, option="--png")
    result = simulate(scenario, seed=args.seed).summary_only()
    if args.runs is not None:  # --runs is every plan's, so the report's plans compare alike
        plans = [
            Plan(p.name, apply_overrides(p.scenario, [f"simulation.runs={args.runs}"]))
            for p in plans
        ]
    compared = [(p.name, simulate(p.scenario, seed=args.seed).summary_only()) for p in plans]
    from ui import report  # the app's charts: imported only by this command, once it runs

    written = []
    if output.lower().endswith(".pdf"):
        _write_bytes(report.report_pdf(result, compared=compared), output, option="-o")
        written.append(output)
    if args.png or output.lower().endswith(".png"):
        _write_bytes(report.report_png(result, compared=compared), png, option="--png")
        written.append(png)
    verdict = result.whiplash.verdict.upper()
    held = f", compared with {', '.join(name for name, _ in compared)}" if compared else ""
    print_lines(
        [
            f"Report on {scenario.meta.title} ({verdict}, {result.runs:,} futures{held})",
            *(f"written to {path}" for path in written),
        ]
    )
    return 0


def _add_report(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "report",
        help="write the board report (PDF, two pages; --png: its first page as a picture)",
        description="The app's board report without a browser: the verdict in words, key "
        "figures, revenue fan, quarterly bars, renewal calendar, settings and changes, and "
        "the plans of a bundle compared.",
    )
    cmd.add_argument("scenario", metavar="FILE_OR_PRESET", help="scenario TOML file or preset name")
    cmd.add_argument("-o", "--output", required=True, metavar="REPORT.pdf", help="the PDF")
    cmd.add_argument(
        "--png", action="store_true", help="also write the first page as REPORT.png beside it"
    )
    cmd.add_argument(
        "--compare",
        nargs="+",
        default=[],
        metavar="FILE",
        help="plans to compare: a plan bundle (the app's 'Save plans' file) or scenario "
        "files, each named after its file; at most 4 plans",
    )
    add_scenario_arguments(cmd)
    cmd.set_defaults(handler=_cmd_report)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="whiplash",
        description="Will this sales plan produce boom-and-bust revenue? Simulate and see.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="simulate one scenario and print its whiplash summary")
    run.add_argument("scenario", help="scenario TOML file, e.g. scenarios/balanced.toml")
    add_scenario_arguments(run)
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.add_argument(
        "--csv",
        metavar="OUT",
        help="also write the results as CSV, a row per quarter, units in names",
    )
    run.set_defaults(handler=_cmd_run)

    compare = sub.add_parser("compare", help="simulate two scenarios side by side")
    compare.add_argument("first")
    compare.add_argument("second")
    add_scenario_arguments(compare)
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(handler=_cmd_compare)

    schema = sub.add_parser("schema", help="print the scenario file's JSON Schema")
    schema.set_defaults(handler=_cmd_schema)

    _add_diagnose(sub)
    _add_optimize(sub)
    _add_workshop(sub)
    _add_assumptions(sub)
    _add_assess(sub)
    _add_calibrate(sub)
    _add_report(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``whiplash``, ``python -m simulator`` and (with ``workshop`` in
    front of its arguments) ``python -m simulator.workshop``."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error: already printed
        return int(exc.code or 0)
    handler: Handler = args.handler
    try:
        with using_currency(None):  # a loaded scenario sets its own for this command only
            return handler(args)
    except ScenarioError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except (MemoryError, RecursionError):
        _error("the scenario needs more memory than this machine has; lower the runs")
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("whiplash: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = [
    "add_scenario_arguments",
    "load_file_or_preset",
    "load_with_overrides",
    "main",
    "print_lines",
    "printable",
]
