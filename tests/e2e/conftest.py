"""Settings every browser test shares: the ``e2e`` marker and one Playwright timeout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.server import BROWSER_TIMEOUT_MS

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e as ``e2e``, so ``make test-fast`` leaves it out."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


try:
    from playwright.sync_api import expect
except ImportError:  # the browser tests skip themselves when playwright is missing
    pass
else:
    # A fresh clone's first run on a busy machine needs more than Playwright's 5 s.
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
