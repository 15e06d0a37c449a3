"""Gavel's max-min fairness, heterogeneity-aware and heterogeneity-agnostic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fedsim.schedulers.allocation import max_min_share
from fedsim.schedulers.base import ClusterSnapshot, Decision
from fedsim.schedulers.rounds import RoundsConfig, allocation_key, decide


@dataclass(frozen=True)
class MaxMinFairness:
    """Heterogeneity-aware max-min fairness (Gavel, OSDI'20, §4.1): the allocation
    maximises the smallest *effective throughput* of any job, each normalised by what
    it would get under an equal share of every GPU type, over the measured throughput
    matrix; rounds turn it into whole placements (:mod:`fedsim.schedulers.rounds`).
    Parameters are those of the rounds mechanism (defaults: Gavel's simulator)."""

    name: ClassVar[str] = "max_min_fairness"
    summary: ClassVar[str] = "Gavel heterogeneity-aware max-min fairness (LP over throughputs)"
    default_round_s: ClassVar[float] = 360.0
    preemptive: ClassVar[bool] = True
    reset_interval_s: float = 1920.0
    shuffle_types: bool = False
    hold_unallocated: bool = True

    def __post_init__(self) -> None:
        self._config().validate()

    def _config(self) -> RoundsConfig:
        return RoundsConfig(self.reset_interval_s, self.shuffle_types, self.hold_unallocated)

    def throughput(self, snap: ClusterSnapshot) -> np.ndarray:
        return snap.speed

    def schedule(self, snap: ClusterSnapshot) -> Decision:
        def allocate(s: ClusterSnapshot) -> np.ndarray:
            return max_min_share(self.throughput(s), s.n_gpus, s.capacity)

        def key(s: ClusterSnapshot) -> bytes:  # all max_min_share reads
            return allocation_key(self.throughput(s), s.n_gpus, s.capacity)

        return decide(snap, allocate, self._config(), key)


@dataclass(frozen=True)
class MaxMinFairnessAgnostic(MaxMinFairness):
    """Heterogeneity-agnostic max-min fairness (Gavel's baseline): the same LP with every
    throughput taken as 1, i.e. equal time on any GPU type; as in Gavel, types are
    visited in a new random order every round."""

    name: ClassVar[str] = "max_min_fairness_agnostic"
    summary: ClassVar[str] = "Gavel heterogeneity-agnostic max-min fairness (equal time shares)"
    shuffle_types: bool = True

    def throughput(self, snap: ClusterSnapshot) -> np.ndarray:
        return np.ones_like(snap.speed)
