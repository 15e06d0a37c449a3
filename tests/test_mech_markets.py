"""Market-based rules: posted prices, McAfee double auction, tâtonnement.

posted_price on ``gpu_cpu_market()`` (markup 0.2): prices GPU 1.2, CPU 0.24.
After self-service (v(A) = 13.6, v(B) = 8.8) dnn_B has 6 units left and A 4 free
GPUs: B's gain per unit 3 − 0.5 − 1.2 = 1.3 > 0, so 4 move; web_A has 6 left and
B 4 free cores: 1 − 0.1 − 0.24 = 0.66, so 4 move. Payoffs:
A = 13.6 + 4·(1.2 − 1) + 4·0.66 = 17.04, B = 8.8 + 4·1.3 + 4·(0.24 − 0.2) = 14.16.

McAfee, bids 10, 8, 6, 4 and asks 1, 3, 5, 7: k = 3 (6 ≥ 5, 4 < 7);
p = (4 + 7)/2 = 5.5 ∈ [5, 6], so 3 units trade at 5.5. With the 4th ask at 5.8,
p = (4 + 5.8)/2 = 4.9 < 5: trade reduction, 2 units, buyers pay 6, sellers get 5.

double_auction on ``gpu_cpu_market()``: GPU market has one buyer (dnn_B, 6 units,
bid 3 − 0.5 = 2.5) and one seller (A, 4 spare, ask 1): k = 4 and no 5th ask, so
the marginal trade is cut: 3 units, buyer pays 2.5, seller gets 1; CPU likewise
(web_A bids 0.9 for 6, B asks 0.2 for 4): 3 units at 0.9 / 0.2. The auctioneer
keeps 3·1.5 + 3·0.7 = 6.6 and the members end at their isolated payoffs — the
thin-market cost of McAfee's truthfulness.
"""

from __future__ import annotations

import numpy as np
import pytest

from fedsim.mechanisms import make
from fedsim.mechanisms.conformance import random_market
from fedsim.mechanisms.double_auction import mcafee
from fedsim.mechanisms.examples import gpu_cpu_market


def test_posted_price_hand_solved() -> None:
    market = gpu_cpu_market()
    c = make("posted_price", {"markup": 0.2}).clear(market)
    np.testing.assert_allclose(c.price_usd_per_unit_h, [[1.2, 0.24], [1.2, 0.24]])
    np.testing.assert_allclose(c.planned_payoff_usd_per_h(market), [17.04, 14.16])
    assert c.info["outsourced_units"] == pytest.approx(8.0)


def test_posted_price_is_individually_rational() -> None:
    rng = np.random.default_rng(2)
    for k in range(10):
        m = random_market(rng, 4, 2, 10, epoch=k)
        own = make("isolated").clear(m).planned_payoff_usd_per_h(m)
        got = make("posted_price", {"markup": 0.3}).clear(m).planned_payoff_usd_per_h(m)
        assert np.all(got >= own - 1e-9)


def test_mcafee_hand_solved() -> None:
    one = np.ones(4)
    out = mcafee(np.array([10.0, 8, 6, 4]), one, np.array([1.0, 3, 5, 7]), one)
    assert (out.units, out.buyer_price, out.seller_price) == (3, 5.5, 5.5)
    np.testing.assert_array_equal(out.bid_won, [1, 1, 1, 0])
    out = mcafee(np.array([4.0, 10, 6, 8]), one, np.array([5.8, 1, 5, 3]), one)
    assert (out.units, out.buyer_price, out.seller_price) == (2, 6.0, 5.0)
    np.testing.assert_array_equal(out.bid_won, [0, 1, 0, 1])  # input order kept
    np.testing.assert_array_equal(out.ask_won, [0, 1, 0, 1])
    assert mcafee(np.array([1.0]), one[:1], np.array([2.0]), one[:1]).units == 0


def test_mcafee_random_bids_ir_and_weakly_budget_balanced() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        nb, ns = rng.integers(1, 8, 2)
        bids, asks = rng.uniform(0, 10, nb), rng.uniform(0, 10, ns)
        qb, qs = rng.integers(0, 5, nb), rng.integers(0, 5, ns)
        out = mcafee(bids, qb, asks, qs)
        assert out.bid_won.sum() == out.ask_won.sum() == out.units
        assert np.all(out.bid_won <= qb) and np.all(out.ask_won <= qs)
        if out.units:
            assert np.all(bids[out.bid_won > 0] >= out.buyer_price)  # buyers IR
            assert np.all(asks[out.ask_won > 0] <= out.seller_price)  # sellers IR
            assert out.buyer_price >= out.seller_price  # surplus never negative
        # at most the one marginal unit of the efficient trade is lost
        units_b, units_s = np.sort(np.repeat(bids, qb))[::-1], np.sort(np.repeat(asks, qs))
        m = min(len(units_b), len(units_s))
        k = int(np.sum(units_b[:m] >= units_s[:m]))
        assert out.units in (k, max(k - 1, 0))


def test_double_auction_hand_solved_thin_market() -> None:
    market = gpu_cpu_market()
    c = make("double_auction").clear(market)
    np.testing.assert_allclose(c.planned_payoff_usd_per_h(market), [13.6, 8.8])
    assert c.info["auctioneer_surplus_usd_per_h"] == pytest.approx(6.6)
    assert c.info["traded_units"] == pytest.approx(6.0)
    np.testing.assert_allclose(c.transfer_usd_per_h, [-2.1, -4.5])
    assert not c.budget_balanced
    np.testing.assert_allclose(c.price_usd_per_unit_h, [[1.0, 0.2], [1.0, 0.2]])


def test_double_auction_random_markets_ir_and_weakly_budget_balanced() -> None:
    rng = np.random.default_rng(13)
    for k in range(25):
        m = random_market(rng, int(rng.integers(2, 6)), 2, int(rng.integers(4, 20)), epoch=k)
        c = make("double_auction").clear(m)
        own = make("isolated").clear(m).planned_payoff_usd_per_h(m)
        assert np.all(c.planned_payoff_usd_per_h(m) >= own - 1e-9)
        assert c.transfer_usd_per_h.sum() <= 1e-12
        assert np.all(c.transfer_usd_per_h <= 1e-12)
        assert c.budget_balanced == (c.info["auctioneer_surplus_usd_per_h"] <= 1e-12)


def test_tatonnement_converges_to_the_lp_prices() -> None:
    market = gpu_cpu_market()
    c = make("tatonnement").clear(market)
    assert c.status == "optimal"
    assert 0 < c.info["iterations"] < 5000 and c.info["residual"] <= 1e-3
    np.testing.assert_allclose(c.price_usd_per_unit_h, [[2.5, 1.0], [3.0, 0.9]], atol=0.05)
    assert c.welfare_usd_per_h(market) >= 0.995 * 31.2


def test_tatonnement_reports_non_convergence() -> None:
    c = make("tatonnement", {"max_iterations": 20}).clear(gpu_cpu_market())
    assert c.status == "not_converged"
    assert c.info["iterations"] == 20 and c.info["residual"] > 1e-3
