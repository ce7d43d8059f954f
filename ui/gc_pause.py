"""Keep Python's cycle collector off the objects that live as long as the app process.

After its imports and first script run, the app process holds about 150,000 objects the
collector tracks (modules, Altair's and pydantic's schemas, Streamlit's own) that never
become garbage. Every full (oldest-generation) collection walked all of them: about
115 ms in one pass, in the middle of somebody's rerun. ``gc.freeze()`` moves what exists
now into a permanent generation that collections skip; objects made later (sessions,
results, charts) are collected as before. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import functools
import gc


@functools.cache
def freeze_long_lived_objects() -> None:
    """Collect once, then freeze what is left: once per process (later calls do nothing)."""
    gc.collect()
    gc.freeze()
