"""``isolated``: no federation; the baseline every gain is measured against."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.lp import SOLVERS
from fedsim.mechanisms.market_lp import remote_mask, solve_welfare


@dataclass(frozen=True)
class Isolated:
    """Each provider serves only its own demand on its own capacity.

    Formulation: the welfare LP (DESIGN.md §3) with every remote cell
    (``i ≠ o(d)``) removed, which separates into one LP per provider.

    Properties: no money moves (prices and transfers are zero), trivially budget
    balanced and individually rational; its per-member welfare is v({i}), the
    stand-alone value of the coalitional game. Reference: the "no federation"
    baseline of Goiri, Guitart & Torres, "Economic model of a Cloud provider
    operating in a federated Cloud", Inf. Syst. Front. 14 (2012).
    """

    name: ClassVar[str] = "isolated"
    summary: ClassVar[str] = "each provider serves only its own demand (no trade, no payments)"
    reads_clock: ClassVar[bool] = False

    solver: str = "highs"

    def __post_init__(self) -> None:
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")

    def clear(self, market: Market) -> Clearing:
        sol = solve_welfare(market, solver=self.solver, allow=~remote_mask(market))
        empty = Clearing.empty(market, status=sol.status)
        return Clearing(
            allocation_units=sol.allocation_units,
            price_usd_per_unit_h=empty.price_usd_per_unit_h,
            transfer_usd_per_h=empty.transfer_usd_per_h,
            status=sol.status,
            info={"welfare_usd_per_h": sol.welfare_usd_per_h},
        )
