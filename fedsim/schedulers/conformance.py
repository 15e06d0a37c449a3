"""Conformance checks every local scheduler must pass, and a random cluster generator.

A scheduler conforms when, on random snapshots (including ones carrying the memory it
returned before): its decision fits (gangs whole, on a type where the job runs, no type
above the GPUs it may use), it is deterministic (the same snapshot gives the same
decision and memory), it does not mutate the snapshot, and a non-preemptive scheduler
never stops or moves a running job.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import numpy as np

from fedsim.schedulers.base import NOT_RUNNING, ClusterSnapshot, Decision, decision_problem


class SchedulerConformanceError(AssertionError):
    """A scheduler broke a contract property; the message names both."""


def random_snapshot(
    rng: np.random.Generator, n_jobs: int = 12, n_types: int = 3, *, t_s: float = 3600.0,
    memory: object = None,
) -> ClusterSnapshot:
    """A random, consistent snapshot: pools of 0-16 GPUs (some types absent), guests
    holding a few, gangs of 1-8, speeds with zeros, some jobs already running."""
    pool = rng.integers(0, 17, n_types)
    guest = np.minimum(pool, rng.integers(0, 3, n_types))
    capacity = pool - guest
    n_gpus = rng.choice([1, 1, 1, 2, 4, 8], n_jobs)
    speed = np.round(rng.uniform(0.3, 3.0, (n_jobs, n_types)), 3)
    speed[rng.random((n_jobs, n_types)) < 0.15] = 0.0
    running = np.full(n_jobs, NOT_RUNNING)
    free = capacity.copy()
    for j in rng.permutation(n_jobs):
        if rng.random() < 0.5:
            ok = np.flatnonzero((speed[j] > 0) & (free >= n_gpus[j]))
            if len(ok):
                g = int(rng.choice(ok))
                running[j], free[g] = g, free[g] - n_gpus[j]
    arrival = np.sort(rng.uniform(0.0, t_s, n_jobs))
    on_type = rng.uniform(0.0, 1.0, (n_jobs, n_types)) * (t_s - arrival)[:, None] / n_types
    work = rng.uniform(600.0, 36000.0, n_jobs)
    return ClusterSnapshot(
        provider="P",
        t_s=t_s,
        round_s=360.0,
        gpu_types=tuple(f"g{k}" for k in range(n_types)),
        pool=pool,
        guest_held=guest,
        job=np.arange(100, 100 + n_jobs),
        job_type=rng.integers(0, 3, n_jobs),
        job_types=("a", "b", "c"),
        n_gpus=n_gpus,
        arrival_s=arrival,
        running_on=running,
        speed=speed,
        steps_per_s=speed * rng.uniform(1.0, 50.0, n_jobs)[:, None],
        attained_gpu_s=on_type.sum(axis=1) * n_gpus,
        time_on_type_s=on_type,
        waited_s=t_s - arrival,
        remaining_ref_s=work * rng.uniform(0.05, 1.0, n_jobs),
        work_ref_s=work,
        memory=memory,
    )


def _fail(sched: object, prop: str, detail: str) -> SchedulerConformanceError:
    name = getattr(sched, "name", type(sched).__name__)
    return SchedulerConformanceError(f"scheduler {name!r} violates {prop}: {detail}")


def _same(a: Decision, b: Decision) -> bool:
    return np.array_equal(a.gpu, b.gpu) and repr(a.memory) == repr(b.memory)


def check_decision(sched: object, snap: ClusterSnapshot) -> Decision:
    """Run ``sched`` on ``snap`` and check one decision; return it."""
    before = copy.deepcopy(snap)
    decision = sched.schedule(snap)  # type: ignore[attr-defined]
    if not isinstance(decision, Decision):
        raise _fail(sched, "the return type", f"got {type(decision).__name__}, not a Decision")
    problem = decision_problem(snap, decision)
    if problem is not None:
        raise _fail(sched, "capacity and whole gangs", problem)
    for field in ("running_on", "speed", "pool", "time_on_type_s", "remaining_ref_s"):
        if not np.array_equal(getattr(before, field), getattr(snap, field)):
            raise _fail(sched, "no mutation", f"snapshot.{field} changed")
    if not _same(decision, sched.schedule(snap)):  # type: ignore[attr-defined]
        raise _fail(sched, "determinism", "the same snapshot gave two decisions")
    if not getattr(sched, "preemptive", True):
        running = snap.running_on >= 0
        moved = running & (decision.gpu != snap.running_on)
        if moved.any():
            raise _fail(sched, "non-preemption", f"job {int(snap.job[moved][0])} was stopped")
    return decision


def check(sched: object, n_snapshots: int = 20, seed: int = 0,
          sizes: Iterable[int] = (0, 1, 5, 12, 30)) -> int:
    """Run the checks on ``n_snapshots`` random snapshots (each scheduler sees its own
    memory from the previous one); return how many passed, or raise."""
    rng = np.random.default_rng(seed)
    sizes = list(sizes)
    memory = None
    done = 0
    for k in range(n_snapshots):
        snap = random_snapshot(rng, n_jobs=sizes[k % len(sizes)], t_s=360.0 * (k + 1),
                               memory=memory)
        decision = check_decision(sched, snap)
        memory = decision.memory
        done += 1
    return done
