"""``posted_price``: serve yourself first, outsource the rest at cost plus markup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.lp import SOLVERS
from fedsim.mechanisms.market_lp import remote_mask, solve_welfare


@dataclass(frozen=True)
class PostedPrice:
    """Fixed posted prices: each host sells spare capacity at ``c_ir·(1 + markup)``.

    Formulation: (1) each provider serves its own demand on its own capacity (the
    ``isolated`` LP); (2) demand classes, highest value first (ties by index), buy
    leftover capacity from the cheapest peer per unit of useful work,
    ``(p_ir·a_dr + w_di)/e_dir``, while the owner still gains
    (``v_d·e_dir − w_di − p_ir·a_dr > 0``), the host has room and the class's demand
    group (alternatives for one need) is not yet served.

    Properties: budget balanced (prices only move money between members);
    individually rational for owners (they buy only at a gain) and hosts
    (``p ≥ c`` when ``markup ≥ 0``); not efficient (greedy, prices ignore
    scarcity). Reference: posted-price federation in Goiri, Guitart & Torres,
    "Economic model of a Cloud provider operating in a federated Cloud",
    Inf. Syst. Front. 14 (2012).
    """

    name: ClassVar[str] = "posted_price"
    summary: ClassVar[str] = "own demand first; outsource to the cheapest peer at cost × (1+markup)"
    reads_clock: ClassVar[bool] = False

    markup: float = 0.2
    solver: str = "highs"

    def __post_init__(self) -> None:
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        if not (self.markup >= 0 and np.isfinite(self.markup)):
            raise ValueError(f"markup must be a finite number ≥ 0, got {self.markup!r}")

    def clear(self, market: Market) -> Clearing:
        remote = remote_mask(market)
        own = solve_welfare(market, solver=self.solver, allow=~remote)
        x = own.allocation_units.copy()
        need = market.need
        price = market.cost_usd_per_unit_h * (1.0 + self.markup)
        room = market.capacity_units - np.einsum("dir,dr->ir", x, need)
        left = market.demand_units - x.sum(axis=(1, 2))
        value = market.demand_value_usd_per_unit_h[:, None, None] * market.affinity
        value = value - market.wan_cost_usd_per_unit_h[:, :, None]
        pay = price[None, :, :] * need[:, None, :]
        buyer_gain = value - pay
        usable = remote & (market.affinity > 0) & (need[:, None, :] > 0) & (buyer_gain > 0)
        unit_cost = np.where(usable, (pay + market.wan_cost_usd_per_unit_h[:, :, None])
                             / np.where(usable, market.affinity, 1.0), np.inf)
        outsourced = 0.0
        group_left = 1.0 - market.group_usage(x)  # a group's need is served at most once
        group, share = market.demand_group, market.group_share
        for d in np.argsort(-market.demand_value_usd_per_unit_h, kind="stable"):
            for flat in np.argsort(unit_cost[d], axis=None, kind="stable"):
                if left[d] <= 1e-12 or not np.isfinite(unit_cost[d].flat[flat]):
                    break
                i, r = divmod(int(flat), market.n_resources)
                take = min(left[d], room[i, r] / need[d, r])
                if group[d] >= 0:
                    take = min(take, max(group_left[group[d]], 0.0) / share[d])
                if take > 1e-12:
                    x[d, i, r] += take
                    left[d] -= take
                    room[i, r] -= take * need[d, r]
                    outsourced += take
                    if group[d] >= 0:
                        group_left[group[d]] -= take * share[d]
        return Clearing(
            allocation_units=x,
            price_usd_per_unit_h=price,
            transfer_usd_per_h=np.zeros(market.n_providers),
            status="optimal",
            info={"outsourced_units": float(outsourced)},
        )
