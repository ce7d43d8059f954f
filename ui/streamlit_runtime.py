"""What the app asks Streamlit's runtime about the session running the page."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from streamlit import config, runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from .runtime import use_workers, workers_decided
from .workers import ProcessesError, processes_from

_LOG = logging.getLogger(__name__)


def start_workers() -> None:
    """Simulate in worker processes when a server runs the app (``streamlit run``); under
    AppTest (a stand-in runtime) the pages simulate in the test's own process, where a
    test can replace the engine.

    A bad ``WHIPLASH_SIMULATION_PROCESSES`` is logged once and the app simulates in its
    own process: the page still works, and the server's log says what to fix."""
    if workers_decided() or not runtime.exists() or config.get_option("global.appTest"):
        return
    try:
        processes = processes_from(os.environ)
    except ProcessesError as exc:
        _LOG.warning("%s; simulating in the app's own process", exc)
        processes = 0
    use_workers(processes)


def session_gone() -> Callable[[], bool]:
    """A check that turns True once the browser session that asked for a run has gone
    (closed tab, lost connection), so its simulation stops instead of running on."""
    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return lambda: False
    session_id, instance = ctx.session_id, runtime.get_instance()
    return lambda: not instance.is_active_session(session_id)
