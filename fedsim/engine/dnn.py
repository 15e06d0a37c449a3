"""DNN training jobs inside a run: queues, the FIFO local scheduler, gang starts on
one GPU type of one provider (own or remote), finishes, and their accounting.

Hot-path state is plain Python lists (scalar access to numpy arrays is slow); the
event loop is injected as ``schedule(delay_s, callback, value)`` (the callback receives an
event whose ``.value`` is ``value``), so this module has no simpy.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

from fedsim.engine.events import EventLog
from fedsim.engine.feasibility import why_unrunnable
from fedsim.engine.ledger import Ledger
from fedsim.engine.world import World

QUEUED, RUNNING, FINISHED, REJECTED = 1, 2, 3, 4
Schedule = Callable[[float, Callable[[Any], None], int], None]


class DnnCluster:
    """The GPU side of every provider in one run."""

    def __init__(self, world: World, ledger: Ledger, log: EventLog, schedule: Schedule) -> None:
        self.world = world
        self.ledger = ledger
        self.log = log
        self.schedule = schedule
        self._log = log.append  # hot path: one tuple per event
        # hot path: the ledger columns booked once or twice per job, as flat lists
        self._n_providers = world.n_providers
        self._revenue = ledger.column("revenue_dnn_usd")
        self._finished = ledger.column("jobs_finished")
        self._paid = ledger.column("paid_usd")
        self._received = ledger.column("received_usd")
        self._price_usd_per_gpu_h = world.dnn_price_usd_per_gpu_h.tolist()
        self._wait_penalty_usd_per_gpu_h = world.dnn_wait_penalty_usd_per_gpu_h.tolist()
        self.epoch_s = world.scenario.federation.epoch_s
        self.n_epochs = ledger.n_epochs
        n_i, n_g = world.n_providers, len(world.gpu_types)
        self.capacity = [[int(world.capacity_units[i, g]) for g in range(n_g)] for i in range(n_i)]
        self.free = [row[:] for row in self.capacity]
        self.busy = [[0] * n_g for _ in range(n_i)]
        self._busy_since_s = [[0.0] * n_g for _ in range(n_i)]
        self.busy_unit_s = [[0.0] * n_g for _ in range(n_i)]  # since the last epoch flush
        self.queues: list[deque[int]] = [deque() for _ in range(n_i)]
        jobs = world.jobs
        n_j = len(jobs)
        self.owner = jobs.owner.tolist()
        self.n_gpus = jobs.n_gpus.tolist()
        self.job_type = jobs.job_type.tolist()
        self.ref_duration_s = jobs.ref_duration_s.tolist()
        self.arrival_s = jobs.arrival_s.tolist()
        self.status = [0] * n_j
        self.host = [-1] * n_j
        self.gpu = [-1] * n_j
        self.start_s = [math.nan] * n_j
        self.run_from_s = [math.nan] * n_j  # after the remote data transfer
        self.finish_s = [math.nan] * n_j
        self.price = [0.0] * n_j
        self.slow: list[tuple[float, ...]] = [()] * n_j  # per job, set on arrival
        self.fits_home = [False] * n_j
        self._slowdown: dict[tuple[int, int], tuple[float, ...]] = {}
        self._fits: dict[tuple[int, int], tuple[int, ...]] = {}
        self._reasons: dict[tuple[int, int, int], str] = {}
        member = set(world.members)
        self.is_member = [i in member for i in range(n_i)]
        self.violations: list[str] = []

    # --- affinity lookups (cached per run) -------------------------------------------

    def slowdown(self, job_type: int, n_gpus: int) -> tuple[float, ...]:
        """Run time on each GPU type relative to the reference type (inf: cannot run)."""
        key = (job_type, n_gpus)
        cached = self._slowdown.get(key)
        if cached is None:
            w = self.world
            name = w.affinity.job_types[job_type]
            ref = w.affinity.steps_per_s(name, w.reference_gpu, n_gpus)
            speeds = [w.affinity.steps_per_s(name, g, n_gpus) for g in w.gpu_types]
            cached = tuple(ref / s if s > 0 and ref > 0 else math.inf for s in speeds)
            self._slowdown[key] = cached
        return cached

    def fits(self, job_type: int, n_gpus: int) -> tuple[int, ...]:
        """Per provider: 1 if some GPU pool there can ever hold this gang, else 0."""
        key = (job_type, n_gpus)
        cached = self._fits.get(key)
        if cached is None:
            slow = self.slowdown(job_type, n_gpus)
            cached = tuple(
                int(any(c >= n_gpus and s < math.inf for c, s in zip(cap, slow, strict=True)))
                for cap in self.capacity
            )
            self._fits[key] = cached
        return cached

    def _reject_reason(self, key: tuple[int, int], owner: int) -> str:
        reason = self._reasons.get((*key, owner))
        if reason is None:
            reason = why_unrunnable(self.world, key[0], key[1], owner) or "cannot run"
            self._reasons[(*key, owner)] = reason
        return reason

    # --- GPU occupancy -----------------------------------------------------------------

    def _occupy(self, i: int, g: int, delta: int, t_s: float) -> None:
        self.busy_unit_s[i][g] += self.busy[i][g] * (t_s - self._busy_since_s[i][g])
        self._busy_since_s[i][g] = t_s
        self.busy[i][g] += delta
        self.free[i][g] -= delta
        if self.free[i][g] < 0 or self.free[i][g] > self.capacity[i][g]:
            self.violations.append(f"t={t_s}: pool {self.world.resources[g]} at provider {i}")

    def flush_busy(self, t_s: float) -> list[list[float]]:
        """GPU busy unit-seconds since the last flush, per provider and GPU type."""
        for i, row in enumerate(self.busy):
            for g in range(len(row)):
                self._occupy(i, g, 0, t_s)
        out = self.busy_unit_s
        self.busy_unit_s = [[0.0] * len(r) for r in out]
        return out

    def _epoch(self, t_s: float) -> int:
        e = int(t_s // self.epoch_s)
        return e if e < self.n_epochs else self.n_epochs - 1

    # --- job life cycle ----------------------------------------------------------------

    def arrive(self, j: int, t_s: float) -> None:
        o, n = self.owner[j], self.n_gpus[j]
        key = (self.job_type[j], n)
        fits = self.fits(*key)
        reachable = fits[o] or (self.is_member[o] and any(fits[k] for k in self.world.members))
        self._log((t_s, "arrive", j, o, -1, -1, n))
        if not reachable:
            self.status[j] = REJECTED
            self.log.add(t_s, "reject", j, o, -1, -1, n, detail=self._reject_reason(key, o))
            return
        self.status[j] = QUEUED
        self.slow[j] = self.slowdown(*key)
        self.fits_home[j] = bool(fits[o])
        self.queues[o].append(j)
        self.dispatch_local(o, t_s)

    def dispatch_local(self, i: int, t_s: float) -> None:
        """Strict FIFO on the provider's own GPUs (the fastest free type first); jobs that
        can never fit locally (they wait for the market) do not block the queue."""
        q = self.queues[i]
        free = self.free[i]
        k = 0
        while k < len(q):
            j = q[k]
            if not self.fits_home[j]:
                k += 1
                continue
            n = self.n_gpus[j]
            best, best_slow = -1, math.inf
            for g, slow in enumerate(self.slow[j]):
                if slow < best_slow and free[g] >= n:
                    best, best_slow = g, slow
            if best < 0:
                return
            del q[k]
            self.start(j, i, best, t_s, 0.0)

    def start(self, j: int, host: int, g: int, t_s: float, price_usd_per_gpu_h: float) -> None:
        """Start job ``j`` on ``host``'s GPU type ``g``; a remote start first moves the data."""
        o, n = self.owner[j], self.n_gpus[j]
        delay_s = 0.0
        if host != o:
            w = self.world
            delay_s = w.dataset_gb * 8.0 / w.bandwidth_gbps[o, host] + w.rtt_s[o, host]
            self.ledger.add("wan_cost_usd", self._epoch(t_s), o, w.dataset_gb * w.egress_usd_per_gb)
        self._occupy(host, g, n, t_s)
        self._book_wait(j, t_s)
        self.status[j] = RUNNING
        self.host[j], self.gpu[j], self.price[j] = host, g, price_usd_per_gpu_h
        self.start_s[j] = t_s
        self.run_from_s[j] = t_s + delay_s
        service_s = self.ref_duration_s[j] * self.slow[j][g]
        self.finish_s[j] = t_s + delay_s + service_s
        self._log((t_s, "start", j, o, host, g, n))
        self.schedule(delay_s + service_s, self._on_finish, j)

    def _book_wait(self, j: int, t_s: float) -> None:
        """Refund the customer for the GPU-hours the job waited in queue."""
        o = self.owner[j]
        rate = self._wait_penalty_usd_per_gpu_h[o]
        if rate > 0.0:
            wait_gpu_h = self.n_gpus[j] * (t_s - self.arrival_s[j]) / 3600.0
            self.ledger.add("sla_penalty_usd", self._epoch(t_s), o, rate * wait_gpu_h)

    def _settle(self, j: int, t_s: float, done_frac: float, finished: bool = False) -> None:
        """Book the job's revenue, its hosting payment and (when ``finished``) its count."""
        o, host, n = self.owner[j], self.host[j], self.n_gpus[j]
        row = self._epoch(t_s) * self._n_providers
        ref_gpu_h = n * self.ref_duration_s[j] / 3600.0
        self._revenue[row + o] += done_frac * ref_gpu_h * self._price_usd_per_gpu_h[o]
        if finished:
            self._finished[row + o] += 1.0
        payment = self.price[j] * n * (t_s - self.start_s[j]) / 3600.0
        if host != o and payment != 0.0:
            self._paid[row + o] += payment
            self._received[row + host] += payment

    def _on_finish(self, event: Any) -> None:
        self.finish(event.value)

    def finish(self, j: int) -> None:
        t_s = self.finish_s[j]
        host = self.host[j]
        self._occupy(host, self.gpu[j], -self.n_gpus[j], t_s)
        self.status[j] = FINISHED
        self._settle(j, t_s, 1.0, finished=True)
        self._log((t_s, "finish", j, self.owner[j], host, self.gpu[j], self.n_gpus[j]))
        self.dispatch_local(host, t_s)

    def settle_running(self, t_s: float) -> None:
        """At the horizon: book the work done so far by jobs still running, and the
        waiting of jobs still queued."""
        for j, st in enumerate(self.status):
            if st == QUEUED:
                self._book_wait(j, t_s)
            elif st == RUNNING:
                service_s = self.finish_s[j] - self.run_from_s[j]
                done = (
                    min(max((t_s - self.run_from_s[j]) / service_s, 0.0), 1.0)
                    if service_s > 0
                    else 1.0
                )
                self._settle(j, t_s, done)

    def counts(self) -> dict[str, int]:
        out = {"arrived": 0, "queued": 0, "running": 0, "finished": 0, "rejected": 0}
        names = {QUEUED: "queued", RUNNING: "running", FINISHED: "finished", REJECTED: "rejected"}
        for st in self.status:
            if st:
                out["arrived"] += 1
                out[names[st]] += 1
        return out
