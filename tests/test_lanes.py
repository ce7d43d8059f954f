"""The fast lane leaves out what it says: every test named slow still exists."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import SLOW_TESTS

TESTS = Path(__file__).resolve().parent


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("entry", sorted(SLOW_TESTS))
def test_every_slow_test_named_in_conftest_exists(entry: str) -> None:
    """A renamed or moved test would silently come back into ``make test-fast``."""
    file, _, name = entry.partition("::")
    assert (TESTS / file).is_file(), f"{entry}: no tests/{file}"
    assert name in _test_names(TESTS / file), f"{entry}: no such test (renamed?)"
