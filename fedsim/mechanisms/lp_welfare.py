"""``lp_welfare``: the welfare-maximising LP, settled at its shadow prices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.lp import SOLVERS
from fedsim.mechanisms.market_lp import WelfareSolution, solve_welfare


def dual_price_clearing(market: Market, sol: WelfareSolution, **info: float) -> Clearing:
    """Settle an LP optimum at competitive prices ``cost + capacity dual``.

    The gain is net of the host's cost, so the dual ``y_ir`` is the scarcity *rent*
    over cost; the host must also recover ``c_ir``. At ``p = c + y`` each member
    earns ``Σ_{d owned} u_d n_d + Σ_r y_ir q_ir`` (complementary slackness): the
    Owen (1975) core payoff of the linear production game.
    """
    price = np.asarray(market.cost_usd_per_unit_h) + sol.capacity_dual_usd_per_unit_h
    return Clearing(
        allocation_units=sol.allocation_units,
        price_usd_per_unit_h=price,
        transfer_usd_per_h=np.zeros(market.n_providers),
        status=sol.status,
        info={"welfare_usd_per_h": sol.welfare_usd_per_h, **info},
    )


@dataclass(frozen=True)
class LPWelfare:
    """Welfare-maximising allocation priced at the LP's capacity duals.

    Formulation: ``max Σ g·x`` s.t. demand ``Σ_{i,r} x_dir ≤ n_d`` and capacity
    ``Σ_d a_dr x_dir ≤ q_ir`` (dual ``y_ir ≥ 0``). Remote work pays the host
    ``c_ir + y_ir`` per unit-hour: cost plus the shadow price of its capacity.

    Properties: efficient; budget balanced (prices only move money between
    members); allocation and prices form a competitive equilibrium, so the payoffs
    are in the core and individually rational. Reference: G. Owen, "On the core of
    linear production games", Math. Programming 9 (1975) 358–370.
    """

    name: ClassVar[str] = "lp_welfare"
    summary: ClassVar[str] = "welfare-maximising LP; remote use priced at cost + capacity dual"
    reads_clock: ClassVar[bool] = False

    solver: str = "highs"

    def __post_init__(self) -> None:
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")

    def clear(self, market: Market) -> Clearing:
        return dual_price_clearing(market, solve_welfare(market, solver=self.solver))
