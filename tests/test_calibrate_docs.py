"""The calibration's docs say what the code does: the README's example is today's
output, and SECURITY.md and docs/calibration.md state the CSV limits of the code."""

from __future__ import annotations

import re
from pathlib import Path

from simulator import crm_csv
from simulator.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_example_is_what_calibrate_prints(capsys):
    example = re.search(r"```text\n(Calibrated: .*?)```", README, re.S).group(1)
    assert main(["calibrate", "examples/crm_opportunities.csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(example)


def test_the_csv_limits_are_documented_with_their_values():
    security = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    for name in dir(crm_csv):
        if name.startswith("MAX_"):
            value = getattr(crm_csv, name)
            row = re.search(rf"`{name}` \| ([\d,]+) \|", security)
            assert row, f"SECURITY.md does not list {name}"
            assert int(row.group(1).replace(",", "")) == value, name
            assert re.search(rf"`{name}` {value:,}\b", guide), f"docs/calibration.md: {name}"
