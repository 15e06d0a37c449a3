"""The local-scheduler contract: a pure function of one provider's ``ClusterSnapshot``.

Index conventions: ``j`` indexes the snapshot's jobs (its own jobs queued or running on
its own GPUs, in arrival order), ``g`` the provider's GPU types. A scheduler returns, for
every job, the GPU type it runs on until the next decision (``-1``: not running; a
running job given ``-1`` is preempted, one given another type is migrated). Gangs are
whole: a job holds ``n_gpus[j]`` GPUs of one type, or none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

NOT_RUNNING = -1


def _frozen(a: np.ndarray | list | tuple, dtype: type) -> np.ndarray:
    arr = np.array(a, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class ClusterSnapshot:
    """One provider's GPUs and jobs at a scheduling decision (read-only arrays).

    Attributes:
        provider: the provider's name; ``t_s``: simulated time; ``round_s``: time until
            the next decision (0 for event-driven schedulers).
        gpu_types: names of GPU types ``g``; ``pool``: ``[g]`` the provider's GPUs;
            ``guest_held``: ``[g]`` of those, held by guests the market placed here (the
            scheduler may not use them; see :attr:`capacity`).
        job: ``[j]`` job ids (stable across decisions); ``job_type``: ``[j]`` index into
            ``job_types``; ``n_gpus``: ``[j]`` gang sizes; ``arrival_s``: ``[j]``.
        running_on: ``[j]`` GPU type each job holds now, ``-1`` if waiting.
        speed: ``[j, g]`` work per second on each type relative to the reference GPU type
            at this gang size (the throughput ratio); 0 where the job cannot run (no
            throughput, or a gang larger than the pool).
        steps_per_s: ``[j, g]`` whole-gang training throughput (``speed`` times the job's
            throughput on the reference type).
        attained_gpu_s: ``[j]`` GPU-seconds of service received so far (Tiresias' LAS).
        time_on_type_s: ``[j, g]`` seconds the job has held each type so far.
        waited_s: ``[j]`` seconds since arrival (for shares of time received).
        remaining_ref_s: ``[j]`` remaining work in seconds on the reference type (oracle
            knowledge: only policies such as SRTF that assume it should read it).
        work_ref_s: ``[j]`` total work of each job in reference seconds (oracle).
        memory: what this scheduler returned with its previous decision at this provider
            (``None`` at the first): a policy that needs history (Gavel's allocation
            epochs, Themis' finish-time estimates) keeps it here, explicitly, instead
            of in hidden state. It must be immutable.
    """

    provider: str
    t_s: float
    round_s: float
    gpu_types: tuple[str, ...]
    pool: np.ndarray
    guest_held: np.ndarray
    job: np.ndarray
    job_type: np.ndarray
    job_types: tuple[str, ...]
    n_gpus: np.ndarray
    arrival_s: np.ndarray
    running_on: np.ndarray
    speed: np.ndarray
    steps_per_s: np.ndarray
    attained_gpu_s: np.ndarray
    time_on_type_s: np.ndarray
    waited_s: np.ndarray
    remaining_ref_s: np.ndarray
    work_ref_s: np.ndarray
    memory: Any = None

    def __post_init__(self) -> None:
        n_j, n_g = len(self.job), len(self.gpu_types)
        shapes = {
            "pool": ((n_g,), np.int64),
            "guest_held": ((n_g,), np.int64),
            "job": ((n_j,), np.int64),
            "job_type": ((n_j,), np.int64),
            "n_gpus": ((n_j,), np.int64),
            "arrival_s": ((n_j,), float),
            "running_on": ((n_j,), np.int64),
            "speed": ((n_j, n_g), float),
            "steps_per_s": ((n_j, n_g), float),
            "attained_gpu_s": ((n_j,), float),
            "time_on_type_s": ((n_j, n_g), float),
            "waited_s": ((n_j,), float),
            "remaining_ref_s": ((n_j,), float),
            "work_ref_s": ((n_j,), float),
        }
        for name, (shape, dtype) in shapes.items():
            arr = _frozen(getattr(self, name), dtype)
            if arr.size == 0:
                arr = _frozen(np.zeros(shape), dtype)
            if arr.shape != shape:
                raise ValueError(f"ClusterSnapshot.{name}: expected shape {shape}, got {arr.shape}")
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "gpu_types", tuple(self.gpu_types))
        object.__setattr__(self, "job_types", tuple(self.job_types))

    @classmethod
    def of_arrays(cls, **fields: Any) -> ClusterSnapshot:
        """Build from arrays made for this snapshot alone, without copying them (they are
        made read-only in place) and without re-checking their shapes: the engine's path,
        once per decision. Everyone else uses the constructor."""
        snap = object.__new__(cls)
        fields.setdefault("memory", None)
        for value in fields.values():
            if type(value) is np.ndarray and value.flags.writeable:
                value.flags.writeable = False
        snap.__dict__.update(fields)  # what the frozen dataclass's own init would store
        return snap

    @property
    def n_jobs(self) -> int:
        return len(self.job)

    @property
    def n_types(self) -> int:
        return len(self.gpu_types)

    @property
    def capacity(self) -> np.ndarray:
        """``[g]`` GPUs this scheduler may place jobs on."""
        return self.pool - self.guest_held

    @property
    def runnable(self) -> np.ndarray:
        """``[j, g]`` whether job ``j`` can ever run on type ``g`` here (its gang fits
        the pool; guests may still hold some of it)."""
        return (self.speed > 0) & (self.n_gpus[:, None] <= self.pool[None, :])

    @property
    def free(self) -> np.ndarray:
        """``[g]`` GPUs not held by any job of the snapshot."""
        on = self.running_on >= 0
        used = np.bincount(self.running_on[on], weights=self.n_gpus[on],
                           minlength=self.n_types).astype(np.int64)
        return self.capacity - used


@dataclass(frozen=True)
class Decision:
    """What runs until the next decision: ``gpu[j]`` is the GPU type job ``j`` holds,
    ``-1`` for none; ``memory`` is handed back with the next snapshot (immutable);
    ``info`` carries scalar diagnostics (e.g. the LP's objective)."""

    gpu: np.ndarray
    memory: Any = None
    info: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "gpu", _frozen(self.gpu, np.int64))

    @classmethod
    def keep(cls, snap: ClusterSnapshot) -> Decision:
        """Change nothing: running jobs keep their GPUs, waiting jobs wait."""
        return cls(snap.running_on.copy(), snap.memory)


@runtime_checkable
class LocalScheduler(Protocol):
    """A local scheduling policy (a frozen dataclass whose fields are its parameters).

    ``schedule`` must be a pure function of the snapshot: no state between calls, no
    mutation of the snapshot, the same decision for the same snapshot.
    ``default_round_s`` is the time between decisions when a scenario does not set one
    (0: decide at every arrival and completion instead of in rounds). ``preemptive``
    says whether it may stop or move running jobs.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    default_round_s: ClassVar[float]
    preemptive: ClassVar[bool]

    def schedule(self, snap: ClusterSnapshot) -> Decision: ...


def decision_problem(snap: ClusterSnapshot, decision: Decision) -> str | None:
    """Why the engine cannot apply ``decision`` (wrong shape, unknown type, a gang that
    cannot run there, capacity exceeded), or None."""
    gpu = np.asarray(decision.gpu)
    if gpu.shape != (snap.n_jobs,):
        return f"gpu has shape {gpu.shape}, expected ({snap.n_jobs},)"
    if np.any((gpu < NOT_RUNNING) | (gpu >= snap.n_types)):
        return "gpu holds an index that is not a GPU type"
    on = gpu >= 0
    if np.any(~snap.runnable[np.flatnonzero(on), gpu[on]]):
        j = int(np.flatnonzero(on & ~snap.runnable[np.arange(snap.n_jobs), np.maximum(gpu, 0)])[0])
        return f"job {int(snap.job[j])} placed on {snap.gpu_types[gpu[j]]}, where it cannot run"
    used = np.bincount(gpu[on], weights=snap.n_gpus[on], minlength=snap.n_types)
    over = np.flatnonzero(used > snap.capacity)
    if len(over):
        g = int(over[0])
        return f"{int(used[g])} GPUs of {snap.gpu_types[g]} placed, capacity {snap.capacity[g]}"
    return None
