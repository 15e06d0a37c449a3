"""First in, first out: fedsim's default, and its behaviour before schedulers existed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fedsim.schedulers.base import ClusterSnapshot, Decision


@dataclass(frozen=True)
class Fifo:
    """Strict FIFO over whole gangs, never preempting: waiting jobs start in arrival
    order, each on the fastest GPU type (largest ``speed``; ties: the first type) with
    enough free GPUs; the first job that fits nowhere now blocks the ones behind it.
    Decides at every arrival and completion (no rounds)."""

    name: ClassVar[str] = "fifo"
    summary: ClassVar[str] = "first come first served, fastest free type, no preemption"
    default_round_s: ClassVar[float] = 0.0
    preemptive: ClassVar[bool] = False

    def schedule(self, snap: ClusterSnapshot) -> Decision:
        gpu = snap.running_on.copy()
        free = snap.free.copy()
        runnable = snap.runnable
        for j in np.lexsort((snap.job, snap.arrival_s)):
            if gpu[j] >= 0 or not runnable[j].any():
                continue  # running, or never runs here (it waits for the market)
            fits = runnable[j] & (free >= snap.n_gpus[j])
            if not fits.any():
                break  # head-of-line blocking: strict FIFO
            g = int(np.argmax(np.where(fits, snap.speed[j], -np.inf)))
            gpu[j] = g
            free[g] -= snap.n_gpus[j]
        return Decision(gpu)
