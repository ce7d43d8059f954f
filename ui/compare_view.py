"""The "Compare plans" section of the simulator page: the held plans' chart, table and
buttons (the state and its callbacks are ``ui/compare.py``)."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

import streamlit as st

from simulator import ResultSummary, Scenario
from simulator.bundle import MAX_BUNDLE_BYTES, MAX_PLAN_NAME, MAX_PLANS, dump_bundle

from .compare import (
    ERROR,
    NOTE,
    UPLOAD_VERSION,
    W_NAME,
    on_add_plan,
    on_bundle_upload,
    on_edit_plan,
    on_remove_plan,
    plans_of,
    results_of,
    upload_key,
)
from .compare_charts import compare_chart, comparison_table
from .text import markdown_text
from .uploads import file_box, readable


def render_compare(
    session: MutableMapping[str, Any],
    result: ResultSummary | None,
    *,
    simulate: Callable[[Scenario], ResultSummary | None],
) -> list[tuple[str, ResultSummary]]:
    """The "Compare plans" section; returns the held plans' results (for the report)."""
    plans = plans_of(session)
    st.subheader("Compare plans")
    st.caption(
        f"Hold up to {MAX_PLANS} plans (base, best and worst case, ...) to see them side by "
        "side. Edit loads a plan into the sidebar; hold it again under its name to keep "
        "the edits."
    )
    name_col, add_col, save_col = st.columns([2, 1, 1], vertical_alignment="bottom")
    name_col.text_input(
        "Name of the sidebar's plan", key=W_NAME, max_chars=MAX_PLAN_NAME, placeholder="Base"
    )
    add_col.button(
        "Hold this plan",
        icon=":material/add:",
        on_click=on_add_plan,
        args=(session,),
        help="Keep the sidebar's plan under this name (a plan of that name is updated).",
        width="stretch",
    )
    save_col.download_button(
        "Save plans (TOML)",
        data=dump_bundle(plans) if plans else "",
        file_name="plans.toml",
        mime="application/toml",
        on_click="ignore",
        disabled=not plans,
        width="stretch",
    )
    if session.get(ERROR):
        st.error(f"Not applied: {markdown_text(session[ERROR])}. The plans are unchanged.")
    if session.get(NOTE):
        st.info(session[NOTE])
    with st.expander("Open a bundle of plans"):
        file_box(
            st,
            f"A plans file saved here (.toml, up to {readable(MAX_BUNDLE_BYTES)})",
            limit=MAX_BUNDLE_BYTES,
            type=["toml"],
            key=upload_key(session.get(UPLOAD_VERSION, 0)),
            on_change=on_bundle_upload,
            args=(session,),
            help="Replaces the held plans. The format is on the About the model page, "
            "under 'Plan bundles'.",
        )
    results = results_of(plans, simulate)
    if not results:
        return results
    try:
        st.vega_lite_chart(
            compare_chart(results, current=result).to_dict(validate=False), width="stretch"
        )
    except Exception as exc:  # a chart that cannot be drawn must not take the page down
        st.error(f"The comparison chart could not be drawn: {markdown_text(str(exc))}")
    st.dataframe(comparison_table(results), hide_index=True, width="stretch")
    for plan in plans:
        label, edit, remove = st.columns([3, 1, 1], vertical_alignment="center")
        label.markdown(markdown_text(plan.name))
        edit.button(
            "Edit",
            key=f"plan_edit_{plans.index(plan)}",
            icon=":material/edit:",
            on_click=on_edit_plan,
            args=(session, plan.name),
            width="stretch",
        )
        remove.button(
            "Remove",
            key=f"plan_remove_{plans.index(plan)}",
            icon=":material/delete:",
            on_click=on_remove_plan,
            args=(session, plan.name),
            width="stretch",
        )
    return results
