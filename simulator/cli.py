"""The ``whiplash`` command line: run, compare, schema (and more subcommands).

Every user error (a bad file, a bad ``--set``) ends with exit status 2 and one line
on standard error naming the field; a traceback is never shown to the user.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .models import MAX_RUNS, Scenario
from .results import SimulationResult, simulate
from .scenario_io import ScenarioError, apply_overrides, load_scenario

EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]
_EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


def register_command(add: Callable[[argparse._SubParsersAction], None]) -> None:
    """Let other modules (diagnosis, optimiser) add subcommands."""
    if add not in _EXTRA_COMMANDS:
        _EXTRA_COMMANDS.append(add)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2, no usage dump
        self.exit(EXIT_USAGE, f"whiplash: error: {message}\n")


def _runs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--runs: {text!r} is not a whole number") from None
    if not 1 <= value <= MAX_RUNS:
        raise argparse.ArgumentTypeError(f"--runs: {value} is outside 1..{MAX_RUNS}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed: {text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--seed: {value} must be 0 or more")
    return value


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


def format_money(value: float) -> str:
    """Money in a few characters: 1.25M, 340k, 900."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f}M"
    if abs(value) >= 1e3:
        return f"{value / 1e3:,.0f}k"
    return f"{value:,.0f}"


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
        f"Totals (median): revenue {format_money(totals['revenue'])}, "
        f"new bookings {format_money(totals['bookings'])}"
    )
    return lines


def _write_csv(result: SimulationResult, path: str) -> None:
    frame = result.quarterly
    try:
        frame.to_csv(path, index=False)
    except OSError as exc:
        raise ScenarioError(f"--csv {path}: cannot write ({exc.strerror})") from None


def _cmd_run(args: argparse.Namespace) -> int:
    scenario = load_with_overrides(args.scenario, args.overrides, args.runs)
    result = simulate(scenario, seed=args.seed)
    if args.csv:
        _write_csv(result, args.csv)
    if args.json:
        print_json(result.to_dict())
    else:
        print("\n".join(summary_lines(result)))
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    results = [
        simulate(load_with_overrides(path, args.overrides, args.runs), seed=args.seed)
        for path in (args.first, args.second)
    ]
    if args.json:
        print_json([r.to_dict() for r in results])
        return 0
    left, right = (summary_lines(r) for r in results)
    width = max(len(line) for line in left) + 4
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        print(f"{a:<{width}}{b}")
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
    """Print one JSON document (every subcommand's --json)."""
    print(json.dumps(_json_ready(data), indent=2, allow_nan=False))


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

    for add in _EXTRA_COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``whiplash`` and ``python -m simulator``."""
    _load_plugins()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error: already printed
        return int(exc.code or 0)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ScenarioError as exc:
        print(f"whiplash: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("whiplash: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _load_plugins() -> None:
    """Import optional subcommand modules (they call :func:`register_command`)."""
    import importlib

    for name in ("simulator.diagnose", "simulator.optimize"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["add_scenario_arguments", "load_with_overrides", "main", "register_command"]
