"""``nucleolus``: the LP allocation, payoffs set to the nucleolus of v(S)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.coalitions import CoalitionValues
from fedsim.mechanisms.cooperative import check_common, settle
from fedsim.mechanisms.games import least_core, nucleolus
from fedsim.mechanisms.lp_welfare import dual_price_clearing
from fedsim.mechanisms.market_lp import solve_welfare


@dataclass(frozen=True)
class Nucleolus:
    """Nucleolus of the linear production game.

    Formulation: least core ``min ε s.t. x(S) ≥ v(S) − ε ∀S, x(N) = v(N)``, then the
    lexicographic refinement of Maschler, Peleg & Shapley: a sequence of LPs, each
    fixing the coalitions tight in every optimum, until x is unique. Needs all
    2^n coalition values, so beyond ``max_members`` it returns the dual-price
    (Owen) payoff, which is in the core, with ``status="approximate"``.

    Properties: efficient, budget balanced; in the core whenever the core is
    non-empty, which holds for linear production games (Owen 1975), hence
    individually rational. Reference: D. Schmeidler, "The nucleolus of a
    characteristic function game", SIAM J. Appl. Math. 17 (1969); Maschler, Peleg
    & Shapley, Math. Oper. Res. 4 (1979).
    """

    name: ClassVar[str] = "nucleolus"
    summary: ClassVar[str] = "LP allocation; payoffs = nucleolus (least core, then lexicographic)"
    reads_clock: ClassVar[bool] = False

    solver: str = "highs"
    max_members: int = 12

    def __post_init__(self) -> None:
        check_common(self.solver, max_members=self.max_members)

    def clear(self, market: Market) -> Clearing:
        sol = solve_welfare(market, solver=self.solver)
        if sol.status == "empty":  # no trade possible: nothing to share
            return dual_price_clearing(market, sol, exact=1.0)
        if market.n_providers > self.max_members:
            return replace(dual_price_clearing(market, sol, exact=0.0), status="approximate")
        values = CoalitionValues(market, self.solver).all()
        eps, _ = least_core(values, self.solver)
        phi = nucleolus(values, self.solver)
        return settle(market, sol, phi, exact=1.0, least_core_eps_usd_per_h=eps)
