"""The quiet-machine guard, driven by scripted CPU samples (no torch, no waiting)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedsim.calibration.quiet import (
    CpuSample,
    QuietGuard,
    QuietPolicy,
    foreign_cores,
    read_cpu_sample,
)
from fedsim.errors import FedsimError


class ScriptedMachine:
    """A clock and CPU counters advanced by ``sleep`` and by the measured work itself."""

    def __init__(self, foreign_cores_per_step: list[float]) -> None:
        self.wall_s = 0.0
        self.busy_s = 0.0
        self.own_s = 0.0
        self._loads = list(foreign_cores_per_step)
        self.waits = 0

    def sample(self) -> CpuSample:
        return CpuSample(self.wall_s, self.busy_s, self.own_s)

    def advance(self, seconds: float, own_cores: float = 0.0) -> None:
        load = self._loads.pop(0) if len(self._loads) > 1 else self._loads[0]
        self.wall_s += seconds
        self.own_s += own_cores * seconds
        self.busy_s += (own_cores + load) * seconds

    def sleep(self, seconds: float) -> None:
        self.waits += 1
        self.advance(seconds)


def test_foreign_cores_subtracts_own_cpu_time() -> None:
    before = CpuSample(wall_s=0.0, machine_busy_s=0.0, own_s=0.0)
    after = CpuSample(wall_s=2.0, machine_busy_s=5.0, own_s=4.0)  # we used 2 cores
    assert foreign_cores(before, after) == pytest.approx(0.5)


def test_waits_while_others_are_busy() -> None:
    machine = ScriptedMachine([1.8, 1.0, 0.0])
    guard = QuietGuard(QuietPolicy(settle_s=1.0), sample=machine.sample, sleep=machine.sleep)
    assert guard.wait_until_quiet() == pytest.approx(3.0)
    assert machine.waits == 3


def test_disturbed_measurement_is_repeated_and_least_disturbed_kept() -> None:
    # per step: quiet settle, disturbed run, quiet settle, clean run
    machine = ScriptedMachine([0.0, 1.5, 0.0, 0.05])
    runs: list[int] = []

    def measure() -> int:
        runs.append(1)
        machine.advance(2.0, own_cores=2.0)
        return len(runs)

    guard = QuietGuard(QuietPolicy(settle_s=1.0), sample=machine.sample, sleep=machine.sleep)
    result, load = guard.run(measure)
    assert result == 2 and load == pytest.approx(0.05) and len(runs) == 2


def test_gives_up_waiting_after_max_wait() -> None:
    machine = ScriptedMachine([2.0])
    policy = QuietPolicy(settle_s=1.0, max_wait_s=5.0, attempts=1)
    guard = QuietGuard(policy, sample=machine.sample, sleep=machine.sleep)
    result, load = guard.run(lambda: machine.advance(1.0) or "row")
    assert result == "row" and load == pytest.approx(2.0)


def test_policy_is_validated() -> None:
    with pytest.raises(FedsimError, match="attempts"):
        QuietPolicy(attempts=0)


@pytest.mark.skipif(not Path("/proc/stat").is_file(), reason="Linux only")
def test_reads_this_machine() -> None:
    sample = read_cpu_sample()
    assert sample.machine_busy_s > 0 and sample.own_s > 0
