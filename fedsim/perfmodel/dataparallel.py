"""Synchronous data-parallel step time fitted on measured placements (fedsim's model).

Per step, with local batch b, K replicas on N nodes and at most m replicas on one node:

    T_c    = T_comp(b) · (1 + κ·(m − 1)) · (1 + σ·E[max of K standard normals])
    T_sync = 0 if K = 1;  α_r + β_r·f(K) on one node;  α_n + β_n·f(K) across nodes
    T_step = φ·T_c + (((1 − φ)·T_c)^γ + T_sync^γ)^(1/γ)

What each term models, beyond the plain Pollux fit (linear compute, γ-overlap):

- T_comp(b) is the measured per-replica compute (step − sync) where b was measured;
- κ: replicas sharing a node contend for its CPU (data loading), PCIe and host memory;
- σ: a synchronous step waits for the slowest of K replicas, and the expected maximum of
  K jittered compute times grows like sqrt(2 ln K);
- φ: the forward pass produces no gradients, so only the backward share can hide the
  all-reduce; without φ a large batch would wrongly hide all of a slow network;
- f(K): two all-reduce topologies. A latency-bound ring pays per hop, f = K − 2; a
  bandwidth-bound hierarchical (tree) all-reduce grows like f = log2(K) − 1. On the Pollux
  placements (≤ 4 nodes) both fit within 1% of each other's error, yet their sync times
  at 64 GPUs differ by up to 1.5×: the data cannot choose, so :class:`DataParallelModel`
  fits both and predicts their geometric mean rather than bet on one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.stats import norm

from fedsim.perfmodel.compute import ComputeModel, fit_compute
from fedsim.perfmodel.measurements import StepTimes
from fedsim.perfmodel.sync import overlapped_step_time_s

SHAPES: tuple[str, ...] = ("ring", "tree")
_NAMES = ("forward_fraction", "gamma", "contention_per_replica", "straggler_cv",
          "intra_alpha_s", "intra_beta_s", "inter_alpha_s", "inter_beta_s")  # fmt: skip


def expected_max_std_normal(k: float | np.ndarray) -> np.ndarray:
    """E[max of k iid N(0,1)] by Blom's approximation (0 for k = 1, ≈ sqrt(2 ln k) later)."""
    k = np.maximum(np.asarray(k, dtype=float), 1.0)
    return norm.ppf((k - 0.375) / (k + 0.25))


def compute_effects(
    contention_per_replica: float,
    straggler_cv: float,
    max_replicas_per_node: float | np.ndarray,
    n_replicas: float | np.ndarray,
) -> np.ndarray:
    """The factor on one replica's compute: ``(1 + κ·(m − 1))·(1 + σ·E[max of K])``."""
    contention = 1.0 + contention_per_replica * (np.asarray(max_replicas_per_node) - 1)
    return contention * (1.0 + straggler_cv * expected_max_std_normal(n_replicas))


def sync_growth(shape: str, n_replicas: np.ndarray) -> np.ndarray:
    """f(K) of a topology, 0 at K = 2 so that α is the two-replica sync time."""
    k = np.maximum(np.asarray(n_replicas, dtype=float), 2.0)
    if shape == "ring":
        return k - 2.0
    if shape == "tree":
        return np.log2(k) - 1.0
    raise ValueError(f"unknown sync shape {shape!r}; expected one of {', '.join(SHAPES)}")


@dataclass(frozen=True)
class DataParallelParams:
    """Fitted parameters of one sync topology (times in seconds)."""

    shape: str
    forward_fraction: float
    gamma: float
    contention_per_replica: float
    straggler_cv: float
    intra_alpha_s: float
    intra_beta_s: float
    inter_alpha_s: float
    inter_beta_s: float

    @classmethod
    def from_vector(cls, shape: str, x: Sequence[float]) -> DataParallelParams:
        return cls(shape, *(float(v) for v in x))

    def sync_time_s(self, n_nodes: np.ndarray, n_replicas: np.ndarray) -> np.ndarray:
        """Unhidden all-reduce time before overlap; 0 for a single replica."""
        growth = sync_growth(self.shape, n_replicas)
        intra = self.intra_alpha_s + self.intra_beta_s * growth
        inter = self.inter_alpha_s + self.inter_beta_s * growth
        sync = np.where(np.asarray(n_nodes) > 1, inter, intra)
        return np.where(np.asarray(n_replicas) > 1, np.maximum(sync, 0.0), 0.0)

    def step_time_s(
        self,
        compute_s: np.ndarray,
        n_nodes: np.ndarray,
        n_replicas: np.ndarray,
        max_replicas_per_node: np.ndarray,
    ) -> np.ndarray:
        """Step time given the single-replica compute time of each configuration."""
        compute = np.asarray(compute_s, dtype=float) * compute_effects(
            self.contention_per_replica, self.straggler_cv, max_replicas_per_node, n_replicas
        )
        sync = self.sync_time_s(n_nodes, n_replicas)
        return overlapped_step_time_s(compute, sync, self.gamma, self.forward_fraction)


def fit_data_parallel_params(
    data: StepTimes,
    compute_s: np.ndarray,
    shape: str,
    fixed: Mapping[str, float] | None = None,
) -> DataParallelParams:
    """Least squares on log step time (relative errors) over every measured configuration.

    ``fixed`` pins parameters by name (e.g. ``{"gamma": 2.0}``) instead of fitting them.
    """
    sync_growth(shape, np.array([2.0]))  # reject an unknown shape before fitting
    fixed = dict(fixed or {})
    unknown = set(fixed) - set(_NAMES)
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(sorted(unknown))}")
    free = np.array([name not in fixed for name in _NAMES])
    pinned = np.array([fixed.get(name, 0.0) for name in _NAMES])
    y = np.log(data.step_time_s)
    args = (data.n_nodes, data.n_replicas, data.max_replicas_per_node)

    def full(x: np.ndarray) -> np.ndarray:
        vector = pinned.copy()
        vector[free] = x
        return vector

    def residuals(x: np.ndarray) -> np.ndarray:
        params = DataParallelParams.from_vector(shape, full(x))
        # a zero prediction (all-zero parameters early in the search) must not give -inf
        return np.log(np.maximum(params.step_time_s(compute_s, *args), 1e-12)) - y

    typical = float(np.median(data.step_time_s))
    lower = np.array([0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])[free]
    upper = np.array([1.0, 10.0, np.inf, 1.0, np.inf, np.inf, np.inf, np.inf])[free]
    best = None
    # γ makes the cost non-convex: start from a soft and a sharp overlap, keep the better
    for gamma0 in (2.0, 6.0):
        x0 = np.array([0.1, gamma0, 0.01, 0.01, 0.01 * typical, 0.01 * typical,
                       0.5 * typical, 0.01 * typical])[free]  # fmt: skip
        fit = least_squares(residuals, x0, bounds=(lower, upper), x_scale="jac")
        if best is None or fit.cost < best.cost:
            best = fit
    assert best is not None
    return DataParallelParams.from_vector(shape, full(best.x))


@dataclass(frozen=True)
class DataParallelModel:
    """Compute model plus one or more sync topologies, combined by geometric mean."""

    compute: ComputeModel
    members: tuple[DataParallelParams, ...]

    def step_time_s(
        self,
        local_bsz: float | np.ndarray,
        n_nodes: float | np.ndarray,
        n_replicas: float | np.ndarray,
        max_replicas_per_node: float | np.ndarray | None = None,
    ) -> np.ndarray:
        """Predicted seconds per step; replicas spread evenly unless the maximum is given."""
        nodes = np.asarray(n_nodes, dtype=float)
        replicas = np.asarray(n_replicas, dtype=float)
        most = (
            np.ceil(replicas / nodes)
            if max_replicas_per_node is None
            else np.asarray(max_replicas_per_node, dtype=float)
        )
        compute = np.asarray(self.compute.step_time_s(local_bsz), dtype=float)
        logs = [np.log(m.step_time_s(compute, nodes, replicas, most)) for m in self.members]
        return np.exp(np.mean(logs, axis=0))

    def predict(self, data: StepTimes) -> np.ndarray:
        return self.step_time_s(
            data.local_bsz, data.n_nodes, data.n_replicas, data.max_replicas_per_node
        )


def fit_data_parallel(
    data: StepTimes,
    shapes: Sequence[str] = SHAPES,
    fixed: Mapping[str, float] | None = None,
    correct_measured: bool = True,
) -> DataParallelModel:
    """Fit compute on step − sync, then every requested sync topology on the step times.

    ``correct_measured=False`` keeps the parametric compute fit even at measured batch sizes;
    ``fixed`` pins parameters (see :func:`fit_data_parallel_params`).
    """
    if len(data) < 2 * len(_NAMES):
        raise ValueError(f"{len(data)} measurements are too few to fit {len(_NAMES)} parameters")
    pinned = dict(fixed or {})
    # pinned compute effects are divided out first, so the base compute is one replica's alone
    effects = compute_effects(pinned.get("contention_per_replica", 0.0),
                              pinned.get("straggler_cv", 0.0),
                              data.max_replicas_per_node, data.n_replicas)  # fmt: skip
    fit = fit_compute(
        data.local_bsz, data.compute_time_s / effects, correct_measured=correct_measured
    )
    compute_s = np.asarray(fit.model.step_time_s(data.local_bsz), dtype=float)
    members = tuple(fit_data_parallel_params(data, compute_s, s, fixed) for s in shapes)
    return DataParallelModel(fit.model, members)
