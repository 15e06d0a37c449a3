"""Shared plumbing of the cooperative payment rules (Shapley, Banzhaf, nucleolus, ...).

They all allocate by the welfare LP, settle usage at the dual prices
(``cost + capacity dual``) and then impose their payoff vector φ with lump-sum
transfers ``t_i = φ_i − π_i``, π being the payoff under dual prices alone.
"""

from __future__ import annotations

import numpy as np

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.lp import SOLVERS, WelfareSolution
from fedsim.mechanisms.lp_welfare import dual_price_clearing


def settle(
    market: Market,
    sol: WelfareSolution,
    payoff_usd_per_h: np.ndarray,
    *,
    status: str | None = None,
    **info: float,
) -> Clearing:
    """The LP allocation at dual prices, plus transfers that move payoffs onto φ."""
    base = dual_price_clearing(market, sol)
    transfer = np.asarray(payoff_usd_per_h, float) - base.planned_payoff_usd_per_h(market)
    # Σφ = v(N) up to solver round-off (v(N) may come from a warm-started re-solve):
    # spread that residue so the transfers balance exactly
    transfer -= transfer.sum() / max(len(transfer), 1)
    return Clearing(
        allocation_units=sol.allocation_units,
        price_usd_per_unit_h=base.price_usd_per_unit_h,
        transfer_usd_per_h=transfer,
        status=status or sol.status,
        info={**base.info, **info},
    )


def game_rng(seed: int, epoch: int) -> np.random.Generator:
    """A generator fixed by the mechanism's seed and the market's epoch (no global RNG)."""
    return np.random.default_rng([abs(int(seed)), abs(int(epoch))])


def check_common(solver: str, **positive: float) -> None:
    """Validate the parameters every cooperative rule shares."""
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    for key, value in positive.items():
        if not value > 0:
            raise ValueError(f"{key} must be > 0, got {value!r}")
