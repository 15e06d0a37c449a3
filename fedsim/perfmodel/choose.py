"""Choosing a job's data-parallel configuration from predicted step times.

A job submitted with a range of configurations (replicas, nodes, local batch size)
gets, at submission, the one the throughput model ranks best by the objective:

- ``fastest``: most samples per second;
- ``cheapest``: fewest GPU-seconds per sample;
- ``per_dollar``: most samples per second per dollar-hour at ``price_usd_per_gpu_h``
  (equal to ``cheapest`` with one price for every GPU).
"""

from __future__ import annotations

import numpy as np

from fedsim.perfmodel.measurements import StepTimes

OBJECTIVES = ("fastest", "cheapest", "per_dollar")


def score(
    step_time_s: np.ndarray, candidates: StepTimes, objective: str, price_usd_per_gpu_h: float = 1.0
) -> np.ndarray:
    """Higher is better, per candidate configuration."""
    samples_per_s = candidates.n_replicas * candidates.local_bsz / step_time_s
    if objective == "fastest":
        return samples_per_s
    if objective in ("cheapest", "per_dollar"):
        return samples_per_s / (candidates.n_replicas * price_usd_per_gpu_h)
    raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")


def choose(
    predicted_step_s: np.ndarray,
    candidates: StepTimes,
    objective: str = "fastest",
    price_usd_per_gpu_h: float = 1.0,
) -> int:
    """Index of the candidate the prediction ranks best (ties: the first)."""
    if len(candidates) == 0:
        raise ValueError("no candidate configuration")
    return int(
        np.argmax(
            score(np.asarray(predicted_step_s, float), candidates, objective, price_usd_per_gpu_h)
        )
    )
