"""Response-time SLAs when the arrival rate varies within an epoch.

A site's cores are fixed for an epoch while requests arrive at a rate that changes
inside it (a diurnal curve, a replayed trace). The epoch is cut into slices; in each
slice the site is an M/M/c queue at that slice's rate (quasi-stationary), so the
expected number of requests whose response exceeds the threshold is

    V(c) = Σ_k τ_k·λ_k·P(W + S > T | c, λ_k)        (every request, if c·μ ≤ λ_k)

Sizing uses this function: the fewest cores meeting the SLA are the fewest with
``V(c) ≤ (1 − percentile)·Σ_k τ_k·λ_k`` *and every slice settled* (the queue reaches
its steady state within a tenth of the slice, see :mod:`fedsim.queueing.transient`),
and the largest share of the load ``c`` cores can take is the largest σ meeting the
same test for ``σλ``. Near saturation a queue takes minutes to settle and the
stationary answer is wrong in both directions (a ramp through saturation, or a peak too
short to fill the queue), so a size that relies on it is not taken. With the slices
settled, the transient model that serves the epoch agrees with this one.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from fedsim.queueing.erlang import response_tails
from fedsim.queueing.transient import settled

MAX_CORES = 1_000_000


@dataclass(frozen=True)
class LoadProfile:
    """Arrival rate per slice: ``rate_per_s[k]`` during ``duration_s[k]``."""

    duration_s: tuple[float, ...]
    rate_per_s: tuple[float, ...]

    @classmethod
    def flat(cls, rate_per_s: float, duration_s: float) -> LoadProfile:
        return cls((float(duration_s),), (float(rate_per_s),))

    @functools.cached_property
    def requests(self) -> float:  # (sizing asks it at every probe)
        return float(sum(t * r for t, r in zip(self.duration_s, self.rate_per_s, strict=True)))

    @property
    def peak_per_s(self) -> float:
        return max(self.rate_per_s, default=0.0)

    def scaled(self, share: float) -> LoadProfile:
        return LoadProfile(self.duration_s, tuple(share * r for r in self.rate_per_s))


def violations(c: int, load: LoadProfile, service_s: float, threshold_s: float) -> float:
    """Expected requests of ``load`` whose response exceeds ``threshold_s`` on ``c``
    cores of mean service time ``service_s``."""
    # (requests, erlangs) of every slice with requests; a slice is late throughout with no
    # cores, no time left after the round trip, or unstable
    slices = [(tau * lam, lam * service_s)
              for tau, lam in zip(load.duration_s, load.rate_per_s, strict=True) if tau * lam > 0.0]
    servable = c > 0 and threshold_s > 0.0
    stable = [a for _, a in slices if servable and a < c]
    # one scipy call for every stable slice
    tails = iter(response_tails(int(c), stable, service_s, threshold_s) if stable else [])
    total = 0.0
    for n, a in slices:
        total += n * (next(tails) if servable and a < c else 1.0)
    return total


def busy_core_s(c: int, load: LoadProfile, service_s: float) -> float:
    """Core-seconds of work done (at most every core busy all the time)."""
    return float(sum(t * min(r * service_s, c)
                     for t, r in zip(load.duration_s, load.rate_per_s, strict=True)))


def meets(c: int, load: LoadProfile, service_s: float, threshold_s: float,
          percentile: float) -> bool:
    """Whether ``c`` cores serve ``load`` within the SLA, every slice settled (so that the
    stationary answer holds: see :mod:`fedsim.queueing.transient`)."""
    n = load.requests
    if n <= 0.0:
        return True
    if not all(settled(c, lam, service_s, tau)
               for tau, lam in zip(load.duration_s, load.rate_per_s, strict=True)):
        return False
    return violations(c, load, service_s, threshold_s) <= (1.0 - percentile) * n


def cores_for_sla(load: LoadProfile, service_s: float, threshold_s: float, percentile: float,
                  max_cores: int = MAX_CORES, hint: int | None = None) -> int | None:
    """The fewest cores meeting the SLA over the whole profile, or None when none up to
    ``max_cores`` do (the threshold is within the service time itself).

    ``hint`` (e.g. the last epoch's answer) is where the search starts; the answer is
    the same without it (meeting the SLA is monotone in the cores), only found in fewer
    probes when the hint is close."""
    if load.requests <= 0.0:
        return 0
    if threshold_s <= 0.0 or math.exp(-threshold_s / service_s) > 1.0 - percentile:
        return None  # even infinitely many cores: the service time alone breaks it
    mean = load.requests / max(sum(load.duration_s), 1e-300)
    lo = max(0, math.floor(mean * service_s))  # below the mean load it cannot meet it
    if hint is not None and lo + 1 < hint < max_cores:
        if not meets(hint, load, service_s, threshold_s, percentile):
            lo = hint  # search upwards from the hint, as from the mean load
        else:  # gallop down to a failing size, then bisect
            hi, step = hint, 1
            while hi - step > lo:
                if not meets(hi - step, load, service_s, threshold_s, percentile):
                    lo = hi - step
                    break
                hi, step = hi - step, 2 * step
            return _bisect_cores(lo, hi, load, service_s, threshold_s, percentile)
    hi, step = lo + 1, 1
    while not meets(hi, load, service_s, threshold_s, percentile):
        if hi >= max_cores:
            return None
        lo, hi, step = hi, min(hi + step, max_cores), 2 * step
    return _bisect_cores(lo, hi, load, service_s, threshold_s, percentile)


def _bisect_cores(lo: int, hi: int, load: LoadProfile, service_s: float, threshold_s: float,
                  percentile: float) -> int:
    while hi - lo > 1:  # lo fails, hi meets
        mid = (lo + hi) // 2
        if meets(mid, load, service_s, threshold_s, percentile):
            hi = mid
        else:
            lo = mid
    return hi


def max_share(c: int, load: LoadProfile, service_s: float, threshold_s: float,
              percentile: float, tolerance: float = 1e-6) -> float:
    """The largest share σ of ``load`` that ``c`` cores serve within the SLA."""
    if c <= 0 or load.requests <= 0.0:
        return 1.0 if load.requests <= 0.0 else 0.0
    if meets(c, load, service_s, threshold_s, percentile):
        return 1.0
    lo, hi = 0.0, 1.0  # lo meets, hi fails
    while hi - lo > tolerance:
        mid = 0.5 * (lo + hi)
        if meets(c, load.scaled(mid), service_s, threshold_s, percentile):
            lo = mid
        else:
            hi = mid
    return lo


def slices(t0_s: float, t1_s: float, slice_s: float) -> np.ndarray:
    """Slice boundaries of ``[t0_s, t1_s]``: equal slices no longer than ``slice_s``.

    The same floats as ``np.linspace(t0_s, t1_s, k + 1)`` (``t0 + i·step``, the last one
    ``t1`` exactly), computed in Python: linspace's own overhead was ~2% of a web run,
    called for a handful of points every epoch."""
    k = max(1, math.ceil((t1_s - t0_s) / slice_s - 1e-9)) if slice_s > 0 else 1
    t0_s, t1_s = float(t0_s), float(t1_s)
    delta = t1_s - t0_s
    step = delta / k
    if step == 0.0:  # linspace's order of operations for a zero (or denormal) step
        edges = [i / k * delta + t0_s for i in range(k + 1)]
    else:
        edges = [i * step + t0_s for i in range(k + 1)]
    edges[-1] = t1_s
    return np.array(edges)
