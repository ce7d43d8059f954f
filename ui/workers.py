"""Simulations in worker processes, so that one app process uses more than one core.

One Streamlit process runs every session's script on threads that share one interpreter
lock, and the engine holds that lock nearly all the time (its numpy steps are short, on
1,000 runs x 2 lines): a simulation on a thread beside 10 ms of page drawing finished
1 ms sooner than one after it (issue 13). So thirty sessions exploring their plans on
one process shared one core, and every page run waited behind the others'
simulations. A worker process simulates on another core while the app's threads draw
pages and answer browsers.

A worker does :func:`simulator.simulate` and ``summary_only`` and sends the summary
back (tens of kB, pickled). The caller keeps everything else:

- the memory budget: :meth:`SimulationWorkers.simulate` holds ``budget`` here while a
  worker simulates, so the workers' arrays count against it as a thread's would;
- cancelling: ``should_stop`` is asked here every :data:`POLL_SECONDS`; when it says so,
  the run's flag (one byte of shared memory) is set and the engine stops at its next
  month, as it would in this process;
- a worker that dies (killed, out of memory) breaks the pool: that simulation runs in
  this process instead, and the next one starts a new pool.

Workers start with ``forkserver``, not ``fork`` (the server has threads, and a forked
child keeps the locks they held), and without a main module: Streamlit runs a page as
``__main__``, which a new process would otherwise import and run again (:func:`_no_main`).
No Streamlit here: ``ui/streamlit_runtime.py`` decides when the app uses workers.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import threading
import types
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from simulator import ResultSummary, Scenario, simulate
from simulator.budget import MemoryBudget, estimate

StopCheck = Callable[[], bool] | None

MAX_PROCESSES = 16
"""The most worker processes one app process starts (``WHIPLASH_SIMULATION_PROCESSES``)."""
SLOTS = 256
"""Runs in flight at once through one pool (each has a cancel flag); beyond that a run
simulates in the calling process. The app's admission slots keep far fewer in flight."""
POLL_SECONDS = 0.05
"""How often a waiting caller asks ``should_stop`` (the engine asks every month)."""

PROCESSES_VARIABLE = "WHIPLASH_SIMULATION_PROCESSES"
DEFAULT_PROCESSES = 1
"""Worker processes per app process unless ``WHIPLASH_SIMULATION_PROCESSES`` says (0:
simulate in the app's own process). docs/deploy.md, "Simulation processes", says why."""


class ProcessesError(ValueError):
    """``WHIPLASH_SIMULATION_PROCESSES`` is not a whole number in range."""


def processes_from(env: Mapping[str, str]) -> int:
    """The number of worker processes ``env`` asks for (:data:`DEFAULT_PROCESSES` if unset)."""
    raw = env.get(PROCESSES_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_PROCESSES
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_PROCESSES:
        shown = raw if len(raw) <= 20 else raw[:20] + "…"
        raise ProcessesError(
            f"{PROCESSES_VARIABLE}: a whole number from 0 to {MAX_PROCESSES}, not {shown!r}"
        )
    return int(raw)


_FLAGS = None  # in a worker: the pool's cancel flags, one byte per slot


def _start_worker(flags) -> None:
    """A worker's start: keep the pool's cancel flags (shared at start, not per run)."""
    global _FLAGS
    _FLAGS = flags


def _simulate_in_worker(scenario: Scenario, slot: int) -> ResultSummary:
    """In a worker: the summary of ``scenario``, stopped when the slot's flag is set.

    The scenario comes pickled, as validated here, not as JSON to validate again: the
    worker raises what this process would (a JSON round trip turned the engine's own
    refusal into a validation error)."""
    flags = _FLAGS
    return simulate(scenario, should_stop=lambda: flags[slot] != 0).summary_only()


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _no_main() -> Iterator[None]:
    """While the pool starts processes, a bare ``__main__`` stands in for the page's.

    multiprocessing tells a new process to import the parent's main module by its file;
    under Streamlit that is the page script, which would draw the page again in the
    worker and start workers of its own. The pool starts processes inside ``submit``,
    so each submit runs inside this (a dictionary swap when no process starts). The
    page's module is put back unless a new script run has put its own there meanwhile."""
    modules = sys.modules
    with _MAIN_LOCK:
        page = modules.get("__main__")
        stand_in = types.ModuleType("__main__")
        modules["__main__"] = stand_in
        try:
            yield
        finally:
            if page is not None and modules.get("__main__") is stand_in:
                modules["__main__"] = page


def _ready() -> None:
    """A worker's first task: nothing, so that starting the pool starts its processes."""


class SimulationWorkers:
    """``processes`` worker processes, each simulating one plan at a time."""

    def __init__(self, processes: int, *, budget: MemoryBudget) -> None:
        if not 1 <= processes <= MAX_PROCESSES:
            raise ValueError(f"simulation processes: 1 to {MAX_PROCESSES}, not {processes}")
        self.processes = processes
        self.budget = budget
        self._context = multiprocessing.get_context("forkserver")
        # Each worker forks from a server that has imported the engine already.
        self._context.set_forkserver_preload([__name__])
        self._flags = self._context.RawArray("B", SLOTS)
        self._free = list(range(SLOTS))
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simulation")

    def simulate(self, scenario: Scenario, *, should_stop: StopCheck = None) -> ResultSummary:
        """The summary of ``scenario``, simulated in a worker once memory allows.

        Raises what the simulation raises (``SimulationCancelled`` when ``should_stop``
        said so); runs in this process if every slot is taken or the pool broke."""
        with self.budget.hold(estimate(scenario).bytes, should_stop=should_stop):
            slot = self._take_slot()
            if slot is None:
                return simulate(scenario, should_stop=should_stop).summary_only()
            try:
                return self._run(scenario, slot, should_stop)
            finally:
                self._give_back(slot)

    def start_processes(self) -> Future:
        """Start the workers now, in the background, so the first run does not wait for
        them (a worker's start imports the engine: about a second)."""

        def start() -> None:
            pool = self._current_pool()
            with _no_main():
                started = [pool.submit(_ready) for _ in range(self.processes)]
            for future in started:
                future.result()

        return self._starter.submit(start)

    def close(self) -> None:
        """Stop the workers (a run still going is cancelled)."""
        with self._lock:
            pool, self._pool = self._pool, None
            for slot in range(SLOTS):
                self._flags[slot] = 1
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        self._starter.shutdown(wait=False)

    def _run(self, scenario: Scenario, slot: int, should_stop: StopCheck) -> ResultSummary:
        pool = self._current_pool()
        try:
            with _no_main():
                future = pool.submit(_simulate_in_worker, scenario, slot)
            while True:
                try:
                    return future.result(timeout=POLL_SECONDS)
                except FutureTimeout:
                    if should_stop is not None and should_stop():
                        self._flags[slot] = 1  # the worker stops at its next month
        except BrokenProcessPool:
            self._drop(pool)
            return simulate(scenario, should_stop=should_stop).summary_only()

    def _current_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=self._context,
                    initializer=_start_worker,
                    initargs=(self._flags,),
                )
            return self._pool

    def _drop(self, pool: ProcessPoolExecutor) -> None:
        """Forget a broken pool (the next run starts a new one)."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def _take_slot(self) -> int | None:
        with self._lock:
            if not self._free:
                return None
            slot = self._free.pop()
            self._flags[slot] = 0
            return slot

    def _give_back(self, slot: int) -> None:
        with self._lock:
            self._free.append(slot)


__all__ = ["MAX_PROCESSES", "ProcessesError", "SimulationWorkers", "processes_from"]
