"""Gradient synchronisation time and its overlap with computation.

- :class:`LinearSync`: ``T_sync(K) = α_s + β_s·(K−2)`` for K ≥ 2 replicas (the Pollux form).
- :class:`RingAllReduce`: ``T(K, S) = α + 2(K−1)/K·S/B``, the ring all-reduce cost for a
  message of S bytes over links of B bits/s; fitted from timed collectives.
- :func:`overlapped_step_time_s`: the step time when the all-reduce overlaps the backward
  pass, ``φ·T_c + (((1−φ)·T_c)^γ + T_sync^γ)^(1/γ)``. With φ = 0 this is Pollux's
  (OSDI'21) γ-overlap; φ is the forward-pass share of compute, which data parallelism
  cannot overlap because no gradient exists yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BITS_PER_BYTE = 8.0


@dataclass(frozen=True)
class LinearSync:
    """``alpha_s + beta_s·(K−2)`` seconds for K ≥ 2 replicas, 0 for one."""

    alpha_s: float
    beta_s: float

    def sync_time_s(self, n_replicas: float | np.ndarray) -> float | np.ndarray:
        k = np.asarray(n_replicas, dtype=float)
        return np.where(k > 1, self.alpha_s + self.beta_s * (k - 2.0), 0.0)


@dataclass(frozen=True)
class RingAllReduce:
    """Ring all-reduce: fixed latency plus 2(K−1)/K of the message over the slowest link."""

    latency_s: float
    bandwidth_gbps: float

    def time_s(
        self, n_workers: float | np.ndarray, message_bytes: float | np.ndarray
    ) -> float | np.ndarray:
        k = np.asarray(n_workers, dtype=float)
        bits = BITS_PER_BYTE * np.asarray(message_bytes, dtype=float)
        traffic = 2.0 * (k - 1.0) / np.maximum(k, 1.0) * bits
        return np.where(k > 1, self.latency_s + traffic / (self.bandwidth_gbps * 1e9), 0.0)

    def bottleneck(self, other: RingAllReduce) -> RingAllReduce:
        """The ring through both kinds of link: the larger latency, the smaller bandwidth."""
        return RingAllReduce(
            max(self.latency_s, other.latency_s), min(self.bandwidth_gbps, other.bandwidth_gbps)
        )


def fit_ring_allreduce(
    n_workers: np.ndarray, message_bytes: np.ndarray, time_s: np.ndarray
) -> RingAllReduce:
    """Least relative squares, α ≥ 0 and 1/B ≥ 0, over collectives with ≥ 2 workers."""
    from scipy.optimize import nnls  # only when fitting

    k = np.asarray(n_workers, dtype=float)
    size = np.asarray(message_bytes, dtype=float)
    t = np.asarray(time_s, dtype=float)
    keep = (k > 1) & (t > 0)
    if keep.sum() < 2:
        raise ValueError("a ring all-reduce fit needs at least two timed collectives")
    k, size, t = k[keep], size[keep], t[keep]
    traffic_bits = BITS_PER_BYTE * 2.0 * (k - 1.0) / k * size
    # rows scaled by 1/t so that small messages count as much as large ones
    coef, _ = nnls(np.column_stack([1.0 / t, traffic_bits / t]), np.ones_like(t))
    seconds_per_bit = max(float(coef[1]), 1e-15)
    return RingAllReduce(float(coef[0]), 1.0 / seconds_per_bit / 1e9)


def soft_max_power(a: np.ndarray, b: np.ndarray, gamma: float | np.ndarray) -> np.ndarray:
    """``(a^γ + b^γ)^(1/γ)`` computed without overflow; γ = 1 adds, γ → ∞ takes the max."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    top = np.maximum(np.maximum(a, b), 1e-300)
    return top * ((a / top) ** gamma + (b / top) ** gamma) ** (1.0 / np.asarray(gamma))


def overlapped_step_time_s(
    compute_s: float | np.ndarray,
    sync_s: float | np.ndarray,
    gamma: float,
    forward_fraction: float = 0.0,
) -> np.ndarray:
    """Step time when the sync overlaps the backward share (1−φ) of compute, softened by γ."""
    compute = np.asarray(compute_s, dtype=float)
    overlappable = (1.0 - forward_fraction) * compute
    return forward_fraction * compute + soft_max_power(overlappable, sync_s, gamma)
