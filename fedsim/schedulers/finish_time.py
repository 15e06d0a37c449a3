"""Finish-time fairness (Themis, NSDI'20, as formulated by Gavel)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fedsim.schedulers.allocation import feasible_rates
from fedsim.schedulers.base import ClusterSnapshot, Decision
from fedsim.schedulers.rounds import RoundsConfig, decide


def isolated_rate(snap: ClusterSnapshot) -> np.ndarray:
    """``[j]`` work per second each job would get alone with a 1/m share of every type
    (m jobs), capped at one whole gang: Gavel's isolated throughput."""
    m = max(snap.n_jobs, 1)
    cap = snap.capacity.astype(float)
    per_job = cap[None, :] / (m * snap.n_gpus[:, None])
    scale = np.maximum(1.0, per_job.sum(axis=1, keepdims=True))
    return (np.where(snap.runnable, snap.speed, 0.0) * per_job / scale).sum(axis=1)


def ftf_share(snap: ClusterSnapshot, tolerance: float = 1.01) -> np.ndarray:
    """Minimise the largest finish-time ratio ρ_j = (elapsed_j + remaining_j / rate_j) /
    (work_j / isolated_j): shared-cluster completion time over the time it would take
    alone on its fair share. For a fixed ρ the rates needed are linear, so ρ is found by
    bisection (to ``tolerance``) over feasibility LPs."""
    iso = isolated_rate(snap)
    ok = iso > 0
    alone_s = np.where(ok, snap.work_ref_s / np.where(ok, iso, 1.0), math.inf)
    elapsed = snap.waited_s
    remaining = snap.remaining_ref_s

    def attempt(rho: float) -> np.ndarray | None:
        slack = rho * alone_s - elapsed
        if np.any(ok & (slack <= 0)):
            return None
        need = np.where(ok, remaining / np.where(slack > 0, slack, 1.0), 0.0)
        return feasible_rates(snap.speed, need, snap.n_gpus, snap.capacity)

    lo = float(np.max(np.where(ok, elapsed / alone_s, 0.0), initial=0.0))
    hi = max(2.0 * lo, 1.0)
    best = attempt(hi)
    while best is None and hi < 1e12:
        lo, hi = hi, hi * 4.0
        best = attempt(hi)
    if best is None:
        return np.zeros_like(snap.speed)
    while hi > lo * tolerance and hi - lo > 1e-9:
        mid = math.sqrt(lo * hi) if lo > 0 else hi / 2.0
        found = attempt(mid)
        if found is None:
            lo = mid
        else:
            hi, best = mid, found
    return best


@dataclass(frozen=True)
class FinishTimeFairness:
    """Themis' finish-time fairness over the throughput matrix (Gavel's formulation):
    minimise the worst ratio of a job's expected completion time in the shared cluster
    to its completion time alone on a 1/m share; uses remaining work (oracle). Placed in
    rounds like Gavel's other policies. Differences from Gavel: the isolated time is
    computed from the current number of jobs rather than accumulated across resets."""

    name: ClassVar[str] = "finish_time_fairness"
    summary: ClassVar[str] = "Themis finish-time fairness (min max shared/isolated time)"
    default_round_s: ClassVar[float] = 360.0
    preemptive: ClassVar[bool] = True
    reset_interval_s: float = 1920.0
    hold_unallocated: bool = True
    tolerance: float = 1.01

    def __post_init__(self) -> None:
        RoundsConfig(self.reset_interval_s).validate()
        if not self.tolerance > 1.0:
            raise ValueError(f"tolerance must be > 1, got {self.tolerance}")

    def schedule(self, snap: ClusterSnapshot) -> Decision:
        cfg = RoundsConfig(self.reset_interval_s, False, self.hold_unallocated)
        return decide(snap, lambda s: ftf_share(s, self.tolerance), cfg)
