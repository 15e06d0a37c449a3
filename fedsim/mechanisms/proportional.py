"""``proportional``: the LP allocation, the gain split by contributed capacity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.coalitions import CoalitionValues
from fedsim.mechanisms.cooperative import check_common, settle
from fedsim.mechanisms.market_lp import solve_welfare

WEIGHTINGS = ("normalised", "units", "cost")


def capacity_shares(market: Market, weighting: str) -> np.ndarray:
    """``[i]`` shares of contributed capacity, summing to 1 (equal if none offered).

    ``normalised``: mean over resources of i's share of that resource (unit-free:
    a GPU and a core do not count the same); ``units``: raw units summed;
    ``cost``: units weighted by their marginal cost.
    """
    q = np.asarray(market.capacity_units, dtype=float)
    if weighting == "normalised":
        total = q.sum(axis=0)
        offered = total > 0
        weight = (q[:, offered] / total[offered]).sum(axis=1)
    elif weighting == "units":
        weight = q.sum(axis=1)
    else:
        weight = (q * market.cost_usd_per_unit_h).sum(axis=1)
    if weight.sum() <= 0:
        return np.full(market.n_providers, 1.0 / max(market.n_providers, 1))
    return weight / weight.sum()


@dataclass(frozen=True)
class Proportional:
    """Stand-alone value plus a capacity-proportional share of the federation gain.

    Formulation: ``φ_i = v({i}) + s_i · (v(N) − Σ_j v({j}))`` with ``s_i`` the share
    of contributed capacity (``weighting``: ``normalised`` | ``units`` | ``cost``).
    The allocation is the LP optimum; φ is imposed by transfers.

    Properties: efficient, budget balanced, individually rational (the LP game is
    superadditive, so the gain is ≥ 0); ignores demand, so not in the core in
    general. Reference: the proportional sharing rule of Samaan, "A novel economic
    sharing model in a federation of selfish cloud providers", IEEE TPDS 25(1) (2014).
    """

    name: ClassVar[str] = "proportional"
    summary: ClassVar[str] = "LP allocation; gain over isolated split by contributed capacity"
    reads_clock: ClassVar[bool] = False

    solver: str = "highs"
    weighting: str = "normalised"

    def __post_init__(self) -> None:
        check_common(self.solver)
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {self.weighting!r}")

    def clear(self, market: Market) -> Clearing:
        sol = solve_welfare(market, solver=self.solver)
        standalone = CoalitionValues(market, self.solver).standalone()
        gain = sol.welfare_usd_per_h - standalone.sum()
        phi = standalone + capacity_shares(market, self.weighting) * gain
        return settle(market, sol, phi, federation_gain_usd_per_h=float(gain))
