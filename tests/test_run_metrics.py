"""Run-level economic metrics: core violation on hand games (via the epoch observer),
prices, paired gains, and the metrics of a real short run."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fedsim.analysis.run_metrics import (
    EpochRecorder,
    paired_metrics,
    price_level_usd_per_unit_h,
    price_volatility,
    run_metrics,
)
from fedsim.mechanisms import make
from fedsim.mechanisms.examples import one_resource_market

# A has 3 units and 1 unit of its own work worth 3; B has no capacity and 1 unit worth 2;
# no costs. v({A}) = 3, v({B}) = 0, v({A,B}) = 3 + 2 = 5 (a spare unit of A serves B).
# A keeps a unit free even then, so its capacity dual is 0, uniquely (with 2 units it
# would be any y in [0, 2]: a degenerate LP, whose prices no test may pin down).
HAND = {"capacity_units": [3.0, 0.0], "demand_units": [1.0, 1.0],
        "value_usd_per_unit_h": [3.0, 2.0]}


def _record(mechanism: str, epochs: int = 2, epoch_s: float = 1800.0) -> EpochRecorder:
    recorder = EpochRecorder(coalition_values=True)
    mech = make(mechanism)
    for e in range(epochs):
        market = one_resource_market(**HAND, epoch=e)
        market = type(market)(**{**vars(market), "epoch_s": epoch_s})
        recorder(e, market, mech.clear(market))
    return recorder


def test_core_violation_of_isolated_payoffs_is_the_unshared_surplus() -> None:
    # isolated pays A 3/h and B 0/h; {A,B} could make 5/h: excess 2/h, blocking {A,B};
    # over two half-hour epochs that is 2 USD
    rec = _record("isolated")
    np.testing.assert_allclose(rec.values_usd_per_h(), [[0, 3, 0, 5]] * 2)
    np.testing.assert_allclose(rec.payoff_usd_per_h(), [[3, 0]] * 2)
    np.testing.assert_allclose(rec.epoch_excess_usd_per_h(), [2.0, 2.0])
    violation, blocking = rec.core_violation()
    assert violation == pytest.approx(2.0)
    assert blocking == ("A", "B")


@pytest.mark.parametrize("mechanism", ["lp_welfare", "shapley"])
def test_core_payoffs_have_no_violation(mechanism: str) -> None:
    # A's capacity is not scarce, so the dual is 0: A 3, B 2 (excess of {A}: 0).
    # Shapley: A = 3 + (5−3−0)/2 = 4, B = 1: every excess ≤ 0, {A,B} exactly 0.
    rec = _record(mechanism)
    expected = {"lp_welfare": [3.0, 2.0], "shapley": [4.0, 1.0]}[mechanism]
    np.testing.assert_allclose(rec.payoff_usd_per_h()[0], expected, atol=1e-9)
    violation, _ = rec.core_violation()
    assert violation == pytest.approx(0.0, abs=1e-9)


def test_recorder_without_values_reports_nan_violation() -> None:
    rec = EpochRecorder()
    market = one_resource_market(**HAND)
    rec(0, market, make("isolated").clear(market))
    assert math.isnan(rec.core_violation()[0])
    assert list(rec.frame().columns) == [
        "epoch", "planned_payoff_A_usd_per_h", "planned_payoff_B_usd_per_h",
        "core_excess_usd_per_h",
    ]


def test_price_level_is_trade_weighted_over_remote_placements_per_resource() -> None:
    clearings = pd.DataFrame({
        "owner": ["A", "A", "B", "B"], "host": ["B", "A", "A", "A"],
        "resource": ["gpu:v100", "gpu:v100", "gpu:v100", "cpu"],
        "placed_units": [2.0, 5.0, 1.0, 100.0], "price_usd_per_unit_h": [1.0, 9.0, 4.0, 0.01],
    })
    # V100: (2·1 + 1·4) / 3 = 2 (A's own row is not a trade); CPU cores apart: 0.01, not
    # mixed into one average with GPU-hours
    levels = price_level_usd_per_unit_h(clearings)
    assert levels == {"cpu": pytest.approx(0.01), "gpu:v100": pytest.approx(2.0)}


def test_price_volatility_ignores_series_that_are_always_zero() -> None:
    prices = pd.DataFrame({
        "epoch": [0, 0, 1, 1, 2, 2],
        "provider": ["A", "B"] * 3,
        "resource": ["gpu"] * 6,
        "price_usd_per_unit_h": [1.0, 0.0, 2.0, 0.0, 1.0, 0.0],
    })
    # A: 1 → 2 → 1, relative changes +1 and −0.5: population std 0.75
    assert price_volatility(prices) == pytest.approx(0.75)


def test_paired_metrics_by_hand() -> None:
    def res(profits: dict, welfare: float) -> dict:
        return {"members": ["A", "B"], "profits_usd": profits, "welfare_usd": welfare}

    base = res({"A": 10.0, "B": 5.0}, 15.0)
    ref = res({"A": 14.0, "B": 6.0}, 20.0)
    run = res({"A": 13.0, "B": 6.0}, 19.0)
    out = paired_metrics(run, base, ref)
    assert out["gains_usd"] == {"A": 3.0, "B": 1.0}
    assert out["individually_rational"] is True
    # the share of lp_welfare's gain over isolated realised: (19 − 15) / (20 − 15)
    assert out["efficiency"] == pytest.approx(4.0 / 5.0)
    assert out["jain_index"] == pytest.approx((3 + 1) ** 2 / (2 * (9 + 1)))
    worse = paired_metrics(res({"A": 16.0, "B": 4.0}, 20.0), base, ref)
    assert worse["individually_rational"] is False


def test_run_metrics_of_a_real_run() -> None:
    from fedsim.api import simulate
    from fedsim.config import scenario_from_dict
    from tests.helpers.scenarios import two_provider_dict

    sc = scenario_from_dict(two_provider_dict(horizon_s=6 * 3600))
    rec = EpochRecorder(coalition_values=True)
    tables = simulate(sc, observer=rec)
    out = run_metrics(tables, sc.member_names, rec)
    profits = tables.ledger.groupby("provider", observed=False)["profit_usd"].sum()
    assert out["welfare_usd"] == pytest.approx(float(profits.sum()))
    assert out["budget_residual_usd"] == pytest.approx(0.0, abs=1e-6)
    # lp_welfare's dual prices are in the core of every epoch's game
    assert out["core_violation_usd"] <= 1e-6
    assert len(rec.frame()) == len(tables.epochs) == 36
