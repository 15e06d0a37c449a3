"""Which DNN jobs can never run, and why: the reason on a ``reject`` event, and the
counts a user is warned about (or stopped by) before the run starts.

A job of type ``k`` with a gang of ``n`` GPUs owned by provider ``o`` can run on GPU
type ``g`` of provider ``i`` when its throughput there is > 0 (and so is its throughput
on the reference GPU type: run times are given on that type) and ``i`` has at least
``n`` GPUs of type ``g``. It may use its owner's pools, and every member's pools when
its owner is a federation member, or its owner's serverless pool when bursting there is
worth it.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache

import numpy as np

from fedsim.engine.world import World
from fedsim.serverless.burst import outside_usd_per_gpu_h, pool_of, worth_at


def why_unrunnable(world: World, job_type: int, n_gpus: int, owner: int) -> str | None:
    """Why this job can never run (None when it can)."""
    name = world.affinity.job_types[job_type]
    ref = world.affinity.steps_per_s(name, world.reference_gpu, n_gpus)
    if ref <= 0:
        return (
            f"{name} with {n_gpus} GPU(s) has zero throughput on the reference GPU "
            f"{world.reference_gpu!r}"
        )
    pool = pool_of(world, owner)
    pool_usd = outside_usd_per_gpu_h(world, owner, job_type, n_gpus)
    bursts = pool is not None and pool.burst
    if bursts and worth_at(world, owner, n_gpus, math.inf, pool_usd):
        return None
    reason = _why_no_gpu(world, name, n_gpus, owner)
    if reason is not None and bursts and math.isfinite(pool_usd):
        value = world.dnn_price_usd_per_gpu_h[owner] + world.dnn_wait_penalty_usd_per_gpu_h[owner]
        reason += (f"; its serverless pool costs {pool_usd:.3g} USD per reference GPU-hour, "
                   f"above the {value:.3g} it values the work at")  # fmt: skip
    return reason


def _why_no_gpu(world: World, name: str, n_gpus: int, owner: int) -> str | None:
    hosts = sorted({owner, *world.members}) if owner in world.members else [owner]
    speeds = [world.affinity.steps_per_s(name, g, n_gpus) for g in world.gpu_types]
    present = [g for g in range(len(world.gpu_types))
               if any(world.capacity_units[i, g] > 0 for i in hosts)]
    usable = [g for g in present if speeds[g] > 0]
    whose = "its owner or any federation member" if len(hosts) > 1 else "its owner"
    if not usable:
        types = ", ".join(world.gpu_types[g] for g in present) or "none"
        return f"{name} has zero throughput on every GPU type {whose} has ({types})"
    largest = max(int(world.capacity_units[i, g]) for i in hosts for g in usable)
    if largest >= n_gpus:
        return None
    return (
        f"a gang of {n_gpus} GPU(s) of {name} fits no pool of {whose} where it runs "
        f"(largest: {largest} GPUs)"
    )

def reasons(world: World) -> dict[tuple[int, int, int], str | None]:
    """For every (job type, gang size, owner) in the workload: why it can never run
    (``None`` when it can)."""
    jobs = world.jobs
    keys = set(zip(jobs.job_type.tolist(), jobs.n_gpus.tolist(), jobs.owner.tolist(), strict=True))
    cached = lru_cache(maxsize=None)(lambda k, n, o: why_unrunnable(world, k, n, o))
    return {key: cached(*key) for key in sorted(keys)}


def unrunnable(world: World) -> dict[int, Counter[str]]:
    """Per owner (world index): how many of its jobs can never run, by reason."""
    why = reasons(world)
    out: dict[int, Counter[str]] = {}
    jobs = world.jobs
    if not len(jobs):
        return out
    triples = np.stack([jobs.job_type, jobs.n_gpus, jobs.owner], axis=1)
    uniq, counts = np.unique(triples, axis=0, return_counts=True)
    for (k, n, o), c in zip(uniq.tolist(), counts.tolist(), strict=True):
        reason = why[(k, n, o)]
        if reason is not None:
            out.setdefault(o, Counter())[reason] += c
    return out
