"""File boxes that state one limit, the one the file is read up to.

Streamlit's drop zone prints the server's transfer cap under its button ("1MB per
file", from ``server.maxUploadSize``, counted in whole megabytes), while the scenario
file and the revenue history are read up to 256 KiB and say so in their labels. Two
figures side by side, the larger one wrong, leave a user guessing which holds, so such
a box keeps its label's alone. A limit above the cap is no limit in the app: the cap
refuses the file first, so a label states the smaller of the two.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from .format import file_size

BOX_KEY = "own_limit_box"
"""Key prefix of the container round a box with a limit of its own; its CSS keys off it."""


def transfer_cap() -> int:
    """The largest upload the server takes, in bytes (``server.maxUploadSize`` is MiB)."""
    return int(st.get_option("server.maxUploadSize")) * 1024 * 1024


def readable(limit: int) -> str:
    """The most the app can read of a file its code reads up to ``limit`` bytes."""
    return file_size(min(limit, transfer_cap()))


def file_box(container: Any, label: str, *, limit: int, key: str, **kwargs: Any) -> Any:
    """``container.file_uploader(label, key=key, ...)`` for a file read up to ``limit``
    bytes, which ``label`` states; below the cap, without Streamlit's figure for it."""
    if limit >= transfer_cap():
        return container.file_uploader(label, key=key, **kwargs)
    box = container.container(key=f"{BOX_KEY}_{key}")
    box.html(  # literal text only (tests/test_security.py); the prefix is BOX_KEY's
        "<style>[class*='st-key-own_limit_box'] "
        "[data-testid='stFileUploaderDropzoneInstructions']{display:none}</style>"
    )
    return box.file_uploader(label, key=key, **kwargs)
