"""Cooperative payment rules and VCG on games solved by hand.

Two members — ``gpu_cpu_market()`` (derivation in test_mech_lp.py):
v(A) = 13.6, v(B) = 8.8, v(AB) = 31.2, gain 8.8. Dual-price payoffs (19.6, 11.6).
With two players Shapley = nucleolus = normalised Banzhaf = standalone + half the
gain: (13.6 + 4.4, 8.8 + 4.4) = (18.0, 13.2).
Proportional: "normalised" shares are the mean of GPU (10/12, 2/12) and CPU
(2/12, 10/12) shares = (½, ½) → (18.0, 13.2); "cost" weighs capacity by cost:
A 10·1 + 2·0.2 = 10.4, B 2·1 + 10·0.2 = 4 → A gets 13.6 + 8.8·10.4/14.4 = 19.9556,
B 8.8 + 8.8·4/14.4 = 11.2444.
VCG: u_A (no prices) = dnn_A 6·2 + web_A 2·0.8 + web_A remote 4·(1 − 0.1) − hosting
dnn_B 4·1 = 13.2; u_B = dnn_B 2·2 + 4·(3 − 0.5) + web_B 6·0.8 − hosting 4·0.2 = 18.
p_A = v(B) − (31.2 − 13.2) = −9.2, p_B = v(A) − (31.2 − 18) = 0.4: payoffs
v(N) − v(N∖i) = (22.4, 17.6); Σ transfers = 9.2 − 0.4 = 8.8 (a deficit).

Three members — ``one_resource_market([6, 0, 2], [2, 4, 4], [1, 2, 1])``: one
resource, no costs; A has 6 units and 2 units of work worth 1, B no capacity and
4 units worth 2, C 2 units and 4 units worth 1. Filling capacity with the most
valuable work: v(A) = 2, v(B) = 0, v(C) = 2, v(AB) = 4·2 + 2·1 = 10,
v(AC) = 6, v(BC) = 2·2 = 4, v(ABC) = 4·2 + 4·1 = 12.
Shapley over the six orders (ABC, ACB, BAC, BCA, CAB, CBA):
A (2+2+10+8+4+8)/6 = 17/3, B (8+6+0+0+6+2)/6 = 11/3, C (2+4+2+4+2+2)/6 = 8/3.
Not in the core: x_A + x_B = 28/3 < v(AB) = 10.
Banzhaf raw: A (v(A) + v(AB)−v(B) + v(AC)−v(C) + v(N)−v(BC))/4 = (2+10+4+8)/4 = 6,
B (0+8+2+6)/4 = 4, C (2+4+4+2)/4 = 3; normalised ×12/13:
(72/13, 48/13, 36/13).
Nucleolus: the core forces x_C = 2 (x_C ≥ v(C) = 2 and x_C ≤ v(N) − v(AB) = 2), so
ε₁ = 0; then the largest remaining excesses are e(AC) = 4 − x_A and
e(BC) = x_A − 8 (using x_B = 10 − x_A), equal at x_A = 6: (6, 4, 2).
Dual prices: every unit of capacity is used and the marginal work is worth 1, so
y = 1 at A and C, u_B = 1, u_A = u_C = 0: payoffs (2·0 + 6·1, 4·1, 4·0 + 2·1) = (6, 4, 2).
Proportional: shares 6/8, 0, 2/8 of gain 12 − 4 = 8: (2 + 6, 0, 2 + 2) = (8, 0, 4).
VCG: (12 − v(BC), 12 − v(AC), 12 − v(AB)) = (8, 6, 2); Σ = 16, deficit 4.
"""

from __future__ import annotations

import numpy as np
import pytest

from fedsim.market.types import Market
from fedsim.mechanisms import make
from fedsim.mechanisms.conformance import random_market
from fedsim.mechanisms.examples import gpu_cpu_market, one_resource_market

THREE = ([6.0, 0.0, 2.0], [2.0, 4.0, 4.0], [1.0, 2.0, 1.0])


def payoff(name: str, market: Market, **params: object) -> np.ndarray:
    clearing = make(name, params).clear(market)
    return clearing.planned_payoff_usd_per_h(market)


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        ("lp_welfare", {}, [19.6, 11.6]),
        ("shapley", {}, [18.0, 13.2]),
        ("banzhaf", {}, [18.0, 13.2]),
        ("nucleolus", {}, [18.0, 13.2]),
        ("proportional", {}, [18.0, 13.2]),
        ("proportional", {"weighting": "units"}, [18.0, 13.2]),
        ("proportional", {"weighting": "cost"}, [19.955555555555556, 11.244444444444444]),
        ("vcg", {}, [22.4, 17.6]),
        ("isolated", {}, [13.6, 8.8]),
    ],
)
def test_two_member_gpu_cpu_game(name: str, params: dict, expected: list[float]) -> None:
    np.testing.assert_allclose(payoff(name, gpu_cpu_market(), **params), expected, atol=1e-9)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("lp_welfare", [6.0, 4.0, 2.0]),
        ("shapley", [17 / 3, 11 / 3, 8 / 3]),
        ("banzhaf", [72 / 13, 48 / 13, 36 / 13]),
        ("nucleolus", [6.0, 4.0, 2.0]),
        ("proportional", [8.0, 0.0, 4.0]),
        ("vcg", [8.0, 6.0, 2.0]),
        ("isolated", [2.0, 0.0, 2.0]),
    ],
)
def test_three_member_game(name: str, expected: list[float]) -> None:
    np.testing.assert_allclose(payoff(name, one_resource_market(*THREE)), expected, atol=1e-9)


def test_cooperative_rules_use_the_lp_allocation_and_balance_the_budget() -> None:
    market = gpu_cpu_market()
    lp = make("lp_welfare").clear(market)
    for name in ("shapley", "banzhaf", "nucleolus", "proportional"):
        c = make(name).clear(market)
        np.testing.assert_allclose(c.allocation_units, lp.allocation_units)
        np.testing.assert_allclose(c.price_usd_per_unit_h, lp.price_usd_per_unit_h)
        assert c.budget_balanced and abs(c.transfer_usd_per_h.sum()) < 1e-12
    # transfers move the dual-price payoff (19.6, 11.6) onto Shapley's (18, 13.2)
    np.testing.assert_allclose(make("shapley").clear(market).transfer_usd_per_h, [-1.6, 1.6])


def test_vcg_declares_and_reports_its_deficit() -> None:
    c = make("vcg").clear(gpu_cpu_market())
    assert not c.budget_balanced
    np.testing.assert_allclose(c.transfer_usd_per_h, [9.2, -0.4], atol=1e-9)
    assert c.info["budget_residual_usd_per_h"] == pytest.approx(8.8)
    c3 = make("vcg").clear(one_resource_market(*THREE))
    assert c3.info["budget_residual_usd_per_h"] == pytest.approx(4.0)


@pytest.mark.parametrize("reported_gpu_cost", [0.0, 0.5, 1.4, 2.0, 2.4, 2.6, 3.5])
def test_vcg_is_truthful_when_a_host_misreports_its_cost(reported_gpu_cost: float) -> None:
    # A's true GPU cost is 1. Whatever it reports, its *true* payoff (true costs,
    # the allocation and transfers computed from the report) is at most 22.4.
    true = gpu_cpu_market()
    lie = gpu_cpu_market(gpu_cost_usd_per_unit_h=(reported_gpu_cost, 1.0))
    truthful = make("vcg").clear(true).planned_payoff_usd_per_h(true)[0]
    misreport = make("vcg").clear(lie).planned_payoff_usd_per_h(true)[0]
    assert truthful == pytest.approx(22.4)
    assert misreport <= truthful + 1e-9


def test_vcg_is_truthful_on_random_cost_misreports() -> None:
    rng = np.random.default_rng(5)
    for k in range(6):
        true = random_market(rng, 3, 2, 8, epoch=k)
        liar = int(rng.integers(0, 3))
        cost = np.array(true.cost_usd_per_unit_h)
        cost[liar] *= rng.uniform(0.3, 3.0, size=cost.shape[1])
        lie = Market(**{**vars(true), "cost_usd_per_unit_h": cost})
        honest = make("vcg").clear(true).planned_payoff_usd_per_h(true)[liar]
        dishonest = make("vcg").clear(lie).planned_payoff_usd_per_h(true)[liar]
        assert dishonest <= honest + 1e-7


def test_shapley_sampling_converges_to_the_exact_value() -> None:
    market = random_market(np.random.default_rng(21), 5, 3, 20, epoch=3)
    exact = payoff("shapley", market)
    sampled = make("shapley", {"exact_max_members": 4, "target_se_rel": 0.002,
                               "max_samples": 3000}).clear(market)
    assert sampled.info["exact"] == 0.0
    se = sampled.info["std_error_usd_per_h"]
    assert 0 < se <= 0.002 * sampled.info["welfare_usd_per_h"] * 1.5
    got = sampled.planned_payoff_usd_per_h(market)
    assert np.max(np.abs(got - exact)) <= 4 * se + 1e-9
    # permutation sampling is exactly efficient and deterministic per epoch
    assert got.sum() == pytest.approx(exact.sum())
    again = make("shapley", {"exact_max_members": 4, "target_se_rel": 0.002,
                             "max_samples": 3000}).clear(market)
    np.testing.assert_array_equal(again.transfer_usd_per_h, sampled.transfer_usd_per_h)
    coarse = make("shapley", {"exact_max_members": 4, "target_se_rel": 0.05}).clear(market)
    assert coarse.info["samples"] < sampled.info["samples"]
    assert coarse.info["std_error_usd_per_h"] > se


def test_banzhaf_sampling_is_close_to_exact() -> None:
    market = random_market(np.random.default_rng(4), 4, 2, 12, epoch=1)
    exact = payoff("banzhaf", market)
    got = payoff("banzhaf", market, exact_max_members=3, target_se_rel=0.002, max_samples=4000)
    assert np.max(np.abs(got - exact)) <= 0.02 * exact.sum()


def test_nucleolus_beyond_its_limit_falls_back_to_dual_prices() -> None:
    market = one_resource_market(*THREE)
    c = make("nucleolus", {"max_members": 2}).clear(market)
    assert c.status == "approximate"
    np.testing.assert_allclose(c.planned_payoff_usd_per_h(market), [6.0, 4.0, 2.0])


def test_cooperative_payoffs_are_individually_rational_where_promised() -> None:
    rng = np.random.default_rng(9)
    for k in range(8):
        market = random_market(rng, 3, 2, 9, epoch=k)
        standalone = payoff("isolated", market)
        for name in ("lp_welfare", "nucleolus", "proportional", "vcg"):
            assert np.all(payoff(name, market) >= standalone - 1e-7), name
