"""Pausing Python's cyclic garbage collector around an allocation-heavy computation.

A planners' report over a city allocates a few hundred thousand objects (entries, tuples, lists)
that it keeps until it returns: every 700 of them start a collection of the young generation,
and every few dozen of those a full collection walks everything not frozen (``gc.freeze`` keeps
the loaded graph out of it), a quarter of the report's time, finding nothing to free. So no
collection runs while it does: what it drops is freed by reference counting, and collections
resume when it returns (the few cycles it might leave wait until then).

The pause is process-wide (the collector is): while any thread is inside ``gc_paused`` no
collection starts, and it is lifted when the last one leaves (only if the collector was enabled
when the first entered).

>>> import gc
>>> with gc_paused():
...     gc.isenabled()
False
>>> gc.isenabled()
True
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]

_lock = threading.Lock()
_inside = 0
_resume = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic garbage collection while the block runs (explicit ``gc.collect`` still
    works); nested and concurrent pauses end when the last one does."""
    global _inside, _resume
    with _lock:
        if _inside == 0:
            _resume = gc.isenabled()
            gc.disable()
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _resume:
                gc.enable()
