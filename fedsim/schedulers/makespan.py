"""Minimum makespan over the throughput matrix (Gavel's ``min_total_duration``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fedsim.schedulers.allocation import min_makespan_share
from fedsim.schedulers.base import ClusterSnapshot, Decision
from fedsim.schedulers.rounds import RoundsConfig, decide


@dataclass(frozen=True)
class Makespan:
    """The allocation under which every current job finishes soonest (the smallest
    common finish time for all of them, an oracle on remaining work), placed in rounds
    like Gavel's other policies."""

    name: ClassVar[str] = "makespan"
    summary: ClassVar[str] = "minimise the time to finish every current job (oracle)"
    default_round_s: ClassVar[float] = 360.0
    preemptive: ClassVar[bool] = True
    reset_interval_s: float = 1920.0
    hold_unallocated: bool = True

    def __post_init__(self) -> None:
        RoundsConfig(self.reset_interval_s).validate()

    def schedule(self, snap: ClusterSnapshot) -> Decision:
        def allocate(s: ClusterSnapshot) -> np.ndarray:
            return min_makespan_share(s.speed, s.remaining_ref_s, s.n_gpus, s.capacity)

        cfg = RoundsConfig(self.reset_interval_s, False, self.hold_unallocated)
        return decide(snap, allocate, cfg)
