"""The compiled coalition simplex against HiGHS, solved coalition by coalition.

The second method is HiGHS on a model of each coalition alone (``_solve_direct``,
cold, no warm start): the same optimum must come out, to round-off, on random markets
and on markets built to be degenerate (equal gains everywhere, integer data), where a
dual simplex without safeguards would stall or cycle.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fedsim.mechanisms import coalitions
from fedsim.mechanisms.coalitions import CoalitionValues
from fedsim.mechanisms.conformance import random_market
from fedsim.mechanisms.examples import gpu_cpu_market
from fedsim.mechanisms.market_lp import solve_welfare


def _tied(market):
    """Every gain equal: unit speeds, one cost, one value, no WAN cost."""
    return dataclasses.replace(
        market,
        affinity=(market.affinity > 0).astype(float),
        cost_usd_per_unit_h=np.full_like(market.cost_usd_per_unit_h, 0.5),
        demand_value_usd_per_unit_h=np.full(market.n_demand, 2.0),
        wan_cost_usd_per_unit_h=np.zeros_like(market.wan_cost_usd_per_unit_h),
    )


def _markets(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for k in range(count):
        n = int(rng.integers(2, 7))
        market = random_market(rng, n, int(rng.integers(1, 5)), int(rng.integers(1, 6 * n)),
                               epoch=k)
        yield _tied(market) if k % 2 else market


def _direct(values: CoalitionValues) -> np.ndarray:
    return np.array([values._solve_direct(mask) for mask in range(1 << values.n)])


@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_values_equal_highs_per_coalition(seed: int) -> None:
    for market in _markets(seed, 30):
        values = CoalitionValues(market)
        fast = values.all()
        reference = _direct(values)
        np.testing.assert_allclose(fast, reference, rtol=1e-9, atol=1e-9)


def test_single_coalitions_agree_with_the_bulk_sweep() -> None:
    # __call__ warm-starts from whatever coalition came before; all() in Gray-code order
    market = random_market(np.random.default_rng(7), 5, 3, 20)
    bulk = CoalitionValues(market).all()
    one_by_one = CoalitionValues(market)
    for mask in (31, 1, 30, 5, 16, 12, 31, 2):
        assert one_by_one(mask) == pytest.approx(bulk[mask], rel=1e-12, abs=1e-12)


def test_a_coalition_the_kernel_gives_up_on_is_solved_by_highs(monkeypatch) -> None:
    market = gpu_cpu_market()  # v({A}) = 13.6, v({B}) = 8.8, v(N) = 31.2 (test_mech_lp)
    real = coalitions._CompiledSweep.values

    def failing_on_odd(self, masks):
        out = real(self, masks)
        out[np.asarray(masks) % 2 == 1] = np.nan
        return out

    monkeypatch.setattr(coalitions._CompiledSweep, "values", failing_on_odd)
    np.testing.assert_allclose(CoalitionValues(market).all(), [0.0, 13.6, 8.8, 31.2])
    assert CoalitionValues(market)({0}) == pytest.approx(13.6)


def test_cbc_values_do_not_use_the_kernel() -> None:
    market = gpu_cpu_market()
    values = CoalitionValues(market, solver="cbc")
    np.testing.assert_allclose(values.all(), [0.0, 13.6, 8.8, 31.2])
    assert values._compiled is None


def test_federations_beyond_int64_masks_use_highs() -> None:
    # 64 members: a mask no longer fits an int64, so the compiled kernel is bypassed; the
    # second method is the welfare LP of the two members' own restricted market
    big = random_market(np.random.default_rng(11), 64, 2, 200)
    values = CoalitionValues(big)
    expected = solve_welfare(big.restrict([0, 63])).welfare_usd_per_h
    assert values({0, 63}) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert values._compiled is None
