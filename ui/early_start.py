"""Simulations started before the page asks for them, while it draws what does not need them.

When simulations run in worker processes (``ui/workers.py``), a cold rerun was two waits
one after the other: the page's thread waited for the worker's simulation (about 80 ms
for the default preset), and the worker then sat idle while the page drew its controls
(about 10 ms of the sidebar). The page now starts the simulation first, in the worker,
draws the sidebar's controls meanwhile, and takes the running simulation when it needs
the result (issue 13): the two cores work at once.

Each start is owned by the script run that made it. The run *takes* it when its page
needs the result (``ui/page_cache.py``, on a cache miss), or *drops* it when it ends
without taking it (a newer move interrupted it, or the result was cached after all);
a dropped start is cancelled, so a held arrow key does not queue simulations nobody
will see. A run that takes another session's start and finds it cancelled (that
session left) simulates for itself.

No Streamlit here: the caller says how to simulate and when its session has gone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from simulator import ResultSummary, Scenario

StopCheck = Callable[[], bool] | None
Simulate = Callable[..., ResultSummary]
"""``simulate(scenario, should_stop=...)``, e.g. :func:`ui.runtime.simulate_summary`."""

IN_FLIGHT = 4
"""Early starts running at once in one app process (as many as ``ui/admission.py`` lets
pages compute at once, on up to four cores); beyond that a page simulates as before."""


class EarlyStarts:
    """Simulations started ahead of the page, by the key the page will ask for."""

    def __init__(
        self,
        simulate: Simulate,
        *,
        remember: int,
        enabled: Callable[[], bool],
        in_flight: int = IN_FLIGHT,
    ) -> None:
        self._simulate = simulate
        self.enabled = enabled
        """Whether to start at all: when simulations run in worker processes; in the
        page's own process an early start would only share its interpreter lock."""
        self._remember = remember
        self._in_flight = in_flight
        self._lock = threading.Lock()
        self._running: dict[str, tuple[Future[ResultSummary], threading.Event]] = {}
        self._known: OrderedDict[str, None] = OrderedDict()
        self._threads = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="early")

    def start(self, key: str, scenario: Scenario, *, should_stop: StopCheck = None) -> bool:
        """Start simulating ``scenario`` (``key``: its JSON, the cache's key) unless it
        was computed recently, is running already or too many are; say whether it started."""
        with self._lock:
            if key in self._running or not self.enabled():
                return False
            if key in self._known:  # most likely still in the page's cache
                self._known.move_to_end(key)
                return False
            if len(self._running) >= self._in_flight:
                return False
            dropped = threading.Event()

            def stop() -> bool:
                return dropped.is_set() or (should_stop is not None and should_stop())

            future = self._threads.submit(self._simulate, scenario, should_stop=stop)
            self._running[key] = (future, dropped)
            return True

    def take(self, key: str) -> Future[ResultSummary] | None:
        """The running start for ``key``, now the caller's to wait for (None if none)."""
        with self._lock:
            entry = self._running.pop(key, None)
        return None if entry is None else entry[0]

    def drop(self, key: str) -> None:
        """The run that started ``key`` has ended without taking it: cancel it."""
        with self._lock:
            entry = self._running.pop(key, None)
        if entry is not None:
            entry[1].set()

    def computed(self, key: str) -> None:
        """``key``'s result is in the cache now: later runs need not start it early."""
        with self._lock:
            self._known[key] = None
            self._known.move_to_end(key)
            while len(self._known) > self._remember:
                self._known.popitem(last=False)

    def running(self) -> int:
        """How many starts nobody has taken or dropped yet."""
        with self._lock:
            return len(self._running)


__all__ = ["IN_FLIGHT", "EarlyStarts"]
