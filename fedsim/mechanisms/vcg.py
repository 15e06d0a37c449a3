"""``vcg``: the LP allocation with Clarke-pivot payments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.coalitions import CoalitionValues
from fedsim.mechanisms.cooperative import check_common
from fedsim.mechanisms.market_lp import solve_welfare


@dataclass(frozen=True)
class VCG:
    """Vickrey–Clarke–Groves with the Clarke pivot.

    Formulation: allocate by the welfare LP on the *reported* market (values,
    costs); member i's utility from it is ``u_i`` = value of its served work minus
    WAN and the cost of what it hosts. i pays its externality
    ``p_i = v(N∖i) − (v(N) − u_i)`` (as transfer ``−p_i``; no usage prices), so it
    ends with ``v(N) − v(N∖i)``, its marginal contribution.

    Properties: efficient; dominant-strategy truthful (i's report only moves the
    allocation, and the LP maximises the reported welfare i is paid); individually
    rational (``v(N) ≥ v(N∖i) + v({i})``: the two optima together are feasible for
    N). NOT budget balanced: ``budget_balanced=False`` and
    ``info["budget_residual_usd_per_h"] = Σ transfers`` (> 0: a deficit someone
    outside the members must cover). Reference: Vickrey (1961), Clarke (1971),
    Groves (1973); Nisan et al., Algorithmic Game Theory, ch. 9 (2007).
    """

    name: ClassVar[str] = "vcg"
    summary: ClassVar[str] = "LP allocation; Clarke-pivot payments (truthful, not budget balanced)"
    reads_clock: ClassVar[bool] = False

    solver: str = "highs"

    def __post_init__(self) -> None:
        check_common(self.solver)

    def clear(self, market: Market) -> Clearing:
        sol = solve_welfare(market, solver=self.solver)
        n = market.n_providers
        zero = np.zeros((n, market.n_resources))
        unpriced = Clearing(sol.allocation_units, zero, np.zeros(n))
        utility = unpriced.planned_payoff_usd_per_h(market)
        values = CoalitionValues(market, self.solver)
        grand = values.grand_mask
        without = np.array([values(grand & ~(1 << i)) for i in range(n)])
        payment = without - (sol.welfare_usd_per_h - utility)
        transfer = -payment
        return Clearing(
            allocation_units=sol.allocation_units,
            price_usd_per_unit_h=zero,
            transfer_usd_per_h=transfer,
            budget_balanced=False,
            status=sol.status,
            info={"welfare_usd_per_h": sol.welfare_usd_per_h,
                  "budget_residual_usd_per_h": float(transfer.sum())},
        )
