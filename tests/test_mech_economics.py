"""fedsim.analysis.economics on hand-solved games.

Game G (players A, B, C): v(A) = 1, v(B) = v(C) = 0, v(AB) = 4, v(AC) = 3,
v(BC) = 2, v(ABC) = 6.
Shapley over the 6 orders: A (1+1+4+4+3+4)/6 = 17/6, B (3+3+0+0+3+2)/6 = 11/6,
C (2+2+2+2+0+0)/6 = 8/6.
Banzhaf raw: A (1 + 4 + 3 + 4)/4 = 3, B (0 + 3 + 2 + 3)/4 = 2, C (0 + 2 + 2 + 2)/4
= 1.5; normalised ×6/6.5: (36/13, 24/13, 18/13).
Least core: x(S) ≥ v(S) − ε with x(N) = 6 turns the pair constraints into upper
bounds x_C ≤ 2 + ε, x_B ≤ 3 + ε, x_A ≤ 4 + ε; they must add up to ≥ 6, so ε ≥ −1.
At ε = −1 the bounds (3, 2, 1) sum to exactly 6 (and meet x_A ≥ 2, x_B ≥ 1,
x_C ≥ 1), so ε = −1 and the least core is the single point (3, 2, 1), which is
therefore the nucleolus. Shapley's excess on ABC is 0 and its worst other excess
v(AB) − 28/6 = −2/3 < 0: it is in the core.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from fedsim.analysis import economics as econ
from fedsim.mechanisms import CoalitionValues, make
from fedsim.mechanisms.conformance import random_market
from fedsim.mechanisms.examples import one_resource_market


def game(table: dict[str, float]) -> dict[frozenset, float]:
    return {frozenset(k): v for k, v in table.items()}


G = game({"A": 1, "B": 0, "C": 0, "AB": 4, "AC": 3, "BC": 2, "ABC": 6})


def approx(d: dict, expected: dict) -> None:
    assert d.keys() == expected.keys()
    for k in d:
        assert d[k] == pytest.approx(expected[k], abs=1e-9), k


def test_solution_concepts_on_hand_game() -> None:
    approx(econ.shapley_value(G), {"A": 17 / 6, "B": 11 / 6, "C": 8 / 6})
    approx(econ.banzhaf_value(G), {"A": 36 / 13, "B": 24 / 13, "C": 18 / 13})
    approx(econ.banzhaf_value(G, normalised=False), {"A": 3.0, "B": 2.0, "C": 1.5})
    approx(econ.nucleolus(G), {"A": 3.0, "B": 2.0, "C": 1.0})
    eps, x = econ.least_core(G)
    assert eps == pytest.approx(-1.0)
    approx(x, {"A": 3.0, "B": 2.0, "C": 1.0})
    assert econ.least_core_eps(G) == pytest.approx(-1.0)
    worst, coalition = econ.core_violation(G, econ.shapley_value(G))
    assert worst == pytest.approx(0.0, abs=1e-9) and coalition == frozenset("ABC")
    worst, coalition = econ.core_violation(G, {"A": 1.0, "B": 1.0, "C": 4.0})
    assert worst == pytest.approx(2.0) and coalition == frozenset("AB")


def test_missing_coalition_is_named() -> None:
    broken = dict(G)
    del broken[frozenset("BC")]
    with pytest.raises(KeyError, match="'B', 'C'"):
        econ.shapley_value(broken)


def test_empty_core_gives_positive_least_core_eps() -> None:
    # majority game: any two players earn 1, nobody alone; ε = 1/3 at (1/3, 1/3, 1/3)
    maj = game({"A": 0, "B": 0, "C": 0, "AB": 1, "AC": 1, "BC": 1, "ABC": 1})
    eps, _ = econ.least_core(maj)
    assert eps == pytest.approx(1 / 3)
    approx(econ.nucleolus(maj), {"A": 1 / 3, "B": 1 / 3, "C": 1 / 3})


def test_nucleolus_of_the_market_game_matches_the_mechanism() -> None:
    market = one_resource_market([6, 0, 2], [2, 4, 4], [1, 2, 1])
    table = CoalitionValues(market).all()
    values = {frozenset(i for i in range(3) if m >> i & 1): table[m] for m in range(1, 8)}
    approx(econ.nucleolus(values), {0: 6.0, 1: 4.0, 2: 2.0})
    # Shapley (17/3, 11/3, 8/3) is blocked by {A, B}: 10 − 28/3 = 2/3
    worst, coalition = econ.core_violation(values, econ.shapley_value(values))
    assert worst == pytest.approx(2 / 3) and coalition == frozenset({0, 1})


def test_dual_prices_are_in_the_core_of_random_lp_games() -> None:
    rng = np.random.default_rng(17)
    for k in range(5):
        market = random_market(rng, 4, 2, 12, epoch=k)
        table = CoalitionValues(market).all()
        values = {frozenset(i for i in range(4) if m >> i & 1): table[m] for m in range(1, 16)}
        pay = make("lp_welfare").clear(market).planned_payoff_usd_per_h(market)
        worst, _ = econ.core_violation(values, dict(enumerate(pay)))
        assert worst <= 1e-7
        assert econ.least_core_eps(values) <= 1e-7


def test_simple_measures() -> None:
    assert econ.jain_index([1, 1, 1, 1]) == pytest.approx(1.0)
    assert econ.jain_index([4, 0, 0, 0]) == pytest.approx(0.25)
    assert econ.jain_index([0, 0]) == 1.0
    assert econ.efficiency(9.0, 10.0) == pytest.approx(0.9)
    assert math.isnan(econ.efficiency(0.0, 0.0))  # no gain to share
    # welfare can be negative: isolated −100, lp_welfare −20, the rule −60: half the gain
    assert econ.efficiency(-60.0, -20.0, -100.0) == pytest.approx(0.5)
    # the case: a rule whose welfare beats lp_welfare's scores > 1, never negative
    assert econ.efficiency(30.0, 20.0, -100.0) == pytest.approx(130.0 / 120.0)
    assert econ.efficiency(-150.0, -20.0, -100.0) == pytest.approx(-50.0 / 80.0)
    assert econ.budget_residual_usd_per_h([1.0, -0.5, -0.5]) == 0.0
    np.testing.assert_allclose(econ.ir_violation_usd_per_h([5, 1], [4, 3]), [0, 2])
    np.testing.assert_array_equal(econ.individually_rational([5, 1], [4, 3]), [True, False])
    assert econ.price_level([1.0, 3.0], weights=[3, 1]) == pytest.approx(1.5)
    assert econ.price_volatility([1.0, 1.0, 1.0]) == 0.0
    # changes +100%, −50%: std of (1, −0.5) = 0.75
    assert econ.price_volatility([1.0, 2.0, 1.0]) == pytest.approx(0.75)


def test_measures_accept_pandas() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"gpu": [1.0, 2.0, 1.0], "cpu": [1.0, 2.0, 1.0]})
    assert econ.price_volatility(df) == pytest.approx(0.75)
    assert econ.price_level(df["gpu"]) == pytest.approx(4 / 3)
    assert econ.jain_index(pd.Series([2.0, 2.0])) == pytest.approx(1.0)


def test_merge_and_split() -> None:
    # superadditive game: everyone merges (normalised Banzhaf gains for all)
    assert econ.merge_and_split(G) == [frozenset("ABC")]
    # A and B gain together, C adds nothing and costs them: {A, B}, {C}
    g2 = game({"A": 1, "B": 1, "C": 1, "AB": 4, "AC": 2, "BC": 2, "ABC": 4})
    assert econ.merge_and_split(g2, order="utilitarian") == [frozenset("AB"), frozenset("C")]
    assert econ.merge_and_split(g2) == [frozenset("AB"), frozenset("C")]
    # a bad grand coalition splits
    g3 = game({"A": 2, "B": 2, "AB": 1})
    assert econ.merge_and_split(g3) == [frozenset("A"), frozenset("B")]
    with pytest.raises(ValueError, match="order"):
        econ.merge_and_split(G, order="nash")


def _equal_awards(caps: list[float], amount: float) -> list[float]:
    """min(cap_i, λ) with Σ = amount (water-filling from the smallest cap)."""
    left, out, order = amount, [0.0] * len(caps), sorted(range(len(caps)), key=caps.__getitem__)
    for k, i in enumerate(order):
        share = left / (len(order) - k)
        out[i] = min(caps[i], share)
        left -= out[i]
    return out


def _talmud(claims: list[float], estate: float) -> list[float]:
    """Aumann & Maschler (1985): equal awards on half-claims up to half the total claim;
    beyond it, each gets its claim minus equal losses on half-claims."""
    half = [d / 2 for d in claims]
    if estate <= sum(half):
        return _equal_awards(half, estate)
    losses = _equal_awards(half, sum(claims) - estate)
    return [d - loss for d, loss in zip(claims, losses, strict=True)]


def test_nucleolus_of_bankruptcy_games_is_the_talmud_rule() -> None:
    """The Talmud's three estates (100, 200, 300 on claims 100, 200, 300: Mishna Ketubot
    93a) and random bankruptcy games; v(S) = max(0, E − claims outside S) is convex,
    so its nucleolus is the Talmud rule (Aumann & Maschler, J. Econ. Theory 36, 1985)."""
    cases = [([100.0, 200.0, 300.0], e) for e in (100.0, 200.0, 300.0)]
    rng = np.random.default_rng(5)
    for n in (2, 3, 4, 5):
        claims = rng.uniform(1.0, 100.0, n).round(2).tolist()
        cases += [(claims, float(f * sum(claims))) for f in (0.2, 0.5, 0.8)]
    for claims, estate in cases:
        n = len(claims)
        values = {frozenset(S): max(0.0, estate - sum(claims[i] for i in range(n) if i not in S))
                  for size in range(1, n + 1)
                  for S in itertools.combinations(range(n), size)}
        approx(econ.nucleolus(values), dict(enumerate(_talmud(claims, estate))))
    # the Mishna's table itself: (33⅓ each), (50, 75, 75), (50, 100, 150)
    assert _talmud([100.0, 200.0, 300.0], 200.0) == [50.0, 75.0, 75.0]
    assert _talmud([100.0, 200.0, 300.0], 300.0) == [50.0, 100.0, 150.0]


def test_glove_and_airport_games() -> None:
    # glove game, one left glove (A) and two right (B, C): a pair is worth 1. Core and
    # nucleolus: A takes all; Shapley: A is pivotal in 4 of 6 orders → (2/3, 1/6, 1/6)
    glove = game({"A": 0, "B": 0, "C": 0, "AB": 1, "AC": 1, "BC": 0, "ABC": 1})
    approx(econ.nucleolus(glove), {"A": 1.0, "B": 0.0, "C": 0.0})
    approx(econ.shapley_value(glove), {"A": 2 / 3, "B": 1 / 6, "C": 1 / 6})
    # airport game (Littlechild & Owen 1973): runway costs 1 < 2 < 3, a coalition pays
    # its longest runway; Shapley shares each segment equally among those who use it
    airport = game({"A": 1, "B": 2, "C": 3, "AB": 2, "AC": 3, "BC": 3, "ABC": 3})
    approx(econ.shapley_value(airport), {"A": 1 / 3, "B": 1 / 3 + 1 / 2, "C": 1 / 3 + 1 / 2 + 1})
