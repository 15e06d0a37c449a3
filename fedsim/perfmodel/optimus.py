"""Optimus' (EuroSys'18) training-speed model, the baseline for parameter-server training.

Optimus models the speed of synchronous training with p parameter servers and w workers as

    f(p, w) = w / (θ0 + θ1·w/p + θ2·w + θ3·p)

i.e. a step takes ``θ0 + θ1·w/p + θ2·w + θ3·p`` seconds (compute, server load per server,
worker fan-in, server fan-out) and w workers complete w local steps per step time. The θ
are fitted by non-negative least squares, as in the paper. Optimus' θ0 stands for the
compute of one local batch; to use it across local batch sizes we let it grow linearly,
``θ0 = θ0' + θb·b`` (Optimus' own ``θ0·M/w`` term, with M/w the local batch).

For all-reduce training there are no servers; the baseline then takes p = the number of
nodes, whose NICs carry the traffic as servers would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from fedsim.perfmodel.measurements import StepTimes


@dataclass(frozen=True)
class OptimusParams:
    """Non-negative coefficients of the Optimus step-time model (seconds)."""

    theta0_s: float
    theta1_s: float
    theta2_s: float
    theta3_s: float
    theta_b_s_per_sample: float = 0.0

    def step_time_s(
        self,
        n_servers: float | np.ndarray,
        n_workers: float | np.ndarray,
        local_bsz: float | np.ndarray = 0.0,
    ) -> np.ndarray:
        p = np.asarray(n_servers, dtype=float)
        w = np.asarray(n_workers, dtype=float)
        b = np.asarray(local_bsz, dtype=float)
        return (
            self.theta0_s
            + self.theta_b_s_per_sample * b
            + self.theta1_s * w / p
            + self.theta2_s * w
            + self.theta3_s * p
        )

    def speed_steps_per_s(
        self,
        n_servers: float | np.ndarray,
        n_workers: float | np.ndarray,
        local_bsz: float | np.ndarray = 0.0,
    ) -> np.ndarray:
        """Optimus' f(p, w): local steps completed per second by all workers together."""
        return np.asarray(n_workers, float) / self.step_time_s(n_servers, n_workers, local_bsz)

    def predict(self, data: StepTimes) -> np.ndarray:
        return self.step_time_s(data.n_nodes, data.n_replicas, data.local_bsz)


def fit_optimus(
    n_servers: np.ndarray,
    n_workers: np.ndarray,
    step_time_s: np.ndarray,
    local_bsz: np.ndarray | None = None,
) -> OptimusParams:
    """NNLS of step time on [1, w/p, w, p] (and b when local batch sizes are given)."""
    p = np.asarray(n_servers, dtype=float)
    w = np.asarray(n_workers, dtype=float)
    t = np.asarray(step_time_s, dtype=float)
    columns = [np.ones_like(t), w / p, w, p]
    if local_bsz is not None:
        columns.append(np.asarray(local_bsz, dtype=float))
    theta, _ = nnls(np.column_stack(columns), t)
    return OptimusParams(*(float(v) for v in theta))


def fit_optimus_data_parallel(data: StepTimes) -> OptimusParams:
    """The baseline on all-reduce measurements: servers = nodes, workers = replicas."""
    return fit_optimus(data.n_nodes, data.n_replicas, data.step_time_s, data.local_bsz)
