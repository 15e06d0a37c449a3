"""Diurnal non-homogeneous Poisson arrival rates and their sampling by thinning."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DAY_S = 86_400.0


@dataclass(frozen=True)
class DiurnalRate:
    """λ(t) = mean·(1 + A·sin(2π(t - phase_s)/86400)), A = (r-1)/(r+1), r = peak/trough.

    λ equals its mean at t = phase_s (rising), peaks 6 h later and bottoms out 18 h later;
    peak/trough = (1+A)/(1-A) = r. ``peak_to_trough = 1`` is a constant rate.
    """

    mean_per_s: float
    peak_to_trough: float = 1.0
    phase_s: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean_per_s) and self.mean_per_s >= 0.0):
            raise ValueError(f"mean_per_s must be finite and >= 0, got {self.mean_per_s!r}")
        if not (math.isfinite(self.peak_to_trough) and self.peak_to_trough >= 1.0):
            raise ValueError(f"peak_to_trough must be finite and >= 1, got {self.peak_to_trough!r}")
        if not math.isfinite(self.phase_s):
            raise ValueError(f"phase_s must be finite, got {self.phase_s!r}")

    @property
    def day_phase_s(self) -> float:
        """The phase within a day (a phase of days and hours means the same hour)."""
        return math.fmod(self.phase_s, DAY_S)

    @property
    def amplitude(self) -> float:
        """A = (r-1)/(r+1) in [0, 1)."""
        return (self.peak_to_trough - 1.0) / (self.peak_to_trough + 1.0)

    @property
    def peak_per_s(self) -> float:
        return self.mean_per_s * (1.0 + self.amplitude)

    @property
    def trough_per_s(self) -> float:
        return self.mean_per_s * (1.0 - self.amplitude)

    def rate_per_s(self, t_s: npt.ArrayLike) -> float | npt.NDArray[np.float64]:
        """λ(t) at time(s) ``t_s``."""
        t = np.asarray(t_s, dtype=float)
        lam = self.mean_per_s * (
            1.0 + self.amplitude * np.sin(2.0 * np.pi * (t - self.day_phase_s) / DAY_S)
        )
        return float(lam) if lam.ndim == 0 else lam

    def mean_rate_per_s(self, t0_s: float, t1_s: float) -> float:
        """Exact mean of λ over [t0, t1] (closed-form integral); λ(t0) when t1 == t0."""
        if t1_s < t0_s:
            raise ValueError(f"interval end {t1_s} s is before its start {t0_s} s")
        if t1_s == t0_s:
            return float(self.rate_per_s(t0_s))
        w = 2.0 * math.pi / DAY_S
        span_s = t1_s - t0_s
        # λ has a period of a day: whole days off both ends first, so that the same hours
        # of any day give the same float (a run's per-epoch web sizing then repeats daily
        # and is memoised) and sin's argument stays within a few periods
        days_s = math.floor(t0_s / DAY_S) * DAY_S if math.isfinite(t0_s) else 0.0
        t0_s, t1_s = t0_s - days_s, t1_s - days_s
        # ∫ sin(w(t-φ)) dt over [t0, t1] = (cos(w(t0-φ)) - cos(w(t1-φ))) / w
        #   = 2·sin(w(t1+t0-2φ)/2)·sin(w(t1-t0)/2) / w   (product form: no cancellation)
        half = 0.5 * w * span_s
        phase = self.day_phase_s
        integral = 2.0 * math.sin(0.5 * w * (t1_s + t0_s - 2.0 * phase)) * math.sin(half) / w
        return self.mean_per_s * (1.0 + self.amplitude * integral / span_s)

    def expected_count(self, t0_s: float, t1_s: float) -> float:
        """Expected number of arrivals in [t0, t1]: ∫λ."""
        return self.mean_rate_per_s(t0_s, t1_s) * (t1_s - t0_s)


def sample_arrivals_s(
    rng: np.random.Generator, rate: DiurnalRate | float, t0_s: float, t1_s: float
) -> npt.NDArray[np.float64]:
    """Sorted Poisson arrival times in [t0, t1): homogeneous for a float rate (per s),
    by thinning (candidates at the peak rate, kept with probability λ(t)/peak) for a
    DiurnalRate. Draw order: count, uniforms, then (DiurnalRate) thinning uniforms.
    """
    if t1_s < t0_s:
        raise ValueError(f"interval end {t1_s} s is before its start {t0_s} s")
    peak = rate.peak_per_s if isinstance(rate, DiurnalRate) else float(rate)
    if not (math.isfinite(peak) and peak >= 0.0):
        raise ValueError(f"arrival rate must be finite and >= 0 per s, got {rate!r}")
    n = int(rng.poisson(peak * (t1_s - t0_s)))
    t = t0_s + (t1_s - t0_s) * np.sort(rng.random(n))
    if isinstance(rate, DiurnalRate) and n:
        keep = rng.random(n) * peak < rate.rate_per_s(t)
        t = t[keep]
    return t
