"""The sidebar's page menu, with names a workshop audience understands.

Streamlit would name the main page after its file ("app"); the built-in menu is
turned off in .streamlit/config.toml and every page calls :func:`page_menu` instead.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from ui import gc_pause, tcp

PAGES = (
    # A sales leader's own company first, then a trainer's two ways of running a
    # session, then the model's documentation.
    ("app.py", "Simulator", ":material/monitoring:"),
    ("pages/3_Your_company.py", "Your company", ":material/business:"),
    ("pages/3_Your_history.py", "Your history", ":material/upload_file:"),
    ("pages/3_Import_from_CRM.py", "Import from CRM", ":material/input:"),
    ("pages/1_Workshop.py", "Workshop", ":material/school:"),
    ("pages/3_Room.py", "Room", ":material/groups:"),
    ("pages/2_About_the_model.py", "About the model", ":material/menu_book:"),
)


def page_menu() -> None:
    """Links to every page at the top of the sidebar.

    A page run on its own (a test, or ``streamlit run pages/1_Workshop.py``) has no
    other pages to link to, and shows no menu. Since every page calls it, it is also
    where the server's sockets get TCP_NODELAY and the long-lived objects are frozen
    out of the cycle collector's passes (once per process: ui/tcp.py, ui/gc_pause.py),
    and where a touch screen loses the buttons' keyboard hints: a phone has no S key to
    press, and "Submit our plan  S" reads as a stray letter.
    """
    tcp.no_delay_in_this_process()
    gc_pause.freeze_long_lived_objects()
    st.html(
        "<style>@media (hover:none) and (pointer:coarse)"
        "{[data-testid^='stBaseButton'] kbd{display:none}}</style>"
    )
    with st.sidebar:
        try:
            for path, label, icon in PAGES:
                st.page_link(path, label=label, icon=icon)
        except StreamlitPageNotFoundError:
            return
        st.divider()
