"""Per-job state of one run, and how work progresses.

A job carries its work in *reference seconds* (its run time on the reference GPU type,
whole gang). A *stint* is one continuous hold of ``n_gpus`` GPUs of one type at one
host: it may start with a delay that makes no progress (moving the data to a remote
host, restoring a checkpoint after a preemption), then does ``1 / slowdown`` reference
seconds of work per second. Stopping a stint (finish, preemption, horizon) books
exactly the work done, so preemption and moves keep the work.

State is flat Python lists: the engine touches a few fields per event, and list item
access is several times cheaper than numpy scalar access.
"""

from __future__ import annotations

import math
from enum import IntEnum

from fedsim.engine.world import JOB_KINDS, World


class JobStatus(IntEnum):
    NOT_ARRIVED = 0
    QUEUED = 1  # waiting: never started, or preempted
    RUNNING = 2
    FINISHED = 3
    REJECTED = 4


class JobState:
    """Every job of a run (index ``j``, the world's arrival order)."""

    def __init__(self, world: World) -> None:
        jobs = world.jobs
        n, n_g = len(jobs), len(world.gpu_types)
        self.n_types = n_g
        self.owner: list[int] = jobs.owner.tolist()
        self.n_gpus: list[int] = jobs.n_gpus.tolist()
        self.job_type: list[int] = jobs.job_type.tolist()
        self.kind: list[int] = jobs.kind.tolist() if jobs.kind is not None else [0] * n
        self.arrival_s: list[float] = jobs.arrival_s.tolist()
        self.work_ref_s: list[float] = jobs.ref_duration_s.tolist()
        self.remaining_ref_s: list[float] = jobs.ref_duration_s.tolist()
        self.status: list[int] = [JobStatus.NOT_ARRIVED] * n
        self.slow: list[tuple[float, ...]] = [()] * n  # run time per ref second, per type
        self.fits_home: list[bool] = [False] * n
        # the current (or last) stint
        self.host: list[int] = [-1] * n
        self.gpu: list[int] = [-1] * n
        self.price: list[float] = [0.0] * n  # USD per GPU-hour paid to a remote host
        self.stint_start_s: list[float] = [math.nan] * n
        self.progress_from_s: list[float] = [math.nan] * n
        self.version: list[int] = [0] * n  # a finish event for an older stint is stale
        # history
        self.first_start_s: list[float] = [math.nan] * n
        self.finish_s: list[float] = [math.nan] * n
        self.queued_since_s: list[float] = [math.nan] * n
        self.queue_delay_s: list[float] = [0.0] * n
        self.attained_gpu_s: list[float] = [0.0] * n
        self.preemptions: list[int] = [0] * n
        self.time_on_type_s: list[float] = [0.0] * (n * n_g)
        self.data_at: list[int] = list(self.owner)  # a remote copy of the dataset, if any
        self.serverless: list[bool] = [False] * n  # ran (or runs) on its owner's serverless pool
        # a model-parallel job's stages on its owner's pool: functions held while it runs,
        # their bill per second, and the cold start of every stint
        self.functions: list[int] = [0] * n
        self.function_usd_per_s: list[float] = [0.0] * n
        self.function_cold_s: list[float] = [0.0] * n
        dag_kind = JOB_KINDS.index("dag")
        for j, (kind, o) in enumerate(zip(self.kind, self.owner, strict=True)):
            plan = world.dag[o] if kind == dag_kind and world.dag else None
            if plan is not None and plan.functions:
                self.functions[j] = plan.functions
                self.function_usd_per_s[j] = plan.function_usd_per_s
                self.function_cold_s[j] = plan.function_cold_s

    def __len__(self) -> int:
        return len(self.owner)

    def add(self, owner: int, n_gpus: int, job_type: int, work_ref_s: float,
            arrival_s: float) -> int:
        """A job created during the run (a search's trial step); returns its index."""
        for name, value in (("owner", owner), ("n_gpus", n_gpus), ("job_type", job_type),
                            ("arrival_s", arrival_s), ("work_ref_s", work_ref_s),
                            ("remaining_ref_s", work_ref_s), ("status", JobStatus.NOT_ARRIVED),
                            ("slow", ()), ("fits_home", False), ("host", -1), ("gpu", -1),
                            ("price", 0.0), ("stint_start_s", math.nan),
                            ("progress_from_s", math.nan), ("version", 0),
                            ("first_start_s", math.nan), ("finish_s", math.nan),
                            ("queued_since_s", math.nan), ("queue_delay_s", 0.0),
                            ("attained_gpu_s", 0.0), ("preemptions", 0), ("data_at", owner),
                            ("serverless", False), ("functions", 0),
                            ("function_usd_per_s", 0.0), ("function_cold_s", 0.0),
                            ("kind", JOB_KINDS.index("hpo_trial"))):
            getattr(self, name).append(value)
        self.time_on_type_s.extend([0.0] * self.n_types)
        return len(self.owner) - 1

    def done_ref_s(self, j: int, t_s: float) -> float:
        """Work done so far in the current stint (reference seconds)."""
        ran = t_s - self.progress_from_s[j]
        if ran <= 0.0:
            return 0.0
        return min(ran / self.slow[j][self.gpu[j]], self.remaining_ref_s[j])

    def finish_time_s(self, j: int) -> float:
        """When the current stint completes the job."""
        return self.progress_from_s[j] + self.remaining_ref_s[j] * self.slow[j][self.gpu[j]]

    def time_on_type(self, j: int) -> list[float]:
        k = j * self.n_types
        return self.time_on_type_s[k : k + self.n_types]
