"""``banzhaf``: the LP allocation, payoffs set to the normalised Banzhaf value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.cooperative import ValueRule, clear_by_value
from fedsim.mechanisms.games import banzhaf_exact, banzhaf_sampled


@dataclass(frozen=True)
class Banzhaf(ValueRule):
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
    reads_clock: ClassVar[bool] = True  # sampled beyond exact_max_members, seeded by epoch

    def clear(self, market: Market) -> Clearing:
        return clear_by_value(market, self, banzhaf_exact, banzhaf_sampled, normalised=True)
