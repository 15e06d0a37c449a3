"""Turn a mechanism's (possibly fractional) clearing into whole placements.

The market moves work *between* members: what a clearing allocates to an owner's own
capacity is its plan for the prices, but the owner's local scheduler decides what runs
on its own GPUs (so a strict FIFO stays strict, and a round-based scheduler is not
overridden between its rounds). DNN demand: each class's allocation at other members is
rounded to whole gangs per (member, GPU type) by largest remainders; the class's waiting
jobs then start there in arrival order, at the clearing's price, while the host has
room. Web demand: each owner gets at most one of its bundles, the one the clearing
allocated most of, if that rounds to the whole bundle and its host still has the cores
free (a part of a bundle is not the bundle: it was sized as a whole).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fedsim.engine.dnn import DnnCluster
from fedsim.engine.market_builder import Snapshot
from fedsim.engine.web_plan import Bundle, WebPlan
from fedsim.market.types import Clearing

Resize = Callable[[Bundle, int, float], Bundle | None]  # fewer cores, at a price: if worth it


@dataclass(frozen=True)
class Placed:
    """What an epoch's clearing placed: ``units[d, m, r]`` whole units per cell, and the
    web bundle each owner bought (with its price per core-hour)."""

    units: np.ndarray
    bundles: dict[int, tuple[Bundle, float]]  # owner -> (bundle, USD per core-hour)


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
    snap: Snapshot, clearing: Clearing, dnn: DnnCluster, web: WebPlan, cpu: int, t_s: float,
    resize: Resize | None = None,
) -> Placed:
    """Apply ``clearing`` to the run at ``t_s`` (the start of its epoch); ``resize``
    sizes a bundle given fewer cores than it asked for (see :func:`_place_bundles`)."""
    x = np.asarray(clearing.allocation_units)
    prices = np.asarray(clearing.price_usd_per_unit_h)
    members = snap.member_index
    free = dnn.occ.free
    placed = np.zeros_like(x)
    # classes with some allocation away from home (one pass over the array, not one per
    # class). A cell allocated exactly 0 gets no block: largest remainders only go to
    # cells with a positive remainder (there are at least as many as blocks to give)
    allocated: np.ndarray | tuple[()] = ()
    if len(x):
        away = x.copy()
        away[np.arange(len(x)), snap.market.demand_owner] = 0.0
        flat_x, flat_away = x.reshape(len(x), -1), away.reshape(len(x), -1)
        allocated = np.flatnonzero((flat_x > 1e-9).any(axis=1) & (flat_away != 0.0).any(axis=1))
    for d in allocated:
        cls = snap.classes[d]
        if cls.kind != "dnn":
            continue
        counts = round_blocks(x[d].ravel(), float(cls.n_gpus)).reshape(x[d].shape)
        # starting a job removes it from the live queue: take the few placed jobs first
        queue = iter(cls.jobs[: int(counts.sum())])
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
    return Placed(placed, _place_bundles(snap, x, prices, web, cpu, placed, resize))


def _place_bundles(snap: Snapshot, x: np.ndarray, prices: np.ndarray, web: WebPlan, cpu: int,
                   placed: np.ndarray, resize: Resize | None
                   ) -> dict[int, tuple[Bundle, float]]:
    """Per owner, the bundle the clearing gave the most cores of. A mechanism may give a
    bundle only part of its cores (an LP relaxation, a reduced trade): the owner then
    gets those whole cores, never more, serving the largest share of its overflow
    they serve within the SLA (``resize``), if that is worth their price to it (a
    buyer never takes part of a bundle worth less than it costs)."""
    pos = {host: m for m, host in enumerate(snap.member_index)}
    best: dict[int, tuple[int, int]] = {}
    for d, cls in enumerate(snap.classes):
        if cls.bundle is None:
            continue
        cores = min(math.floor(float(x[d, pos[cls.bundle.host], cpu]) + 1e-6),
                    cls.bundle.cores)
        if cores > 0 and cores > best.get(cls.owner, (0, -1))[0]:
            best[cls.owner] = (cores, d)
    free = list(web.free_cores)
    out: dict[int, tuple[Bundle, float]] = {}
    for owner in sorted(best, key=lambda o: (-best[o][0], o)):
        cores, d = best[owner]
        bundle = snap.classes[d].bundle
        assert bundle is not None
        cores = min(cores, free[bundle.host])
        if cores < bundle.cores:
            m = pos[bundle.host]
            smaller = (resize(bundle, cores, float(prices[m, cpu]))
                       if resize is not None and cores > 0 else None)
            if smaller is None:
                continue
            bundle = smaller
        free[bundle.host] -= bundle.cores
        m = pos[bundle.host]
        placed[d, m, cpu] = bundle.cores
        out[owner] = (bundle, float(prices[m, cpu]))
    return out
