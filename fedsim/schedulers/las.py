"""Least attained service, discretised into priority queues (Tiresias' 2D-LAS)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fedsim.schedulers.base import ClusterSnapshot, Decision
from fedsim.schedulers.packing import pack


@dataclass(frozen=True)
class Las:
    """Tiresias' discretised two-dimensional LAS (Gu et al., NSDI'19): a job's attained
    service is GPUs × time it has held them; queue ``k`` holds jobs whose service is in
    ``[thresholds[k-1], thresholds[k])`` GPU-hours. Lower queues go first, FIFO inside a
    queue (by arrival); a job waiting longer than ``starvation_factor`` times its
    attained service (and at least ``starvation_min_s``) is promoted to the first queue.
    Needs no knowledge of job sizes; preemptive, decided every round."""

    name: ClassVar[str] = "las"
    summary: ClassVar[str] = "Tiresias discretised 2D-LAS: least attained GPU-service first"
    default_round_s: ClassVar[float] = 360.0
    preemptive: ClassVar[bool] = True
    thresholds_gpu_h: tuple[float, ...] = (1.0, 10.0)
    starvation_factor: float = 0.0
    starvation_min_s: float = 3600.0

    def __post_init__(self) -> None:
        t = self.thresholds_gpu_h
        if any(x <= 0 for x in t) or any(b <= a for a, b in itertools.pairwise(t)):
            raise ValueError(f"thresholds_gpu_h must be > 0 and increasing, got {list(t)}")
        if self.starvation_factor < 0 or self.starvation_min_s < 0:
            raise ValueError("starvation_factor and starvation_min_s must be >= 0")

    def schedule(self, snap: ClusterSnapshot) -> Decision:
        attained_h = snap.attained_gpu_s / 3600.0
        queue = np.searchsorted(np.asarray(self.thresholds_gpu_h), attained_h, side="right")
        if self.starvation_factor > 0:
            waited = snap.waited_s - snap.time_on_type_s.sum(axis=1)
            limit = np.maximum(self.starvation_factor * snap.attained_gpu_s, self.starvation_min_s)
            queue = np.where((snap.running_on < 0) & (waited >= limit), 0, queue)
        order = np.lexsort((snap.job, snap.arrival_s, queue))
        return Decision(pack(snap, order))
