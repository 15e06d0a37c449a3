"""The timing harness: one code path for every device, with a device-specific Timer.

CPU and CUDA differ only in how an interval is read (``CpuTimer``: the wall clock;
``CudaTimer``: CUDA events, after a synchronize), so the GPU path runs exactly the code the
CPU tests exercise.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from fedsim.calibration.config import TimingConfig


class Timer(Protocol):
    """Times one interval of device work."""

    def start(self) -> None:
        """Mark the start (after any earlier queued work)."""

    def stop(self) -> float:
        """Seconds since ``start()``, once the device has finished the work in between."""


class CpuTimer:
    """Wall-clock timer: CPU ops are synchronous, so the clock is the measurement."""

    def __init__(self) -> None:
        self._t0_s = 0.0

    def start(self) -> None:
        self._t0_s = time.perf_counter()

    def stop(self) -> float:
        return time.perf_counter() - self._t0_s


class CudaTimer:
    """CUDA-event timer: kernels run asynchronously, so the host clock would time launches."""

    def __init__(self, device: Any = None) -> None:
        import torch  # lazily: this module's harness is usable without torch

        self._torch = torch
        self._device = device
        self._start = torch.cuda.Event(enable_timing=True)
        self._end = torch.cuda.Event(enable_timing=True)

    def start(self) -> None:
        self._start.record()

    def stop(self) -> float:
        self._end.record()
        self._torch.cuda.synchronize(self._device)
        return self._start.elapsed_time(self._end) / 1000.0  # elapsed_time is in ms


def make_timer(device: str, cuda_device: Any = None) -> Timer:
    return CudaTimer(cuda_device) if device == "cuda" else CpuTimer()


@dataclass(frozen=True)
class Measurement:
    """Summary of timed repeats: the median and the noise floor (IQR / median)."""

    time_s: float
    iqr_over_median: float
    repeats: int

    @classmethod
    def from_samples(cls, samples_s: list[float]) -> Measurement:
        if not samples_s:
            raise ValueError("no samples")
        arr = np.asarray(samples_s, dtype=float)
        q1, median, q3 = np.percentile(arr, [25, 50, 75])
        return cls(float(median), float((q3 - q1) / median) if median > 0 else 0.0, len(arr))


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Collect now, then keep the garbage collector off (as ``timeit`` does), so that a
    collection triggered by the harness's own allocations does not land inside a sample."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def measure(step: Callable[[], object], timer: Timer, timing: TimingConfig) -> Measurement:
    """Warm up, then time ``step`` at least ``timing.min_repeats`` times (GC paused)."""
    for _ in range(timing.warmup):
        step()
    samples_s: list[float] = []
    total_s = 0.0
    with paused_gc():
        while len(samples_s) < timing.min_repeats or (
            total_s < timing.target_s and len(samples_s) < timing.max_repeats
        ):
            timer.start()
            step()
            elapsed_s = timer.stop()
            samples_s.append(elapsed_s)
            total_s += elapsed_s
    return Measurement.from_samples(samples_s)
