"""docs/workshop-guide.md's room section must match the room store: limits and scores."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rooms import codes, plans, store, team_result
from simulator import load_preset, simulate
from ui.format import money

GUIDE = (Path(__file__).resolve().parent.parent / "docs" / "workshop-guide.md").read_text(
    encoding="utf-8"
)
ROOM = GUIDE[GUIDE.index("## Running a room") :]
LIMIT_ROW = re.compile(r"^\| `([A-Z_]+)` \| ([0-9,]+) \|", re.MULTILINE)


def test_every_limit_in_the_guide_is_the_stores():
    documented = {name: int(value.replace(",", "")) for name, value in LIMIT_ROW.findall(ROOM)}
    assert len(documented) >= 10
    for name, value in documented.items():
        module = next(m for m in (store, codes, plans) if hasattr(m, name))
        actual = getattr(module, name)
        assert actual == value, name
    named = {n for n in dir(store) if n.startswith(("MAX_", "ROOM_", "JOIN_"))}
    named -= {"MAX_FAILURE_ROWS", "MAX_NAME", "MAX_TITLE"}  # internal or in codes
    assert named <= set(documented), named - set(documented)


def test_the_guide_gives_the_code_length_and_bits():
    assert f"{codes.CODE_LENGTH} characters" in ROOM and f"{codes.CODE_BITS} bits" in ROOM


@pytest.mark.parametrize(("preset", "shown"), re.findall(r"`([a-z_]+)` (\$[0-9.]+[kM])", ROOM))
def test_the_scores_quoted_in_the_guide_are_what_the_score_gives(preset: str, shown: str):
    summary = simulate(load_preset(preset)).summary_only()
    assert money(team_result(summary, sentence="").score) == shown
