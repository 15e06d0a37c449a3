"""The plain Pollux (OSDI'21) throughput fit, kept as the reference fedsim's model must beat.

    T_comp = α_c + β_c·b
    T_sync = α_n + β_n·(K−2) across nodes, α_r + β_r·(K−2) on one node, 0 for K = 1
    T_step = (T_comp^γ + T_sync^γ)^(1/γ)

fitted by least squares on log step time, as in adaptdl's ``fit_perf_params``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from fedsim.perfmodel.measurements import StepTimes
from fedsim.perfmodel.sync import soft_max_power


@dataclass(frozen=True)
class PolluxParams:
    """Pollux's seven performance parameters (seconds, seconds per sample)."""

    alpha_c_s: float
    beta_c_s_per_sample: float
    alpha_n_s: float
    beta_n_s: float
    alpha_r_s: float
    beta_r_s: float
    gamma: float

    def step_time_s(
        self,
        local_bsz: float | np.ndarray,
        n_nodes: float | np.ndarray,
        n_replicas: float | np.ndarray,
    ) -> np.ndarray:
        compute = self.alpha_c_s + self.beta_c_s_per_sample * np.asarray(local_bsz, float)
        k = np.asarray(n_replicas, dtype=float)
        inter = self.alpha_n_s + self.beta_n_s * (k - 2.0)
        intra = self.alpha_r_s + self.beta_r_s * (k - 2.0)
        sync = np.where(np.asarray(n_nodes) > 1, inter, np.where(k > 1, intra, 0.0))
        return soft_max_power(compute, np.maximum(sync, 0.0), self.gamma)

    def predict(self, data: StepTimes) -> np.ndarray:
        return self.step_time_s(data.local_bsz, data.n_nodes, data.n_replicas)


def fit_pollux(data: StepTimes) -> PolluxParams:
    """Fit the seven parameters, all ≥ 0 and γ ∈ [1, 10], on log step time."""
    y = np.log(data.step_time_s)

    def residuals(x: np.ndarray) -> np.ndarray:
        params = PolluxParams(*x)
        predicted = params.step_time_s(data.local_bsz, data.n_nodes, data.n_replicas)
        return np.log(np.maximum(predicted, 1e-12)) - y

    typical = float(np.median(data.step_time_s))
    per_sample = typical / float(np.median(data.local_bsz))
    lower = np.array([0.0] * 6 + [1.0])
    upper = np.array([np.inf] * 6 + [10.0])
    best = None
    for gamma0 in (1.5, 4.0):
        x0 = np.array([0.1 * typical, 0.1 * per_sample, 0.5 * typical, 0.01 * typical,
                       0.05 * typical, 0.01 * typical, gamma0])  # fmt: skip
        fit = least_squares(residuals, x0, bounds=(lower, upper), x_scale="jac")
        if best is None or fit.cost < best.cost:
            best = fit
    assert best is not None
    return PolluxParams(*(float(v) for v in best.x))
