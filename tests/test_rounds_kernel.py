"""The compiled greedy pass of the rounds mechanism against the array version it
replaced (kept here as the second method): same placements, bit for bit, on random
clusters with gangs, guests, ties, jobs without an allocation and shuffled types."""

from __future__ import annotations

import numpy as np
import pytest

from fedsim.schedulers.base import NOT_RUNNING, ClusterSnapshot
from fedsim.schedulers.rounds import RoundsConfig, RoundsMemory, _place, _shuffled_types


def _reference(snap: ClusterSnapshot, mem: RoundsMemory, cfg: RoundsConfig) -> np.ndarray:
    """The rounds mechanism's pass written with numpy (the engine's code until the
    kernel): priorities ``x / f`` with ``f`` the share of the type's time received since
    the reset, types fastest first (or shuffled), jobs by (priority, deficit,
    allocation) descending, whole gangs greedily with backfilling."""
    n_j, n_g = snap.n_jobs, snap.n_types
    rows = mem.rows_of(snap.job)
    allocated = rows >= 0
    x, ran, deficit = np.zeros((n_j, n_g)), np.zeros((n_j, n_g)), np.zeros((n_j, n_g))
    r = rows[allocated]
    x[allocated] = mem.x[r]
    ran[allocated] = snap.time_on_type_s[allocated] - mem.ran_at_reset[r]
    deficit[allocated] = mem.deficit[r]
    half = snap.round_s / 2.0
    share = half + ran
    total = half * mem.n_at_reset + ran[allocated].sum(axis=0)
    f = np.divide(share, total[None, :], out=np.zeros_like(share),
                  where=np.broadcast_to(total[None, :] > 0, share.shape))
    priority = np.divide(x, f, out=x * 1e9, where=f > 0)
    runnable = snap.runnable
    priority = np.where(allocated[:, None] & (x > 0) & runnable, priority, 0.0)
    if cfg.shuffle_types:
        types = _shuffled_types(snap).tolist()
    else:
        mean = (snap.speed.sum(axis=0) / n_j).tolist()
        rank = {g: k for k, g in enumerate(sorted(range(n_g), key=snap.gpu_types.__getitem__))}
        types = sorted(range(n_g), key=lambda g: (-mean[g], -rank[g]))
    gpu = np.full(n_j, NOT_RUNNING, dtype=np.int64)
    free = snap.capacity.tolist()
    taken = np.zeros(n_j, dtype=bool)
    index = np.arange(n_j)
    for g in types:
        order = np.lexsort((index, -x[:, g], -deficit[:, g], -priority[:, g]))
        for k in order[runnable[order, g] & ~taken[order]].tolist():
            if free[g] <= 0:
                break
            if snap.n_gpus[k] <= free[g]:
                taken[k] = True
                free[g] -= int(snap.n_gpus[k])
                if allocated[k] or not cfg.hold_unallocated:
                    gpu[k] = g
    return gpu


def _case(rng: np.random.Generator) -> tuple[ClusterSnapshot, RoundsMemory]:
    n_j, n_g = int(rng.integers(1, 70)), int(rng.integers(1, 5))
    # speeds on a coarse grid and allocations from a few values: many exact ties
    speed = rng.choice([0.0, 0.5, 1.0, 2.0, 3.3], size=(n_j, n_g), p=[0.1, 0.2, 0.3, 0.2, 0.2])
    n_gpus = rng.choice([1, 1, 1, 2, 4, 8], size=n_j)
    pool = rng.integers(0, 20, size=n_g)
    guests = np.minimum(pool, rng.integers(0, 4, size=n_g))
    job = np.sort(rng.choice(10 * n_j, size=n_j, replace=False))
    on_type = rng.choice([0.0, 360.0, 720.0, 1234.5], size=(n_j, n_g))
    snap = ClusterSnapshot(
        provider="P", t_s=float(rng.integers(0, 100)) * 360.0, round_s=360.0,
        gpu_types=tuple(rng.permutation([f"t{k}" for k in range(n_g)]).tolist()),
        pool=pool, guest_held=guests, job=job, job_type=np.zeros(n_j, int), job_types=("m",),
        n_gpus=n_gpus, arrival_s=np.zeros(n_j), running_on=np.full(n_j, NOT_RUNNING),
        speed=speed, steps_per_s=speed, attained_gpu_s=np.zeros(n_j), time_on_type_s=on_type,
        waited_s=np.zeros(n_j), remaining_ref_s=np.ones(n_j), work_ref_s=np.ones(n_j),
    )
    kept = job[rng.random(n_j) < 0.8]  # the others arrived after the reset
    gone = np.setdiff1d(rng.choice(10 * n_j, size=3), job)  # and some allocated jobs left
    mem_jobs = np.sort(np.concatenate([kept, gone]))
    k = len(mem_jobs)
    x = rng.choice([0.0, 0.25, 0.5, 1.0 / 3.0, 1.0], size=(k, n_g))
    ran_at_reset = np.zeros((k, n_g))
    where = np.searchsorted(job, mem_jobs)
    old = (where < n_j) & (job[np.minimum(where, n_j - 1)] == mem_jobs)
    ran_at_reset[old] = on_type[where[old]] * rng.choice([0.0, 1.0], size=(int(old.sum()), 1))
    deficit = rng.choice([0.0, -50.0, 120.0], size=(k, n_g))
    mem = RoundsMemory(0.0, mem_jobs, x, ran_at_reset, int(rng.integers(1, n_j + 4)),
                       deficit, job, False)
    return snap, mem


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("hold", [True, False])
def test_compiled_pass_places_exactly_as_the_array_version(shuffle: bool, hold: bool) -> None:
    rng = np.random.default_rng(11 + 2 * shuffle + hold)
    cfg = RoundsConfig(shuffle_types=shuffle, hold_unallocated=hold)
    placed = 0
    for _ in range(150):
        snap, mem = _case(rng)
        got = _place(snap, mem, cfg)
        assert np.array_equal(got, _reference(snap, mem, cfg))
        used = np.bincount(got[got >= 0], weights=snap.n_gpus[got >= 0],
                           minlength=snap.n_types)
        assert np.all(used <= snap.capacity)  # and, independently, nothing oversubscribed
        placed += int((got >= 0).sum())
    assert placed > 500  # the cases do place jobs


def test_a_round_with_no_jobs_places_nothing() -> None:
    snap, mem = _case(np.random.default_rng(0))
    empty = ClusterSnapshot(**{**snap.__dict__, "job": np.zeros(0, int),
                               "job_type": np.zeros(0, int), "n_gpus": np.zeros(0, int),
                               "arrival_s": np.zeros(0), "running_on": np.zeros(0, int),
                               "speed": np.zeros((0, snap.n_types)),
                               "steps_per_s": np.zeros((0, snap.n_types)),
                               "attained_gpu_s": np.zeros(0),
                               "time_on_type_s": np.zeros((0, snap.n_types)),
                               "waited_s": np.zeros(0), "remaining_ref_s": np.zeros(0),
                               "work_ref_s": np.zeros(0)})
    assert _place(empty, mem, RoundsConfig()).shape == (0,)
