"""The dynamics levers in a shared link and a saved file: the whole plan timeline, the
team, the seasons and the push survive both; a tampered link gets a short note naming
the parameter and opens a valid scenario, within the usual bounds."""

from __future__ import annotations

import pytest

from simulator import dump_scenario, load_preset, parse_scenario
from simulator.levers import Pressure, apply, lever
from simulator.models import (
    MAX_CHANGES,
    SEASONAL_PATTERNS,
    Change,
    Policy,
    Seasonality,
)
from ui import links
from ui import session as app_session

PRESET = "balanced"


def dynamic_scenario():
    """The balanced preset with every dynamics lever set (as the issue's example)."""
    base = load_preset(PRESET)
    changes = (
        Change.model_validate(
            {
                "from": "2012-07",
                "reps": 15.0,
                "effort": {
                    "attract": 0.35,
                    "close": 0.25,
                    "engage": 0.15,
                    "retain": 0.15,
                    "leverage": 0.10,
                },
                "focus": {"subscriptions": 0.5, "projects": 0.5},
                "contacts_per_account": 3,
            }
        ),
        Change.model_validate({"from": "2013-01", "focus": {"projects": 2.5}}),
        Change.model_validate(
            {"from": "2013-04", "targets": {"quarterly_bookings": 5e5, "quarterly_revenue": 3e6}}
        ),
        Change.model_validate({"from": "2012-07", "reps": 9.5}),  # later in the file wins
    )
    return apply(
        base,
        {
            "team": (12.0, 5, 0.15, 3),
            "season": Seasonality(
                leads=(0.9, 0.9, 1.0, 1.0, 1.0, 0.9, 0.7, 0.8, 1.1, 1.1, 1.2, 1.4),
                decisions=SEASONAL_PATTERNS["fiscal_q4"],
            ),
            "changes": changes,
            "pressure": Pressure(
                policy=Policy(quarter_end_push=0.5, push_trigger=0.85, perception_delay_months=2),
                quota=400_000.0,
            ),
        },
    )


def test_every_dynamics_lever_travels_in_a_compact_link() -> None:
    scenario = dynamic_scenario()
    params = links.scenario_to_params(scenario, preset=PRESET)
    assert set(params) == {"preset", "team", "season", "changes", "push"}
    assert params["push"] == "0.5,0.85,2,400000"
    assert params["changes"].count("~") == 3
    assert links.scenario_from_params(params) == (scenario, PRESET, [])


def test_a_preset_link_carries_none_of_them() -> None:
    assert links.scenario_to_params(load_preset(PRESET), preset=PRESET) == {"preset": PRESET}


def test_the_whole_timeline_survives_a_saved_file_and_an_upload() -> None:
    scenario = dynamic_scenario()
    text = dump_scenario(scenario)
    assert parse_scenario(text) == scenario
    session: dict = {}
    app_session.start_session(session, {"preset": "team_a_team_b"})
    assert app_session.load_upload(session, name="mine.toml", data=text.encode())
    assert session[app_session.SCENARIO] == scenario
    params = links.scenario_to_params(scenario, preset=None)  # an upload: the whole file
    assert links.scenario_from_params(params)[0] == scenario


def test_the_longest_timeline_survives_a_link() -> None:
    base = load_preset(PRESET)
    months = base.month_labels()
    changes = tuple(
        Change.model_validate(
            {
                "from": months[i % len(months)],
                "reps": 10.0 + i % 7,
                "effort": {
                    "attract": 0.2 + i % 3 * 0.05,
                    "close": 0.3 - i % 3 * 0.05,
                    "engage": 0.15,
                    "retain": 0.2,
                    "leverage": 0.15,
                },
                "focus": {"subscriptions": 1.0 + i % 5},
                "contacts_per_account": 1 + i % 4,
            }
        )
        for i in range(MAX_CHANGES)
    )
    scenario = lever("changes").write(base, changes)
    params = links.scenario_to_params(scenario, preset=PRESET)
    assert all(len(v) <= links.MAX_PARAM_CHARS for v in params.values())
    assert links.scenario_from_params(params) == (scenario, params.get("preset"), [])


def many(change: str, count: int) -> str:
    return "~".join([change] * count)


@pytest.mark.parametrize(
    ("key", "text", "says"),
    [
        ("changes", many("2012-07/reps:11", MAX_CHANGES + 1), f"at most {MAX_CHANGES}"),
        ("changes", "~" * 5000, "5,001 changes"),
        ("changes", "2012-07/reps:1e308", "changes.0.reps"),
        ("changes", "2012-07/reps:1e400", "numbers must be finite"),
        ("changes", "2012-07/reps:-5", "changes.0.reps"),
        ("changes", "2012-07/contacts:99999999999999999999", "changes: change 0, contacts"),
        ("changes", "2012-07/focus:1,2,3", "one per product line"),
        ("changes", "2012-07/focus:nan,1", "changes: change 0, focus"),
        ("changes", "2012-07/enterprise:1", "is not one of reps, effort"),
        ("changes", "2012-07/reps:1/reps:2", "sets reps twice"),
        ("changes", "2099-01/reps:3", "changes.0.from: 2099-01 is outside the simulated months"),
        ("changes", "２０１２-07/reps:3", "changes.0.from"),
        ("changes", "2012-07/effort:1,1,1,1,1", "changes.0.effort: the five effort shares"),
        ("changes", "2012-07/effort:0.2,0.2", "expected 5"),
        ("push", "0.5,0.9,1,", "policy.quarter_end_push needs targets.quarterly_bookings"),
        ("push", "5,0.9,1,1e5", "policy.quarter_end_push"),
        ("push", "0.5,0.9,1,1e300", "targets.quarterly_bookings"),
        ("push", "0.5,0.9", "push: expected 4 entries"),
        ("team", "1e9,5,0,3", "team.reps"),
        ("team", "12,5,0,99999999999999999999", "team: "),
        ("team", "12,500,0,3", "team.ramp_months"),
        ("season", "winter", "season: 'winter' is not one of none, fiscal_q4, summer_dip"),
        ("season", ",".join(["5"] * 12), "seasonality.leads"),
        ("season", ",".join(["1"] * 11), "expected 12"),
        ("season", "none/none/none", "season: "),
    ],
)
def test_a_tampered_link_is_ignored_with_a_note_naming_it(key: str, text: str, says: str) -> None:
    scenario, preset, notes = links.scenario_from_params({"preset": PRESET, key: text})
    assert scenario == load_preset(PRESET)
    assert preset == PRESET
    [note] = notes
    assert note.startswith(f"The link's {key}=")
    assert says in note
    assert len(note) < 700  # short, however long the link


def test_an_overlong_timeline_parameter_is_not_read() -> None:
    text = many("2012-07/reps:11", 2000)
    assert len(text) > links.MAX_PARAM_CHARS
    _, _, notes = links.scenario_from_params({"preset": PRESET, "changes": text})
    assert notes == ["The link's changes value is too long and was ignored."]


def test_a_bad_parameter_leaves_the_good_ones_applied() -> None:
    params = {"preset": PRESET, "team": "14,5,0.1,3", "changes": "2012-07/reps:x"}
    scenario, _, notes = links.scenario_from_params(params)
    assert scenario.team.reps == 14.0 and scenario.changes == ()
    assert len(notes) == 1 and "changes" in notes[0]
