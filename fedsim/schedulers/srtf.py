"""Shortest remaining time first (an oracle: it reads each job's remaining work)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fedsim.schedulers.base import ClusterSnapshot, Decision
from fedsim.schedulers.packing import best_speed, pack


@dataclass(frozen=True)
class Srtf:
    """Every round, jobs in order of remaining run time on their fastest GPU type
    (remaining reference work ÷ best speed; ties: earlier arrival) are packed greedily;
    jobs left out are preempted. Needs the oracle ``remaining_ref_s``."""

    name: ClassVar[str] = "srtf"
    summary: ClassVar[str] = "shortest remaining time first (oracle), preemptive"
    default_round_s: ClassVar[float] = 360.0
    preemptive: ClassVar[bool] = True

    def schedule(self, snap: ClusterSnapshot) -> Decision:
        speed = best_speed(snap)
        with np.errstate(divide="ignore"):
            remaining_s = np.where(speed > 0, snap.remaining_ref_s / speed, np.inf)
        order = np.lexsort((snap.job, snap.arrival_s, remaining_s))
        return Decision(pack(snap, order))
