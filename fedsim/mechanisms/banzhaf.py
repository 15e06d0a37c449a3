"""``banzhaf``: the LP allocation, payoffs set to the normalised Banzhaf value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.coalitions import CoalitionValues
from fedsim.mechanisms.cooperative import check_common, game_rng, settle
from fedsim.mechanisms.games import banzhaf_exact, banzhaf_sampled, normalise
from fedsim.mechanisms.lp import solve_welfare


@dataclass(frozen=True)
class Banzhaf:
    """Normalised Banzhaf value of the linear production game.

    Formulation: ``β_i = 2^{1−n} Σ_{S∌i} (v(S∪i) − v(S))`` and
    ``φ_i = β_i / Σ_j β_j · v(N)`` (equal split if Σβ = 0). Exact up to
    ``exact_max_members``; beyond, each β_i is estimated from uniformly sampled
    coalitions of the others (standard error in ``info``, before normalisation).

    Properties: efficient and budget balanced by the normalisation; symmetric;
    neither always individually rational nor in the core (measured). Reference:
    L. Mashayekhy, M. M. Nejad, D. Grosu, "Cloud federations in the sky: formation
    game and mechanism", IEEE Trans. Cloud Comput. 3(1) (2015) 14–27.
    """

    name: ClassVar[str] = "banzhaf"
    summary: ClassVar[str] = "LP allocation; payoffs = normalised Banzhaf value (Mashayekhy 2015)"

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
            beta = banzhaf_exact(values.all())
            info = {"exact": 1.0, "samples": 0.0, "std_error_usd_per_h": 0.0}
        else:
            target = self.target_se_rel * abs(sol.welfare_usd_per_h)
            est = banzhaf_sampled(values, n, game_rng(self.seed, market.epoch), target,
                                  self.min_samples, self.max_samples)
            beta = est.value
            info = {"exact": 0.0, "samples": float(est.samples),
                    "std_error_usd_per_h": float(est.std_error.max())}
        phi = normalise(beta, sol.welfare_usd_per_h)
        return settle(market, sol, phi, coalition_lps=float(values.solves), **info)
