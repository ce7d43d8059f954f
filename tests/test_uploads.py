"""ui/uploads.py: a file box's label gives the limit the app can read it up to."""

from __future__ import annotations

import pytest

from simulator.bundle import MAX_BUNDLE_BYTES
from simulator.scenario_io import MAX_FILE_BYTES
from ui import uploads
from ui.format import file_size


@pytest.mark.parametrize(
    ("size", "words"),
    [(256 * 1024, "256 KiB"), (1024**2, "1 MiB"), (1_052_672, "1,028 KiB"), (1000, "1,000 bytes")],
)
def test_a_size_is_written_as_people_write_it(size: int, words: str) -> None:
    assert file_size(size) == words


def test_a_limit_above_the_servers_cap_is_stated_as_the_cap() -> None:
    """The cap (1 MiB, .streamlit/config.toml) refuses a bigger bundle before the code
    reads it, so its box must not promise 1,028 KiB."""
    assert uploads.transfer_cap() == 1024**2
    assert uploads.transfer_cap() < MAX_BUNDLE_BYTES
    assert uploads.readable(MAX_BUNDLE_BYTES) == "1 MiB"
    assert uploads.readable(MAX_FILE_BYTES) == "256 KiB"
