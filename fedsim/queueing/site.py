"""One FCFS M/M/c queue of the request-level web model, carried across epochs.

A :class:`Site` is a set of cores serving one provider's requests at one place (its own
datacenter, or cores it bought at another member). Its queue persists from one epoch
to the next; when the number of cores changes at an epoch boundary, new cores take
waiting requests at once, and removed cores hand their requests back to the head of
the queue (service is memoryless, so a request resumes as if it had just started).
The work is done by :func:`fedsim.queueing.mmc_kernel.serve` (numba).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from fedsim.queueing import mmc_kernel as kernel
from fedsim.queueing.transient import admission_limit

_NO_TIMES = np.zeros(0)


@dataclass(frozen=True)
class Arrivals:
    """Where a call's requests come from: a diurnal Poisson process (``mean_per_s`` > 0)
    or the ``times_s`` whose routing uniform falls in ``[lo, hi)``."""

    mean_per_s: float = 0.0
    amplitude: float = 0.0
    omega_per_s: float = 0.0
    phase_s: float = 0.0
    times_s: np.ndarray = field(default_factory=lambda: _NO_TIMES)
    lo: float = 0.0
    hi: float = 1.0


@dataclass(frozen=True)
class Served:
    """What a call served: arrivals, late among them, late among earlier arrivals (in
    the queue when the call began), busy core-seconds."""

    requests: int = 0
    late: int = 0
    late_earlier: int = 0
    busy_core_s: float = 0.0

    @classmethod
    def of(cls, acc: np.ndarray) -> Served:
        return cls(int(acc[kernel.ARRIVALS]), int(acc[kernel.LATE]),
                   int(acc[kernel.LATE_EARLIER]), float(acc[kernel.BUSY_S]))


class Site:
    """The queue state of one site: ``service_s`` mean service time on its cores,
    ``threshold_s`` the response time a request may take (SLA latency minus RTT),
    ``max_wait_s`` the admission limit (:func:`~fedsim.queueing.transient.admission_limit`)."""

    def __init__(self, service_s: float, threshold_s: float, cores: int = 0,
                 max_wait_s: float = math.inf) -> None:
        if not (service_s > 0.0 and math.isfinite(service_s)):
            raise ValueError(f"service_s must be finite and > 0, got {service_s!r}")
        self.service_s = service_s
        self.threshold_s = float(threshold_s)
        self.max_wait_s = float(max_wait_s)
        self.ints = np.zeros(kernel.N_INTS, dtype=np.int64)
        self.ins = np.empty(max(cores, 16))
        self.ring = np.empty(1024)
        self.ints[kernel.CORES] = cores

    @property
    def cores(self) -> int:
        return int(self.ints[kernel.CORES])

    @property
    def in_system(self) -> int:
        """Requests in service or waiting."""
        ints = self.ints
        return int(ints[kernel.BUSY] + ints[kernel.COUNT] + ints[kernel.PREFIX])

    def take(self, other: Site) -> None:
        """Become ``other`` (its arrays are not copied: ``other`` is not used again)."""
        self.ints, self.ins, self.ring = other.ints, other.ins, other.ring

    def clear(self) -> None:
        """Forget every request (the cores keep their number)."""
        self.ints[[kernel.BUSY, kernel.HEAD, kernel.COUNT, kernel.PREFIX]] = 0

    def set_cores(self, cores: int) -> None:
        """Change the number of cores (at an epoch boundary)."""
        ints = self.ints
        if cores == int(ints[kernel.CORES]):
            return
        if len(self.ins) < cores:
            grown = np.empty(max(cores, 2 * len(self.ins)))
            grown[: len(self.ins)] = self.ins
            self.ins = grown
        busy = int(ints[kernel.BUSY])
        if busy > cores:  # removed cores hand their requests back, in arrival order
            for a in np.sort(self.ins[cores:busy])[::-1]:
                if math.isinf(a):
                    ints[kernel.PREFIX] += 1  # already known late: joins the late head
                else:
                    self._push_front(float(a))
            busy = cores
        while busy < cores and (ints[kernel.PREFIX] > 0 or ints[kernel.COUNT] > 0):
            if ints[kernel.PREFIX] > 0:
                ints[kernel.PREFIX] -= 1
                self.ins[busy] = math.inf
            else:
                head = int(ints[kernel.HEAD])
                self.ins[busy] = self.ring[head]
                ints[kernel.HEAD] = (head + 1) % len(self.ring)
                ints[kernel.COUNT] -= 1
            busy += 1
        ints[kernel.BUSY] = busy
        ints[kernel.CORES] = cores

    def _push_front(self, arrival_s: float) -> None:
        ints = self.ints
        if ints[kernel.COUNT] == len(self.ring):
            head, count = int(ints[kernel.HEAD]), int(ints[kernel.COUNT])
            self.ring = np.concatenate([np.roll(self.ring, -head)[:count],
                                        np.empty(len(self.ring))])
            ints[kernel.HEAD] = 0
        ints[kernel.HEAD] = (int(ints[kernel.HEAD]) - 1) % len(self.ring)
        self.ring[ints[kernel.HEAD]] = arrival_s
        ints[kernel.COUNT] += 1

    def serve(self, draws: Draws, t0_s: float, t1_s: float, arrivals: Arrivals,
              epoch_t0_s: float | None = None) -> Served:
        """Serve ``[t0_s, t1_s)``, continuing ``draws`` (one epoch's; successive calls
        over consecutive intervals give the same result as one call over their union).
        Requests that arrived before ``epoch_t0_s`` (default ``t0_s``) and are found late
        count apart."""
        acc = np.zeros(kernel.N_ACC)
        a = arrivals
        times = a.times_s
        if len(times):
            lo, hi = np.searchsorted(times, [t0_s, t1_s], side="left")
            times = times[lo:hi]
        self.ring = kernel.serve(
            self.ints, self.ins, self.ring, acc, draws.gen, draws.arrivals, draws.departures,
            draws.route if draws.route is not None else draws.arrivals, float(t0_s),
            float(t1_s), float(t0_s if epoch_t0_s is None else epoch_t0_s),
            1.0 / self.service_s, self.threshold_s,
            admission_limit(self.cores, self.service_s, self.max_wait_s),
            np.ascontiguousarray(times, np.float64),
            a.lo, a.hi, a.mean_per_s, a.amplitude, a.omega_per_s, a.phase_s,
        )
        return Served.of(acc)

    def same_queue(self, other: Site) -> bool:
        """Whether both hold the same requests in the same places."""
        i, j = self.ints, other.ints
        busy, count = int(i[kernel.BUSY]), int(i[kernel.COUNT])
        if (busy != j[kernel.BUSY] or count != j[kernel.COUNT]
                or i[kernel.PREFIX] != j[kernel.PREFIX]):
            return False
        if not np.array_equal(self.ins[:busy], other.ins[:busy]):
            return False
        return np.array_equal(self._waiting(), other._waiting())

    def _waiting(self) -> np.ndarray:
        head, count = int(self.ints[kernel.HEAD]), int(self.ints[kernel.COUNT])
        return self.ring[(head + np.arange(count)) % len(self.ring)]

    def drain(self, draws: Draws, t_s: float) -> Served:
        """No new arrivals, until every request's fate is known; then forget them (what
        is still in service finishes unobserved)."""
        served = self.serve(draws, t_s, t_s + self.threshold_s * (1 + 1e-9) + 1e-9,
                            Arrivals())
        self.clear()
        return served


@dataclass
class Draws:
    """One site's random draws for one epoch: arrivals, departures, and the owner's
    routing uniforms (replayed traces), with the position reached (``gen``)."""

    arrivals: np.random.Generator
    departures: np.random.Generator
    route: np.random.Generator | None = None
    gen: np.ndarray = field(default_factory=kernel.fresh_gen)
