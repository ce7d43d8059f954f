"""ui/admission.py: page runs compute a few at a time, first come first served."""

from __future__ import annotations

import threading

import pytest

from ui import admission


@pytest.fixture
def two_slots(monkeypatch: pytest.MonkeyPatch) -> admission._FairSlots:
    slots = admission._FairSlots(2)
    monkeypatch.setattr(admission, "_slots", slots)
    return slots


def _waiter(order: list[int], number: int, started: threading.Event) -> threading.Thread:
    def run() -> None:
        started.set()
        with admission.compute_slot():
            order.append(number)

    return threading.Thread(target=run)


def test_no_more_than_the_slots_compute_at_once(two_slots) -> None:
    inside, most = [0], [0]
    lock, release = threading.Lock(), threading.Event()

    def run() -> None:
        with admission.compute_slot():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            release.wait(timeout=30)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    assert two_slots.wait_until_waiting(4, timeout=30)  # two compute, four wait
    release.set()
    for t in threads:
        t.join(timeout=30)
    assert most[0] == 2
    assert two_slots._free == 2 and two_slots.waiting == 0


def test_waiters_are_served_first_come_first_served(monkeypatch: pytest.MonkeyPatch) -> None:
    one = admission._FairSlots(1)
    monkeypatch.setattr(admission, "_slots", one)
    order: list[int] = []
    release = threading.Event()
    held = threading.Event()

    def hold() -> None:
        with admission.compute_slot():
            held.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(timeout=30)
    waiters = []
    for number in range(5):
        thread = _waiter(order, number, threading.Event())
        thread.start()
        assert one.wait_until_waiting(number + 1, timeout=30)  # queued in this order
        waiters.append(thread)
    assert order == []
    release.set()
    for t in [holder, *waiters]:
        t.join(timeout=30)
    assert order == [0, 1, 2, 3, 4]


def test_a_session_that_went_away_leaves_the_queue(two_slots) -> None:
    release = threading.Event()
    holding = threading.Barrier(3)

    def hold() -> None:
        with admission.compute_slot():
            holding.wait(timeout=30)
            release.wait(timeout=30)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for t in holders:
        t.start()
    holding.wait(timeout=30)
    with pytest.raises(admission.SessionGone), admission.compute_slot(gone=lambda: True):
        pytest.fail("a run whose session went away must not compute")
    assert two_slots.waiting == 0
    release.set()
    for t in holders:
        t.join(timeout=30)
    assert two_slots._free == 2


def test_a_run_holding_a_slot_can_ask_again_without_waiting(two_slots) -> None:
    with admission.compute_slot(), admission.compute_slot():
        assert two_slots._free == 1  # one slot for the whole page run
    assert two_slots._free == 2


def test_an_error_inside_gives_the_slot_back(two_slots) -> None:
    with pytest.raises(RuntimeError), admission.compute_slot():
        raise RuntimeError("a chart failed")
    assert two_slots._free == 2
