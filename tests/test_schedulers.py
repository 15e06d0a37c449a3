"""Local schedulers: every registered one conforms; each policy on small clusters whose
decision is derived by hand; broken schedulers fail the checker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from fedsim.schedulers import ClusterSnapshot, Decision, available, check, make
from fedsim.schedulers.allocation import max_min_share, min_makespan_share
from fedsim.schedulers.conformance import SchedulerConformanceError
from fedsim.schedulers.finish_time import ftf_share


def snapshot(speed, n_gpus, pool, running=None, remaining=None, arrival=None, attained=None,
             on_type=None, t_s=0.0, memory=None, round_s=360.0) -> ClusterSnapshot:
    speed = np.asarray(speed, float)
    n_j, n_g = speed.shape
    work = np.full(n_j, 3600.0) if remaining is None else np.asarray(remaining, float)
    return ClusterSnapshot(
        provider="P", t_s=t_s, round_s=round_s, gpu_types=tuple(f"g{k}" for k in range(n_g)),
        pool=np.asarray(pool), guest_held=np.zeros(n_g, int), job=np.arange(n_j),
        job_type=np.zeros(n_j, int), job_types=("m",), n_gpus=np.asarray(n_gpus),
        arrival_s=np.arange(n_j, dtype=float) if arrival is None else np.asarray(arrival, float),
        running_on=np.full(n_j, -1) if running is None else np.asarray(running),
        speed=speed, steps_per_s=speed,
        attained_gpu_s=np.zeros(n_j) if attained is None else np.asarray(attained, float),
        time_on_type_s=np.zeros((n_j, n_g)) if on_type is None else np.asarray(on_type, float),
        waited_s=np.zeros(n_j), remaining_ref_s=work, work_ref_s=work, memory=memory,
    )


@pytest.mark.parametrize("name", sorted(available()))
def test_registered_scheduler_conforms(name: str) -> None:
    sched = make(name)
    assert sched.name == name and sched.summary and type(sched).__doc__
    assert check(sched, n_snapshots=15, seed=3) == 15


# --- the heterogeneity-aware max-min LP, by hand -------------------------------------

# Two types A, B with one GPU each; three 1-GPU jobs with speeds (A, B):
# job 1 (1, 2), job 2 (1, 1), job 3 (1, 4). Equal-share throughputs p = (1.5, 1, 2.5);
# normalised speeds a = T/p: (2/3, 4/3), (1, 1), (0.4, 1.6).
# Guess the structure: job 2 only on A, job 3 only on B, job 1 on both, every job at
# the same level z and both types full:
#   x2A = z, 1.6·x3B = z, x1A = 1 − z, x1B = 1 − z/1.6,
#   z = (2/3)(1 − z) + (4/3)(1 − z/1.6)  =>  z = 0.8:
#   x = [[0.2, 0.5], [0.8, 0], [0, 0.5]].
# Optimality: duals μ_A = 4/15, μ_B = 8/15 with fairness weights λ = (0.4, 4/15, 1/3)
# satisfy λ_j·a_jg = μ_g on every used cell, λ_j·a_jg < μ_g on the unused ones
# (job 2 on B: 4/15 < 8/15; job 3 on A: 2/15 < 4/15), and μ_A + μ_B = 0.8 = z.
SPEED = [[1.0, 2.0], [1.0, 1.0], [1.0, 4.0]]
AWARE = np.array([[0.2, 0.5], [0.8, 0.0], [0.0, 0.5]])


def test_max_min_fairness_lp_matches_the_hand_solution() -> None:
    x = max_min_share(np.array(SPEED), np.array([1, 1, 1]), np.array([1, 1]))
    np.testing.assert_allclose(x, AWARE, atol=1e-6)
    # every job gets 0.8 of its equal-share throughput; agnostic gets 2/3 of its time each
    agnostic = max_min_share(np.ones((3, 2)), np.array([1, 1, 1]), np.array([1, 1]))
    np.testing.assert_allclose(agnostic.sum(axis=1), [2 / 3] * 3, atol=1e-6)


def _run_rounds(sched, speed, n_gpus, pool, rounds: int, round_s: float = 360.0) -> np.ndarray:
    """Drive a scheduler round after round on jobs that never finish; seconds on each type."""
    n_j, n_g = np.asarray(speed).shape
    on_type = np.zeros((n_j, n_g))
    running = np.full(n_j, -1)
    memory = None
    for k in range(rounds):
        snap = snapshot(speed, n_gpus, pool, running=running, on_type=on_type,
                        attained=on_type.sum(axis=1), t_s=k * round_s, memory=memory,
                        round_s=round_s)
        d = sched.schedule(snap)
        memory, running = d.memory, d.gpu.copy()
        on = running >= 0
        on_type[np.flatnonzero(on), running[on]] += round_s
    return on_type / (rounds * round_s)


def test_rounds_turn_the_allocation_into_whole_placements() -> None:
    # Gavel's rounds: priority = allocation / share received, so time shares converge
    sched = make("max_min_fairness", {"reset_interval_s": 0.0})
    shares = _run_rounds(sched, SPEED, [1, 1, 1], [1, 1], rounds=400)
    np.testing.assert_allclose(shares, AWARE, atol=0.02)


def test_makespan_lp_by_hand() -> None:
    # job 1 (speed 1 on A, 2 on B) has 2 units of work, job 2 (1, 1) has 1: job 1 on B and
    # job 2 on A finish both at time 1; faster is impossible (job 1 at most 2 per unit).
    x = min_makespan_share(np.array([[1.0, 2.0], [1.0, 1.0]]), np.array([2.0, 1.0]),
                           np.array([1, 1]), np.array([1, 1]))
    rate = (np.array([[1.0, 2.0], [1.0, 1.0]]) * x).sum(axis=1)
    assert min(rate / np.array([2.0, 1.0])) == pytest.approx(1.0, abs=1e-6)


def test_finish_time_fairness_by_hand() -> None:
    # two equal 1-GPU jobs on two GPUs, just arrived: alone with a half share each still
    # gets a whole GPU (the share is capped at the gang), so the best ratio is 1: both run
    snap = snapshot([[1.0], [1.0]], [1, 1], [2], remaining=[3600, 3600])
    x = ftf_share(snap, tolerance=1.0001)
    np.testing.assert_allclose(x, [[1.0], [1.0]], atol=1e-3)


def test_fifo_by_hand() -> None:
    # types (g0, g1) with 2 and 1 GPUs; jobs in arrival order: 2 GPUs (fastest g1, but
    # it has 1 GPU: g0), 1 GPU (fastest g1), 2 GPUs (nothing left: blocks), 1 GPU (blocked)
    snap = snapshot([[1, 3], [1, 2], [1, 1], [5, 1]], [2, 1, 2, 1], [2, 1])
    assert make("fifo").schedule(snap).gpu.tolist() == [0, 1, -1, -1]


def test_srtf_by_hand() -> None:
    # one type, 2 GPUs; remaining 3, 1, 2 h: the two shortest run, the running longest stops
    snap = snapshot([[1.0]] * 3, [1, 1, 1], [2], running=[0, -1, -1],
                    remaining=[3 * 3600, 3600, 2 * 3600])
    assert make("srtf").schedule(snap).gpu.tolist() == [-1, 0, 0]


def test_las_by_hand() -> None:
    # thresholds 1 and 10 GPU-h: attained 12, 0.5, 5 GPU-h -> queues 2, 0, 1; two GPUs
    snap = snapshot([[1.0]] * 3, [1, 1, 1], [2], running=[0, 0, -1],
                    attained=[12 * 3600, 0.5 * 3600, 5 * 3600])
    assert make("las").schedule(snap).gpu.tolist() == [-1, 0, 0]


@dataclass(frozen=True)
class _Broken:
    name: ClassVar[str] = "broken"
    summary: ClassVar[str] = "test double"
    default_round_s: ClassVar[float] = 360.0
    preemptive: ClassVar[bool] = True
    fault: str = "capacity"

    def schedule(self, snap: ClusterSnapshot) -> Decision:
        rng = np.random.default_rng()
        if self.fault == "capacity":  # everything on the first type
            return Decision(np.where(snap.runnable[:, 0] if snap.n_types else False, 0, -1))
        if self.fault == "random":
            return Decision(np.where(rng.random(snap.n_jobs) < 0.5, -1, snap.running_on))
        if self.fault == "preempts":
            return Decision(np.full(snap.n_jobs, -1))
        if self.fault == "mutates":
            snap.running_on.setflags(write=True)
            snap.running_on[:] = -1
        return Decision.keep(snap)


@dataclass(frozen=True)
class _BrokenNonPreemptive(_Broken):
    preemptive: ClassVar[bool] = False


@pytest.mark.parametrize(("fault", "prop"), [
    ("capacity", "capacity and whole gangs"),
    ("random", "determinism"),
    ("preempts", "non-preemption"),
    ("mutates", "no mutation"),
])
def test_broken_schedulers_fail_the_checker(fault: str, prop: str) -> None:
    cls = _BrokenNonPreemptive if fault == "preempts" else _Broken
    with pytest.raises((SchedulerConformanceError, ValueError), match=prop):
        check(cls(fault), n_snapshots=20, seed=0)


def test_the_documented_scheduler_example_conforms_and_runs(repo_root, monkeypatch) -> None:
    import re
    import sys
    import types

    from fedsim.api import run
    from fedsim.config import scenario_from_dict
    from tests.helpers.scenarios import two_provider_dict

    readme = (repo_root / "README.md").read_text()
    text = readme.split("Writing a scheduler is the same", 1)[1]
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    module = types.ModuleType("my_schedulers")
    monkeypatch.setitem(sys.modules, "my_schedulers", module)
    exec(compile(code, "README.md", "exec"), module.__dict__)
    assert check(module.SmallestFirst(), n_snapshots=15) == 15
    data = two_provider_dict(horizon_s=6 * 3600)
    data["local_scheduler"] = {"name": "my_schedulers:SmallestFirst"}
    result = run(scenario_from_dict(data), trust_code=["my_schedulers:SmallestFirst"])
    assert (result.events["kind"] == "start").sum() > 0
