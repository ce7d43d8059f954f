"""Workshop mode: predict, reveal, fix, for a room in front of a projector.

The sequence and every text come from ``scenarios/workshops/*.toml`` (see
``docs/workshop-guide.md``); the numbers from the engine; the state from
``st.session_state`` and the address (``ui/workshop.py``). This page only lays them out.
"""

from __future__ import annotations

import streamlit as st

from simulator.workshop import (
    HOLDS,
    StepContent,
    compare_fix,
    list_workshops,
    starting_sentence,
    whiplash_words,
)
from ui import admission, charts, verdict
from ui import workshop as ws
from ui.diagnosis import before_after_metrics
from ui.diagnosis_charts import prediction_chart
from ui.nav import page_menu
from ui.streamlit_runtime import session_gone, start_workers
from ui.text import markdown_text

st.set_page_config(
    page_title="Workshop – Sales whiplash simulator",
    page_icon="🎓",
    layout="wide",
    initial_sidebar_state="collapsed",
)
ss = st.session_state
page_menu()

# Projector type: the story and the question are read from the back of the room. A
# revealed result scrolls to just below the top bar (which covers the first 60 px).
st.markdown(
    "<style>"
    ".st-key-ws_story p{font-size:1.35rem;line-height:1.5}"
    "[class*='st-key-ws_result']{scroll-margin-top:4.5rem}"
    "[data-testid='stMarkdownContainer'] h3{font-size:2rem}"
    "</style>",
    unsafe_allow_html=True,
)

VERDICT_BOXES = {"right": st.success, "close": st.info, "wrong": st.warning, "none": st.info}


def header(workshop, content: StepContent, count: int) -> None:
    st.title(markdown_text(workshop.title))
    step = content.index
    st.progress(
        (step + 1) / count,
        text=markdown_text(f"Step {step + 1} of {count}: {content.title}"),
    )
    back, forward, _ = st.columns([1, 1, 4])
    back.button(
        "◀ Back",
        key="ws_back",
        disabled=step == 0,
        on_click=ws.go,
        args=(ss,),
        kwargs={"to": step - 1, "count": count},
        width="stretch",
        shortcut="B",
    )
    forward.button(
        "Next ▶",
        key="ws_next",
        disabled=step >= count - 1,
        on_click=ws.go,
        args=(ss,),
        kwargs={"to": step + 1, "count": count},
        width="stretch",
        type="primary" if step in ss[ws.REVEALED] else "secondary",
        shortcut="N",
    )


def prediction_form(content: StepContent, *, locked: bool) -> None:
    """The prediction and the reveal in one form, so a reveal (a click, Enter, or V, even
    with the cursor in the box) sends what was typed with it, in one rerun."""
    index = content.index
    level = content.prediction == "level"
    ws.restore_prediction(ss, index, level=level, locked=locked)
    key = ws.prediction_key(ss[ws.NAME], index)
    with st.form(f"ws_form_{ss[ws.NAME]}_{index}", border=False):
        if level:
            st.text_input(
                f"The room's prediction: revenue in {content.level_quarter} ($ per quarter)",
                max_chars=ws.PREDICTION_CHARS,
                key=key,
                disabled=locked,
                placeholder="e.g. 1.5M, 800k or 1,500,000",
            )
            problem = ss[ws.PREDICTION_ERRORS].get(index)
            if problem and not locked:
                st.error(
                    f"{markdown_text(problem)} Type an amount such as 1.5M, 800k or "
                    "1,500,000, or clear the box to reveal without a prediction."
                )
        else:
            st.selectbox(
                "The room's prediction: the quarter whiplash first hits",
                content.quarter_options(),
                index=None,
                key=key,
                disabled=locked,
                placeholder=f"Choose a quarter, or “{HOLDS}”",
            )
        st.form_submit_button(
            "Reveal the simulation",
            key=f"ws_reveal_{index}",
            on_click=ws.reveal,
            args=(ss, index),
            kwargs={"level": level},
            disabled=locked,
            type="primary",
            shortcut="V",
        )


def reveal_section(content: StepContent) -> None:
    result = ws.result_for(content.scenario)
    prediction = ss[ws.PREDICTIONS].get(content.index)
    checked = ws.check(content, result, prediction)
    VERDICT_BOXES[checked.verdict](markdown_text(checked.sentence))
    # The verdict as the main page's headline says it: the same figures, the same words.
    st.markdown(f"#### {markdown_text(verdict.verdict_sentence(result))}")
    level = float(prediction) if content.prediction == "level" and prediction is not None else None
    st.altair_chart(
        prediction_chart(result, check=checked, quarter=content.level_quarter, level=level),
        width="stretch",
    )
    shown = ws.lesson_charts(content, result)  # the charts the lesson points at
    for first in range(0, len(shown), 2):
        row = shown[first : first + 2]
        for column, chart in zip(st.columns(len(row)), row, strict=True):
            column.altair_chart(chart, width="stretch")
    if content.lesson:
        st.markdown("**What to notice**")
        st.markdown(markdown_text(" ".join(content.lesson.split())))


def fix_section(content: StepContent) -> None:
    index = content.index
    if content.fixed is None:
        if content.why:
            st.info(markdown_text(content.why))
        return
    applied = index in ss[ws.FIXED]
    st.button(
        markdown_text(f"Apply the fix: {content.step.fix_title}"),
        key=f"ws_fix_{index}",
        on_click=ws.mark,
        args=(ss, ws.FIXED, index),
        disabled=applied,
        type="primary",
        shortcut="F",
    )
    if not applied:
        return
    before = ws.result_for(content.scenario)
    after = ws.result_for(content.fixed)
    comparison = compare_fix(before, after)
    before_after_metrics(comparison)
    st.vega_lite_chart(
        charts.revenue_fan_chart(
            after, baseline=before, title="With the fix (grey: the original plan)"
        ),
        width="stretch",
    )
    if content.why:
        st.success(f"Why it works: {markdown_text(content.why)}")


def start_over() -> None:
    """Far from Next, and only after a second, explicit click: it clears the room's work."""
    if not ss[ws.CONFIRM_RESET]:
        st.button(
            "↺ Start over…",
            key="ws_reset",
            on_click=ws.ask_reset,
            args=(ss,),
            help="Back to step 1; clears the predictions, reveals and fixes (asks first).",
        )
        return
    st.warning("Start over? Every prediction, reveal and fix is cleared and step 1 opens.")
    yes, no, _ = st.columns([1, 1, 3])
    yes.button(
        "Yes, start over",
        key="ws_reset_yes",
        on_click=ws.reset,
        args=(ss,),
        type="primary",
        width="stretch",
    )
    no.button("Cancel", key="ws_reset_no", on_click=ws.cancel_reset, args=(ss,), width="stretch")


def page_script() -> None:
    """V reveals while the cursor is in the prediction box (Streamlit's own shortcuts
    ignore keys typed into a box; no amount contains a v): a click on the form's reveal
    button, which sends the typed text with it. A fresh reveal is scrolled into view
    once: its container's key is ``ws_result_<token>`` (``ws.result_key``)."""
    st.html(
        """<script>
(() => {
  if (window.wsWorkshopScript) return;
  window.wsWorkshopScript = true;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "v" && event.key !== "V") return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target;
    if (!(target instanceof Element) || !target.closest("[class*='st-key-ws_w_pred_']")) return;
    const button = document.querySelector("[class*='st-key-ws_reveal_'] button");
    if (!button || button.disabled) return;
    event.preventDefault();
    event.stopPropagation();
    button.click();
  }, true);
  const scrolled = new Set();
  const scrollToNewResult = () => {
    const result = document.querySelector("[class*='st-key-ws_result_']");
    if (!result) return;
    const key = [...result.classList].find((name) => name.startsWith("st-key-ws_result_"));
    if (scrolled.has(key)) return;
    scrolled.add(key);
    /* The chart and the rest of the page arrive after the result's first line: follow
       the page's growth for a moment, or the scroll stops where the page ended. */
    const place = () => result.scrollIntoView({block: "start", behavior: "smooth"});
    const page = result.closest("[data-testid='stMainBlockContainer']") || result;
    const growth = new ResizeObserver(() => result.isConnected && place());
    growth.observe(page);
    setTimeout(() => growth.disconnect(), 3000);
    place();
  };
  new MutationObserver(scrollToNewResult).observe(document.body, {childList: true, subtree: true});
  scrollToNewResult();
})();
</script>""",
        unsafe_allow_javascript=True,
        width="content",
    )


def debrief(workshop, count: int) -> None:
    revealed = sorted(ss[ws.REVEALED])
    entries = [
        ws.debrief_entry(ws.step_content(ss[ws.NAME], i), ss[ws.PREDICTIONS].get(i))
        for i in revealed
        if i < count
    ]
    st.divider()
    st.markdown(
        "**Debrief** – each revealed step's prediction, result and lesson, to print or share."
    )
    left, right, _ = st.columns([1, 1, 2])
    left.download_button(
        "Download debrief (HTML, printable)",
        data=ws.debrief_html(workshop, entries),
        file_name="whiplash_workshop_debrief.html",
        mime="text/html",
        on_click="ignore",
        disabled=not entries,
        width="stretch",
    )
    right.download_button(
        "Download debrief (Markdown)",
        data=ws.debrief_markdown(workshop, entries),
        file_name="whiplash_workshop_debrief.md",
        mime="text/markdown",
        on_click="ignore",
        disabled=not entries,
        width="stretch",
    )


def session_picker() -> None:
    names = list(list_workshops())
    if len(names) < 2:
        return
    with st.expander("Workshop file"):
        st.selectbox(
            "Sequence (from scenarios/workshops/)",
            names,
            key=ws.W_NAME,
            on_change=ws.on_choose_workshop,
            args=(ss,),
        )


def main() -> None:
    ws.start(ss, st.query_params.to_dict())
    try:
        workshop = ws.workshop_named(ss[ws.NAME])
    except Exception as exc:  # a broken trainer file: one line, no traceback
        st.error(f"The workshop file cannot be used: {markdown_text(str(exc))}")
        return
    if ss.get(ws.ERROR):
        st.error(markdown_text(ss[ws.ERROR]))
        ss[ws.ERROR] = None
    count = len(workshop.steps)
    ws.go(ss, to=ss[ws.STEP], count=count)
    content = ws.step_content(ss[ws.NAME], ss[ws.STEP])
    header(workshop, content, count)
    if content.index == 0 and workshop.intro:
        st.caption(markdown_text(" ".join(workshop.intro.split())))

    st.header(markdown_text(content.title), anchor=False)
    with st.container(key="ws_story"):
        st.markdown(markdown_text(" ".join(content.story.split())))
    st.markdown(f"### {markdown_text(content.question)}")
    try:  # the room's starting figure, or what counts as whiplash, before it predicts
        simulated = ws.result_for(content.scenario)
    except Exception as exc:  # a failed simulation must not take the workshop down
        st.error(f"The simulation could not run: {markdown_text(str(exc))}")
    else:
        if content.prediction == "level":
            st.markdown(f"**{markdown_text(starting_sentence(simulated))}**")
        else:
            st.caption(markdown_text(whiplash_words(simulated)))
    revealed = content.index in ss[ws.REVEALED]
    prediction_form(content, locked=revealed)
    if revealed:
        with st.container(key=ws.result_key(ss, content.index)):
            try:
                reveal_section(content)
                fix_section(content)
            except Exception as exc:  # a failed simulation must not take the workshop down
                st.error(f"The simulation could not run: {markdown_text(str(exc))}")
    try:
        debrief(workshop, count)
    except Exception as exc:  # the debrief re-reads the revealed results
        st.error(f"The debrief could not be built: {markdown_text(str(exc))}")
    start_over()
    session_picker()
    params = ws.url_params(ss, workshop)
    if st.query_params.to_dict() != params:  # a reload resumes here
        st.query_params.from_dict(params)
    page_script()


start_workers()  # simulations run in worker processes when served (ui/workers.py)
try:  # compute only while holding a slot (ui/admission.py), like the main page
    with admission.compute_slot(gone=session_gone()):
        main()
except admission.SessionGone:
    st.stop()
