"""Fetch and compile the charting library before a page's first chart needs it.

Streamlit loads Vega (its ``embed`` script, about 770 kB) the first time a page draws a
chart. A facilitator's dashboard draws none until the first reveal, so that reveal
paid for it inside the room's most watched second: in ``bench.browser_room`` the first
of ten reveals took about 2.0 s, their median about 0.5 s (docs/benchmarks.md). A page
that will draw a chart later puts this small script on itself; the browser then imports
Streamlit's own Vega module while it is idle, and the reveal's chart finds it loaded (a
module is loaded once per page, by its address).

The script's module is found among Streamlit's own files by name; with a Streamlit
whose files are named otherwise, nothing is put on the page and charts load as before.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import streamlit as st

_WARM_JS = """
export default function (component) {
  const name = component.data;
  // Streamlit's main script names the folder its other scripts are served from.
  const main = document.querySelector('script[type="module"][src*="/static/js/index."]');
  if (!name || !main) return;
  // Importing a loaded module again (a later run's mount) resolves at once.
  const load = () => import(new URL(name, main.src).href).catch(() => {});
  if (window.requestIdleCallback) window.requestIdleCallback(load, { timeout: 2000 });
  else setTimeout(load, 200);
}
"""

_warm = st.components.v2.component("whiplash_chart_warmup", js=_WARM_JS)


@cache
def vega_module() -> str | None:
    """The file name of Streamlit's Vega ``embed`` module, if this Streamlit has one."""
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    found = sorted(p.name for p in folder.glob("embed.*.js"))
    return found[0] if len(found) == 1 else None


def warm_charts() -> None:
    """Put the loading script on the page (once per page; it does nothing after that)."""
    name = vega_module()
    if name is not None:
        _warm(key="chart_warmup", data=name)
