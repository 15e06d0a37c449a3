"""``shapley``: the LP allocation, payoffs set to the Shapley value of v(S)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.cooperative import ValueRule, clear_by_value
from fedsim.mechanisms.games import shapley_exact, shapley_sampled


@dataclass(frozen=True)
class Shapley(ValueRule):
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
    reads_clock: ClassVar[bool] = True  # sampled beyond exact_max_members, seeded by epoch

    def clear(self, market: Market) -> Clearing:
        return clear_by_value(market, self, shapley_exact, shapley_sampled)
