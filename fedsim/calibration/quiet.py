"""Measuring on a shared machine: wait until other processes are idle, re-measure when
they interfered.

Timings taken while another process competes for the cores measure the contention, not
the hardware (two OpenMP threads on two busy cores can be 100x slower than on idle ones).
The guard reads the machine's busy time from ``/proc/stat`` (Linux) and subtracts this
process tree's own CPU time: what remains, per second of wall clock, is the number of
cores other processes (and the hypervisor's steal) took.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from fedsim.errors import FedsimError

T = TypeVar("T")
_PROC_STAT = Path("/proc/stat")


@dataclass(frozen=True)
class CpuSample:
    """Cumulative CPU seconds: the whole machine's busy time and this process tree's."""

    wall_s: float
    machine_busy_s: float
    own_s: float


@dataclass(frozen=True)
class QuietPolicy:
    """How quiet is quiet enough, and how long to wait for it."""

    max_foreign_cores: float = 0.15  # others' mean CPU use tolerated (kernel threads ~0.01)
    settle_s: float = 2.0  # quiet for this long before a measurement starts
    max_wait_s: float = 1800.0  # then measure anyway: a noisy row beats no row
    attempts: int = 3  # measurements of one task at most; the least disturbed is kept

    def __post_init__(self) -> None:
        if self.max_foreign_cores < 0 or self.settle_s <= 0 or self.max_wait_s < 0:
            raise FedsimError(
                "quiet policy: need max_foreign_cores ≥ 0, settle_s > 0, max_wait_s ≥ 0"
            )
        if self.attempts < 1:
            raise FedsimError("quiet policy: attempts must be ≥ 1")


def read_cpu_sample() -> CpuSample:
    """Machine busy time from ``/proc/stat`` (idle and iowait excluded; steal included)."""
    try:
        fields = _PROC_STAT.read_text().splitlines()[0].split()
    except OSError as exc:
        raise FedsimError(
            f"waiting for a quiet machine needs {_PROC_STAT} (Linux): {exc}"
        ) from None
    ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    busy_ticks = sum(ticks) - ticks[3] - ticks[4]
    own = os.times()  # children count once joined, which covers the all-reduce workers
    own_s = own.user + own.system + own.children_user + own.children_system
    return CpuSample(time.monotonic(), busy_ticks / os.sysconf("SC_CLK_TCK"), own_s)


def foreign_cores(before: CpuSample, after: CpuSample) -> float:
    """Mean number of cores used by everything but this process tree between two samples."""
    wall_s = after.wall_s - before.wall_s
    if wall_s <= 0:
        return 0.0
    foreign_s = (after.machine_busy_s - before.machine_busy_s) - (after.own_s - before.own_s)
    return max(0.0, foreign_s / wall_s)


class QuietGuard:
    """Runs measurements only when the machine is quiet, re-running disturbed ones."""

    def __init__(
        self,
        policy: QuietPolicy,
        on_wait: Callable[[float], None] | None = None,
        sample: Callable[[], CpuSample] = read_cpu_sample,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy
        self._on_wait = on_wait
        self._sample = sample
        self._sleep = sleep

    def wait_until_quiet(self) -> float:
        """Block until a ``settle_s`` window is quiet (or ``max_wait_s`` passed); seconds waited."""
        start = self._sample()
        while True:
            before = self._sample()
            self._sleep(self.policy.settle_s)
            after = self._sample()
            load = foreign_cores(before, after)
            if load <= self.policy.max_foreign_cores:
                return after.wall_s - start.wall_s
            if after.wall_s - start.wall_s >= self.policy.max_wait_s:
                return after.wall_s - start.wall_s
            if self._on_wait is not None:
                self._on_wait(load)

    def run(self, measure: Callable[[], T]) -> tuple[T, float]:
        """``measure()`` in a quiet moment; returns its result and the foreign load during it.

        A disturbed result is measured again (up to ``attempts`` times) and the least
        disturbed one is kept.
        """
        best: tuple[T, float] | None = None
        for _ in range(self.policy.attempts):
            self.wait_until_quiet()
            before = self._sample()
            result = measure()
            load = foreign_cores(before, self._sample())
            if best is None or load < best[1]:
                best = (result, load)
            if load <= self.policy.max_foreign_cores:
                break
        assert best is not None  # attempts ≥ 1
        return best
