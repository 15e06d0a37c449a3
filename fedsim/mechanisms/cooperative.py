"""Shared plumbing of the cooperative payment rules (Shapley, Banzhaf, nucleolus, ...).

They all allocate by the welfare LP, settle usage at the dual prices
(``cost + capacity dual``) and then impose their payoff vector φ with lump-sum
transfers ``t_i = φ_i − π_i``, π being the payoff under dual prices alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.coalitions import CoalitionValues
from fedsim.mechanisms.games import Estimate, normalise
from fedsim.mechanisms.lp import SOLVERS
from fedsim.mechanisms.lp_welfare import dual_price_clearing
from fedsim.mechanisms.market_lp import WelfareSolution, solve_welfare


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


@dataclass(frozen=True)
class ValueRule:
    """Parameters shared by the value-based rules (Shapley, Banzhaf): exact over all
    coalitions up to ``exact_max_members``, else sampled to ``target_se_rel`` of the
    welfare with between ``min_samples`` and ``max_samples`` samples, seeded per epoch."""

    solver: str = "highs"
    exact_max_members: int = 12
    target_se_rel: float = 0.005
    min_samples: int = 32
    max_samples: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        check_common(
            self.solver,
            target_se_rel=self.target_se_rel,
            min_samples=self.min_samples,
            max_samples=self.max_samples,
        )


def clear_by_value(
    market: Market,
    rule: ValueRule,
    exact: Callable[[np.ndarray], np.ndarray],
    sampled: Callable[..., Estimate],
    *,
    normalised: bool = False,
) -> Clearing:
    """Settle on a value of the coalition LP game: exact over all 2^n coalitions up to
    ``rule.exact_max_members``, else sampled to ``target_se_rel`` of the welfare (with
    the standard error reported); ``normalised`` rescales it to sum to v(N)."""
    sol = solve_welfare(market, solver=rule.solver)
    values = CoalitionValues(market, rule.solver)
    n = market.n_providers
    if n <= rule.exact_max_members:
        payoff = exact(values.all())
        info = {"exact": 1.0, "samples": 0.0, "std_error_usd_per_h": 0.0}
    else:
        target = rule.target_se_rel * abs(sol.welfare_usd_per_h)
        est = sampled(
            values, n, game_rng(rule.seed, market.epoch), target, rule.min_samples, rule.max_samples
        )
        payoff = est.value
        info = {
            "exact": 0.0,
            "samples": float(est.samples),
            "std_error_usd_per_h": float(est.std_error.max()),
        }
    if normalised:
        payoff = normalise(payoff, sol.welfare_usd_per_h)
    return settle(market, sol, payoff, coalition_lps=float(values.solves), **info)
