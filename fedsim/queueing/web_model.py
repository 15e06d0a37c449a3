"""Per-epoch outcome of a provider's web service: fluid (Erlang-C) and request-level.

Load is split across own and remote cores in proportion to their numbers: two
independent FCFS M/M/c queues. A remotely served request also sees the WAN round
trip, so its SLA threshold is ``sla_latency_s - rtt_s`` (all violate when rtt >= SLA).
Positive load on zero cores: every request violates. An unstable queue (λ >= cμ)
counts every request as a violation in the fluid model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from fedsim.queueing.diurnal import DiurnalRate, sample_arrivals_s
from fedsim.queueing.erlang import p_response_exceeds
from fedsim.queueing.fcfs import fcfs_response_s, fcfs_response_s_simpy


@dataclass(frozen=True)
class WebEpoch:
    """One epoch of one web service. Counts are expected values (fluid) or realised (requests)."""

    requests: float
    violations: float
    requests_remote: float = 0.0
    violations_remote: float = 0.0
    busy_core_s_own: float = 0.0
    busy_core_s_remote: float = 0.0

    @property
    def requests_own(self) -> float:
        return self.requests - self.requests_remote

    @property
    def violations_own(self) -> float:
        return self.violations - self.violations_remote

    @property
    def busy_core_s(self) -> float:
        return self.busy_core_s_own + self.busy_core_s_remote

    @property
    def violation_fraction(self) -> float:
        """violations / requests (0.0 with no requests)."""
        return self.violations / self.requests if self.requests > 0 else 0.0


def _check_common(
    service_s: float,
    epoch_s: float,
    sla_latency_s: float,
    cores_own: int,
    cores_remote: int,
    rtt_s: float,
) -> None:
    if not (math.isfinite(service_s) and service_s > 0.0):
        raise ValueError(f"service_s must be finite and > 0, got {service_s!r}")
    if not (math.isfinite(epoch_s) and epoch_s >= 0.0):
        raise ValueError(f"epoch_s must be finite and >= 0, got {epoch_s!r}")
    if not (math.isfinite(sla_latency_s) and sla_latency_s > 0.0):
        raise ValueError(f"sla_latency_s must be finite and > 0, got {sla_latency_s!r}")
    if not (math.isfinite(rtt_s) and rtt_s >= 0.0):
        raise ValueError(f"rtt_s must be finite and >= 0, got {rtt_s!r}")
    for name, c in (("cores_own", cores_own), ("cores_remote", cores_remote)):
        if isinstance(c, bool) or not isinstance(c, int | np.integer) or c < 0:
            raise ValueError(f"{name} must be an int >= 0, got {c!r}")


def fluid_epoch(
    lam_per_s: float,
    service_s: float,
    epoch_s: float,
    sla_latency_s: float,
    cores_own: int,
    cores_remote: int = 0,
    rtt_s: float = 0.0,
) -> WebEpoch:
    """Expected requests, SLA violations and busy core-seconds in steady-state M/M/c.

    For a diurnal rate pass its exact epoch mean (``DiurnalRate.mean_rate_per_s``); within
    a market epoch of minutes λ(t) varies by well under 1%. Busy core-seconds are λ·S·epoch
    per site, capped at cores·epoch when the site is saturated.
    """
    _check_common(service_s, epoch_s, sla_latency_s, cores_own, cores_remote, rtt_s)
    if not (math.isfinite(lam_per_s) and lam_per_s >= 0.0):
        raise ValueError(f"lam_per_s must be finite and >= 0, got {lam_per_s!r}")
    n = lam_per_s * epoch_s
    cores = cores_own + cores_remote
    if n == 0.0 or cores == 0:
        return WebEpoch(requests=n, violations=n)

    def site(c: int, threshold_s: float) -> tuple[float, float, float]:
        lam = lam_per_s * c / cores
        if c == 0:
            return 0.0, 0.0, 0.0
        p = 1.0 if threshold_s <= 0.0 else float(p_response_exceeds(c, lam, service_s, threshold_s))
        return lam * epoch_s, p * lam * epoch_s, min(lam * service_s, c) * epoch_s

    _, v_own, busy_own = site(cores_own, sla_latency_s)
    n_rem, v_rem, busy_rem = site(cores_remote, sla_latency_s - rtt_s)
    return WebEpoch(n, v_own + v_rem, n_rem, v_rem, busy_own, busy_rem)


@dataclass(frozen=True, eq=False)
class RequestTrace:
    """Per-request outcome of a request-level run, in arrival order.

    ``response_s`` is what the client sees (WAN round trip included; inf on zero cores).
    """

    arrival_s: npt.NDArray[np.float64]
    service_time_s: npt.NDArray[np.float64]
    remote: npt.NDArray[np.bool_]
    response_s: npt.NDArray[np.float64]
    violated: npt.NDArray[np.bool_]

    def to_epoch(self) -> WebEpoch:
        """Realised counts; busy core-seconds are the work of this epoch's arrivals."""
        served = np.isfinite(self.response_s)
        return WebEpoch(
            requests=float(self.arrival_s.size),
            violations=float(np.count_nonzero(self.violated)),
            requests_remote=float(np.count_nonzero(self.remote)),
            violations_remote=float(np.count_nonzero(self.violated & self.remote)),
            busy_core_s_own=float(self.service_time_s[served & ~self.remote].sum()),
            busy_core_s_remote=float(self.service_time_s[served & self.remote].sum()),
        )


def simulate_requests(
    rng: np.random.Generator,
    rate: DiurnalRate | float,
    t0_s: float,
    epoch_s: float,
    service_s: float,
    sla_latency_s: float,
    cores_own: int,
    cores_remote: int = 0,
    rtt_s: float = 0.0,
    *,
    queue: Literal["heap", "simpy"] = "heap",
) -> RequestTrace:
    """Request-level epoch: Poisson/NHPP arrivals in [t0, t0+epoch), FCFS M/M/c per site.

    Each epoch starts with empty queues (no carry-over of backlog) and runs until its
    last request departs, so late arrivals are counted in full. Draws, in this order and
    independent of the core split (common random numbers across allocations): arrivals,
    one uniform per request for the site (remote iff u < remote/cores), exponential
    service times. ``queue="heap"`` (default, used by the engine) and ``"simpy"``
    (reference) give the same result on the same draws.
    """
    _check_common(service_s, epoch_s, sla_latency_s, cores_own, cores_remote, rtt_s)
    arrival = sample_arrivals_s(rng, rate, t0_s, t0_s + epoch_s)
    n = arrival.size
    site_u = rng.random(n)
    service = rng.exponential(service_s, n)
    cores = cores_own + cores_remote
    remote = site_u < (cores_remote / cores if cores else 0.0)
    response = np.full(n, np.inf)
    solve = fcfs_response_s if queue == "heap" else fcfs_response_s_simpy
    for mask, c, extra_s in ((~remote, cores_own, 0.0), (remote, cores_remote, rtt_s)):
        if c > 0 and mask.any():
            response[mask] = solve(arrival[mask], service[mask], c) + extra_s
    return RequestTrace(arrival, service, remote, response, response > sla_latency_s)


def simulate_epoch_requests(
    rng: np.random.Generator,
    rate: DiurnalRate | float,
    t0_s: float,
    epoch_s: float,
    service_s: float,
    sla_latency_s: float,
    cores_own: int,
    cores_remote: int = 0,
    rtt_s: float = 0.0,
    *,
    queue: Literal["heap", "simpy"] = "heap",
) -> WebEpoch:
    """:func:`simulate_requests` summarised as a :class:`WebEpoch`."""
    return simulate_requests(
        rng,
        rate,
        t0_s,
        epoch_s,
        service_s,
        sla_latency_s,
        cores_own,
        cores_remote,
        rtt_s,
        queue=queue,
    ).to_epoch()


def batch_means_ci95(x: npt.ArrayLike, n_batches: int = 20) -> tuple[float, float, float]:
    """(mean, low, high): 95% batch-means CI of the mean of a correlated series.

    The series is cut into ``n_batches`` consecutive batches; their means are treated as
    i.i.d. normal (Student t with n_batches - 1 d.o.f.). Batches must be long compared
    with the autocorrelation (queue busy periods) for the interval to hold its level.
    """
    v = np.asarray(x, dtype=float)
    if n_batches < 2 or v.size < 2 * n_batches:
        raise ValueError(f"need n_batches >= 2 and >= 2 values per batch, got {v.size} values")
    means = np.array([b.mean() for b in np.array_split(v, n_batches)])
    from scipy import stats  # 0.7 s to import: only the validation path pays for it

    half = float(stats.t.ppf(0.975, n_batches - 1) * means.std(ddof=1) / math.sqrt(n_batches))
    mean = float(v.mean())
    return mean, mean - half, mean + half


def violation_fraction_ci95(trace: RequestTrace, n_batches: int = 20) -> tuple[float, float, float]:
    """(fraction, low, high): 95% CI of the SLA-violation fraction by batch means.

    Batch means over requests in arrival order, not the binomial normal approximation:
    violations of successive requests are strongly correlated (they share busy periods),
    so a binomial interval would be several times too narrow.
    """
    return batch_means_ci95(trace.violated, n_batches)
