"""``shapley``: the LP allocation, payoffs set to the Shapley value of v(S)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.coalitions import CoalitionValues
from fedsim.mechanisms.cooperative import check_common, game_rng, settle
from fedsim.mechanisms.games import shapley_exact, shapley_sampled
from fedsim.mechanisms.lp import solve_welfare


@dataclass(frozen=True)
class Shapley:
    """Shapley value of the linear production game.

    Formulation: v(S) = welfare LP optimum of ``market.restrict(S)``;
    ``φ_i = Σ_{S∌i} |S|!(n−|S|−1)!/n! · (v(S∪i) − v(S))``. Exact (all 2^n coalition
    LPs, cached within the epoch) up to ``exact_max_members``; beyond, permutation
    sampling with ``m = Var/target_se²`` permutations (bounded), where
    ``target_se = target_se_rel·|v(N)|``; the standard error goes to ``info``.
    The allocation is the LP optimum; φ is imposed by transfers on top of the
    dual-price usage payments.

    Properties: efficient, budget balanced, symmetric, dummy-free; not always in
    the core (measured). Reference: L. S. Shapley, "A value for n-person games"
    (1953); sampling: Castro, Gómez & Tejada, Comput. Oper. Res. 36 (2009).
    """

    name: ClassVar[str] = "shapley"
    summary: ClassVar[str] = "LP allocation; payoffs = Shapley value of coalition LP values"

    solver: str = "highs"
    exact_max_members: int = 12
    target_se_rel: float = 0.005
    min_samples: int = 32
    max_samples: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        check_common(self.solver, target_se_rel=self.target_se_rel,
                     min_samples=self.min_samples, max_samples=self.max_samples)

    def clear(self, market: Market) -> Clearing:
        sol = solve_welfare(market, solver=self.solver)
        values = CoalitionValues(market, self.solver)
        n = market.n_providers
        if n <= self.exact_max_members:
            phi = shapley_exact(values.all())
            return settle(market, sol, phi, exact=1.0, samples=0.0, std_error_usd_per_h=0.0,
                          coalition_lps=float(values.solves))
        target = self.target_se_rel * abs(sol.welfare_usd_per_h)
        est = shapley_sampled(values, n, game_rng(self.seed, market.epoch), target,
                              self.min_samples, self.max_samples)
        return settle(market, sol, est.value, exact=0.0, samples=float(est.samples),
                      std_error_usd_per_h=float(est.std_error.max()),
                      coalition_lps=float(values.solves))
