"""From a fractional allocation to whole placements across rounds, the way Gavel's
round-based mechanism does it (Narayanan et al., OSDI'20, §5).

An allocation ``x[j, g]`` is computed at an *allocation reset* and kept until the next
one: when jobs have arrived or left since the last reset and at least
``reset_interval_s`` have passed (Gavel: 1920 s). Every round, each job's priority on
each type is its allocation divided by the share of that type's time it has received
since the reset, counting half a round for everyone so that nobody starts at zero:

    f[j, g] = (round_s/2 + ran[j, g]) / (n_at_reset·round_s/2 + Σ_k ran[k, g])
    priority[j, g] = x[j, g] / f[j, g]

(``ran``: seconds held since the reset). Types are visited in order (fastest first, or
shuffled each round), each type's jobs by descending (priority, deficit, allocation),
and whole gangs are placed greedily; a job placed on one type is not placed on another,
and a gang that does not fit is skipped so that smaller jobs backfill. The deficit,
``Σ over resets of x·elapsed − ran``, breaks ties in favour of jobs that got less than
their allocation so far.

Jobs that arrived after the last reset have no allocation: by default, as in Gavel's
simulator, they take part in the greedy pass with priority 0 but are not run, so the
GPUs they would take stay idle until the next reset (``hold_unallocated=False`` runs
them instead). Everything a reset needs later is kept in the explicit ``RoundsMemory``.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fedsim.schedulers.base import NOT_RUNNING, ClusterSnapshot, Decision

Allocate = Callable[[ClusterSnapshot], np.ndarray]  # snapshot -> x[j, g]
NEVER = -math.inf


@dataclass(frozen=True)
class RoundsMemory:
    """What the rounds mechanism carries from one decision to the next."""

    reset_t_s: float  # time of the last allocation reset (-inf: none yet)
    jobs: tuple[int, ...]  # job ids allocated at the last reset
    x: tuple[tuple[float, ...], ...]  # their allocation per type
    ran_at_reset: tuple[tuple[float, ...], ...]  # their seconds held per type at the reset
    n_at_reset: int
    deficit: tuple[tuple[float, ...], ...]
    active: tuple[int, ...]  # the job ids of the previous decision
    pending: bool  # jobs arrived or left since the last reset


@dataclass(frozen=True)
class RoundsConfig:
    reset_interval_s: float = 1920.0
    shuffle_types: bool = False
    hold_unallocated: bool = True

    def validate(self) -> None:
        if not (math.isfinite(self.reset_interval_s) and self.reset_interval_s >= 0):
            raise ValueError(f"reset_interval_s must be >= 0, got {self.reset_interval_s}")


def _rows(a: np.ndarray) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(v) for v in row) for row in a)


def _type_order(snap: ClusterSnapshot, shuffle: bool) -> np.ndarray:
    """Fastest type first (mean speed over the jobs, then name: v100, p100, k80 for
    Gavel's table), or a permutation drawn from the round number."""
    if shuffle:
        k = round(snap.t_s / snap.round_s) if snap.round_s > 0 else 0
        rng = np.random.default_rng([k, zlib.crc32(snap.provider.encode())])
        return rng.permutation(snap.n_types)
    mean = snap.speed.mean(axis=0) if snap.n_jobs else np.zeros(snap.n_types)
    name_rank = np.argsort(np.argsort(np.array(snap.gpu_types)))
    return np.lexsort((-name_rank, -mean))


def decide(snap: ClusterSnapshot, allocate: Allocate, cfg: RoundsConfig) -> Decision:
    """One round: reset the allocation if due, then place whole gangs by priority."""
    mem: RoundsMemory | None = snap.memory if isinstance(snap.memory, RoundsMemory) else None
    active = tuple(int(j) for j in snap.job)
    n_g = snap.n_types
    if mem is None:
        mem = RoundsMemory(NEVER, (), (), (), 0, (), (), True)
    pending = mem.pending or active != mem.active
    due = mem.reset_t_s in (NEVER, 0.0) or snap.t_s - mem.reset_t_s >= cfg.reset_interval_s
    index = {j: k for k, j in enumerate(mem.jobs)}
    ran_now = snap.time_on_type_s
    if pending and due:
        # deficits carry over: what each allocated job was owed minus what it ran
        deficit = np.zeros((snap.n_jobs, n_g))
        elapsed = snap.t_s - mem.reset_t_s if mem.reset_t_s != NEVER else 0.0
        for k, j in enumerate(active):
            old = index.get(j)
            if old is not None:
                ran = ran_now[k] - np.asarray(mem.ran_at_reset[old])
                deficit[k] = np.asarray(mem.deficit[old]) + np.asarray(mem.x[old]) * elapsed - ran
        x = allocate(snap) if snap.n_jobs else np.zeros((0, n_g))
        mem = RoundsMemory(snap.t_s, active, _rows(x), _rows(ran_now), snap.n_jobs,
                           _rows(deficit), active, False)
        index = {j: k for k, j in enumerate(active)}
    else:
        mem = RoundsMemory(mem.reset_t_s, mem.jobs, mem.x, mem.ran_at_reset, mem.n_at_reset,
                           mem.deficit, active, pending)
    return Decision(_place(snap, mem, index, cfg), memory=mem)


def _place(snap: ClusterSnapshot, mem: RoundsMemory, index: dict[int, int],
           cfg: RoundsConfig) -> np.ndarray:
    n_j, n_g = snap.n_jobs, snap.n_types
    x = np.zeros((n_j, n_g))
    ran = np.zeros((n_j, n_g))
    deficit = np.zeros((n_j, n_g))
    allocated = np.zeros(n_j, dtype=bool)
    for k, j in enumerate(snap.job.tolist()):
        old = index.get(j)
        if old is not None:
            allocated[k] = True
            x[k] = mem.x[old]
            ran[k] = snap.time_on_type_s[k] - np.asarray(mem.ran_at_reset[old])
            deficit[k] = mem.deficit[old]
    half = snap.round_s / 2.0
    share = half + ran
    total = half * mem.n_at_reset + ran[allocated].sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(total[None, :] > 0, share / total[None, :], 0.0)
        priority = np.where(f > 0, x / f, x * 1e9)
    runnable = snap.runnable
    priority = np.where(allocated[:, None] & (x > 0) & runnable, priority, 0.0)
    gpu = np.full(n_j, NOT_RUNNING, dtype=np.int64)
    free = snap.capacity.copy()
    taken = np.zeros(n_j, dtype=bool)
    for g in _type_order(snap, cfg.shuffle_types):
        order = np.lexsort((np.arange(n_j), -x[:, g], -deficit[:, g], -priority[:, g]))
        for k in order:
            if free[g] <= 0:
                break
            if taken[k] or not runnable[k, g] or snap.n_gpus[k] > free[g]:
                continue
            taken[k] = True
            free[g] -= snap.n_gpus[k]
            if allocated[k] or not cfg.hold_unallocated:
                gpu[k] = g
    return gpu
