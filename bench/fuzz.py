"""Fuzzing the scenario boundary: ``make fuzz`` (``python -m bench.fuzz``).

Hypothesis strategies generate malformed and extreme scenario documents (wrong types,
missing and extra keys, NaN, inf, 1e308, negative and zero values, empty tables, huge
arrays, odd Unicode, deep nesting, huge strings) as dicts, as TOML text, as ``--set``
overrides and as command lines. Each case must end in one of two ways:

* a validated scenario whose simulation (with few runs) is finite and non-negative, or
* a :class:`ScenarioError` whose one-line message names the field (for the CLI: exit
  status 2, one line on stderr, no traceback).

The app's own boundaries are fuzzed too: share links (damaged and bomb payloads, odd
parameters) must open a valid scenario with a few short notes, within a traced-memory
bound; contract-table edits must be stored exactly as meant or refused naming the cell;
typed amounts must be read exactly or refused (``tests/support/fuzz_ui.py``).

Anything else (an uncaught exception, a NaN in a result, a message naming nothing) is a
failure. The strategies and checks live in ``tests/support/fuzz.py``, which
``tests/test_fuzz.py`` runs with a small budget in ``make test``; this module runs at
least 10,000 cases and reports the count and the outcomes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from simulator import load_preset
from tests.support.fuzz import (
    PRESET_DOCUMENTS,
    SUBPROCESS_CASES,
    FuzzFailure,
    check_cli,
    check_dict,
    check_file,
    check_overrides,
    check_subprocess,
    check_text,
    cli_cases,
    malformed_documents,
    malformed_texts,
    override_lists,
    valid_documents,
)
from tests.support.fuzz_ui import (
    book_edits,
    check_book_edit,
    check_link,
    check_link_memory,
    check_money,
    link_bombs,
    link_params,
    money_texts,
)

# --- The runner.
TARGETS: dict[str, tuple[st.SearchStrategy, Callable[[Any], str]]] = {
    "loader: dicts (scenario_from_dict)": (malformed_documents(), check_dict),
    "loader: TOML text (parse_scenario)": (malformed_texts(), check_text),
    "loader: files (load_scenario)": (malformed_texts(), check_file),
    "overrides (--set)": (
        st.tuples(st.sampled_from(sorted(PRESET_DOCUMENTS)), override_lists()),
        lambda case: check_overrides(load_preset(case[0]), case[1]),
    ),
    "engine: valid extremes (simulate)": (valid_documents(max_contracts=40), check_dict),
    "CLI in-process (whiplash run)": (cli_cases(), lambda case: check_cli(*case)),
    "share links (scenario_from_params)": (link_params(), check_link),
    "share-link bombs, traced memory": (link_bombs(), check_link_memory),
    "contract table edits (read_book, on_book_edit)": (
        book_edits(),
        lambda case: check_book_edit(*case),
    ),
    "typed amounts (parse_money)": (money_texts(), check_money),
}
SHARES = {
    "loader: dicts (scenario_from_dict)": 0.2,
    "loader: TOML text (parse_scenario)": 0.15,
    "loader: files (load_scenario)": 0.04,
    "overrides (--set)": 0.15,
    "engine: valid extremes (simulate)": 0.12,
    "CLI in-process (whiplash run)": 0.12,
    "share links (scenario_from_params)": 0.08,
    "share-link bombs, traced memory": 0.02,
    "contract table edits (read_book, on_book_edit)": 0.07,
    "typed amounts (parse_money)": 0.05,
}


def fuzz_target(
    strategy: st.SearchStrategy, check: Callable[[Any], str], *, cases: int, seed: int
) -> Counter:
    """Run ``cases`` generated cases through ``check``; raise on the first failure."""
    outcomes: Counter = Counter()

    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(seed)  # reproducible runs of make fuzz
    @given(strategy)
    def case(value: Any) -> None:
        outcomes[check(value)] += 1

    case()
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000, help="generated cases in all")
    parser.add_argument("--seed", type=int, default=2012, help="hypothesis seed")
    args = parser.parse_args(argv)
    print(
        f"Fuzzing {args.cases:,} generated cases (seed {args.seed}) plus "
        f"{len(SUBPROCESS_CASES)} real subprocess calls"
    )
    total = 0
    failures = 0
    started = time.perf_counter()
    print("\n| Target | Cases | Outcomes | Seconds |\n|---|---:|---|---:|")
    for name, (strategy, check) in TARGETS.items():
        cases = max(1, round(args.cases * SHARES[name]))
        t0 = time.perf_counter()
        try:
            outcomes = fuzz_target(strategy, check, cases=cases, seed=args.seed)
        except FuzzFailure as exc:
            failures += 1
            print(f"| {name} | FAILED | {exc} | |")
            continue
        count = sum(outcomes.values())
        total += count
        summary = ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items()))
        print(f"| {name} | {count:,} | {summary} | {time.perf_counter() - t0:.1f} |")
    t0 = time.perf_counter()
    sub = Counter()
    for label, cli_args in SUBPROCESS_CASES:
        try:
            sub[check_subprocess(cli_args)] += 1
        except FuzzFailure as exc:
            failures += 1
            print(f"| CLI subprocess: {label} | FAILED | {exc} | |")
    total += sum(sub.values())
    summary = ", ".join(f"{k} {v:,}" for k, v in sorted(sub.items()))
    print(
        f"| CLI subprocess (python -m simulator) | {sum(sub.values())} | {summary} "
        f"| {time.perf_counter() - t0:.1f} |"
    )
    elapsed = time.perf_counter() - started
    print(f"\n{total:,} cases in {elapsed:.0f} s; failures: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
