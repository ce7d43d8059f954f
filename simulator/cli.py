"""The ``whiplash`` command line: every subcommand (run, compare, schema, diagnose,
optimize, workshop) and the ``python -m simulator[.workshop]`` entry points.

This is the only module of ``simulator`` that parses arguments or prints: it imports
the domain (models, results, diagnose, optimize, workshop, ...) and the domain imports
nothing from here (``tests/test_layers.py`` checks it). Every user error (a bad file, a
bad ``--set``) ends with exit status 2 and one line on standard error naming the
field; a traceback is never shown to the user.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from .diagnose import diagnose
from .models import Scenario, Simulation
from .money import money_text
from .optimize import LEVERS, Limits, suggest_fix
from .results import SimulationResult, simulate
from .scenario_io import ScenarioError, apply_overrides, bounded_message, load_scenario
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
    return scenario


def summary_lines(result: SimulationResult) -> list[str]:
    """The readable summary the CLI prints for one result."""
    rep = result.report
    lines = [
        f"Scenario: {result.scenario.meta.title}",
        f"Runs: {result.runs}  seed: {result.seed}  from {result.month_labels[0]} "
        f"for {len(result.month_labels)} months",
        f"Verdict: {rep.verdict.upper()}  (whiplash in {rep.probability:.0%} of runs, "
        f"severe in {rep.severe_probability:.0%})",
        f"Max drawdown (median): {rep.max_drawdown:.0%}   volatility of QoQ change: "
        f"{rep.volatility:.1%}   boom-bust events per run: {rep.boom_bust_events:.2f}",
    ]
    if rep.worst_quarter is not None and rep.worst_quarter_change is not None:
        lines.append(
            f"Worst quarter: {rep.worst_quarter} ({rep.worst_quarter_change:+.0%} median QoQ)"
        )
    if rep.early_warning_months is not None:
        lines.append(
            f"Early warning: coverage fell below the warning level "
            f"{rep.early_warning_months} months before the first bust ({rep.bust_quarter})"
        )
    elif rep.warning_month:
        lines.append(f"Coverage warning from {rep.warning_month}")
    totals = result.to_dict()["totals"]
    lines.append(
        f"Totals (median): revenue {money_text(totals['revenue'])}, "
        f"new bookings {money_text(totals['bookings'])}"
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
    """Write the quarterly CSV; a failure names --csv, the path and why in plain words."""
    target = Path(path)
    try:
        with open(target, "w", encoding="utf-8", newline="") as out:
            result.quarterly.to_csv(out, index=False)
    except FileNotFoundError:
        reason = f"the folder {str(target.parent)!r} does not exist"
        raise ScenarioError(f"--csv {path}: cannot write the file ({reason})") from None
    except IsADirectoryError:
        raise ScenarioError(f"--csv {path}: is a folder; give a file name") from None
    except PermissionError:
        raise ScenarioError(f"--csv {path}: cannot write the file (permission denied)") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ScenarioError(f"--csv {path}: cannot write the file ({reason})") from None


def _cmd_run(args: argparse.Namespace) -> int:
    scenario = load_with_overrides(args.scenario, args.overrides, args.runs)
    result = simulate(scenario, seed=args.seed)
    if args.csv:
        _write_csv(result, args.csv)
    if args.json:
        print_json(result.to_dict())
    else:
        print_lines(summary_lines(result))
    return 0


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
        default=LEVERS,
        metavar="LIST",
        help=f"comma-separated levers the search may move (default {','.join(LEVERS)})",
    )
    cmd.add_argument("--json", action="store_true", help="print one JSON object")
    cmd.set_defaults(handler=_cmd_optimize)


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
    run.add_argument("--csv", metavar="OUT", help="also write quarterly summaries as CSV")
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
    "load_with_overrides",
    "main",
    "print_lines",
    "printable",
]
