"""Sizing web services for an epoch, and what the market may sell them.

Each provider sizes its service for the epoch's load as it *expects* it: the true
load (``sizing: oracle``) or a forecast from past epochs only (``last_epoch``,
``ewma``). The expected load is a rate profile over slices of the epoch
(:mod:`fedsim.queueing.profile`), and one queueing model does everything below:

- *home*: the fewest own cores meeting the SLA. If its own cores cannot, it keeps
  them all and routes to them the largest share of its load they serve within the
  SLA; the rest is overflow, shed (every shed request violates) unless bought;
- *bundles*: for every member ``h`` within reach (RTT below the SLA latency), the
  fewest of ``h``'s cores that serve the overflow within the SLA at ``h``'s CPU speed
  with the RTT deducted from the latency (or, if ``h`` has fewer free cores, all of
  them, serving the largest share they can). A bundle is worth the requests it moves
  from shed to within the SLA, ``(revenue + penalty)·(served − late)``. It is sized to
  be stable for its share, so a bundle below the stability bound is never offered.

The market sees each bundle as an indivisible block of cores at one host, and a
provider's bundles as one demand group (it buys one at most): see
:mod:`fedsim.engine.market_builder`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from fedsim.engine.web_forecast import Forecast
from fedsim.engine.web_memos import WebMemos
from fedsim.engine.world import WebSpec, World
from fedsim.errors import ScenarioError
from fedsim.queueing import profile as q
from fedsim.queueing.memo import BoundedMemo
from fedsim.queueing.profile import LoadProfile

MAX_WEB_CORES = 500_000  # half of the sizing search bound: room for the SLA margin
MAX_CACHE = 200_000  # memoised queueing answers per run (diurnal loads repeat daily)


def check_web(world: World) -> None:
    """Reject SLAs that no number of cores can meet (service time alone breaks them),
    and loads beyond what fedsim sizes (:data:`MAX_WEB_CORES` busy cores at the peak)."""
    for k, web in enumerate(world.web):
        if web is None:
            continue
        service_s = web.service_ms / 1000.0 / world.cpu_speed[k]
        tail = math.exp(-web.latency_s / service_s)
        if tail > 1.0 - web.percentile:
            raise ScenarioError(
                f"providers[{k}].web.sla: p{web.percentile * 100:g} <= "
                f"{web.latency_s * 1000:g} ms is unattainable with service_ms="
                f"{web.service_ms:g} (even infinite cores violate {tail:.1%} of requests); "
                "raise latency_ms or lower the percentile"
            )
        peak_rps = web.load.peak_per_s(world.web_slice_s)
        if peak_rps * service_s >= MAX_WEB_CORES:
            source = "trace" if web.load.is_trace else "mean_rps"
            raise ScenarioError(
                f"providers[{k}].web.{source}: a peak of {peak_rps:.4g} requests/s of "
                f"{web.service_ms:g} ms keeps {peak_rps * service_s:.3g} cores busy; fedsim "
                f"sizes services of up to {MAX_WEB_CORES:,} cores"
            )


@dataclass(frozen=True)
class Bundle:
    """Cores at ``host`` serving ``share`` of ``owner``'s load for one epoch."""

    owner: int
    host: int
    cores: int
    share: float
    service_s: float  # at the host's CPU speed
    threshold_s: float  # SLA latency minus the round trip
    value_usd: float  # over the epoch, expected


@dataclass(frozen=True)
class ServicePlan:
    """One provider's web service for one epoch."""

    actual: LoadProfile  # the load that will arrive (what settles the epoch)
    planned: LoadProfile  # the load the provider sized for
    home_cores: int
    home_share: float  # of the load routed to its own cores; the rest is overflow
    service_s: float
    latency_s: float
    bundles: tuple[Bundle, ...]  # what it would buy, one at most


@dataclass(frozen=True)
class WebPlan:
    services: tuple[ServicePlan | None, ...]  # [provider]
    free_cores: tuple[int, ...]  # [provider] cores not used by its own service


class QueueingMemo:
    """The queueing answers of one run, memoised (a diurnal day repeats)."""

    def __init__(self) -> None:
        self._memo = BoundedMemo[float | int | None](MAX_CACHE)
        # the last sizing answer of each service at each site: the next epoch's search
        # starts there (the answer is the same, found in fewer probes)
        self._last_cores: dict[tuple[int, int], int] = {}

    def cores(self, load: LoadProfile, service_s: float, threshold_s: float,
              percentile: float, slot: tuple[int, int]) -> int | None:
        """The fewest cores for ``load``; ``slot`` is (owner, site): whose service is
        sized where (its last answer is where the search starts)."""
        cores = self._memo.get(("c", load, service_s, threshold_s, percentile),
                               lambda: q.cores_for_sla(load, service_s, threshold_s, percentile,
                                                       hint=self._last_cores.get(slot)))
        if cores is not None:
            self._last_cores[slot] = cores  # type: ignore[assignment]
        return cores  # type: ignore[return-value]

    def share(self, c: int, load: LoadProfile, service_s: float, threshold_s: float,
              percentile: float) -> float:
        return self._memo.get(("s", c, load, service_s, threshold_s, percentile),  # type: ignore
                              lambda: q.max_share(c, load, service_s, threshold_s, percentile))

    def late(self, c: int, load: LoadProfile, service_s: float, threshold_s: float) -> float:
        return self._memo.get(("v", c, load, service_s, threshold_s),  # type: ignore
                              lambda: q.violations(c, load, service_s, threshold_s))


class WebPlanner:
    """Sizes every provider's service each epoch; owns the run's forecasts and memo.
    ``memos``: epoch plans shared with other runs of this process (see ``web_memos``)."""

    def __init__(self, world: World, memos: WebMemos | None = None) -> None:
        self.world = world
        self.memo = QueueingMemo()
        self.forecasts = [Forecast(1.0 if w is not None and w.sizing == "last_epoch"
                                   else (w.ewma_alpha if w is not None else 1.0))
                          for w in world.web]
        # epoch plans by every provider's loads, shared with the process's other runs
        self._plans = (memos or WebMemos()).plans(world)
        # recent load windows per provider: a forecast observes the epoch before's
        self._recent = [deque[tuple[float, float, LoadProfile]](maxlen=3) for _ in world.web]

    def _profile(self, i: int, web: WebSpec, t0_s: float, t1_s: float) -> LoadProfile:
        hit = next((p for a, b, p in self._recent[i] if a == t0_s and b == t1_s), None)
        if hit is None:
            hit = web.load.profile(q.slices(t0_s, t1_s, self.world.web_slice_s))
            self._recent[i].append((t0_s, t1_s, hit))
        return hit

    def _planned(self, i: int, web: WebSpec, actual: LoadProfile, t0_s: float,
                 t1_s: float) -> LoadProfile:
        expected = self._expected(i, web, actual, t0_s)
        return expected.scaled(1.0 + web.headroom) if web.headroom else expected

    def _expected(self, i: int, web: WebSpec, actual: LoadProfile, t0_s: float
                  ) -> LoadProfile:
        if web.sizing == "oracle":
            return actual
        fc = self.forecasts[i]
        epoch_s = self.world.epoch_s
        if fc.rates is None:  # the service ran before the simulation: its last epoch
            fc.observe(self._profile(i, web, t0_s - epoch_s, t0_s))
        else:
            fc.observe(self._profile(i, web, max(t0_s - epoch_s, 0.0), t0_s))
        return fc.expect(actual.duration_s)

    def plan(self, t0_s: float, t1_s: float) -> WebPlan:
        """Size every service for ``[t0_s, t1_s)``; call once per epoch, in order."""
        w = self.world
        # what each provider will get and expects (forecasts move every epoch, in order);
        # the rest is a function of these alone, so a load that repeats (a diurnal day, a
        # looped trace) repeats its whole plan
        loads = tuple(None if web is None else self._loads(i, web, t0_s, t1_s)
                      for i, web in enumerate(w.web))
        self._last = self._plans.get(loads, lambda: self._size(loads))
        return self._last

    def _loads(self, i: int, web: WebSpec, t0_s: float, t1_s: float
               ) -> tuple[LoadProfile, LoadProfile]:
        actual = self._profile(i, web, t0_s, t1_s)
        return actual, self._planned(i, web, actual, t0_s, t1_s)

    def _size(self, loads: tuple[tuple[LoadProfile, LoadProfile] | None, ...]) -> WebPlan:
        """The plan for these (actual, planned) loads: home cores first, then bundles."""
        w = self.world
        cpu = w.cpu_index
        capacity = [int(w.capacity_units[i, cpu]) for i in range(w.n_providers)]
        homes: list[tuple[LoadProfile, LoadProfile, int, float, float] | None] = []
        free = list(capacity)
        for i, (web, load) in enumerate(zip(w.web, loads, strict=True)):
            if web is None or load is None:
                homes.append(None)
                continue
            actual, planned = load
            service_s = web.service_ms / 1000.0 / w.cpu_speed[i]
            need = self.memo.cores(planned, service_s, web.latency_s, web.percentile, (i, i))
            if need is not None and need <= capacity[i]:
                home, share = need, 1.0
            else:
                home = capacity[i]
                share = self.memo.share(home, planned, service_s, web.latency_s, web.percentile)
            free[i] = capacity[i] - home
            homes.append((actual, planned, home, share, service_s))
        services: list[ServicePlan | None] = []
        for o, web in enumerate(w.web):
            h = homes[o]
            if web is None or h is None:
                services.append(None)
                continue
            actual, planned, home, share, service_s = h
            bundles = self._bundles(o, web, planned, share, free) if share < 1.0 else ()
            services.append(ServicePlan(actual, planned, home, share, service_s, web.latency_s,
                                        bundles))
        return WebPlan(tuple(services), tuple(free))

    def resize(self, bundle: Bundle, cores: int, price_usd_per_core_h: float
               ) -> Bundle | None:
        """``bundle`` on fewer cores (what a clearing gave): the largest share of the
        owner's overflow they serve within the SLA, valued the same way; None when they
        serve none of it or are worth less than they cost at the price. For the plan of
        the last :meth:`plan`."""
        service = self._last.services[bundle.owner]
        web = self.world.web[bundle.owner]
        assert service is not None and web is not None
        overflow = service.planned.scaled(1.0 - service.home_share)
        share = (1.0 - service.home_share) * self.memo.share(
            cores, overflow, bundle.service_s, bundle.threshold_s, web.percentile)
        share = min(share, bundle.share)
        if share <= 0.0:
            return None
        routed = service.planned.scaled(share)
        late = self.memo.late(cores, routed, bundle.service_s, bundle.threshold_s)
        value = _capped_value(web, routed, late)
        hours = sum(service.planned.duration_s) / 3600.0
        if value < price_usd_per_core_h * cores * hours:
            return None
        return Bundle(bundle.owner, bundle.host, cores, share, bundle.service_s,
                      bundle.threshold_s, value)

    def _bundles(self, o: int, web: WebSpec, planned: LoadProfile, home_share: float,
                 free: list[int]) -> tuple[Bundle, ...]:
        w = self.world
        if o not in w.members:
            return ()
        overflow = planned.scaled(1.0 - home_share)
        out = []
        for h in w.members:
            threshold_s = web.latency_s - float(w.rtt_s[o, h])
            if h == o or threshold_s <= 0.0 or free[h] <= 0:
                continue
            service_s = web.service_ms / 1000.0 / w.cpu_speed[h]
            cores = self.memo.cores(overflow, service_s, threshold_s, web.percentile, (o, h))
            if cores is None:
                continue  # the round trip leaves too little time at any number of cores
            share = 1.0 - home_share
            if cores > free[h]:  # all it has, serving the largest share it can
                cores = free[h]
                share *= self.memo.share(cores, overflow, service_s, threshold_s,
                                         web.percentile)
            if cores <= 0 or share <= 0.0:
                continue
            routed = planned.scaled(share)
            late = self.memo.late(cores, routed, service_s, threshold_s)
            value = _capped_value(web, routed, late)
            if value > 0.0:
                out.append(Bundle(o, h, int(cores), share, service_s, threshold_s, value))
        return tuple(out)


def _capped_value(web: WebSpec, routed: LoadProfile, late: float) -> float:
    """What serving ``routed`` (``late`` of it over the SLA) on bought cores is worth:
    the requests it saves from being shed, but no more than the service's serverless
    functions would charge for those it can take (its outside option)."""
    worth = web.revenue_usd_per_request + web.penalty_usd_per_violation
    value = worth * (routed.requests - late)
    fn = web.serverless
    if fn is None or not fn.worth_it(worth):
        return value
    epoch_s = sum(routed.duration_s)
    takes = min(routed.requests, fn.pool.concurrency * epoch_s / fn.service_s)
    return min(value, fn.usd_per_request * takes + worth * (routed.requests - takes))
