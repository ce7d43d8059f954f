"""A process-wide budget on simulation cells in flight, so concurrent users cannot
exhaust the server's memory.

``MAX_CELLS`` bounds one simulation (runs x months x product lines: the size of the
engine's largest arrays, about 1 GB of peak memory at the limit). A server runs many
sessions at once, so thirty users each asking for the largest run would need thirty
times that. :data:`SIMULATION_BUDGET` lets simulations run side by side while their
cells add up to at most :data:`MAX_CELLS_IN_FLIGHT`; a larger request waits for room.
Ordinary runs (a few hundred thousand cells) never wait for each other; two of the
largest run at once, the rest queue. On two cores, running more at once would not
finish them sooner anyway.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from .models import MAX_CELLS

MAX_CELLS_IN_FLIGHT = 2 * MAX_CELLS
"""Cells all simulations of this process may hold at once (about 2.5 GB at peak)."""


class CellBudget:
    """A counting semaphore measured in cells instead of slots."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.in_flight = 0
        self.peak = 0
        self._room = threading.Condition()

    @contextlib.contextmanager
    def hold(self, cells: int) -> Iterator[None]:
        """Wait until ``cells`` fit in the budget, hold them for the block, then release.

        A request larger than the whole budget runs alone rather than never.
        """
        need = max(1, min(int(cells), self.capacity))
        with self._room:
            self._room.wait_for(lambda: self.in_flight + need <= self.capacity)
            self.in_flight += need
            self.peak = max(self.peak, self.in_flight)
        try:
            yield
        finally:
            with self._room:
                self.in_flight -= need
                self._room.notify_all()


SIMULATION_BUDGET = CellBudget(MAX_CELLS_IN_FLIGHT)
"""Shared by every :func:`simulator.simulate` call in this process."""
