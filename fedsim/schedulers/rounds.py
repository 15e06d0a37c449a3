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

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fedsim.schedulers.base import NOT_RUNNING, ClusterSnapshot, Decision

Allocate = Callable[[ClusterSnapshot], np.ndarray]  # snapshot -> x[j, g]
# snapshot -> everything its allocation depends on, as bytes (equal bytes: equal allocation)
AllocationKey = Callable[[ClusterSnapshot], bytes]
RECENT_ALLOCATIONS = 64  # allocations the memory keeps for reuse
NEVER = -math.inf


@dataclass(frozen=True, eq=False)
class RoundsMemory:
    """What the rounds mechanism carries from one decision to the next (read-only
    arrays; rows follow ``jobs``)."""

    reset_t_s: float  # time of the last allocation reset (-inf: none yet)
    jobs: np.ndarray  # [k] job ids allocated at the last reset, sorted
    x: np.ndarray  # [k, g] their allocation
    ran_at_reset: np.ndarray  # [k, g] their seconds held on each type at the reset
    n_at_reset: int
    deficit: np.ndarray  # [k, g]
    active: np.ndarray  # the job ids of the previous decision
    pending: bool  # jobs arrived or left since the last reset
    # the last few allocations by their inputs, most recent first (see ``decide``)
    recent: tuple[tuple[bytes, np.ndarray], ...] = ()

    def __post_init__(self) -> None:
        for name in ("jobs", "x", "ran_at_reset", "deficit", "active"):
            arr = getattr(self, name)
            if not (isinstance(arr, np.ndarray) and not arr.flags.writeable):
                arr = np.array(arr, copy=True)  # read-only ones are shared as they are
                arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    def rows_of(self, job: np.ndarray) -> np.ndarray:
        """Row of each job id in this memory, -1 where it was not allocated."""
        if len(self.jobs) == 0:
            return np.full(len(job), -1)
        pos = np.minimum(np.searchsorted(self.jobs, job), len(self.jobs) - 1)
        return np.where(self.jobs[pos] == job, pos, -1)


@dataclass(frozen=True)
class RoundsConfig:
    reset_interval_s: float = 1920.0
    shuffle_types: bool = False
    hold_unallocated: bool = True

    def validate(self) -> None:
        if not (math.isfinite(self.reset_interval_s) and self.reset_interval_s >= 0):
            raise ValueError(f"reset_interval_s must be >= 0, got {self.reset_interval_s}")


def _shuffled_types(snap: ClusterSnapshot) -> np.ndarray:
    """A uniformly random order of the types per round, reproducible from the provider
    and the round number (CRC is too regular). Unshuffled, the kernel visits the
    fastest first: mean speed over the jobs, then name (v100, p100, k80 for Gavel's)."""
    k = round(snap.t_s / snap.round_s) if snap.round_s > 0 else 0
    keys = [hashlib.blake2b(f"{snap.provider}/{k}/{g}".encode(), digest_size=8).digest()
            for g in snap.gpu_types]
    return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)


def allocation_key(*arrays: np.ndarray) -> bytes:
    """The bytes of ``arrays`` with their shapes and types: an ``AllocationKey``'s value."""
    return b"".join(repr((a.shape, a.dtype.str)).encode() + np.ascontiguousarray(a).tobytes()
                    for a in arrays)


def _allocation(snap: ClusterSnapshot, allocate: Allocate, key: AllocationKey | None,
                recent: tuple[tuple[bytes, np.ndarray], ...]
                ) -> tuple[np.ndarray, tuple[tuple[bytes, np.ndarray], ...]]:
    """``allocate(snap)``, or the same allocation kept from a reset with the same inputs."""
    if key is None:
        return allocate(snap), ()
    k = key(snap)
    for i, (seen, x) in enumerate(recent):
        if seen == k:
            return x, ((seen, x), *recent[:i], *recent[i + 1:])
    x = np.array(allocate(snap), dtype=float)
    x.setflags(write=False)
    return x, ((k, x), *recent[:RECENT_ALLOCATIONS - 1])


def decide(snap: ClusterSnapshot, allocate: Allocate, cfg: RoundsConfig,
           key: AllocationKey | None = None) -> Decision:
    """One round: reset the allocation if due, then place whole gangs by priority.

    ``key``, when the policy gives one, says what its allocation depends on: a reset
    whose inputs equal one of the last ``RECENT_ALLOCATIONS`` resets' takes that
    allocation instead of solving again (the same numbers: the solver is
    deterministic). Inputs repeat whenever the allocation depends on few things, e.g.
    heterogeneity-agnostic max-min over jobs of equal gangs, which depends on the
    number of jobs alone."""
    mem: RoundsMemory | None = snap.memory if isinstance(snap.memory, RoundsMemory) else None
    n_g = snap.n_types
    empty = np.zeros((0, n_g))
    if mem is None:
        mem = RoundsMemory(NEVER, np.zeros(0, np.int64), empty, empty, 0, empty,
                           np.zeros(0, np.int64), True)
    active = snap.job
    pending = mem.pending or not np.array_equal(active, mem.active)
    due = mem.reset_t_s in (NEVER, 0.0) or snap.t_s - mem.reset_t_s >= cfg.reset_interval_s
    ran_now = snap.time_on_type_s
    if pending and due:
        # deficits carry over: what each allocated job was owed minus what it ran
        rows = mem.rows_of(active)
        old = rows >= 0
        elapsed = snap.t_s - mem.reset_t_s if mem.reset_t_s != NEVER else 0.0
        deficit = np.zeros((snap.n_jobs, n_g))
        r = rows[old]
        deficit[old] = mem.deficit[r] + mem.x[r] * elapsed - (ran_now[old] - mem.ran_at_reset[r])
        x, recent = _allocation(snap, allocate, key, mem.recent) if snap.n_jobs else \
            (empty, mem.recent)
        mem = RoundsMemory(snap.t_s, active, x, ran_now, snap.n_jobs, deficit, active, False,
                           recent)
    else:
        mem = RoundsMemory(mem.reset_t_s, mem.jobs, mem.x, mem.ran_at_reset, mem.n_at_reset,
                           mem.deficit, active, pending, mem.recent)
    return Decision(_place(snap, mem, cfg), memory=mem)


def _place(snap: ClusterSnapshot, mem: RoundsMemory, cfg: RoundsConfig) -> np.ndarray:
    """Whole gangs by priority, type by type (the compiled pass in ``rounds_kernel``)."""
    from fedsim.schedulers.rounds_kernel import place  # numba: only round-based runs

    if snap.n_jobs == 0:
        return np.full(0, NOT_RUNNING, dtype=np.int64)
    names = snap.gpu_types
    rank = np.empty(len(names), dtype=np.int64)
    rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    given = _shuffled_types(snap) if cfg.shuffle_types else np.empty(0, dtype=np.int64)
    c = np.ascontiguousarray
    return place(c(snap.job), c(mem.jobs), c(mem.x, dtype=float), c(mem.ran_at_reset),
                 c(mem.deficit), int(mem.n_at_reset), c(snap.time_on_type_s),
                 snap.round_s / 2.0, c(snap.speed), c(snap.n_gpus), snap.runnable,
                 snap.capacity, rank, given, bool(cfg.hold_unallocated))
