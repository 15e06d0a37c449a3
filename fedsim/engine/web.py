"""Web services inside a run, one epoch at a time.

At the start of an epoch each provider sizes its service for the epoch's mean arrival
rate: the fewest cores meeting the SLA (Erlang-C). It serves what it can on its own
cores; the rest is *overflow* demand for the market, valued at the revenue per
core-hour. After the clearing, load is split across the sites holding cores in
proportion to their capacity (Poisson splitting keeps each site's stream Poisson),
and each site is an M/M/c queue: fluid (Erlang-C tails) or request-level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fedsim.config.schema import Scenario
from fedsim.engine.ledger import Ledger
from fedsim.engine.streams import stream
from fedsim.engine.world import World
from fedsim.errors import ScenarioError
from fedsim.queueing import DAY_S, DiurnalRate, p_response_exceeds, simulate_epoch_requests
from fedsim.queueing.erlang import cores_needed

MAX_WEB_CORES = 500_000  # half of cores_needed's search bound: room for the SLA margin


def check_web(scenario: Scenario) -> None:
    """Reject SLAs that no number of cores can meet (service time alone breaks them), and
    loads beyond what fedsim sizes (:data:`MAX_WEB_CORES` busy cores at the daily peak)."""
    for k, p in enumerate(scenario.providers):
        if p.web is None:
            continue
        service_s = p.web.service_ms / 1000.0 / p.cpu_speed
        tail = math.exp(-p.web.sla.latency_ms / 1000.0 / service_s)
        if tail > 1.0 - p.web.sla.percentile:
            raise ScenarioError(
                f"providers[{k}].web.sla: p{p.web.sla.percentile * 100:g} <= "
                f"{p.web.sla.latency_ms} ms is unattainable with service_ms={p.web.service_ms} "
                f"(even infinite cores violate {tail:.1%} of requests); raise latency_ms or "
                "lower the percentile"
            )
        peak_rps = DiurnalRate(p.web.mean_rps, p.web.peak_to_trough, p.web.phase_s).peak_per_s
        if peak_rps * service_s >= MAX_WEB_CORES:
            raise ScenarioError(
                f"providers[{k}].web.mean_rps: {p.web.mean_rps:g} requests/s of "
                f"{p.web.service_ms:g} ms keep {peak_rps * service_s:.3g} cores busy at the "
                f"daily peak; fedsim sizes services of up to {MAX_WEB_CORES:,} cores"
            )


@dataclass(frozen=True)
class WebPlan:
    """Per provider, for one epoch (lists indexed by world provider)."""

    lam_per_s: tuple[float, ...]
    service_s: tuple[float, ...]
    latency_s: tuple[float, ...]
    own_cores: tuple[int, ...]
    overflow_cores: tuple[int, ...]
    free_cores: tuple[int, ...]
    value_usd_per_core_h: tuple[float, ...]


def _rate(world: World, i: int) -> DiurnalRate | None:
    web = world.web[i]
    if web is None:
        return None
    return DiurnalRate(web.mean_rps, web.peak_to_trough, web.phase_s)


SizingCache = dict[tuple[int, float, float], tuple[float, int]]


def plan_web(world: World, t0_s: float, t1_s: float, cache: SizingCache | None = None) -> WebPlan:
    """Size every web service for the epoch ``[t0_s, t1_s)``.

    The diurnal rate repeats every day, so ``cache`` (owned by the run) memoises the
    epoch-mean rate and the cores needed per provider and time of day.
    """
    lam, svc, lat, own, over, free, value = [], [], [], [], [], [], []
    members = set(world.members)
    cpu = world.cpu_index
    for i, web in enumerate(world.web):
        capacity = int(world.capacity_units[i, cpu])
        rate = _rate(world, i)
        if rate is None or web is None:
            lam.append(0.0), svc.append(1.0), lat.append(1.0), own.append(0), over.append(0)
            free.append(capacity), value.append(0.0)
            continue
        service_s = web.service_ms / 1000.0 / world.cpu_speed[i]
        latency_s = web.latency_s
        key = (i, t0_s % DAY_S, t1_s - t0_s)
        hit = cache.get(key) if cache is not None else None
        if hit is None:
            lam_i = rate.mean_rate_per_s(t0_s, t1_s)
            hit = (lam_i, cores_needed(lam_i, service_s, latency_s, web.percentile))
            if cache is not None:
                cache[key] = hit
        lam_i, need = hit
        own_i = min(need, capacity)
        lam.append(lam_i), svc.append(service_s), lat.append(latency_s), own.append(own_i)
        over.append(need - own_i if i in members else 0)
        free.append(capacity - own_i)
        value.append(lam_i * 3600.0 * web.revenue_usd_per_request / need if need else 0.0)
    return WebPlan(*(tuple(x) for x in (lam, svc, lat, own, over, free, value)))


def settle_web(
    world: World,
    plan: WebPlan,
    remote_cores: dict[tuple[int, int], int],
    cpu_price_usd_per_core_h: dict[tuple[int, int], float],
    ledger: Ledger,
    epoch: int,
    t0_s: float,
    epoch_s: float,
    tail_cache: dict[tuple[int, float, float, float], float] | None = None,
) -> None:
    """Serve every provider's web load for the epoch and book it in the ledger.

    ``remote_cores[(owner, host)]`` are the cores the clearing gave ``owner`` at ``host``,
    paid at ``cpu_price_usd_per_core_h[(owner, host)]`` per core-hour. ``tail_cache``
    (owned by the run) memoises fluid response-time tails: rates repeat every day.
    """
    hours = epoch_s / 3600.0
    requests_mode = world.web_model == "requests"
    for o, web in enumerate(world.web):
        if web is None:
            continue
        sites = [(o, plan.own_cores[o], 0.0)]
        sites += [
            (h, c, world.rtt_s[o, h])
            for (oo, h), c in sorted(remote_cores.items())
            if oo == o and c > 0
        ]
        weights = np.array([c * world.cpu_speed[h] for h, c, _ in sites], dtype=float)
        total_w = weights.sum()
        requests = violations = 0.0
        for (host, cores, rtt_s), w in zip(sites, weights, strict=True):
            share = w / total_w if total_w > 0 else (1.0 if host == o else 0.0)
            lam = plan.lam_per_s[o] * share
            service_s = web.service_ms / 1000.0 / world.cpu_speed[host]
            threshold_s = plan.latency_s[o] - rtt_s
            if requests_mode:
                rate = _rate(world, o)
                assert rate is not None
                rng = stream(world.seed, f"web/{web.name}/{epoch}/{world.providers[host]}")
                out = (
                    simulate_epoch_requests(
                        rng,
                        DiurnalRate(rate.mean_per_s * share, rate.peak_to_trough, rate.phase_s),
                        t0_s,
                        epoch_s,
                        service_s,
                        threshold_s,  # a remote request's response also carries the RTT
                        int(cores),
                        0,
                        0.0,
                    )
                    if threshold_s > 0
                    else None
                )
                n = out.requests if out else lam * epoch_s
                v = out.violations if out else n
                # queues restart empty every epoch and drain past its end when overloaded;
                # the epoch's own cores cannot have been busy longer than the epoch
                busy_core_s = min(out.busy_core_s, cores * epoch_s) if out else 0.0
            else:
                n = lam * epoch_s
                if cores <= 0 or threshold_s <= 0:
                    v = n
                else:
                    key = (int(cores), lam, service_s, threshold_s)
                    tail = tail_cache.get(key) if tail_cache is not None else None
                    if tail is None:
                        tail = float(p_response_exceeds(int(cores), lam, service_s, threshold_s))
                        if tail_cache is not None:
                            tail_cache[key] = tail
                    v = n * tail
                busy_core_s = min(lam * service_s, cores) * epoch_s
            requests += n
            violations += v
            ledger.add("cpu_busy_h", epoch, host, busy_core_s / 3600.0)
            if host != o:
                price = cpu_price_usd_per_core_h.get((o, host), 0.0)
                ledger.pay(epoch, o, host, price * cores * hours)
        ledger.add(
            "revenue_web_usd", epoch, o, (requests - violations) * web.revenue_usd_per_request
        )
        ledger.add("sla_penalty_usd", epoch, o, violations * web.penalty_usd_per_violation)
        ledger.add("web_requests", epoch, o, requests)
        ledger.add("web_violations", epoch, o, violations)
