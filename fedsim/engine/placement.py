"""Turn a mechanism's (possibly fractional) clearing into whole placements.

The market moves work *between* members: what a clearing allocates to an owner's own
capacity is its plan for the prices, but the owner's local scheduler decides what runs
on its own GPUs (so a strict FIFO stays strict, and a round-based scheduler is not
overridden between its rounds). DNN demand: each class's allocation at other members is
rounded to whole gangs per (member, GPU type) by largest remainders; the class's waiting
jobs then start there in arrival order, at the clearing's price, while the host has
room. Web demand: the cores a clearing gives an owner at another member, capped by what
is free there, are that owner's for the epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fedsim.engine.dnn import DnnCluster
from fedsim.engine.market_builder import Snapshot
from fedsim.engine.web import WebPlan
from fedsim.market.types import Clearing


@dataclass(frozen=True)
class Placed:
    """What an epoch's clearing placed: ``units[d, m, r]`` whole units per cell, and the
    web cores (with their price) each owner got at each remote host."""

    units: np.ndarray
    remote_cores: dict[tuple[int, int], int]
    cpu_price: dict[tuple[int, int], float]


def round_blocks(amounts: np.ndarray, block: float) -> np.ndarray:
    """Whole blocks per cell from fractional amounts: floors, then the remaining
    ``round(total/block) − Σ floors`` blocks to the largest remainders (ties: lowest index)."""
    scaled = np.asarray(amounts, dtype=float) / block
    floors = np.floor(scaled + 1e-9)
    extra = round(scaled.sum() + 1e-9) - int(floors.sum())
    if extra > 0:
        remainder = scaled - floors
        order = np.lexsort((np.arange(len(scaled)), -remainder))
        floors[order[:extra]] += 1
    return floors.astype(np.int64)


def place(
    snap: Snapshot, clearing: Clearing, dnn: DnnCluster, web: WebPlan, cpu: int, t_s: float
) -> Placed:
    """Apply ``clearing`` to the run at ``t_s`` (the start of its epoch)."""
    x = np.asarray(clearing.allocation_units)
    prices = np.asarray(clearing.price_usd_per_unit_h)
    members = snap.member_index
    free = dnn.occ.free
    remote_cores: dict[tuple[int, int], int] = {}
    cpu_price: dict[tuple[int, int], float] = {}
    placed = np.zeros_like(x)
    for d, cls in enumerate(snap.classes):
        if not np.any(x[d] > 1e-9):
            continue
        block = float(cls.n_gpus if cls.kind == "dnn" else 1)
        counts = round_blocks(x[d].ravel(), block).reshape(x[d].shape)
        if cls.kind == "web":
            for m in np.flatnonzero(counts[:, cpu]):
                host = members[m]
                cores = int(min(counts[m, cpu], web.free_cores[host]))
                if host != cls.owner and cores > 0:
                    remote_cores[(cls.owner, host)] = cores
                    cpu_price[(cls.owner, host)] = float(prices[m, cpu])
                    placed[d, m, cpu] = cores
            continue
        queue = iter(cls.jobs)
        for flat in np.lexsort((np.arange(counts.size), -counts.ravel())):
            m, g = divmod(int(flat), counts.shape[1])
            host = members[m]
            if host == cls.owner:
                continue  # home GPUs are the owner's local scheduler's
            for _ in range(int(counts[m, g])):
                if free[host][g] < cls.n_gpus:
                    break
                j = next(queue, None)
                if j is None:
                    break
                dnn.start(j, host, g, t_s, float(prices[m, g]))
                placed[d, m, g] += cls.n_gpus
    return Placed(placed, remote_cores, cpu_price)
