"""The sidebar's page menu (ui/nav.py): every page, in the order a user's day goes."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.nav import PAGES

ROOT = Path(__file__).resolve().parent.parent


def test_the_menu_groups_the_users_own_company_then_the_room_then_the_model():
    """A sales leader's pages together (the simulator, the company, its history and the
    CRM import), then a trainer's (the workshop and the room), the model's docs last;
    every page in the repository is in it, once."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    labels = [link.proto.label for link in at.sidebar.get("page_link")]
    assert labels == [
        "Simulator",
        "Your company",
        "Your history",
        "Import from CRM",
        "Workshop",
        "Room",
        "About the model",
    ]
    listed = sorted(path for path, _, _ in PAGES)
    assert listed == sorted(["app.py", *(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))])
