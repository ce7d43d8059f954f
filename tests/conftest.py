"""Shared test settings: the hypothesis profile for CI and the ``slow`` marker.

``make test-fast`` runs ``pytest -n auto -m "not e2e and not slow"`` (on every core).
The browser tests get ``e2e`` from tests/e2e/conftest.py; the slowest of the rest get
``slow`` here, in one list, so the lanes can be tuned without touching the test files.
The figures are seconds measured with ``pytest --durations`` (the load is given with
each group); a test whose cost is a cached result it shares with a test left in the
lane stays in it, since marking it only moves the cost to the next one.
"""

from __future__ import annotations

import functools
import os

import pytest
from hypothesis import settings

# On CI the generated examples are the same every run (no example database there),
# so a red build can be reproduced; locally hypothesis explores new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _scan_installed_components_once() -> None:
    """Every ``AppTest`` run of a new test app scans all installed distributions for
    Streamlit component manifests (0.1-0.15 s here, finding none); the fast lane makes
    hundreds. The installed packages cannot change during a test run, so each process
    scans once and every app gets the same (copied) answer."""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:  # another Streamlit: nothing to share
        return
    scan = functools.cache(manifest_scanner.scan_component_manifests)
    manifest_scanner.scan_component_manifests = lambda: list(scan())


_scan_installed_components_once()

SLOW_FIXTURES = {
    "suggestions": "suggest_fix on six presets for test_optimize.py (25 s)",
    "server": "a real streamlit server and clients on its websocket (18 s)",
}
"""Every test that uses one of these fixtures is slow."""
SLOW_TESTS = {
    # ``pytest --durations=30 -m "not e2e"`` on a busy two-core machine (load 11: about
    # twice what a quiet one takes).
    "test_faults.py::test_a_diagnosis_that_fails_shows_an_error_panel": 24.2,
    "test_roundtrip.py::test_generated_scenarios_round_trip_through_a_link": 13.5,
    "test_roundtrip.py::test_setting_every_field_to_its_own_value_changes_nothing": 9.3,
    "test_roundtrip.py::test_generated_scenarios_round_trip_through_toml": 9.2,
    "test_roundtrip.py::test_generated_scenarios_round_trip_through_plain_data": 7.3,
    "test_faults.py::test_a_chart_that_fails_leaves_the_verdict_and_figures": 7.1,
    "test_fuzz.py::test_damaged_documents_validate_or_name_the_field": 6.4,
    "test_cli.py::test_console_script_and_module_are_the_same_cli": 5.9,
    "test_fuzz.py::test_extreme_valid_scenarios_simulate_finite_and_non_negative": 5.8,
    "test_fuzz.py::test_damaged_toml_texts_validate_or_name_the_field": 5.3,
    "test_app.py::test_limits_rejected_by_the_engine_show_an_error_and_keep_the_settings": 5.2,
    "test_faults.py::test_a_rejected_upload_keeps_the_scenario_baseline_and_workshop_position": 5.1,
    "test_optimize.py::test_app_section_diagnoses_suggests_and_applies": 5.1,
    "test_app.py::test_three_lines_get_one_focus_slider_each": 4.4,
    "test_app.py::test_stagger_and_contacts_improve_against_the_pinned_baseline": 3.9,
    "test_app.py::test_query_parameters_round_trip": 3.8,
    "test_app.py::test_a_scenario_too_big_for_a_link_says_save_as_file": 3.7,
    "test_app.py::test_saved_toml_uploads_back_to_the_same_state": 3.0,
    # Measured on a quiet machine (load 0.7), all cases of a test together: the lane
    # without these took 82 s.
    "test_budget.py::test_the_memory_estimate_is_an_upper_bound_within_the_stated_factor": 6.5,
    "test_charts.py::test_every_chart_validates_with_tooltips_and_projector_fonts": 4.6,
    "test_hostile_input.py::test_key_bombs_cost_a_few_mb_and_get_a_clear_message": 4.2,
    "test_fuzz.py::test_cli_as_a_real_process": 2.4,
    "test_reference_engine.py::test_generated_scenarios_match_the_reference": 2.2,
    "test_workshop.py::test_page_walks_the_whole_sequence": 2.1,
    "test_app.py::test_reset_to_preset_undoes_changes_but_keeps_the_baseline": 2.1,
    "test_book_table.py::test_app_table_edits_are_stored_as_meant_or_refused_by_name": 2.1,
    "test_app.py::test_contacts_per_account_and_turnover_controls": 1.8,
    "test_app.py::test_bad_upload_shows_the_error_and_keeps_everything": 1.8,
    "test_fuzz.py::test_cli_exits_0_or_2_with_one_line_and_no_traceback": 1.7,
    "test_faults.py::test_a_simulation_that_fails_once_recovers_on_the_next_move": 1.6,
    "test_budget.py::test_summaries_are_all_a_cached_result_keeps": 1.5,
    "test_book_table.py::test_app_add_a_contract_waits_for_the_row_then_adds_it": 1.4,
    "test_app.py::test_about_page_renders_and_the_scenario_survives_the_visit": 1.4,
    # Issue 10's app tests, measured alone (load about 2).
    "test_app_dynamics.py::test_the_push_gets_a_quota_says_so_and_round_trips_through_a_link": 5.1,
    "test_app_dynamics.py::test_a_change_of_plan_is_added_listed_marked_and_removed": 4.0,
    # Issue 12's app tests, measured alone (load about 2).
    "test_company.py::test_the_edited_company_is_what_the_simulator_page_simulates": 6.4,
    "test_compare.py::test_four_plans_are_held_a_fifth_is_refused_the_chart_overlays_them": 5.7,
    "test_compare.py::test_the_plans_travel_in_the_link_and_the_bundle": 2.8,
    "test_report.py::test_the_pdf_reads_back_with_verdict_figures_settings_and_comparison": 6.5,
    "test_report.py::test_the_share_section_offers_the_report_and_the_csvs": 2.3,
    "test_report.py::test_without_a_unicode_font_the_pdf_still_reads_and_shows_the_code": 2.2,
    # 2026-12-03, `pytest -n 2 --durations=70` of the fast lane (load about 1.5); each
    # shares no cached result with a test left in the lane: the lane took 76 s after.
    "test_room_submit_burst.py::test_teams_submitting_at_once_each_store_their_own_plan": 4.4,
    "test_readme_crm.py::test_every_command_runs_and_the_figures_are_what_run_prints": 3.9,
    "test_cli_report.py::test_png_and_a_bundle_of_plans_to_compare": 3.3,
    "test_layers.py::test_every_import_respects_the_layers": 3.0,
    "test_dynamic_levers.py::test_the_search_over_every_lever_stays_within_its_budget": 2.9,
    "test_cli_report.py::test_the_report_reads_back_with_the_plan_and_its_verdict": 2.4,
    "test_room_store.py::"
    "test_a_full_room_of_teams_joining_and_submitting_at_once_loses_nothing": 2.3,
    "test_cli_report.py::test_scenario_files_compare_under_their_file_names": 2.1,
    "test_room_dynamics.py::"
    "test_a_team_pushes_and_changes_its_plan_mid_year_and_the_reveal_says_so": 1.8,
    # 2026-12-03, process CPU per test in the fast lane (``pytest -n 2`` with a
    # process_time hook, load 3-7): generated differential tests and searches, whose
    # fixed-case siblings stay in the lane; make test-fast took 69 s without these marks.
    "test_reference_engine.py::test_generated_dynamic_scenarios_match_the_reference": 5.1,
    "test_reference_engine.py::test_generated_books_match_the_reference": 1.4,
    "test_optimize_changes.py::test_the_fix_rebalances_the_april_change_instead_of_moving_it": 2.9,
    "test_optimize_changes.py::test_the_change_is_said_from_its_month": 0.0,  # same search
    "test_optimize_changes.py::test_no_stage_of_a_change_is_starved_below_its_floor": 1.3,
    "test_room_page.py::test_a_facilitator_and_two_teams_play_two_rounds": 1.4,
    "test_report.py::test_the_png_is_one_picture_of_the_first_page": 1.5,
    "test_assumptions_app.py::test_panel_computes_on_request_for_the_current_plan_only": 1.5,
    # 2026-12-07: two real servers, one with a simulation worker and one without.
    "test_workers.py::"
    "test_a_served_page_shows_the_same_plan_whether_its_worker_or_the_cache_answers": 12.0,
}
"""``file::test`` -> seconds it took (every parametrised case of it is slow)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = f"{item.path.name}::{getattr(item, 'originalname', item.name)}"
        fixtures = getattr(item, "fixturenames", ())
        if name in SLOW_TESTS or any(f in SLOW_FIXTURES for f in fixtures):
            item.add_marker(pytest.mark.slow)
