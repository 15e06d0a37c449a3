"""The timing harness itself, with a scripted timer (no torch, no clock)."""

from __future__ import annotations

import pytest

from fedsim.calibration.config import CalibrationConfig, TimingConfig
from fedsim.calibration.timing import CpuTimer, Measurement, measure
from fedsim.errors import FedsimError


class ScriptedTimer:
    """Returns the given intervals in turn, so the harness's arithmetic is checkable."""

    def __init__(self, intervals_s: list[float]) -> None:
        self._intervals_s = list(intervals_s)
        self.starts = 0

    def start(self) -> None:
        self.starts += 1

    def stop(self) -> float:
        return self._intervals_s.pop(0)


def test_median_and_iqr_over_median() -> None:
    m = Measurement.from_samples([1.0, 2.0, 3.0, 4.0, 5.0])
    assert m.time_s == 3.0 and m.repeats == 5
    assert m.iqr_over_median == pytest.approx((4.0 - 2.0) / 3.0)


def test_warmup_is_not_timed_and_min_repeats_hold() -> None:
    calls: list[int] = []
    timer = ScriptedTimer([0.5] * 10)
    timing = TimingConfig(warmup=3, min_repeats=5, max_repeats=10, target_s=0.0)
    m = measure(lambda: calls.append(1), timer, timing)
    assert len(calls) == 8 and timer.starts == 5 and m.repeats == 5


def test_cheap_steps_get_more_repeats_until_target() -> None:
    timer = ScriptedTimer([0.125] * 100)
    m = measure(
        lambda: None, timer, TimingConfig(warmup=0, min_repeats=5, max_repeats=100, target_s=1.0)
    )
    assert m.repeats == 8  # 8 x 0.125 s reaches the 1 s target


def test_cuda_warmup_is_at_least_ten() -> None:
    assert TimingConfig(warmup=2).for_device("cuda").warmup == 10
    assert TimingConfig(warmup=2).for_device("cpu").warmup == 2


def test_cpu_timer_measures_elapsed_time() -> None:
    timer = CpuTimer()
    timer.start()
    assert 0.0 <= timer.stop() < 1.0


def test_configs_are_validated() -> None:
    with pytest.raises(FedsimError, match="min_repeats"):
        TimingConfig(min_repeats=3)
    with pytest.raises(FedsimError, match="threads"):
        CalibrationConfig(device="cpu", threads=0)
    with pytest.raises(FedsimError, match="unknown model"):
        CalibrationConfig(device="cpu", threads=1, models=("vgg",))
    quick = CalibrationConfig.preset("cpu", 2, quick=True)
    assert quick.size == "tiny" and quick.timing.min_repeats >= 5
    full = CalibrationConfig.preset("cpu", 2)
    assert full.batch_sizes[0] == 1 and full.batch_sizes[-1] == 256
    assert min(full.message_bytes) == 1024 and max(full.message_bytes) == 64 * 1024 * 1024
