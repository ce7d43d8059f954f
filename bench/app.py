"""App benchmark (server side): how long the page takes to rerun after a slider move.

Drives ``app.py`` with Streamlit's AppTest on the default preset (all its runs), the way a
user moves the "closing" effort slider: every chart depends on effort, so this is the
heaviest single move. *Cold* moves go to a setting not seen before (simulation and
charts computed); *warm* moves go back to settings already seen (served from
``st.cache_data``). Times are wall-clock for ``AppTest.run()``: the whole script plus
AppTest's own message handling, so slightly above what the server spends.

Run: ``python -m bench.app`` (part of ``make bench``). Target (issue 13): a cold move under
120 ms server-side.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from bench.report import timing_table
from ui import charts, verdict_charts

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TARGET_MS = 120.0


def _quiet() -> None:
    """AppTest runs without a server; silence its 'no runtime' notices."""
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def measure(*, reps: int) -> dict[str, list[float]]:
    """Milliseconds per rerun for each case, ``reps`` times."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui import controls

    times: dict[str, list[float]] = {
        "First load (new session, empty cache)": [],
        "Slider move, cold cache (new setting)": [],
        "Slider move, warm cache (setting seen before)": [],
        "Slider move, cold cache, baseline pinned": [],
    }
    for rep in range(reps):
        st.cache_data.clear()
        at = AppTest.from_file(APP, default_timeout=120)
        times["First load (new session, empty cache)"].append(_timed(at.run))
        assert not at.exception, [e.value for e in at.exception]
        closing = at.slider(key=controls.W_CLOSING)
        cold_value = 20.0 + rep  # distinct per rep, never the preset's own value
        closing.set_value(cold_value)
        times["Slider move, cold cache (new setting)"].append(_timed(at.run))
        at.slider(key=controls.W_CLOSING).set_value(cold_value + 30.0).run()
        at.slider(key=controls.W_CLOSING).set_value(cold_value)
        times["Slider move, warm cache (setting seen before)"].append(_timed(at.run))
        [pin] = [b for b in at.button if b.label == "Pin as baseline"]
        pin.click().run()
        at.slider(key=controls.W_CLOSING).set_value(cold_value + 40.0)
        times["Slider move, cold cache, baseline pinned"].append(_timed(at.run))
        assert not at.exception and not at.error
    return times


def measure_server(*, reps: int) -> dict[str, list[float]]:
    """The same moves against the real server (``streamlit run``), one session over its
    websocket: send the slider's new value, wait for ``script_finished``. Unlike AppTest,
    the server compiles the script once and keeps one runtime, as it does for a room."""
    from tests.support.server import streamlit_server
    from tests.support.session import StreamlitSession
    from ui import controls

    times: dict[str, list[float]] = {
        "Slider move, cold cache (new setting)": [],
        "Slider move, warm cache (setting seen before)": [],
    }
    with streamlit_server(APP) as server:
        warm_up = StreamlitSession(server)  # the server's first run imports the modules
        warm_up.rerun()
        warm_up.close()
        session = StreamlitSession(server)
        try:
            page = session.rerun()
            closing = page.widgets[controls.W_CLOSING][0]
            for rep in range(reps):
                cold_value = 20.0 + rep  # distinct per rep, never the preset's own value
                for case, value in (
                    ("Slider move, cold cache (new setting)", cold_value),
                    (None, cold_value + 30.0),
                    ("Slider move, warm cache (setting seen before)", cold_value),
                ):
                    rerun = session.rerun(moves={closing: [value]})
                    assert rerun.ok, (rerun.exceptions, rerun.errors)
                    if case:
                        times[case].append(rerun.seconds * 1000)
        finally:
            session.close()
    return times


CHART_BUILDERS = {
    "Chart: revenue fan": lambda r, s: charts.revenue_fan_chart(r),
    "Chart: quarterly bars": lambda r, s: charts.quarterly_bars(r),
    "Chart: quota attainment": lambda r, s: verdict_charts.attainment_chart(r),
    "Chart: early warning": lambda r, s: verdict_charts.warning_chart(r),
    "Chart: by source": lambda r, s: charts.breakdown_chart(r, by="source"),
    "Chart: by product line": lambda r, s: charts.breakdown_chart(r, by="line"),
    "Chart: sales team": lambda r, s: charts.capacity_chart(r),
    "Chart: effort split": lambda r, s: charts.effort_split_bar(s.effort),
    "Chart: renewal calendar": lambda r, s: charts.renewal_calendar(s),
}


def components(*, reps: int) -> dict[str, list[float]]:
    """Where a cold rerun's time goes: the simulation and each chart, built as the app does."""
    from simulator import load_preset, simulate
    from ui import presets

    scenario = load_preset(presets.DEFAULT_PRESET)
    times: dict[str, list[float]] = {"Simulation + summaries (1,000 runs)": []}
    for _ in range(reps):
        start = time.perf_counter()
        result = simulate(scenario)
        for name in ("monthly", "quarterly", "quarter_table"):
            getattr(result, name)
        times["Simulation + summaries (1,000 runs)"].append((time.perf_counter() - start) * 1000)
        for label, build in CHART_BUILDERS.items():
            times.setdefault(label, []).append(
                _timed(lambda b=build, r=result: b(r, scenario).to_dict(validate=False))
            )
    return times


def table(times: dict[str, list[float]], *, case: str = "Case") -> str:
    return timing_table(times, case=case)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.app", description=__doc__)
    parser.add_argument("--reps", type=int, default=7, help="repetitions per case (default 7)")
    args = parser.parse_args(argv if argv is not None else [])
    _quiet()
    times = measure(reps=max(1, args.reps))
    print("Rerun of app.py after a move of the 'closing' slider, default preset, AppTest.")
    print(f"Target: under {TARGET_MS:.0f} ms server-side.\n")
    print(table(times))
    print("\nThe same moves against the real server (streamlit run, one websocket session):\n")
    print(table(measure_server(reps=max(1, args.reps))))
    print("\nWhere a cold rerun's time goes (each piece alone, outside Streamlit):\n")
    print(table(components(reps=max(1, args.reps)), case="Piece"))
    print(
        "\nA cold move of an effort slider rebuilds the simulation and every chart except the "
        "renewal calendar (cached on the contract book alone)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
