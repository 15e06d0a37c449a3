"""The fluid web model of one site: the M/M/c queue-length distribution, in time.

A site's number of requests ``N(t)`` (in service or waiting) is a birth–death chain:
arrivals at the slice's rate ``λ``, departures at ``μ·min(N, c)``. An arrival finding
``n`` requests is late (response above ``T``) with probability ``late(n)``: its own
exponential service when a core is free, else a wait of ``n − c + 1`` departures at
rate ``c·μ`` plus its service (closed form below). So the expected late requests of a
slice are ``∫ λ(t)·Σ_n p_n(t)·late(n) dt`` (arrivals see time averages).

- *Settled* slices (the queue's relaxation time, ``(λ + cμ)/(cμ − λ)²`` near
  saturation, a small fraction of the slice) are at their stationary distribution for
  practically all of the slice: the Erlang-C answer, in O(1);
- otherwise (overload, a ramp through saturation, a backlog carried in, cores changed)
  the distribution is carried forward by implicit Euler steps of the Kolmogorov
  forward equations on the part of the lattice that holds its mass, and carried into
  the next slice and epoch, as the request-level model carries its queue.

Both modes therefore model the same queue, and agree within the request-level model's
confidence intervals (``tests/test_web_transient.py``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from scipy import special
from scipy.linalg import lapack

from fedsim.queueing.erlang import response_tail
from fedsim.queueing.memo import BoundedMemo

if TYPE_CHECKING:
    from fedsim.queueing.profile import LoadProfile

SETTLED_FRACTION = 0.1  # relaxation time at most this fraction of a slice
STEP_S = 1.0  # implicit Euler step (the transients that matter last seconds to minutes)
MIN_STEP_S = 1.0
MAX_STATES = 2_000_000  # the lattice window's largest size (a guard against runaway loads)
TAIL = 1e-15  # probability mass dropped at the window's ends
MAX_MEMO = 100_000  # settled slices' answers kept per site


def admission_limit(c: int, service_s: float, max_wait_s: float) -> int:
    """The most requests a site holds: an arrival finding ``K`` (in service or waiting)
    would wait ``(K − c + 1)/(cμ)`` on average, beyond ``max_wait_s``, and is turned
    away at once (a violation). Without it an overloaded queue's backlog grows without
    bound and outlives the overload by hours; with it the backlog is at most
    ``max_wait_s`` of work."""
    if c <= 0:
        return 0
    extra = max_wait_s * c / service_s
    return c + max(1, int(min(extra, 2**40)))


def relaxation_s(c: int, lam_per_s: float, service_s: float) -> float:
    """How long an M/M/c queue takes to settle after a change: the diffusion time
    scale ``(λ + cμ)/(cμ − λ)²`` (inf when unstable)."""
    gap = c / service_s - lam_per_s
    if gap <= 0.0:
        return math.inf
    return (lam_per_s + c / service_s) / gap / gap  # (not gap²: it may overflow)


def settled(c: int, lam_per_s: float, service_s: float, slice_s: float) -> bool:
    """Whether a slice of ``slice_s`` at this rate is at steady state for most of it."""
    return lam_per_s <= 0.0 or relaxation_s(c, lam_per_s, service_s) <= SETTLED_FRACTION * slice_s


def late_probability(n: np.ndarray, c: int, service_s: float, threshold_s: float) -> np.ndarray:
    """P(response > T) of an FCFS arrival that finds ``n`` requests on ``c`` cores."""
    n = np.asarray(n, dtype=np.int64)
    mu = 1.0 / service_s
    own = math.exp(-mu * threshold_s)
    out = np.full(n.shape, own)
    k = (n - c + 1).astype(float)  # departures to wait for
    wait = k > 0
    if not wait.any() or c <= 0:
        return np.where(wait, 1.0, out) if c <= 0 else out
    theta = c * mu
    kk = k[wait]
    if c == 1:  # wait + service is Gamma(k + 1, μ)
        out[wait] = special.gammaincc(kk + 1.0, mu * threshold_s)
        return out
    # P(W + S > T) = Q(k, θT) + e^{−μT}·(θ/(θ−μ))^k·P(k, (θ−μ)T), W ~ Gamma(k, θ)
    with np.errstate(divide="ignore", under="ignore"):
        log_mix = (-mu * threshold_s + kk * math.log(theta / (theta - mu))
                   + np.log(special.gammainc(kk, (theta - mu) * threshold_s)))
    out[wait] = np.minimum(special.gammaincc(kk, theta * threshold_s) + np.exp(log_mix), 1.0)
    return out


class SiteMemos(NamedTuple):
    """A site's answers, which any site of the same service time, SLA threshold and
    wait limit may share (another owner's in the same run, or one in a later run):

    - ``settled_tail``: (cores, rate, slice) -> P(late) of a settled slice, or None when
      it is not settled;
    - ``settled_epochs``: (cores, load, share, slice, start state) -> (late, busy, end
      state) of an epoch that starts and ends settled."""

    settled_tail: BoundedMemo[float | None]
    settled_epochs: BoundedMemo[tuple[float, float, int, float]]

    @classmethod
    def fresh(cls) -> SiteMemos:
        return cls(BoundedMemo(MAX_MEMO), BoundedMemo(MAX_MEMO))


class FluidSite:
    """The expected state of one site, carried across slices and epochs."""

    def __init__(self, service_s: float, threshold_s: float,
                 max_wait_s: float = math.inf, memos: SiteMemos | None = None) -> None:
        self.service_s = service_s
        self.mu = 1.0 / service_s
        self.threshold_s = threshold_s
        self.max_wait_s = max_wait_s
        self.cores_before = 0  # the cores the carried state was reached on
        self.stationary_at: float | None = 0.0  # settled at this rate (0: empty)
        self.p: np.ndarray | None = None  # else: distribution over lo .. lo+len-1
        self.lo = 0
        # answers that depend only on the site's parameters and their keys (see SiteMemos):
        # loads repeat (daily, or a looped trace), and this is most of a site's cost
        memos = memos or SiteMemos.fresh()
        self._settled_tail, self._settled_epochs = memos.settled_tail, memos.settled_epochs

    def serve_load(self, c: int, load: LoadProfile, share: float, slice_s: float
                   ) -> tuple[float, float]:
        """:meth:`serve` every slice of ``share`` of ``load`` in turn: (expected late
        requests, expected busy core-seconds), summed over the slices."""
        key = None
        if self.p is None:
            key = (c, load, share, slice_s, self.cores_before, self.stationary_at)
            hit = self._settled_epochs.find(key)
            if hit is not None:
                late, busy_s, self.cores_before, stationary_at = hit
                self.stationary_at = stationary_at
                return late, busy_s
        late = busy_s = 0.0
        for tau, lam in zip(load.duration_s, load.rate_per_s, strict=True):
            v, b = self.serve(c, lam * share, tau, slice_s)
            late += v
            busy_s += b
        if key is not None and self.p is None and self.stationary_at is not None:
            self._settled_epochs.put(key, (late, busy_s, self.cores_before, self.stationary_at))
        return late, busy_s

    def serve(self, c: int, lam_per_s: float, duration_s: float, slice_s: float
              ) -> tuple[float, float]:
        """Serve ``duration_s`` of Poisson arrivals at ``lam_per_s`` on ``c`` cores:
        (expected late requests, expected busy core-seconds)."""
        n_req = lam_per_s * duration_s
        if c <= 0 or self.threshold_s <= 0.0:
            self.stationary_at, self.p, self.cores_before = 0.0, None, 0
            return n_req, 0.0
        limit = admission_limit(c, self.service_s, self.max_wait_s)
        if self.p is None:
            tail = self._tail_if_settled(c, lam_per_s, slice_s, limit)
            if tail is not None:
                self.stationary_at, self.cores_before = lam_per_s, c
                return n_req * tail, lam_per_s * self.service_s * duration_s
            self.lo, self.p = stationary(self.cores_before, self.stationary_at or 0.0,
                                         self.service_s)
            self.stationary_at = None
        return self._evolve(c, lam_per_s, duration_s, slice_s, limit)

    def _tail_if_settled(self, c: int, lam: float, slice_s: float, limit: int
                         ) -> float | None:
        """P(late) of a request in a settled slice (Erlang-C), or None if not settled."""
        return self._settled_tail.get(
            (c, lam, slice_s),
            lambda: (response_tail(c, lam * self.service_s, self.service_s, self.threshold_s)
                     if self._stationary_ok(c, lam, slice_s, limit) else None))

    def _stationary_ok(self, c: int, lam: float, slice_s: float, limit: int) -> bool:
        """Settled, and the admission limit practically never reached (so Erlang-C holds:
        P(N ≥ K) = C·ρ^(K−c))."""
        if not settled(c, lam, self.service_s, slice_s):
            return False
        a = lam * self.service_s
        return a <= 0.0 or (limit - c) * math.log(a / c) < math.log(1e-12)

    def _evolve(self, c: int, lam: float, duration_s: float, slice_s: float, limit: int
                ) -> tuple[float, float]:
        assert self.p is not None
        mu = self.mu
        drift = abs(lam - c * mu)  # in the queue, where the long transients are
        diffusion = 0.5 * (lam + c * mu)
        # room for the mass to move during the slice
        reach = math.ceil(drift * duration_s + 12.0 * math.sqrt(2.0 * diffusion * duration_s)) + 1
        lo = max(0, self.lo - reach)
        # above K only what was there (fewer cores now): nothing new joins it
        top = max(limit + 1, self.lo + len(self.p))
        hi = min(self.lo + len(self.p) + reach, lo + MAX_STATES, top)
        n = np.arange(lo, hi)
        p = np.zeros(len(n))
        p[self.lo - lo: self.lo - lo + len(self.p)] = self.p[: len(n) - (self.lo - lo)]
        birth = np.where(n < limit, lam, 0.0)  # an arrival finding K is turned away
        birth[-1] = 0.0  # reflect at the window's ends (they hold no mass)
        death = mu * np.minimum(n, c).astype(float)
        death[0] = 0.0
        late_n = np.where(n < limit, late_probability(n, c, self.service_s, self.threshold_s),
                          1.0)
        busy_n = np.minimum(n, c).astype(float)
        # implicit Euler; steps short enough that its numerical diffusion (drift²·dt/2)
        # stays below the queue's own
        dt = min(STEP_S, max(MIN_STEP_S, diffusion / drift**2 if drift > 0 else STEP_S))
        steps = max(2, math.ceil(duration_s / dt))
        dt = duration_s / steps
        factors = lapack.dgttrf(-dt * birth[:-1], 1.0 + dt * (birth + death), -dt * death[1:])
        late_rate, busy_rate = lam * dt, dt
        late = busy = 0.0
        for _ in range(steps):
            p, _info = lapack.dgttrs(*factors[:5], p)
            late += late_rate * float(p @ late_n)
            busy += busy_rate * float(p @ busy_n)
        p = np.maximum(p, 0.0)
        p /= p.sum()
        mass = np.flatnonzero(p > TAIL)
        first, last = (int(mass[0]), int(mass[-1])) if len(mass) else (0, 0)
        self.lo, self.p = lo + first, p[first: last + 1].copy()
        self.cores_before = c
        if settled(c, lam, self.service_s, slice_s):  # back at steady state: forget the shape
            lo_s, p_s = stationary(c, lam, self.service_s)
            if _distance(self.lo, self.p, lo_s, p_s) < 1e-3:
                self.stationary_at, self.p = lam, None
        return late, busy


def stationary(c: int, lam: float, service_s: float) -> tuple[int, np.ndarray]:
    """The M/M/c stationary distribution (λ < cμ) on the lattice part holding its mass:
    (first n, probabilities)."""
    a = lam * service_s
    if a <= 0.0 or c <= 0:
        return 0, np.ones(1)
    rho = a / c
    if rho >= 1.0:
        raise ValueError(f"no stationary distribution: {a:g} Erlang on {c} cores")
    lo = max(0, math.floor(a - 12.0 * math.sqrt(a) - 5))
    hi = max(lo, c + math.ceil(36.0 / -math.log(rho)))
    n = np.arange(lo, hi + 1)
    below = special.xlogy(np.minimum(n, c), a) - special.gammaln(np.minimum(n, c) + 1.0)
    log_p = below + np.maximum(n - c, 0) * math.log(rho)
    p = np.exp(log_p - log_p.max())
    return lo, p / p.sum()


def _distance(lo_a: int, p_a: np.ndarray, lo_b: int, p_b: np.ndarray) -> float:
    """Total variation distance between two lattice distributions."""
    lo, hi = min(lo_a, lo_b), max(lo_a + len(p_a), lo_b + len(p_b))
    a, b = np.zeros(hi - lo), np.zeros(hi - lo)
    a[lo_a - lo: lo_a - lo + len(p_a)] = p_a
    b[lo_b - lo: lo_b - lo + len(p_b)] = p_b
    return 0.5 * float(np.abs(a - b).sum())
