"""Learning curves: a trial's validation accuracy as a function of the work it has done.

Two parametric families from the learning-curve extrapolation literature (Domhan et
al., IJCAI 2015), in the resource ``r`` (epochs, or any unit of work):

- ``pow3``: ``acc(r) = a − b·r^(−c)`` (power-law approach to the asymptote ``a``);
- ``exp3``: ``acc(r) = a − b·e^(−c·r)`` (exponential saturation).

A search draws its trials' parameters from a :class:`CurveFamily` (the asymptote from a
Beta distribution scaled to ``[a_min, a_max]``, so that most configurations are poor and
few are good; ``b`` and ``c`` log-normal); an observation adds Gaussian noise of
``noise_sd``. Every draw comes from the run's named streams, so the same seed gives the
same trials, and the same noisy observations, under every policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Family = Literal["pow3", "exp3"]


@dataclass(frozen=True)
class Curves:
    """The curves of ``n`` trials: ``acc_i(r) = a_i − b_i·g(c_i, r)``."""

    family: Family
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray

    def __len__(self) -> int:
        return len(self.a)

    def accuracy(self, trial: np.ndarray | int, resource: np.ndarray | float) -> np.ndarray:
        """Noise-free accuracy of ``trial`` after ``resource`` units of work (≥ 0)."""
        r = np.maximum(np.asarray(resource, dtype=float), 1e-12)
        a, b, c = self.a[trial], self.b[trial], self.c[trial]
        if self.family == "pow3":
            return np.clip(a - b * r ** (-c), 0.0, 1.0)
        return np.clip(a - b * np.exp(-c * r), 0.0, 1.0)

    def final(self) -> np.ndarray:
        """Each trial's asymptote (its accuracy with unlimited work)."""
        return self.a


@dataclass(frozen=True)
class CurveFamily:
    """How trials' curves are drawn. ``a_beta``: Beta(α, β) of the asymptote's position in
    ``[a_min, a_max]`` (α < β: most trials poor); ``b_median``, ``c_median`` and
    ``sigma`` (log-normal spread) for the other two; ``noise_sd`` of an observation."""

    family: Family = "pow3"
    a_min: float = 0.1
    a_max: float = 0.95
    a_beta: tuple[float, float] = (1.5, 4.0)
    b_median: float = 0.6
    c_median: float = 0.7
    sigma: float = 0.3
    noise_sd: float = 0.01

    def sample(self, rng: np.random.Generator, n: int) -> Curves:
        a = self.a_min + (self.a_max - self.a_min) * rng.beta(*self.a_beta, n)
        b = self.b_median * np.exp(self.sigma * rng.standard_normal(n))
        c = self.c_median * np.exp(self.sigma * rng.standard_normal(n))
        return Curves(self.family, a, np.minimum(b, a), c)

    def observe(self, rng: np.random.Generator, curves: Curves, trial: int,
                resource: float) -> float:
        """A noisy validation accuracy of ``trial`` at ``resource``."""
        clean = float(curves.accuracy(trial, resource))
        return float(np.clip(clean + self.noise_sd * rng.standard_normal(), 0.0, 1.0))
