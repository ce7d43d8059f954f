"""The README's example outputs are what the commands print today (seeded, so exact)."""

import re
from pathlib import Path

import pytest

from simulator.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def example(first_line: str) -> str:
    match = re.search(r"```text\n(" + re.escape(first_line) + r".*?)```", README, re.S)
    assert match, f"README has no example starting {first_line!r}"
    return match.group(1)


@pytest.mark.parametrize(
    ("first_line", "args"),
    [
        ("Scenario: The 2012 client", ["run", "scenarios/team_a_team_b.toml"]),
        ("Diagnosis: The 2012 client", ["diagnose", "scenarios/team_a_team_b.toml"]),
    ],
)
def test_readme_example_is_current(capsys, first_line, args):
    assert main(args) == 0
    assert capsys.readouterr().out == example(first_line)
