"""The greedy pass of the rounds mechanism, compiled (numba).

:func:`place` is ``rounds._place`` in one compiled call: per round it computes every
job's priority on every type and places whole gangs type by type. Written as numpy it
was about thirty small array operations per round, a fifth of a Gavel-style run; the
arithmetic here is the same operations in the same order (sums row by row, as numpy
reduces over the first axis), so decisions are bit for bit those of the array version
(a test replays both).

Only :mod:`fedsim.schedulers.rounds` imports this module (it imports numba); the
first use compiles it (a few seconds), and numba caches it on disk after that.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _before(a: int, b: int, priority: np.ndarray, deficit: np.ndarray, x: np.ndarray,
            g: int) -> bool:
    """Whether job ``a`` is visited before ``b`` on type ``g``: descending priority,
    then deficit, then allocation, then ascending index (a total order)."""
    if priority[a, g] != priority[b, g]:
        return priority[a, g] > priority[b, g]
    if deficit[a, g] != deficit[b, g]:
        return deficit[a, g] > deficit[b, g]
    if x[a, g] != x[b, g]:
        return x[a, g] > x[b, g]
    return a < b


@numba.njit(cache=True)
def _sort(idx: np.ndarray, priority: np.ndarray, deficit: np.ndarray, x: np.ndarray,
          g: int) -> np.ndarray:
    """``idx`` in visiting order (bottom-up merge sort: O(n log n), any n)."""
    n = len(idx)
    src = idx.copy()
    dst = np.empty_like(idx)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                if _before(src[j], src[i], priority, deficit, x, g):
                    dst[k] = src[j]
                    j += 1
                else:
                    dst[k] = src[i]
                    i += 1
                k += 1
            while i < mid:
                dst[k] = src[i]
                i += 1
                k += 1
            while j < hi:
                dst[k] = src[j]
                j += 1
                k += 1
        src, dst = dst, src
        width *= 2
    return src


@numba.njit(cache=True)
def _type_order(speed: np.ndarray, name_rank: np.ndarray) -> np.ndarray:
    """Fastest type first by mean speed over the jobs, ties by descending name rank."""
    n_j, n_g = speed.shape
    mean = np.zeros(n_g)
    for j in range(n_j):
        for g in range(n_g):
            mean[g] = mean[g] + speed[j, g]
    for g in range(n_g):
        mean[g] = mean[g] / n_j
    order = np.arange(n_g)
    for a in range(1, n_g):  # insertion sort: a handful of types
        b = a
        while b > 0:
            p, q = order[b - 1], order[b]
            if mean[q] > mean[p] or (mean[q] == mean[p] and name_rank[q] > name_rank[p]):
                order[b - 1], order[b] = q, p
                b -= 1
            else:
                break
    return order


@numba.njit(cache=True)
def place(job: np.ndarray, mem_jobs: np.ndarray, mem_x: np.ndarray, mem_ran: np.ndarray,
          mem_deficit: np.ndarray, n_at_reset: int, time_on_type_s: np.ndarray,
          half_round_s: float, speed: np.ndarray, n_gpus: np.ndarray, runnable: np.ndarray,
          capacity: np.ndarray, name_rank: np.ndarray, given_order: np.ndarray,
          hold_unallocated: bool) -> np.ndarray:
    """``gpu[j]`` for one round (see ``rounds._place``); ``runnable`` and ``capacity``
    are the snapshot's; ``given_order`` is the type order when types are shuffled
    (empty: fastest first)."""
    n_j, n_g = speed.shape
    k = len(mem_jobs)
    rows = np.full(n_j, -1, np.int64)
    if k > 0:
        for j in range(n_j):
            pos = min(np.searchsorted(mem_jobs, job[j]), k - 1)
            if mem_jobs[pos] == job[j]:
                rows[j] = pos
    x = np.zeros((n_j, n_g))
    ran = np.zeros((n_j, n_g))
    deficit = np.zeros((n_j, n_g))
    ran_sum = np.zeros(n_g)
    for j in range(n_j):
        r = rows[j]
        if r >= 0:
            for g in range(n_g):
                x[j, g] = mem_x[r, g]
                ran[j, g] = time_on_type_s[j, g] - mem_ran[r, g]
                deficit[j, g] = mem_deficit[r, g]
                ran_sum[g] = ran_sum[g] + ran[j, g]
    total = np.empty(n_g)
    for g in range(n_g):
        total[g] = half_round_s * n_at_reset + ran_sum[g]
    priority = np.zeros((n_j, n_g))
    for j in range(n_j):
        for g in range(n_g):
            if rows[j] >= 0 and x[j, g] > 0 and runnable[j, g]:
                f = (half_round_s + ran[j, g]) / total[g] if total[g] > 0 else 0.0
                priority[j, g] = x[j, g] / f if f > 0 else x[j, g] * 1e9
    order = given_order if len(given_order) == n_g else _type_order(speed, name_rank)
    gpu = np.full(n_j, -1, np.int64)
    taken = np.zeros(n_j, np.bool_)
    candidates = np.empty(n_j, np.int64)
    for g in order:
        n_c = 0
        for j in range(n_j):
            if runnable[j, g] and not taken[j]:
                candidates[n_c] = j
                n_c += 1
        room = capacity[g]
        for j in _sort(candidates[:n_c], priority, deficit, x, g):
            if room <= 0:
                break
            if n_gpus[j] <= room:  # a gang that does not fit is skipped: others backfill
                taken[j] = True
                room -= n_gpus[j]
                if rows[j] >= 0 or not hold_unallocated:
                    gpu[j] = g
    return gpu
