"""Serverless burst capacity: queued DNN jobs a provider runs on a serverless GPU pool.

A provider's pool (``providers[i].serverless``, priced by
:class:`~fedsim.serverless.burst.BurstPool`) runs a gang of ``n`` GPUs as ``n``
functions at once, each one GPU of the pool's type. One invocation runs at most
``max_invocation_s``, so a long job is a chain of invocations; every one after the first
(and the first, for a job that already made progress) restores the checkpoint, which
takes the provider's preemption cost. The first invocation of each function is cold
unless an instance idle for less than ``keep_warm_s`` is free.

**Outside option.** With function price ``π`` per second (GPU-seconds + GB-seconds),
``ρ`` per request, slowdown ``s`` of the job on the pool's GPU and useful share
``f = 1 − restore/max_invocation`` of every invocation, one reference GPU-hour of useful
work costs ``(3600·π + ρ·3600/max_invocation)·s / f``. The market builder caps the
owner's value of that work at this cost, so no mechanism that respects buyers' values
makes a provider pay a federation peer more than its serverless price for the same work.

**Bursting.** At each epoch, after the market's placements, a provider with
``burst: true`` sends its jobs that are still queued after waiting ``burst_after_s``
(default one epoch: the market and the local scheduler had their chance) to its pool, in
arrival order, when that cost plus the data transfer amortised over the job is at most
what it values the work at (its price plus wait penalty per GPU-hour) and enough
functions are free. They run to completion there; the local scheduler never sees them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from fedsim.engine.clock import FINISH
from fedsim.engine.dnn import DnnCluster
from fedsim.engine.jobs import JobStatus
from fedsim.engine.world import World
from fedsim.serverless.burst import (
    BurstPool,
    pool_slowdown,
    worth_at,
)


class ServerlessBursts:
    """The serverless pools of one run: outside-option prices and the jobs sent there."""

    def __init__(
        self,
        world: World,
        dnn: DnnCluster,
        schedule: Callable[[float, int, Callable[[Any], None], Any], None],
    ) -> None:
        self.world = world
        self.dnn = dnn
        self.schedule = schedule
        self.pools: tuple[BurstPool | None, ...] = world.serverless or (None,) * world.n_providers
        self.active = any(bp is not None for bp in self.pools)  # whether any provider has one
        self.in_use = [0] * world.n_providers  # functions running now
        self._idle_since: list[list[float]] = [[] for _ in range(world.n_providers)]
        self._finish_s: dict[int, float] = {}
        self._begin_s: dict[int, float] = {}
        self._cost: dict[int, list[float]] = {}
        self._slow: dict[tuple[int, int, int], float] = {}
        self._usd = dnn.billing.ledger.column("serverless_usd")
        dnn.runs_elsewhere = self.worth_bursting

    def worth_bursting(
        self, owner: int, job_type: int, n_gpus: int, work_ref_s: float = math.inf
    ) -> bool:
        """Whether ``owner`` sends this work to its pool (a bursting pool and
        :func:`~fedsim.serverless.burst.worth_at`, the pool's cost cached)."""
        bp = self.pools[owner]
        if bp is None or not bp.burst:
            return False
        cost = self.outside_usd_per_gpu_h(owner, job_type, n_gpus)
        return worth_at(self.world, owner, n_gpus, work_ref_s, cost)

    def outside_usd_per_gpu_h(self, owner: int, job_type: int, n_gpus: int) -> float:
        """What a reference GPU-hour of this work costs ``owner`` on its pool (inf: none),
        from the cached slowdown."""
        bp = self.pools[owner]
        if bp is None:
            return math.inf
        return bp.usd_per_useful_gpu_h(self._slowdown(owner, job_type, n_gpus))

    def _slowdown(self, owner: int, job_type: int, n_gpus: int) -> float:
        key = (owner, job_type, n_gpus)
        if key not in self._slow:
            self._slow[key] = pool_slowdown(self.world, owner, job_type, n_gpus)
        return self._slow[key]

    def burst(self, t_s: float) -> None:
        """Send queued jobs to their owners' pools where that is worth it (see module)."""
        if not self.active:
            return
        jobs = self.dnn.jobs
        for o, bp in enumerate(self.pools):
            if bp is None or not bp.burst or not self.dnn.queued[o]:
                continue
            waited_since_s = t_s - bp.burst_after_s + 1e-9
            for j in list(self.dnn.queued[o]):
                # the pool is shared with the stages of running model-parallel jobs
                free = bp.pool.concurrency - self.in_use[o] - self.dnn.functions_in_use[o]
                if free <= 0:
                    break  # full: nothing else can go this epoch
                n = jobs.n_gpus[j]
                if n > free or jobs.queued_since_s[j] > waited_since_s or jobs.functions[j]:
                    continue  # (a job with stages on the pool already uses it; not burst)
                if self.worth_bursting(o, jobs.job_type[j], n, jobs.remaining_ref_s[j]):
                    self._start(j, o, bp, t_s)

    def _start(self, j: int, o: int, bp: BurstPool, t_s: float) -> None:
        jobs, dnn = self.dnn.jobs, self.dnn
        n = jobs.n_gpus[j]
        warm = [s for s in self._idle_since[o] if s + bp.pool.keep_warm_s >= t_s]
        reuse = min(n, len(warm))
        self._idle_since[o] = sorted(warm)[: len(warm) - reuse]
        cold = n - reuse
        delay_s = bp.pool.cold_start_s if cold else 0.0
        slow = self._slowdown(o, jobs.job_type[j], n)
        chain = bp.chain(jobs.remaining_ref_s[j] * slow, jobs.preemptions[j] > 0)
        dnn.dequeue(o, j)
        dnn.billing.waited(j, t_s)
        if jobs.data_at[j] != -1:  # the pool's region receives the dataset once
            jobs.data_at[j] = -1
            dnn.billing.data_moved(o, t_s)
        self.in_use[o] += n
        jobs.status[j] = JobStatus.RUNNING
        jobs.host[j], jobs.gpu[j], jobs.price[j] = o, -1, 0.0
        jobs.serverless[j] = True
        jobs.stint_start_s[j] = t_s
        jobs.progress_from_s[j] = t_s + delay_s
        if math.isnan(jobs.first_start_s[j]):
            jobs.first_start_s[j] = t_s
        jobs.version[j] += 1
        self._begin_s[j] = t_s + delay_s
        self._finish_s[j] = t_s + delay_s + sum(chain)
        self._cost[j] = [n * bp.pool.cost_usd(d, bp.memory_gb) for d in chain]
        dnn.log.add(t_s, "burst_start", j, o, o, -1, n, detail=f"{cold} cold")
        self.schedule(self._finish_s[j] - t_s, FINISH, self._on_finish, j)

    def _book(self, j: int, t_s: float, finished: bool) -> None:
        jobs, billing = self.dnn.jobs, self.dnn.billing
        o, n = jobs.owner[j], jobs.n_gpus[j]
        begin, end = self._begin_s.pop(j), self._finish_s.pop(j)
        share = 1.0 if finished else min(max((t_s - begin) / (end - begin), 0.0), 1.0)
        done = jobs.remaining_ref_s[j] * share
        billing.stint(j, t_s, done, finished)
        invocations = self._cost.pop(j)
        # a chain cut by the horizon is billed for the share of it that ran
        self._usd[billing.epoch(t_s) * self.world.n_providers + o] += sum(invocations) * share
        jobs.remaining_ref_s[j] -= done
        jobs.attained_gpu_s[j] += n * (t_s - jobs.stint_start_s[j])
        self.in_use[o] -= n
        self._idle_since[o].extend([t_s] * n)

    def _on_finish(self, event: Any) -> None:
        j = event.value
        t_s = self._finish_s[j]
        jobs = self.dnn.jobs
        self._book(j, t_s, finished=True)
        jobs.remaining_ref_s[j] = 0.0
        jobs.status[j] = JobStatus.FINISHED
        jobs.finish_s[j] = t_s
        self.dnn.log.add(t_s, "burst_finish", j, jobs.owner[j], jobs.owner[j], -1, jobs.n_gpus[j])
        self.dnn.on_finished(j, t_s)

    def settle(self, t_s: float) -> None:
        """At the horizon: book the work and the bill of every job still on a pool."""
        for j in sorted(self._finish_s):
            self._book(j, t_s, finished=False)

    def running(self) -> bool:
        return bool(self._finish_s)
