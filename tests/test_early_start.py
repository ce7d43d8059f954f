"""A simulation started before the page asks for it (ui/early_start.py): the page gets the
same result, a run that ends without taking its start cancels it, and nothing piles up."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator import load_preset
from simulator.budget import SimulationCancelled
from ui import controls, page_cache, presets, runtime
from ui.early_start import EarlyStarts

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SCENARIO = load_preset(presets.DEFAULT_PRESET)


class Held:
    """A simulation that runs until the test lets it finish, and records its stop check."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.finished = threading.Event()
        self.stopped: list[bool] = []
        self.calls = 0

    def __call__(self, scenario, *, should_stop):
        self.calls += 1
        self.started.set()
        try:
            self.release.wait(timeout=30)
            stopped = should_stop()
            self.stopped.append(stopped)
            if stopped:
                raise SimulationCancelled("stopped")
            return f"result of {scenario.meta.title}"
        finally:
            self.finished.set()


def starts(simulate, *, remember: int = 4, in_flight: int = 2) -> EarlyStarts:
    return EarlyStarts(simulate, remember=remember, enabled=lambda: True, in_flight=in_flight)


def test_the_page_takes_the_started_simulation_and_gets_its_result() -> None:
    held = Held()
    early = starts(held)
    assert early.start("k", SCENARIO)
    assert not early.start("k", SCENARIO), "one start per key while it runs"
    future = early.take("k")
    assert future is not None and early.take("k") is None
    held.release.set()
    assert future.result(timeout=30) == f"result of {SCENARIO.meta.title}"
    assert held.calls == 1 and held.stopped == [False]


def test_a_start_the_run_did_not_take_is_cancelled() -> None:
    held = Held()
    early = starts(held)
    assert early.start("k", SCENARIO)
    held.started.wait(timeout=30)
    early.drop("k")  # a newer move interrupted the run that started it
    held.release.set()
    assert early.running() == 0
    assert held.finished.wait(timeout=30)
    assert held.stopped == [True]


def test_the_starting_sessions_own_stop_still_stops_it() -> None:
    held = Held()
    early = starts(held)
    assert early.start("k", SCENARIO, should_stop=lambda: True)  # its session has gone
    future = early.take("k")
    held.release.set()
    with pytest.raises(SimulationCancelled):
        future.result(timeout=30)


def test_no_start_when_off_when_computed_lately_or_when_enough_run() -> None:
    held = Held()
    off = EarlyStarts(held, remember=4, enabled=lambda: False)
    assert not off.start("k", SCENARIO)

    early = starts(held, remember=2, in_flight=2)
    early.computed("a")
    assert not early.start("a", SCENARIO), "its result is in the page's cache"
    assert early.start("b", SCENARIO) and early.start("c", SCENARIO)
    assert not early.start("d", SCENARIO), "two in flight already"
    early.computed("x")
    early.computed("y")  # remembers two: "a" is forgotten
    held.release.set()
    for key in ("b", "c"):
        early.take(key).result(timeout=30)
    assert early.start("a", SCENARIO)
    early.take("a").result(timeout=30)


def test_a_page_that_takes_a_cancelled_start_simulates_for_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another session started the simulation and left; this one still gets a result."""
    held = Held()
    early = starts(held)
    monkeypatch.setattr(page_cache, "EARLY", early)
    monkeypatch.setattr(page_cache, "simulate_summary", lambda s, *, should_stop: "its own")
    assert early.start("k", SCENARIO, should_stop=lambda: True)
    held.release.set()
    assert page_cache._simulated("k", SCENARIO, should_stop=None) == "its own"


def page_of(at: AppTest) -> list[tuple[str, str]]:
    """What a reader sees, in order: each element's kind and what it says or holds."""
    seen = []
    for where in (at.main, at.sidebar):
        for node in where:
            proto = getattr(node, "proto", None)
            text = getattr(node, "value", None)
            if node.type == "vega_lite_chart":
                text = node.proto.spec
            elif text is None or not isinstance(text, (str, int, float, tuple, list)):
                text = getattr(node, "label", "") or (str(proto)[:200] if proto else "")
            seen.append((node.type, str(text)))
    return seen


def moved_page(monkeypatch: pytest.MonkeyPatch, *, early: bool) -> tuple[list, int]:
    """The page after a cold move of the closing slider, with early starts on or off;
    how many simulations ran on an early start's thread. The plan has no quota, so the
    sidebar quotes the one its result suggests (the push's caption)."""
    on_early_thread = []

    def counted(scenario, *, should_stop):
        if threading.current_thread().name.startswith("early"):
            on_early_thread.append(scenario.effort.close)
        return runtime.simulate_summary(scenario, should_stop=should_stop)

    fresh = EarlyStarts(counted, remember=page_cache.RESULT_ENTRIES, enabled=lambda: early)
    monkeypatch.setattr(page_cache, "EARLY", fresh)
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["preset"] = "balanced"
    at.query_params["runs"] = "200"
    at.run()
    at.slider(key=controls.W_CLOSING).set_value(61.0).run()
    assert not at.exception and not at.error
    assert fresh.running() == 0, "every start was taken or dropped"
    return page_of(at), len(on_early_thread)


def test_the_page_drawn_around_an_early_start_is_the_same_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a worker simulating early, the sidebar's plan controls are drawn while it runs;
    the reader sees the same elements, in the same order, with the same values."""
    without, none_early = moved_page(monkeypatch, early=False)
    with_early, early_runs = moved_page(monkeypatch, early=True)
    assert none_early == 0
    assert early_runs == 2, "the first run and the move each started their simulation"
    assert with_early == without
    [quoted] = [text for kind, text in with_early if "turning it on sets" in text]
    assert quoted == next(text for kind, text in without if "turning it on sets" in text)
