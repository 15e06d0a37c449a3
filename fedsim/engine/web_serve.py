"""Serving an epoch's web load as it was planned, and booking it.

A provider's requests are routed by the shares its plan fixed (Poisson splitting: each
request independently): ``home_share`` to its own cores, the bought bundle's share to
the bundle's host, and the rest is shed (every shed request violates) or served by the
service's serverless functions when they are cheaper (:mod:`fedsim.serverless.web`). The load that
arrives is the true one, whatever the provider expected. Each site is judged against
the SLA latency minus its round trip, and keeps its queue from one epoch to the next.
Two models of a site, one interface:

- ``fluid``: the expected queue-length distribution in time
  (:class:`fedsim.queueing.transient.FluidSite`), slice by slice;
- ``requests``: every request simulated (:mod:`fedsim.engine.web_requests`); its
  results are booked when its epoch's sites finish, possibly after the engine has moved
  on (nothing else in a run depends on them).

A site's busy cores are booked with their busy cost here (the engine books CPU idle
cost for the whole pool).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fedsim.engine.ledger import Ledger
from fedsim.engine.streams import stream
from fedsim.engine.web_memos import WebMemos
from fedsim.engine.web_plan import Bundle, ServicePlan, WebPlan
from fedsim.engine.world import WebSpec, World
from fedsim.queueing.transient import FluidSite

if TYPE_CHECKING:  # numba comes with these: only the request-level model imports them
    from fedsim.engine.web_requests import RequestLevel, SiteEpoch
    from fedsim.queueing.site import Served


@dataclass(frozen=True)
class Route:
    """One site of a provider for one epoch."""

    host: int
    cores: int
    share: float
    service_s: float
    threshold_s: float
    price_usd_per_core_h: float = 0.0
    max_wait_s: float = math.inf


def routes(o: int, service: ServicePlan, bought: tuple[Bundle, float] | None,
           max_wait_s: float = math.inf) -> list[Route]:
    """Where owner ``o``'s load goes this epoch: home first, then the bundle if any."""
    out = [Route(o, service.home_cores, service.home_share, service.service_s,
                 service.latency_s, 0.0, max_wait_s)]
    if bought is not None:
        b, price = bought
        out.append(Route(b.host, b.cores, b.share, b.service_s, b.threshold_s, price,
                         max_wait_s))
    return out


class WebServer:
    """Serves every provider's web load each epoch and books it."""

    def __init__(self, world: World, ledger: Ledger, threads: int | None = None,
                 memos: WebMemos | None = None) -> None:
        self.world = world
        self.ledger = ledger
        self.memos = memos or WebMemos()  # fluid sites' answers, shared by parameters
        self.fluid: dict[tuple[int, int], FluidSite] = {}  # (owner, host)
        self.requests: RequestLevel | None = None
        self.warm_functions: dict[int, int] = {}  # owner: serverless instances last epoch
        if world.web_model == "requests" and any(w is not None for w in world.web):
            from fedsim.engine.web_requests import RequestLevel  # numba: only this mode

            self.requests = RequestLevel(world.seed, self._book_site, threads)

    def serve(self, plan: WebPlan, bought: dict[int, tuple[Bundle, float]], epoch: int,
              t0_s: float, t1_s: float) -> None:
        """Serve ``[t0_s, t1_s)``: payments and shed requests now, the rest when served."""
        w, led = self.world, self.ledger
        hours = (t1_s - t0_s) / 3600.0
        jobs = []
        used: set[tuple[int, int]] = set()
        for o, service in enumerate(plan.services):
            web = w.web[o]
            if service is None or web is None:
                continue
            rs = routes(o, service, bought.get(o), web.max_wait_s)
            for r in rs[1:]:
                led.pay(epoch, o, r.host, r.price_usd_per_core_h * r.cores * hours)
            # a replayed trace's requests of the epoch, shared by the shed and every site
            times = (web.load.arrivals(None, t0_s, t1_s)
                     if self.requests is not None and web.load.is_trace else None)
            shed = self._shed(o, service, rs, epoch, times)
            self._overflow(o, web, epoch, shed, t1_s - t0_s)
            lo = 0.0  # the routing uniforms of a replayed trace: [lo, lo + share) per site
            for r in rs:
                if r.share > 0.0 or r.cores > 0:
                    used.add((o, r.host))
                    if self.requests is not None:
                        jobs.append(self._site_epoch(o, web, r, lo, epoch, t0_s, t1_s,
                                                     times))
                    else:
                        self._serve_fluid(o, r, service, epoch)
                lo += r.share
        if self.requests is not None:
            self.requests.submit(epoch, jobs, t0_s)
        else:
            for key in set(self.fluid) - used:  # a bundle that ended: its queue drains there
                del self.fluid[key]

    def close(self, t_end_s: float, last_epoch: int) -> None:
        """Finish the request-level epochs and resolve every request still queued."""
        if self.requests is not None:
            self.requests.drain_all(last_epoch, t_end_s)
            self.requests.close()

    # --- the two models --------------------------------------------------------------

    def _serve_fluid(self, o: int, r: Route, service: ServicePlan, epoch: int) -> None:
        site = self.fluid.get((o, r.host))
        if site is None:
            site = self.fluid[(o, r.host)] = FluidSite(
                r.service_s, r.threshold_s, r.max_wait_s,
                self.memos.site(r.service_s, r.threshold_s, r.max_wait_s))
        actual = service.actual
        late, busy_s = site.serve_load(r.cores, actual, r.share, self.world.web_slice_s)
        self._book(o, epoch, actual.requests * r.share, late, 0.0)
        self._book_busy(r.host, epoch, busy_s)

    def _site_epoch(self, o: int, web: WebSpec, r: Route, lo: float, epoch: int,
                    t0_s: float, t1_s: float, times: np.ndarray | None) -> SiteEpoch:
        from fedsim.engine.web_requests import SiteEpoch
        from fedsim.queueing.site import Arrivals

        names = self.world.providers
        if times is not None:
            arrivals = Arrivals(times_s=times, lo=lo, hi=lo + r.share)
            route = f"web-route/{names[o]}/{epoch}"
        else:
            mean, amp, omega, phase = web.load.poisson_args(r.share)
            arrivals = Arrivals(mean, amp, omega, phase)
            route = None
        return SiteEpoch(o, r.host, epoch, t0_s, t1_s, r.cores, r.service_s, r.threshold_s,
                         arrivals, f"web/{names[o]}@{names[r.host]}/{epoch}", route,
                         r.max_wait_s)

    def _shed(self, o: int, service: ServicePlan, rs: list[Route], epoch: int,
              times: np.ndarray | None) -> float:
        """Requests routed nowhere: expected (fluid), or drawn like the sites' (requests;
        ``times``: a replayed trace's requests of the epoch)."""
        routed = sum(r.share for r in rs)
        rest = max(0.0, 1.0 - routed)
        if self.requests is None:
            return service.actual.requests * rest
        if rest <= 0.0:
            return 0.0
        names = self.world.providers
        if times is not None:
            u = stream(self.world.seed, f"web-route/{names[o]}/{epoch}").random(len(times))
            return float((u >= routed).sum())
        return float(stream(self.world.seed, f"web-shed/{names[o]}/{epoch}").poisson(
            service.actual.requests * rest))

    def _overflow(self, o: int, web: WebSpec, epoch: int, shed: float, epoch_s: float) -> None:
        """Shed requests, or the share of them the service's serverless functions serve
        when that is cheaper (:mod:`fedsim.serverless.web`)."""
        fn = web.serverless
        served = late = 0.0
        if fn is not None and fn.worth_it(web.revenue_usd_per_request
                                          + web.penalty_usd_per_violation):  # fmt: skip
            warm = self.warm_functions.get(o, 0) if fn.pool.keep_warm_s > 0 else 0
            served, late, self.warm_functions[o] = fn.serve(shed, epoch_s, warm)
            if served:
                self.ledger.add("serverless_usd", epoch, o, served * fn.usd_per_request)
                self.ledger.add("web_serverless", epoch, o, served)
        self._book(o, epoch, shed, shed - served + late, shed - served)

    # --- booking ---------------------------------------------------------------------

    def _book(self, o: int, epoch: int, requests: float, violations: float,
              shed: float) -> None:
        web = self.world.web[o]
        assert web is not None
        led = self.ledger
        led.add("revenue_web_usd", epoch, o, (requests - violations) * web.revenue_usd_per_request)
        led.add("sla_penalty_usd", epoch, o, violations * web.penalty_usd_per_violation)
        led.add("web_requests", epoch, o, requests)
        led.add("web_violations", epoch, o, violations)
        if shed:
            led.add("web_shed", epoch, o, shed)

    def _book_busy(self, host: int, epoch: int, busy_core_s: float) -> None:
        w = self.world
        busy_h = busy_core_s / 3600.0
        cpu = w.cpu_index
        extra = w.busy_cost_usd_per_unit_h[host, cpu] - w.idle_cost_usd_per_unit_h[host, cpu]
        self.ledger.add("cpu_busy_h", epoch, host, busy_h)
        self.ledger.add("operating_cost_usd", epoch, host, float(extra) * busy_h)

    def _book_site(self, job: SiteEpoch, served: Served) -> None:
        """A request-level site's epoch (what it found late of earlier arrivals belongs
        to the epoch before; a drain's all belongs to its ``epoch``)."""
        drain = job.t1_s <= job.t0_s
        if served.requests or served.late:
            self._book(job.owner, job.epoch, served.requests, served.late, 0.0)
        if served.late_earlier:
            e = job.epoch if drain else max(job.epoch - 1, 0)
            self._book(job.owner, e, 0.0, served.late_earlier, 0.0)
        self._book_busy(job.host, max(job.epoch, 0), served.busy_core_s)
