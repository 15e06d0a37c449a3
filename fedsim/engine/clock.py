"""The order of events at one instant, and the run loop.

Events at the same simulated time are processed in this order, whatever order they were
scheduled in (then first scheduled, first processed):

1. ``FINISH``: jobs complete and free their GPUs (an event-driven local scheduler
   refills them at once);
2. ``ARRIVAL``: jobs arrive and queue (and may start on free GPUs);
3. ``MARKET``: the epoch closes and the market clears on what is free and queued now;
4. ``ROUND``: round-based local schedulers decide what runs until their next round.

So a job finishing exactly at an epoch boundary frees its GPU before the market looks,
and the market places work before the local rounds at the same instant reshuffle it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from typing import Any

import simpy
from simpy.events import Event

FINISH, ARRIVAL, MARKET, ROUND = 0, 1, 2, 3

# A run allocates millions of small objects that live to its end (jobs' rows, the event
# log): CPython's default thresholds (700, 10, 10) then collect them over and over, 12%
# of the CPU of a 10-day federation (measured). Young collections every 50k allocations
# and rarer old ones keep that under 3%; cycles are still collected, a little later.
RUN_GC_THRESHOLD = (50_000, 20, 100)


@contextlib.contextmanager
def relaxed_gc() -> Iterator[None]:
    """Raise the garbage collector's thresholds (never lower them) for the duration."""
    saved = gc.get_threshold()
    gc.set_threshold(*(max(a, b) for a, b in zip(saved, RUN_GC_THRESHOLD, strict=False)))
    try:
        yield
    finally:
        gc.set_threshold(*saved)


class At(Event):
    """An event ``delay`` seconds from now with an explicit ``priority`` (lower first at
    equal times) and a ``value`` for its callbacks; like ``simpy.Timeout``, whose
    constructor it mirrors, plus the priority."""

    def __init__(self, env: simpy.Environment, delay: float, priority: int, value: Any = None):
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        self.env = env
        self.callbacks = []
        self._value = value
        self._ok = True
        env.schedule(self, priority, delay)  # type: ignore[arg-type]


def run_until(
    env: simpy.Environment, horizon_s: float, done: Callable[[], bool] | None = None
) -> None:
    """Process every event at or before ``horizon_s`` (a closed horizon: a job finishing
    exactly at the horizon finishes), and nothing after it; stop earlier once ``done()``
    (checked after each event)."""
    peek, step = env.peek, env.step
    if done is None:
        while peek() <= horizon_s:
            step()
        return
    while peek() <= horizon_s and not done():
        step()
