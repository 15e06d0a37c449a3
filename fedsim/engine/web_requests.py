"""The request-level web model inside a run: every request of every epoch, in parallel.

A site's queue carries over from one epoch to the next, which would make its epochs a
chain. But each epoch's random draws belong to the epoch (streams named by site and
epoch) and do not depend on the queue's state, so (see :mod:`fedsim.queueing.mmc_kernel`):

1. every (site, epoch) is simulated at once, in a thread pool, from an *empty* queue;
2. then, epoch by epoch in order, the queue the site really inherited is run on the same
   draws alongside a second empty one, a short step at a time, until the two hold the
   same requests (about a second of simulated time for a busy many-core site); from
   there the empty-start run is exact, so the epoch's counts are its counts plus the
   difference up to that point. If they have not met after ``PAIR_LIMIT_S``, the
   inherited queue is simulated to the end of the epoch.

The results are identical whatever the number of threads, and memory is bounded: at most
``4 × threads`` epochs are in flight.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from fedsim.engine.streams import stream
from fedsim.queueing.site import Arrivals, Draws, Served, Site

PAIR_STEP_S = 0.25  # simulated time between checks whether two copies have met
PAIR_LIMIT_S = 30.0  # give up pairing after this long (an overloaded, diverging queue)


@dataclass(frozen=True)
class SiteEpoch:
    """What one site serves in one epoch."""

    owner: int
    host: int
    epoch: int
    t0_s: float
    t1_s: float
    cores: int
    service_s: float
    threshold_s: float
    arrivals: Arrivals
    rng_name: str  # the epoch's streams for this site start with this
    route_name: str | None  # the owner's routing stream (replayed traces)
    max_wait_s: float = math.inf  # admission control (the owner's)

    def draws(self, seed: int) -> Draws:
        return Draws(stream(seed, self.rng_name + "/arrivals"),
                     stream(seed, self.rng_name + "/departures"),
                     stream(seed, self.route_name) if self.route_name is not None else None)


Book = Callable[[SiteEpoch, Served], None]  # books one site's epoch in the ledger


def _speculate(job: SiteEpoch, seed: int) -> tuple[Served, Site]:
    site = Site(job.service_s, job.threshold_s, job.cores, job.max_wait_s)
    return site.serve(job.draws(seed), job.t0_s, job.t1_s, job.arrivals), site


def _add(a: Served, b: Served, minus: Served) -> Served:
    return Served(a.requests + b.requests - minus.requests, a.late + b.late - minus.late,
                  a.late_earlier + b.late_earlier - minus.late_earlier,
                  a.busy_core_s + b.busy_core_s - minus.busy_core_s)


def default_threads() -> int:
    """``FEDSIM_WEB_THREADS`` if set (sweep workers set 1: they already fill the cores),
    else the cores this process may use. The results never depend on it."""
    env = os.environ.get("FEDSIM_WEB_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


class RequestLevel:
    """The run's request-level sites, and the epochs still being simulated."""

    def __init__(self, seed: int, book: Book, threads: int | None = None) -> None:
        self.seed = seed
        self.book = book
        if threads is None:
            threads = default_threads()
        self.threads = max(1, threads)
        self.sites: dict[tuple[int, int], Site] = {}
        self.pending: deque[tuple[int, list[tuple[SiteEpoch, Future | None]]]] = deque()
        self._pool: ThreadPoolExecutor | None = None
        self.met_s: list[float] = []  # how long each inherited queue took to meet (stats)
        self._known: set[tuple[int, int]] = set()

    def submit(self, epoch: int, jobs: list[SiteEpoch], t0_s: float) -> None:
        """Start an epoch's sites; sites of earlier epochs that are not in it drain."""
        used = {(j.owner, j.host) for j in jobs}
        entries: list[tuple[SiteEpoch, Future | None]] = []
        for job in jobs:
            if self.threads > 1:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="fedsim-web")
                entries.append((job, self._pool.submit(_speculate, job, self.seed)))
            else:  # the same algorithm, in this thread: results do not depend on threads
                entries.append((job, None))
        self.pending.append((epoch, entries))
        self._pending_drains(epoch, used, t0_s)
        self._settle(block=False)
        while len(self.pending) > 4 * self.threads:
            self._settle(block=True, one=True)

    def _pending_drains(self, epoch: int, used: set[tuple[int, int]], t0_s: float) -> None:
        """Sites used last epoch and not in this one drain (in order with the rest); what
        they find late belongs to the epoch before (a drain's ``epoch``)."""
        drains = [SiteEpoch(o, h, epoch - 1, t0_s, t0_s, 0, 1.0, 0.0, Arrivals(),
                            f"web-drain/{o}@{h}/{epoch}", None)
                  for (o, h) in sorted(self._known - used)]
        self._known = used
        self.pending[-1][1].extend((d, None) for d in drains)

    def close(self) -> None:
        """Finish every epoch; drain every queue (all requests resolved)."""
        self._settle(block=True)
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def drain_all(self, epoch: int, t_s: float) -> None:
        """At the horizon: every queue drains, what it finds late belongs to ``epoch``."""
        self._settle(block=True)
        for (o, h), site in sorted(self.sites.items()):
            job = SiteEpoch(o, h, epoch, t_s, t_s, site.cores, site.service_s,
                            site.threshold_s, Arrivals(), f"web-drain/{o}@{h}/end", None)
            self.book(job, site.drain(job.draws(self.seed), t_s))
        self.sites.clear()

    def _settle(self, block: bool, one: bool = False) -> None:
        while self.pending:
            _epoch, entries = self.pending[0]
            if not block and not all(f is None or f.done() for _, f in entries):
                return
            for job, fut in entries:
                self._fix(job, fut)
            self.pending.popleft()
            if one:
                return

    def _fix(self, job: SiteEpoch, fut: Future | None) -> None:
        key = (job.owner, job.host)
        site = self.sites.get(key)
        if job.t1_s <= job.t0_s:  # a drain: the site is not used this epoch
            if site is not None and site.in_system:
                self.book(job, site.drain(job.draws(self.seed), job.t0_s))
            return
        if site is None:
            site = self.sites[key] = Site(job.service_s, job.threshold_s, 0, job.max_wait_s)
        site.set_cores(job.cores)
        spec, spec_site = fut.result() if fut is not None else _speculate(job, self.seed)
        if site.in_system == 0:  # it inherited nothing: the empty start is the truth
            site.take(spec_site)
            self.book(job, spec)
            return
        mine, theirs, met_s = _pair(site, job, self.seed)
        if met_s is None:  # they never met: the inherited queue ran to the end
            self.book(job, mine)
            return
        self.met_s.append(met_s)
        site.take(spec_site)
        self.book(job, _add(spec, mine, theirs))


def _pair(site: Site, job: SiteEpoch, seed: int) -> tuple[Served, Served, float | None]:
    """Run ``site`` (the inherited queue) and an empty copy on the same draws, a step at
    a time, until they meet: (what each served until then, how long it took); or run
    ``site`` to the end of the epoch if they do not meet soon (None)."""
    shadow = Site(job.service_s, job.threshold_s, job.cores, job.max_wait_s)
    mine_draws, their_draws = job.draws(seed), job.draws(seed)
    mine, theirs = Served(), Served()
    t = job.t0_s
    while t < job.t1_s:
        t_next = min(t + PAIR_STEP_S, job.t1_s)
        if t_next - job.t0_s > PAIR_LIMIT_S:
            rest = site.serve(mine_draws, t, job.t1_s, job.arrivals, job.t0_s)
            return _add(mine, rest, Served()), theirs, None
        mine = _add(mine, site.serve(mine_draws, t, t_next, job.arrivals, job.t0_s), Served())
        theirs = _add(theirs, shadow.serve(their_draws, t, t_next, job.arrivals, job.t0_s),
                      Served())
        t = t_next
        if site.same_queue(shadow):
            return mine, theirs, t - job.t0_s
    return mine, theirs, None
