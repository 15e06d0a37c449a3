"""An example fedsim mechanism from outside the fedsim package: greedy local-first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fedsim.market.types import Clearing, Market


@dataclass(frozen=True)
class GreedyLocal:
    """Each member serves its own demand first, then the most profitable peer with room.

    Cells are filled greedily, best first: own capacity (by net gain), then remote
    capacity by the owner's net value after paying ``cost × (1 + markup)`` (only
    where that is positive, so every trade is individually rational). No transfers:
    budget balanced. Not efficient in general (greedy, first come first served).
    """

    name: ClassVar[str] = "greedy_local"
    summary: ClassVar[str] = "own demand first, then the best peer; price = cost × (1 + markup)"

    markup: float = 0.2

    def __post_init__(self) -> None:
        if not self.markup >= 0:
            raise ValueError(f"markup must be >= 0, got {self.markup}")

    def clear(self, market: Market) -> Clearing:
        price = np.asarray(market.cost_usd_per_unit_h) * (1.0 + self.markup)
        value = market.demand_value_usd_per_unit_h[:, None, None] * market.affinity
        wan = market.wan_cost_usd_per_unit_h[:, :, None]
        owner_net = value - wan - price[None, :, :] * market.need[:, None, :]
        gain = market.gain_usd_per_unit_h()
        own = np.arange(market.n_providers)[None, :, None] == market.demand_owner[:, None, None]
        own = np.broadcast_to(own, gain.shape)
        left = np.array(market.demand_units, dtype=float)
        room = np.array(market.capacity_units, dtype=float)
        x = np.zeros(gain.shape)
        for local, score in ((True, gain), (False, owner_net)):
            ok = (own == local) & np.isfinite(gain) & (gain > 0) & (score > 0)
            cells = np.argwhere(ok)
            for d, i, r in cells[np.argsort(-score[ok], kind="stable")]:
                units = min(left[d], room[i, r] / market.need[d, r])
                if units > 0:
                    x[d, i, r] = units
                    left[d] -= units
                    room[i, r] -= units * market.need[d, r]
        x = market.within_groups(x)  # alternatives for one need are served once
        return Clearing(x, price, np.zeros(market.n_providers), info={"markup": self.markup})
