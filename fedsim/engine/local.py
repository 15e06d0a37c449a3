"""Local scheduling inside each provider: when its scheduler decides, what it sees, and
how its decision is applied.

A scheduler with a round length decides at ``0, round_s, 2·round_s, ...``; with none
(``round_s = 0``) it decides at every arrival of its own jobs and every completion on
its GPUs. It sees its own jobs waiting at home (that could run there) and its own jobs
running at home, on its pools minus the GPUs guests hold: a guest placed by the market
keeps its GPUs until it finishes, and only its owner's market placements move it.

``fifo`` without rounds has a fast path with the same result as its pure function
(``Simulation(..., fast_paths=False)`` runs the pure function instead; a test holds the
two equal): it keeps the queue in arrival order and stops at the first job that does
not fit, so it never rebuilds a snapshot of a long queue.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from fedsim.engine.jobs import JobState, JobStatus
from fedsim.engine.occupancy import Occupancy
from fedsim.engine.world import World
from fedsim.schedulers.base import NOT_RUNNING, ClusterSnapshot, Decision, decision_problem
from fedsim.schedulers.fifo import Fifo

Start = Callable[[int, int, int, float, float], None]  # (job, host, gpu type, t_s, price)
Stop = Callable[[int, float], None]  # (job, t_s): preempt
Failed = Callable[[float, int, str], None]  # (t_s, provider, why)


class LocalScheduling:
    """Every provider's local scheduler during one run."""

    def __init__(
        self,
        world: World,
        jobs: JobState,
        occupancy: Occupancy,
        queued: list[dict[int, None]],
        running: list[dict[int, None]],
        start: Start,
        stop: Stop,
        failed: Failed,
        fast_paths: bool = True,
    ) -> None:
        self.world = world
        self.jobs = jobs
        self.occ = occupancy
        self.queued = queued  # per owner, arrival order: own jobs waiting
        self.running = running  # per host: jobs holding its GPUs (own and guests)
        self.start, self.stop, self.failed = start, stop, failed
        self.schedulers = world.schedulers
        self.round_s = world.round_s
        self._fast_fifo = [
            fast_paths and type(s) is Fifo and r == 0.0
            for s, r in zip(world.schedulers, world.round_s, strict=True)
        ]
        self._memory: list[Any] = [None] * world.n_providers  # each scheduler's own
        self.decisions = 0

    # --- when ---------------------------------------------------------------------------

    def event_driven(self, i: int) -> bool:
        return self.round_s[i] == 0.0

    def on_change(self, i: int, t_s: float) -> None:
        """A job of ``i`` arrived or GPUs at ``i`` were freed."""
        if self.round_s[i] == 0.0:
            if self._fast_fifo[i]:
                self._fifo(i, t_s)
            else:
                self.decide(i, t_s)

    # --- the fast path ------------------------------------------------------------------

    def _fifo(self, i: int, t_s: float) -> None:
        """Strict FIFO on own GPUs, fastest free type first; jobs that can never fit
        here wait for the market without blocking the queue (= ``Fifo.schedule``)."""
        jobs, free, queue = self.jobs, self.occ.free[i], self.queued[i]
        while True:
            for j in queue:
                if not jobs.fits_home[j]:
                    continue
                n = jobs.n_gpus[j]
                best, best_slow = -1, math.inf
                for g, slow in enumerate(jobs.slow[j]):
                    if slow < best_slow and free[g] >= n:
                        best, best_slow = g, slow
                if best < 0:
                    return
                break
            else:
                return
            self.start(j, i, best, t_s, 0.0)  # changes the queue: scan it again

    # --- the pure function ----------------------------------------------------------------

    def snapshot(self, i: int, t_s: float) -> ClusterSnapshot:
        """What provider ``i``'s scheduler sees at ``t_s``."""
        w, jobs, n_g = self.world, self.jobs, len(self.world.gpu_types)
        own_running = [j for j in self.running[i] if jobs.owner[j] == i]
        waiting = [j for j in self.queued[i] if jobs.fits_home[j]]
        ids = sorted(own_running + waiting)
        pool = np.array(self.occ.capacity[i], dtype=np.int64)
        guest = np.array(self.occ.guest[i], dtype=np.int64)
        speed = np.zeros((len(ids), n_g))
        ref = np.zeros(len(ids))
        on_type = np.zeros((len(ids), n_g))
        for k, j in enumerate(ids):
            speed[k] = [1.0 / s if s < math.inf else 0.0 for s in jobs.slow[j]]
            ref[k] = w.ref_steps_per_s(jobs.job_type[j], jobs.n_gpus[j])
            on_type[k] = jobs.time_on_type(j)
        running_on = np.array([jobs.gpu[j] if jobs.status[j] == JobStatus.RUNNING
                               else NOT_RUNNING for j in ids], dtype=np.int64)
        remaining = np.array([self._remaining(j, t_s) for j in ids])
        attained = np.array([jobs.attained_gpu_s[j] for j in ids])
        for k, j in enumerate(ids):  # count the current stint too
            if running_on[k] >= 0:
                held_s = t_s - jobs.stint_start_s[j]
                attained[k] += jobs.n_gpus[j] * held_s
                on_type[k, running_on[k]] += held_s
        return ClusterSnapshot(
            provider=w.providers[i],
            t_s=t_s,
            round_s=self.round_s[i],
            gpu_types=w.gpu_types,
            pool=pool,
            guest_held=guest,
            job=np.array(ids, dtype=np.int64),
            job_type=np.array([jobs.job_type[j] for j in ids], dtype=np.int64),
            job_types=w.affinity.job_types,
            n_gpus=np.array([jobs.n_gpus[j] for j in ids], dtype=np.int64),
            arrival_s=np.array([jobs.arrival_s[j] for j in ids]),
            running_on=running_on,
            speed=speed,
            steps_per_s=speed * ref[:, None],
            attained_gpu_s=attained,
            time_on_type_s=on_type,
            waited_s=t_s - np.array([jobs.arrival_s[j] for j in ids]),
            remaining_ref_s=remaining,
            work_ref_s=np.array([jobs.work_ref_s[j] for j in ids]),
            memory=self._memory[i],
        )

    def _remaining(self, j: int, t_s: float) -> float:
        jobs = self.jobs
        if jobs.status[j] == JobStatus.RUNNING:
            return jobs.remaining_ref_s[j] - jobs.done_ref_s(j, t_s)
        return jobs.remaining_ref_s[j]

    def decide(self, i: int, t_s: float) -> None:
        """Ask provider ``i``'s scheduler and apply its decision (stops first, so that
        freed GPUs can be reused in the same decision). A scheduler that raises or
        returns something the engine cannot apply changes nothing this time, and says
        so in the event log."""
        snap = self.snapshot(i, t_s)
        if snap.n_jobs == 0:
            return
        self.decisions += 1
        try:
            decision = self.schedulers[i].schedule(snap)
            problem = decision_problem(snap, decision)
        except Exception as exc:  # a plug-in may raise anything: the run goes on
            decision, problem = Decision.keep(snap), f"{type(exc).__name__}: {exc}"
        if problem is not None:
            self.failed(t_s, i, problem)
            return
        self._memory[i] = decision.memory
        new = decision.gpu
        changed = np.flatnonzero(new != snap.running_on)
        for k in changed:
            if snap.running_on[k] >= 0:
                self.stop(int(snap.job[k]), t_s)
        for k in changed:
            if new[k] >= 0:
                self.start(int(snap.job[k]), i, int(new[k]), t_s, 0.0)
