"""The request-level model's kernel: one FCFS M/M/c site, request by request, compiled.

Every request is simulated individually (its own arrival, wait and response), but the
queue is driven as a continuous-time Markov chain rather than by a heap of server-free
times, so a request costs O(1) whatever the number of cores:

- *uniformisation*: potential departures arrive as a Poisson process at rate ``c·μ``;
  each picks one of the ``c`` servers uniformly, and if that server is busy its request
  departs. By memorylessness this is exactly the M/M/c departure process, and the
  departing request is uniform among those in service, as in the real queue;
- the in-service requests are an unordered array of arrival times (swap-remove), the
  waiting ones a FIFO ring of arrival times;
- a request is known to be *late* (response above the threshold) as soon as the clock
  passes ``arrival + threshold`` without it having departed: waiting requests that old
  leave the ring for a plain counter (they are still served, in order), so the ring
  holds at most the arrivals of the last ``threshold`` seconds and memory is flat in
  the horizon; in-service ones are resolved at departure, or marked (``+inf``) when a
  call ends;
- a time-varying Poisson rate ``λ(t)`` is the superposition of a constant stream at its
  lower bound over each second and a sparse, thinned stream for the rest, so a request
  costs one exponential draw.

Arrivals and departures draw from two generators, neither of which is used in a way
that depends on the queue's state, and the draw position is kept between calls
(``gen``), so cutting an interval into several calls changes nothing. Two copies of a
site in different states, driven by generators from one seed, therefore *couple*: once
they hold the same requests they stay identical (:mod:`fedsim.engine.web_requests`
builds on this).

Only the request-level model imports this module (it imports numba).
"""

from __future__ import annotations

import math

import numba
import numpy as np

# ints state: busy, ring head, ring count, late-known waiting requests, cores
BUSY, HEAD, COUNT, PREFIX, CORES = range(5)
N_INTS = 5
# accumulators: arrivals, late among them, late among earlier arrivals, busy core-seconds
ARRIVALS, LATE, LATE_EARLIER, BUSY_S = range(4)
N_ACC = 4
# generator state: next potential departure, end of the current second, the rate's lower
# bound and spread over it, next arrival of the constant and of the thinned stream
TD, SUB_END, LAM_LO, LAM_SPREAD, NEXT_MAIN, NEXT_REST = range(6)
N_GEN = 6
SQUEEZE_S = 1.0


def fresh_gen() -> np.ndarray:
    """Generator state for the first call of an epoch (drawn at its start)."""
    return np.full(N_GEN, np.nan)


@numba.njit(cache=True)
def _rate(mean: float, amp: float, omega: float, phase: float, t: float) -> float:
    return mean * (1.0 + amp * math.sin(omega * (t - phase)))


@numba.njit(cache=True)
def _finish(ints: np.ndarray, ins: np.ndarray, ring: np.ndarray, t1: float, threshold: float,
            epoch_t0: float, acc: np.ndarray) -> None:
    """What the end of a call already decides: old waiting and in-service requests."""
    mask = ring.shape[0] - 1
    while ints[COUNT] > 0 and ring[ints[HEAD]] + threshold < t1:
        acc[LATE_EARLIER if ring[ints[HEAD]] < epoch_t0 else LATE] += 1.0
        ints[HEAD] = (ints[HEAD] + 1) & mask
        ints[COUNT] -= 1
        ints[PREFIX] += 1
    for q in range(ints[BUSY]):
        if ins[q] + threshold < t1:
            acc[LATE_EARLIER if ins[q] < epoch_t0 else LATE] += 1.0
            ins[q] = math.inf


@numba.njit(cache=True, nogil=True, error_model="numpy")
def serve(ints: np.ndarray, ins: np.ndarray, ring: np.ndarray, acc: np.ndarray,
          gen: np.ndarray, arrivals_rng: np.random.Generator,
          departures_rng: np.random.Generator, route: np.random.Generator, t0: float,
          t1: float, epoch_t0: float, mu: float, threshold: float, limit: int,
          times: np.ndarray,
          route_lo: float, route_hi: float, mean: float, amp: float, omega: float,
          phase: float) -> np.ndarray:
    """Advance a site over ``[t0, t1)``; returns its ring (it may have grown).

    ``ints`` (indices above), ``ins`` (arrival time of each request in service, at least
    ``cores`` long) and ``ring`` (waiting arrival times, a power-of-two FIFO) are the
    site's state and ``gen`` the draw position, all updated in place; ``acc`` gathers
    the counts (late requests that arrived before ``epoch_t0`` apart). Arrivals: every
    one of ``times`` (all in ``[t0, t1)``) whose routing uniform from ``route`` is in
    ``[route_lo, route_hi)``; or, when ``mean > 0``, a Poisson process of rate
    ``mean·(1 + amp·sin(omega·(t − phase)))`` drawn from ``arrivals_rng``. Departures
    draw from ``departures_rng``; neither stream's use depends on the queue's state. An
    arrival finding ``limit`` requests in the site is turned away (late).
    """
    c = ints[CORES]
    busy, head, count, prefix = ints[BUSY], ints[HEAD], ints[COUNT], ints[PREFIX]
    mask = ring.shape[0] - 1
    n = 0
    late_new = late_old = 0
    busy_s = 0.0
    inv_dep_rate = 1.0 / (c * mu) if c > 0 else 0.0
    poisson = mean > 0.0
    slope = mean * abs(amp) * omega  # how fast the rate can move
    if math.isnan(gen[TD]):  # the epoch's first call
        gen[TD] = t0 + departures_rng.standard_exponential() * inv_dep_rate if c > 0 else math.inf
        gen[SUB_END] = gen[NEXT_MAIN] = gen[NEXT_REST] = t0
        gen[LAM_LO] = gen[LAM_SPREAD] = 0.0
    td = gen[TD]
    sub_end, lam_lo, spread = gen[SUB_END], gen[LAM_LO], gen[LAM_SPREAD]
    next_main, next_rest = gen[NEXT_MAIN], gen[NEXT_REST]
    k = 0
    n_times = times.shape[0]
    t = t0
    while True:
        # the next arrival: candidates are only consumed before t1, so a call boundary
        # does not change the draws
        ta = math.inf
        if poisson:
            while True:
                if next_main >= sub_end and next_rest >= sub_end:
                    if sub_end >= t1:
                        break
                    start = sub_end  # a new second: new bounds, both streams restart
                    sub_end = start + SQUEEZE_S
                    lam_mid = _rate(mean, amp, omega, phase, start + 0.5 * SQUEEZE_S)
                    lam_lo = max(lam_mid - slope * SQUEEZE_S, 0.0)
                    spread = lam_mid + slope * SQUEEZE_S - lam_lo
                    next_main = (start + arrivals_rng.standard_exponential() / lam_lo
                                 if lam_lo > 0.0 else math.inf)
                    next_rest = (start + arrivals_rng.standard_exponential() / spread
                                 if spread > 0.0 else math.inf)
                    continue
                if next_main <= next_rest:
                    if next_main >= t1:
                        break
                    ta = next_main
                    next_main = ta + arrivals_rng.standard_exponential() / lam_lo
                    break
                if next_rest >= t1:
                    break
                cand = next_rest
                next_rest = cand + arrivals_rng.standard_exponential() / spread
                if arrivals_rng.random() * spread <= _rate(mean, amp, omega, phase, cand) - lam_lo:
                    ta = cand
                    break
        else:
            while k < n_times:
                u = route.random()
                k += 1
                if route_lo <= u < route_hi:
                    ta = times[k - 1]
                    break
        while td <= ta and td < t1:  # potential departures before the arrival
            u = departures_rng.random()
            busy_s += busy * (td - t)
            t = td
            td = t + departures_rng.standard_exponential() * inv_dep_rate
            slot = min(int(u * c), c - 1)
            if slot >= busy:
                continue
            a = ins[slot]
            if t - a > threshold:
                if a < epoch_t0:
                    late_old += 1
                else:
                    late_new += 1
            while count > 0 and ring[head] + threshold < t:
                if ring[head] < epoch_t0:
                    late_old += 1
                else:
                    late_new += 1
                head = (head + 1) & mask
                count -= 1
                prefix += 1
            if prefix > 0:
                prefix -= 1
                ins[slot] = math.inf
            elif count > 0:
                ins[slot] = ring[head]
                head = (head + 1) & mask
                count -= 1
            else:
                busy -= 1
                ins[slot] = ins[busy]
        if ta >= t1:
            break
        busy_s += busy * (ta - t)
        t = ta
        n += 1
        if busy < c:
            ins[busy] = ta
            busy += 1
            continue
        if busy + count + prefix >= limit:  # admission control: turned away, late
            late_new += 1
            continue
        while count > 0 and ring[head] + threshold < t:
            if ring[head] < epoch_t0:
                late_old += 1
            else:
                late_new += 1
            head = (head + 1) & mask
            count -= 1
            prefix += 1
        if count == mask + 1:  # full: double the ring, keeping FIFO order
            bigger = np.empty(2 * (mask + 1))
            for q in range(count):
                bigger[q] = ring[(head + q) & mask]
            ring = bigger
            mask = ring.shape[0] - 1
            head = 0
        ring[(head + count) & mask] = ta
        count += 1
    busy_s += busy * (t1 - t)
    ints[BUSY], ints[HEAD], ints[COUNT], ints[PREFIX] = busy, head, count, prefix
    gen[TD], gen[SUB_END], gen[LAM_LO], gen[LAM_SPREAD] = td, sub_end, lam_lo, spread
    gen[NEXT_MAIN], gen[NEXT_REST] = next_main, next_rest
    acc[ARRIVALS] += n
    acc[LATE] += late_new
    acc[LATE_EARLIER] += late_old
    acc[BUSY_S] += busy_s
    _finish(ints, ins, ring, t1, threshold, epoch_t0, acc)
    return ring
