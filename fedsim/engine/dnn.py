"""DNN training jobs inside a run: arrival, stints on GPUs (start, preempt, finish), and
the horizon. Who decides is elsewhere (``local.LocalScheduling`` for a provider's own
GPUs, ``placement`` for the market); this module keeps every job's state, the pools and
the books consistent whatever they decide.

The event loop is injected as ``schedule(delay_s, priority, callback, value)``, so this
module has no simpy.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable
from typing import Any

from fedsim.engine.billing import Billing
from fedsim.engine.clock import FINISH
from fedsim.engine.events import EventLog
from fedsim.engine.feasibility import why_unrunnable
from fedsim.engine.jobs import JobState, JobStatus
from fedsim.engine.ledger import Ledger
from fedsim.engine.occupancy import Occupancy
from fedsim.engine.world import World

Schedule = Callable[[float, int, Callable[[Any], None], Any], None]
Notify = Callable[[int, float], None]  # (provider, t_s): its GPUs or queue changed


class DnnCluster:
    """The GPU side of every provider in one run."""

    def __init__(
        self,
        world: World,
        ledger: Ledger,
        log: EventLog,
        schedule: Schedule,
        now: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self.world = world
        self.log = log
        self._log = log.append  # hot path: one tuple per event
        self.schedule = schedule
        self.now = now
        self.jobs = JobState(world)
        self.occ = Occupancy(world)
        self.billing = Billing(world, ledger, self.jobs)
        n_i = world.n_providers
        self.queued: list[dict[int, None]] = [{} for _ in range(n_i)]  # per owner, arrival order
        # the same waiting jobs by (owner, job type, gang size), each sorted by arrival: the
        # market's demand classes, kept as jobs come and go (not rebuilt every epoch)
        self.waiting: dict[tuple[int, int, int], list[int]] = {}
        self.waiting_ref_s: dict[tuple[int, int, int], float] = {}  # their remaining work
        self.queue_changes = 0  # enqueues and dequeues so far: equal counts, equal queues
        self.class_changes = 0  # classes that began or stopped waiting: the same, for keys
        self.running: list[dict[int, None]] = [{} for _ in range(n_i)]  # per host
        self.functions_in_use = [0] * n_i  # per owner: model-parallel stages on its pool
        self.on_freed: Notify = lambda i, t_s: None
        self.on_finished: Callable[[int, float], None] = lambda j, t_s: None
        # (owner, job_type, n_gpus): whether the owner can run it outside any GPU pool
        self.runs_elsewhere: Callable[[int, int, int], bool] = lambda o, k, n: False
        # per provider: when its round-based scheduler decides next (inf: event-driven);
        # a home job finishing later needs no completion event until then
        self.next_decision_s: list[float] = [math.inf] * n_i
        self._finish_event = [-1] * len(self.jobs)  # the stint version with an event
        self._slowdown: dict[tuple[int, int], tuple[float, ...]] = {}
        self._fits: dict[tuple[int, int], tuple[bool, ...]] = {}
        self._reasons: dict[tuple[int, int, int], str] = {}
        member = set(world.members)
        self._is_member = [i in member for i in range(n_i)]

    # --- affinity (cached per run) -------------------------------------------------------

    def slowdown(self, job_type: int, n_gpus: int) -> tuple[float, ...]:
        """Seconds per reference second on each GPU type (inf: cannot run)."""
        key = (job_type, n_gpus)
        cached = self._slowdown.get(key)
        if cached is None:
            cached = self.world.slowdown(job_type, n_gpus)
            self._slowdown[key] = cached
        return cached

    def fits(self, job_type: int, n_gpus: int) -> tuple[bool, ...]:
        """Per provider: whether some GPU pool there can ever hold this gang."""
        key = (job_type, n_gpus)
        cached = self._fits.get(key)
        if cached is None:
            slow = self.slowdown(job_type, n_gpus)
            cached = tuple(
                any(c >= n_gpus and s < math.inf for c, s in zip(cap, slow, strict=True))
                for cap in self.occ.capacity
            )
            self._fits[key] = cached
        return cached

    def _reject_reason(self, key: tuple[int, int], owner: int) -> str:
        reason = self._reasons.get((*key, owner))
        if reason is None:
            reason = why_unrunnable(self.world, key[0], key[1], owner) or "cannot run"
            self._reasons[(*key, owner)] = reason
        return reason

    # --- life cycle ----------------------------------------------------------------------

    def submit(self, owner: int, n_gpus: int, job_type: int, work_ref_s: float, t_s: float) -> int:
        """A job created now (a search's trial step); it still has to :meth:`arrive`."""
        j = self.jobs.add(owner, n_gpus, job_type, work_ref_s, t_s)
        self._finish_event.append(-1)
        return j

    def admit(self, j: int, t_s: float) -> bool:
        """Job ``j`` arrives: it may wait or start (True; unless it starts at once, the
        caller queues it with :meth:`enqueue`), or it is rejected because it can never run."""
        jobs = self.jobs
        o, n = jobs.owner[j], jobs.n_gpus[j]
        key = (jobs.job_type[j], n)
        fits = self.fits(*key)
        self._log((t_s, "arrive", j, o, -1, -1, n))
        if not (
            fits[o]
            or (self._is_member[o] and any(fits[k] for k in self.world.members))
            or self.runs_elsewhere(o, *key)
        ):
            jobs.status[j] = JobStatus.REJECTED
            self.log.add(t_s, "reject", j, o, -1, -1, n, detail=self._reject_reason(key, o))
            return False
        jobs.status[j] = JobStatus.QUEUED
        jobs.slow[j] = self.slowdown(*key)
        jobs.fits_home[j] = fits[o]
        jobs.queued_since_s[j] = t_s
        return True

    def enqueue(self, o: int, j: int) -> None:
        """Job ``j`` of owner ``o`` starts waiting."""
        self.queued[o][j] = None
        self.queue_changes += 1
        jobs = self.jobs
        key = (o, jobs.job_type[j], jobs.n_gpus[j])
        waiting = self.waiting.get(key)
        if waiting is None:
            self.class_changes += 1
            self.waiting[key] = [j]
            self.waiting_ref_s[key] = jobs.remaining_ref_s[j]
            return
        self.waiting_ref_s[key] += jobs.remaining_ref_s[j]
        if waiting[-1] < j:
            waiting.append(j)
        else:
            insort(waiting, j)

    def dequeue(self, o: int, j: int) -> None:
        """Job ``j`` of owner ``o`` stops waiting (it starts somewhere)."""
        del self.queued[o][j]
        self.queue_changes += 1
        jobs = self.jobs
        key = (o, jobs.job_type[j], jobs.n_gpus[j])
        waiting = self.waiting[key]
        if len(waiting) == 1:
            self.class_changes += 1
            del self.waiting[key], self.waiting_ref_s[key]
        else:
            del waiting[bisect_left(waiting, j)]
            self.waiting_ref_s[key] -= jobs.remaining_ref_s[j]

    def start(self, j: int, host: int, g: int, t_s: float, price_usd_per_gpu_h: float,
              queued: bool = True) -> None:
        """Job ``j`` starts (or resumes) a stint on ``host``'s GPU type ``g``. A remote
        host first receives the data; a resumed job first restores its checkpoint.
        ``queued=False``: it never joined the queue (stopped at this same instant with
        ``requeue=False``, or started as it arrived)."""
        jobs = self.jobs
        o, n = jobs.owner[j], jobs.n_gpus[j]
        w = self.world
        delay_s = 0.0
        if host != o and jobs.data_at[j] != host:
            delay_s += w.dataset_gb * 8.0 / w.bandwidth_gbps[o, host] + w.rtt_s[o, host]
            jobs.data_at[j] = host
            self.billing.data_moved(o, t_s)
        if jobs.preemptions[j] > 0:
            delay_s += w.preemption_cost_s[o]
        n_fn = jobs.functions[j]
        if n_fn:  # its stage functions start cold with every stint
            delay_s += jobs.function_cold_s[j]
            self.functions_in_use[o] += n_fn
        if queued:
            self.dequeue(o, j)
            self.billing.waited(j, t_s)
        self.occ.hold(host, g, n, t_s, guest=host != o)
        self.running[host][j] = None
        jobs.status[j] = JobStatus.RUNNING
        jobs.host[j], jobs.gpu[j], jobs.price[j] = host, g, price_usd_per_gpu_h
        jobs.stint_start_s[j] = t_s
        jobs.progress_from_s[j] = t_s + delay_s
        if math.isnan(jobs.first_start_s[j]):
            jobs.first_start_s[j] = t_s
        jobs.version[j] += 1
        self._log((t_s, "start", j, o, host, g, n))
        finish_s = jobs.finish_time_s(j)
        if host != o or finish_s <= self.next_decision_s[host]:
            self._finish_event[j] = jobs.version[j]
            self.schedule(finish_s - t_s, FINISH, self._on_finish, (j, jobs.version[j]))

    def due(self, i: int, until_s: float) -> None:
        """Schedule the completion of every job of ``i`` running at home by ``until_s``
        that has no completion event yet (see ``next_decision_s``)."""
        jobs, now = self.jobs, None
        for j in self.running[i]:
            if jobs.owner[j] != i or self._finish_event[j] == jobs.version[j]:
                continue
            finish_s = jobs.finish_time_s(j)
            if finish_s <= until_s:
                if now is None:
                    now = self.now()
                self._finish_event[j] = jobs.version[j]
                self.schedule(finish_s - now, FINISH, self._on_finish, (j, jobs.version[j]))

    def _end_stint(self, j: int, t_s: float, finished: bool) -> float:
        """Book the stint of job ``j`` ending at ``t_s``; return the work it did."""
        jobs = self.jobs
        done = jobs.remaining_ref_s[j] if finished else jobs.done_ref_s(j, t_s)
        self.billing.stint(j, t_s, done, finished)
        held_s = t_s - jobs.stint_start_s[j]
        jobs.remaining_ref_s[j] = 0.0 if finished else jobs.remaining_ref_s[j] - done
        jobs.attained_gpu_s[j] += jobs.n_gpus[j] * held_s
        jobs.time_on_type_s[j * jobs.n_types + jobs.gpu[j]] += held_s
        return done

    def preempt(self, j: int, t_s: float, requeue: bool = True) -> None:
        """Stop job ``j``'s stint: it keeps the work done and waits at its owner.
        ``requeue=False`` when it starts again at this instant (a move to another GPU
        type): it would leave the queue as it joined it, after a wait of 0 s, so it skips
        the queue (its bookkeeping is most of a round's cost when every job moves)."""
        jobs = self.jobs
        host, g, o, n = jobs.host[j], jobs.gpu[j], jobs.owner[j], jobs.n_gpus[j]
        self._end_stint(j, t_s, finished=False)
        self.functions_in_use[o] -= jobs.functions[j]
        self.occ.hold(host, g, -n, t_s, guest=host != o)
        del self.running[host][j]
        jobs.status[j] = JobStatus.QUEUED
        jobs.preemptions[j] += 1
        jobs.queued_since_s[j] = t_s
        jobs.version[j] += 1  # its pending finish event is now stale
        if requeue:
            self.enqueue(o, j)
        self._log((t_s, "preempt", j, o, host, g, n))

    def _on_finish(self, event: Any) -> None:
        j, version = event.value
        jobs = self.jobs
        if jobs.version[j] != version:
            return  # preempted after this finish was scheduled
        t_s = jobs.finish_time_s(j)
        host, g, o, n = jobs.host[j], jobs.gpu[j], jobs.owner[j], jobs.n_gpus[j]
        self._end_stint(j, t_s, finished=True)
        self.functions_in_use[o] -= jobs.functions[j]
        self.occ.hold(host, g, -n, t_s, guest=host != o)
        del self.running[host][j]
        jobs.status[j] = JobStatus.FINISHED
        jobs.finish_s[j] = t_s
        self._log((t_s, "finish", j, o, host, g, n))
        self.on_freed(host, t_s)
        self.on_finished(j, t_s)

    def settle(self, t_s: float) -> None:
        """At the horizon: book the work done by running jobs and the waits of queued
        ones (their status stays: they are running or queued at the end)."""
        for running in self.running:
            for j in running:
                self._end_stint(j, t_s, finished=False)
        for queue in self.queued:
            for j in queue:
                self.billing.waited(j, t_s)

    def counts(self) -> dict[str, int]:
        by_status = Counter(self.jobs.status)  # one pass in C over a million jobs
        out = {"arrived": len(self.jobs.status) - by_status[JobStatus.NOT_ARRIVED]}
        for st in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FINISHED, JobStatus.REJECTED):
            out[st.name.lower()] = by_status[st]
        return out
