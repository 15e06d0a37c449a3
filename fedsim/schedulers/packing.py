"""Greedy placement of whole gangs in a priority order (shared by the preemptive
priority policies): each job in turn takes its fastest type with room, staying on its
current type when that is as fast (no needless migration); a job that fits nowhere
waits (or is preempted), and the jobs behind it may still backfill."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from fedsim.schedulers.base import NOT_RUNNING, ClusterSnapshot


def pack(snap: ClusterSnapshot, order: Iterable[int]) -> np.ndarray:
    """``gpu[j]`` for jobs placed in ``order`` (indices into the snapshot)."""
    gpu = np.full(snap.n_jobs, NOT_RUNNING, dtype=np.int64)
    free = snap.capacity.copy()
    runnable = snap.runnable
    for j in order:
        n = snap.n_gpus[j]
        fits = runnable[j] & (free >= n)
        if not fits.any():
            continue
        g = int(np.argmax(np.where(fits, snap.speed[j], -np.inf)))
        current = snap.running_on[j]
        if current >= 0 and fits[current] and snap.speed[j, current] >= snap.speed[j, g]:
            g = int(current)
        gpu[j] = g
        free[g] -= n
    return gpu


def best_speed(snap: ClusterSnapshot) -> np.ndarray:
    """``[j]`` each job's speed on its fastest runnable type (0 if none)."""
    return np.where(snap.runnable, snap.speed, 0.0).max(axis=1, initial=0.0)
