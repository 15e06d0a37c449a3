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
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np

from fedsim.engine.jobs import JobState, JobStatus
from fedsim.engine.occupancy import Occupancy
from fedsim.engine.world import World
from fedsim.schedulers.base import NOT_RUNNING, ClusterSnapshot, Decision, decision_problem
from fedsim.schedulers.fifo import Fifo

# (job, host, gpu type, t_s, price, whether it waits in the queue now)
Start = Callable[[int, int, int, float, float, bool], None]
Due = Callable[[int, float], None]  # (provider, until_s): schedule completions up to then
Stop = Callable[[int, float, bool], None]  # (job, t_s, whether it waits): preempt
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
        next_decision_s: list[float],
        due: Due,
        fast_paths: bool = True,
    ) -> None:
        self.world = world
        self.jobs = jobs
        self.occ = occupancy
        self.queued = queued  # per owner, arrival order: own jobs waiting
        self.running = running  # per host: jobs holding its GPUs (own and guests)
        self.start, self.stop, self.failed = start, stop, failed
        # completions after a provider's next round need no event yet: a round-based
        # scheduler often stops the job first (``due`` schedules those that come sooner)
        self.next_decision_s = next_decision_s
        self.due = due
        self.schedulers = world.schedulers
        self.round_s = world.round_s
        self._fast_fifo = [
            fast_paths and type(s) is Fifo and r == 0.0
            for s, r in zip(world.schedulers, world.round_s, strict=True)
        ]
        # a plug-in's decision is checked before it is applied; the built-ins' are not (the
        # conformance checker and the tests hold them to the contract), which saves ~6% of
        # a round-based run
        self._check = [not (fast_paths and type(s).__module__.startswith("fedsim.schedulers."))
                       for s in world.schedulers]
        self._memory: list[Any] = [None] * world.n_providers  # each scheduler's own
        self._ref_cache: dict[tuple[int, int], float] = {}
        self._static_cache: list[Any] = [None] * world.n_providers
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
                best = self._fastest_free(j, free)
                if best < 0:
                    return
                break
            else:
                return
            self.start(j, i, best, t_s, 0.0, True)  # changes the queue: scan it again

    def _fastest_free(self, j: int, free: list[int]) -> int:
        """The fastest GPU type with room for job ``j``'s gang now (−1: none)."""
        jobs = self.jobs
        n = jobs.n_gpus[j]
        best, best_slow = -1, math.inf
        for g, slow in enumerate(jobs.slow[j]):
            if slow < best_slow and free[g] >= n:
                best, best_slow = g, slow
        return best

    def start_at_once(self, j: int, i: int, t_s: float) -> bool:
        """Start job ``j``, just admitted at its owner ``i``, without queueing it, where
        that is what ``i``'s scheduler would do: fast-path FIFO, an empty queue, room on
        a GPU type now. Queueing it for 0 s and running the queue gives the same run
        (a wait of 0 s bills nothing); this skips that bookkeeping for most jobs of a
        federation that is not overloaded. False: the caller queues it."""
        if not self._fast_fifo[i] or self.queued[i] or not self.jobs.fits_home[j]:
            return False
        best = self._fastest_free(j, self.occ.free[i])
        if best < 0:
            return False
        self.start(j, i, best, t_s, 0.0, False)
        return True

    # --- the pure function ----------------------------------------------------------------

    def _ref_steps(self, job_type: int, n_gpus: int) -> float:
        key = (job_type, n_gpus)
        cached = self._ref_cache.get(key)
        if cached is None:
            cached = self._ref_cache[key] = self.world.ref_steps_per_s(job_type, n_gpus)
        return cached

    def _static(self, i: int, ids: list[int]) -> _Static:
        """What does not change while a job waits or runs, and the gathers over ``ids``
        (cached while the provider's set of jobs stays the same, which is most rounds)."""
        key = tuple(ids)
        cached = self._static_cache[i]
        if cached is not None and cached.key == key:
            return cached
        jobs, n_g, n = self.jobs, len(self.world.gpu_types), len(ids)
        slow = np.array([jobs.slow[j] for j in ids], dtype=float).reshape(n, n_g)
        with np.errstate(divide="ignore"):
            speed = np.where(np.isfinite(slow), 1.0 / slow, 0.0)
        job_type = np.array([jobs.job_type[j] for j in ids], dtype=np.int64)
        n_gpus = np.array([jobs.n_gpus[j] for j in ids], dtype=np.int64)
        ref = np.array([self._ref_steps(k, g) for k, g in zip(job_type.tolist(),
                                                              n_gpus.tolist(), strict=True)])
        arrays = {
            "job": np.array(ids, dtype=np.int64),
            "job_type": job_type,
            "n_gpus": n_gpus,
            "arrival_s": np.array([jobs.arrival_s[j] for j in ids], dtype=float),
            "speed": speed,
            "steps_per_s": speed * ref.reshape(n, 1),
            "work_ref_s": np.array([jobs.work_ref_s[j] for j in ids], dtype=float),
        }
        for a in arrays.values():
            a.setflags(write=False)
        rows = (arrays["job"][:, None] * n_g + np.arange(n_g)).ravel().tolist()
        cached = _Static(key, arrays, _gather(ids), _gather(rows))
        self._static_cache[i] = cached
        return cached

    def snapshot(self, i: int, t_s: float) -> ClusterSnapshot:
        """What provider ``i``'s scheduler sees at ``t_s``."""
        w, jobs, n_g = self.world, self.jobs, len(self.world.gpu_types)
        owner, fits_home = jobs.owner, jobs.fits_home
        ids = sorted([j for j in self.running[i] if owner[j] == i]
                     + [j for j in self.queued[i] if fits_home[j]])
        n = len(ids)
        static = self._static(i, ids)
        arrays, take = static.arrays, static.take
        running = JobStatus.RUNNING
        gpu_of = [g if st == running else NOT_RUNNING
                  for st, g in zip(take(jobs.status), take(jobs.gpu), strict=True)]
        attained = list(take(jobs.attained_gpu_s))
        remaining = list(take(jobs.remaining_ref_s))
        on_type = list(static.take_types(jobs.time_on_type_s))
        # count the current stints too (a loop: a few dozen jobs cost less in Python than
        # in numpy calls; the same operations as elementwise numpy, so the same numbers)
        stint_s, progress_s, slow, n_gpus = (jobs.stint_start_s, jobs.progress_from_s,
                                             jobs.slow, jobs.n_gpus)
        for k, g in enumerate(gpu_of):
            if g >= 0:
                j = ids[k]
                held_s = t_s - stint_s[j]
                attained[k] += n_gpus[j] * held_s
                on_type[k * n_g + g] += held_s
                done = min(max(t_s - progress_s[j], 0.0) / slow[j][g], remaining[k])
                remaining[k] -= done
        return ClusterSnapshot.of_arrays(
            provider=w.providers[i],
            t_s=t_s,
            round_s=self.round_s[i],
            gpu_types=w.gpu_types,
            pool=np.array(self.occ.capacity[i], dtype=np.int64),
            guest_held=np.array(self.occ.guest[i], dtype=np.int64),
            job_types=w.affinity.job_types,
            running_on=np.array(gpu_of, dtype=np.int64),
            attained_gpu_s=np.array(attained, dtype=float),
            time_on_type_s=np.array(on_type, dtype=float).reshape(n, n_g),
            waited_s=t_s - arrays["arrival_s"],
            remaining_ref_s=np.array(remaining, dtype=float),
            memory=self._memory[i],
            **arrays,
        )

    def decide(self, i: int, t_s: float) -> None:
        """Ask provider ``i``'s scheduler and apply its decision (stops first, so that
        freed GPUs can be reused in the same decision). A scheduler that raises or
        returns something the engine cannot apply changes nothing this time, and says
        so in the event log."""
        if self.round_s[i] > 0.0:  # until the next round, only completions change things
            self.next_decision_s[i] = t_s + self.round_s[i]
        snap = self.snapshot(i, t_s)
        if snap.n_jobs == 0:
            return
        self.decisions += 1
        try:
            decision = self.schedulers[i].schedule(snap)
            problem = decision_problem(snap, decision) if self._check[i] else None
        except Exception as exc:  # a plug-in may raise anything: the run goes on
            decision, problem = Decision.keep(snap), f"{type(exc).__name__}: {exc}"
        if problem is not None:
            self.failed(t_s, i, problem)
        else:
            self._memory[i] = decision.memory
            changed = np.flatnonzero(decision.gpu != snap.running_on).tolist()
            job, new, was = snap.job.tolist(), decision.gpu.tolist(), snap.running_on.tolist()
            # stops first, so that freed GPUs can be reused; a job moved to another type
            # skips the queue (it would leave it at this instant)
            for k in changed:
                if was[k] >= 0:
                    self.stop(job[k], t_s, new[k] < 0)
            for k in changed:
                if new[k] >= 0:
                    self.start(job[k], i, new[k], t_s, 0.0, was[k] < 0)
        if self.round_s[i] > 0.0:
            self.due(i, self.next_decision_s[i])


class _Static(NamedTuple):
    key: tuple[int, ...]  # the provider's jobs, sorted
    arrays: dict[str, np.ndarray]  # the snapshot's fields that do not change
    take: Callable[[list], Sequence]  # values[j] for each job
    take_types: Callable[[list], Sequence]  # the jobs' rows of JobState.time_on_type_s


def _gather(ids: list[int]) -> Callable[[list], Sequence]:
    """``take(values)``: ``values[j]`` for each of ``ids``, at C speed (``itemgetter``)."""
    if len(ids) > 1:
        return itemgetter(*ids)
    return lambda values: [values[j] for j in ids]
