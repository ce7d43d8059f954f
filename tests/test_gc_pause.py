"""ui/gc_pause.py: long-lived objects frozen out of the collector, later garbage still freed."""

from __future__ import annotations

import gc
import weakref

from ui import gc_pause


class _Node:
    """A small object that can sit in a reference cycle and be weakly referenced."""

    def __init__(self) -> None:
        self.other: _Node | None = None


def test_objects_alive_at_the_freeze_leave_the_collectors_passes() -> None:
    long_lived = _Node()
    gc_pause.freeze_long_lived_objects.cache_clear()
    try:
        gc_pause.freeze_long_lived_objects()
        assert gc.get_freeze_count() > 0
        assert not any(o is long_lived for o in gc.get_objects())
        gc_pause.freeze_long_lived_objects()  # a second call (every rerun) changes nothing
        assert gc_pause.freeze_long_lived_objects.cache_info().hits >= 1
    finally:
        gc.unfreeze()
        gc_pause.freeze_long_lived_objects.cache_clear()


def test_a_cycle_made_after_the_freeze_is_still_freed() -> None:
    gc_pause.freeze_long_lived_objects.cache_clear()
    try:
        gc_pause.freeze_long_lived_objects()
        first, second = _Node(), _Node()
        first.other, second.other = second, first  # only the collector can free a cycle
        gone = weakref.ref(first)
        del first, second
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()
        gc_pause.freeze_long_lived_objects.cache_clear()


def test_every_page_freezes_through_its_menu(monkeypatch) -> None:
    from ui import nav

    calls: list[None] = []
    monkeypatch.setattr(gc_pause, "freeze_long_lived_objects", lambda: calls.append(None))
    nav.page_menu()
    assert calls == [None]
