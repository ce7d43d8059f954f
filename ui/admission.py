"""Admission control: at most as many page runs compute at once as the server has cores.

Every Streamlit session runs its script in a thread of one Python process. When thirty
sessions compute at once, their threads fight over the interpreter lock, and the
thread that sends messages to the browsers gets a thirtieth of it: a newcomer then
waits tens of seconds for the first byte of its page, although two cores cannot
finish thirty runs sooner than two at a time. So a page run computes (simulations,
chart specs) only while it holds one of :data:`SLOTS`; the others wait blocked, which
costs no CPU, and the server keeps answering new sessions at once. Waiting runs whose
browser has gone away give up their place.

Pure Python (no streamlit import): the app passes in how to tell that its session went.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator

SLOTS = max(1, min(os.cpu_count() or 1, 4))
"""Page runs that compute at once: one per core (at most four; numpy uses the rest)."""

_WAIT_STEP = 0.25
"""Seconds between checks, while waiting, that the session asking is still there."""


class _FairSlots:
    """A counting semaphore that serves waiters first come, first served.

    Python's own semaphore wakes an arbitrary waiter, so under a full room some runs
    waited three times longer than the rest; here a released slot is handed to the
    longest waiter directly.
    """

    def __init__(self, count: int) -> None:
        self._free = count
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queue: deque[threading.Event] = deque()

    @property
    def waiting(self) -> int:
        """Page runs waiting for a slot now."""
        with self._lock:
            return len(self._queue)

    def wait_until_waiting(self, count: int, *, timeout: float) -> bool:
        """Block until ``count`` runs wait (for tests and a future room dashboard)."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._queue) >= count, timeout=timeout)

    def acquire(self, gone: Callable[[], bool]) -> None:
        with self._lock:
            if self._free and not self._queue:
                self._free -= 1
                return
            ticket = threading.Event()
            self._queue.append(ticket)
            self._changed.notify_all()
        while not ticket.wait(_WAIT_STEP):
            if gone():
                with self._lock:
                    if ticket in self._queue:
                        self._queue.remove(ticket)
                        raise SessionGone("the session went away while its page waited")
                return  # handed a slot just now: keep it (the caller releases it)

    def release(self) -> None:
        with self._lock:
            if self._queue:
                self._queue.popleft().set()
            else:
                self._free += 1


_slots = _FairSlots(SLOTS)


class SessionGone(Exception):
    """The session waiting for a slot has gone away; its page run should end."""


@contextlib.contextmanager
def compute_slot(*, gone: Callable[[], bool] = lambda: False) -> Iterator[None]:
    """Hold one compute slot for the block; wait (blocked, no CPU) until one is free.

    Raises :class:`SessionGone` if ``gone()`` turns true while waiting. Slots nest:
    a thread that already holds one does not take a second (a page run calls helpers
    that may ask again).
    """
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    _slots.acquire(gone)
    _held.depth = 1
    try:
        yield
    finally:
        _held.depth = 0
        _slots.release()


_held = threading.local()
