"""What the app asks Streamlit's runtime about the session running the page."""

from __future__ import annotations

from collections.abc import Callable

from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx


def session_gone() -> Callable[[], bool]:
    """A check that turns True once the browser session that asked for a run has gone
    (closed tab, lost connection), so its simulation stops instead of running on."""
    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return lambda: False
    session_id, instance = ctx.session_id, runtime.get_instance()
    return lambda: not instance.is_active_session(session_id)
