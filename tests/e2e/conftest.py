"""Settings every browser test shares: the ``e2e`` marker and one Playwright timeout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import (
    BROWSER_TIMEOUT_MS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    streamlit_server,
)

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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, one per test module."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing; `make browser` installs Debian's chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """The real app on a free loopback port, one per test module (a module may
    define its own ``server`` to start it differently)."""
    with streamlit_server() as srv:
        yield srv
