"""The preset picker's labels: short enough for the sidebar, each naming one preset.

tests/e2e/test_preset_picker_browser.py checks in Chromium that they show whole at
1280 px; these check what the labels are made of.
"""

from __future__ import annotations

import pytest

from ui import presets


def test_each_label_is_its_title_up_to_the_colon_and_names_one_preset() -> None:
    titles, labels = presets.preset_titles(), presets.preset_labels()
    assert labels.keys() == titles.keys()
    assert len(set(labels.values())) == len(labels)
    for name, label in labels.items():
        assert titles[name].startswith(label)
        assert ": " not in label
    assert labels["team_a_team_b"] == "The 2012 client"


def test_presets_sharing_a_short_label_keep_their_whole_titles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        presets,
        "preset_titles",
        lambda: {"a": "Push: early", "b": "Push: late", "c": "Calm", "d": ": odd"},
    )
    assert presets.preset_labels() == {
        "a": "Push: early",
        "b": "Push: late",
        "c": "Calm",
        "d": ": odd",
    }
