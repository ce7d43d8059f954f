"""Simulations in worker processes (ui/workers.py): the same result as in the app's own
process, errors and cancelling as there, the memory budget held, a killed worker
survived, and a page script as the main module not run again in the workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pandas as pd
import psutil
import pytest

from simulator import load_preset, simulate
from simulator.budget import MemoryBudget, SimulationCancelled
from tests.support.server import ROOT, streamlit_server
from tests.support.session import StreamlitSession
from ui import controls, presets
from ui.workers import (
    MAX_PROCESSES,
    PROCESSES_VARIABLE,
    ProcessesError,
    SimulationWorkers,
    processes_from,
)

BUDGET_BYTES = 8 * 2**30


def with_simulation(**fields):
    scenario = load_preset(presets.DEFAULT_PRESET)
    return scenario.model_copy(update={"simulation": scenario.simulation.model_copy(update=fields)})


@pytest.fixture(scope="module")
def workers():
    pool = SimulationWorkers(1, budget=MemoryBudget(BUDGET_BYTES))
    yield pool
    pool.close()


def test_a_worker_gives_the_summary_this_process_gives(workers: SimulationWorkers) -> None:
    scenario = with_simulation(runs=300)
    here = simulate(scenario).summary_only()
    there = workers.simulate(scenario)
    pd.testing.assert_frame_equal(there.monthly, here.monthly)
    pd.testing.assert_frame_equal(there.quarter_table, here.quarter_table)
    assert there.whiplash == here.whiplash
    assert there.early_warning == here.early_warning


def test_an_error_in_the_worker_is_the_error_a_page_shows(workers: SimulationWorkers) -> None:
    too_big = with_simulation(runs=20_000, months=120)  # past the per-request bound
    with pytest.raises(ValueError) as here:
        simulate(too_big)
    with pytest.raises(ValueError) as there:
        workers.simulate(too_big)
    assert str(there.value) == str(here.value)


def test_should_stop_cancels_a_run_in_the_worker(workers: SimulationWorkers) -> None:
    """Without the shared flag the worker would finish the run and return its result."""
    long_run = with_simulation(runs=10_000, months=120)
    asked = []

    def should_stop() -> bool:
        asked.append(workers.budget.in_flight)
        return True

    with pytest.raises(SimulationCancelled):
        workers.simulate(long_run, should_stop=should_stop)
    assert asked and min(asked) > 0  # the budget was held while the worker ran
    assert workers.budget.in_flight == 0
    assert workers.simulate(with_simulation(runs=100)).runs == 100  # the worker still works


def test_a_killed_worker_costs_one_run_here_and_the_next_run_a_new_pool(
    workers: SimulationWorkers,
) -> None:
    scenario = with_simulation(runs=2_000, months=120)
    killed = []

    def kill_the_worker() -> bool:
        if not killed:
            for pid in list(workers._current_pool()._processes):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        return False

    result = workers.simulate(scenario, should_stop=kill_the_worker)
    assert killed
    pd.testing.assert_frame_equal(result.quarterly, simulate(scenario).summary_only().quarterly)
    after = workers.simulate(with_simulation(runs=120))
    assert after.runs == 120
    assert not set(workers._current_pool()._processes) & set(killed)


def test_a_page_script_as_main_module_is_not_run_again_by_its_workers(tmp_path) -> None:
    """Streamlit runs a page as ``__main__`` with its file: a new worker process would
    import it again (and start workers of its own) unless the pool hides it."""
    page = tmp_path / "page.py"
    page.write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(ROOT)!r})
            from simulator import load_preset
            from simulator.budget import MemoryBudget
            from ui.workers import SimulationWorkers
            print("page ran")
            pool = SimulationWorkers(1, budget=MemoryBudget(2**30))
            scenario = load_preset("balanced")
            scenario = scenario.model_copy(
                update={{"simulation": scenario.simulation.model_copy(update={{"runs": 50}})}}
            )
            print("runs", pool.simulate(scenario).runs)
            pool.close()
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(page)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:2] == ["page ran", "runs 50"]


@pytest.mark.parametrize(("raw", "processes"), [(None, 1), ("", 1), ("0", 0), (" 3 ", 3)])
def test_the_number_of_processes_comes_from_the_environment(raw, processes) -> None:
    env = {} if raw is None else {PROCESSES_VARIABLE: raw}
    assert processes_from(env) == processes


@pytest.mark.parametrize("raw", ["-1", "1.5", "two", "\u0663", str(MAX_PROCESSES + 1), "9" * 400])
def test_a_bad_number_of_processes_is_refused_by_name(raw: str) -> None:
    with pytest.raises(ProcessesError) as refused:
        processes_from({PROCESSES_VARIABLE: raw})
    message = str(refused.value)
    assert message.startswith(f"{PROCESSES_VARIABLE}: a whole number from 0 to {MAX_PROCESSES}")
    assert len(message) < 120


def test_a_pool_of_no_processes_is_refused() -> None:
    with pytest.raises(ValueError, match="simulation processes"):
        SimulationWorkers(0, budget=MemoryBudget(1))


def test_starting_the_pool_starts_its_processes_before_any_run() -> None:
    pool = SimulationWorkers(2, budget=MemoryBudget(BUDGET_BYTES))
    try:
        pool.start_processes().result(timeout=120)
        processes = pool._current_pool()._processes.values()
        assert len(processes) == 2 and all(p.is_alive() for p in processes)
    finally:
        pool.close()


def served_page_after_moves(*, processes: str) -> tuple[dict, dict, bool]:
    """(a cold move's page, the same plan's page again from the cache, whether the
    server had worker processes) on ``streamlit run`` with ``processes`` workers."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(PROCESSES_VARIABLE, processes)  # the server inherits this environment
        with streamlit_server(ROOT / "app.py") as server:
            session = StreamlitSession(server)
            try:
                closing = session.rerun().widgets[controls.W_CLOSING][0]
                cold = session.rerun(moves={closing: [37.0]})  # a new plan: simulated
                session.rerun(moves={closing: [41.0]})
                warm = session.rerun(moves={closing: [37.0]})  # from the cache
                children = psutil.Process(server.process.pid).children(recursive=True)
            finally:
                session.close()
    for rerun in (cold, warm):
        assert rerun.ok, (rerun.exceptions, rerun.errors)
    page = lambda rerun: {"widgets": set(rerun.widgets), "texts": sorted(rerun.texts)}  # noqa: E731
    return page(cold), page(warm), bool(children)


def test_a_served_page_shows_the_same_plan_whether_its_worker_or_the_cache_answers() -> None:
    """A plan simulated in a worker shows every control and every line of text it shows
    when the cache answers, and the same as on a server without workers."""
    cold, warm, had_workers = served_page_after_moves(processes="1")
    assert had_workers
    assert cold == warm
    assert any("whiplash" in text.lower() for text in cold["texts"])
    alone_cold, _, alone_had_workers = served_page_after_moves(processes="0")
    assert not alone_had_workers
    assert alone_cold == cold


def test_a_served_app_with_a_bad_number_of_processes_says_so_and_simulates_itself(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import ui.runtime
    import ui.streamlit_runtime as served

    monkeypatch.setattr(ui.runtime, "_WORKERS", None)
    monkeypatch.setattr(ui.runtime, "_WORKERS_DECIDED", False)
    monkeypatch.setattr(served.runtime, "exists", lambda: True)
    monkeypatch.setattr(served.config, "get_option", lambda name: False)
    monkeypatch.setenv(PROCESSES_VARIABLE, "lots")
    with caplog.at_level("WARNING", logger=served.__name__):
        served.start_workers()
        served.start_workers()  # decided once: said once
    [said] = [r.getMessage() for r in caplog.records]
    assert said.startswith(f"{PROCESSES_VARIABLE}: a whole number from 0 to {MAX_PROCESSES}")
    assert ui.runtime._WORKERS is None and ui.runtime.workers_decided()
    scenario = with_simulation(runs=60)
    assert ui.runtime.simulate_summary(scenario).runs == 60  # in this process
