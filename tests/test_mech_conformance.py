"""Every registered mechanism passes the conformance checks; broken ones fail them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms import ConformanceError, available, check, make
from fedsim.mechanisms.lp_welfare import LPWelfare


@pytest.mark.parametrize("name", sorted(available()))
def test_registered_mechanism_conforms(name: str) -> None:
    mech = make(name)
    assert mech.name == name and mech.summary
    assert type(mech).__doc__ and "Reference" in type(mech).__doc__
    assert check(mech, n_markets=12, seed=1) == 12


def test_sampling_rules_conform_beyond_the_exact_limit() -> None:
    for name in ("shapley", "banzhaf"):
        mech = make(name, {"exact_max_members": 2, "max_samples": 64})
        check(mech, n_markets=6, seed=2)


@dataclass(frozen=True)
class _Broken:
    """A mechanism that breaks one property on purpose."""

    name: ClassVar[str] = "broken"
    summary: ClassVar[str] = "test double"
    fault: str = "capacity"

    def clear(self, market: Market) -> Clearing:
        c = LPWelfare().clear(market)
        x = np.array(c.allocation_units)
        transfer = np.array(c.transfer_usd_per_h)
        if self.fault == "capacity" and x.size:
            # all of each class on its first feasible cell: within demand, over capacity
            feasible = (market.affinity > 0) & (market.need[:, None, :] > 0)
            x[:] = 0.0
            for d in range(market.n_demand):
                if feasible[d].any():
                    x[d].flat[np.argmax(feasible[d])] = market.demand_units[d]
        elif self.fault == "infeasible_cell" and x.size:
            feasible = (market.affinity > 0) & (market.need[:, None, :] > 0)
            if (~feasible).any():
                x[np.unravel_index(np.argmax(~feasible), x.shape)] = 1e-3
        elif self.fault == "budget":
            transfer = transfer + 1.0
        elif self.fault == "nan":
            transfer = transfer * np.nan
        elif self.fault == "random":
            transfer = transfer + np.random.default_rng().normal(size=transfer.shape)
            transfer -= transfer.mean()
        elif self.fault == "shape":
            transfer = np.zeros(market.n_providers + 1)
        return Clearing(x, c.price_usd_per_unit_h, transfer, status=c.status)


@pytest.mark.parametrize(
    ("fault", "property_name"),
    [
        ("capacity", "capacity"),
        ("infeasible_cell", "feasible cells only"),
        ("budget", "budget balance"),
        ("nan", "finite payments"),
        ("random", "deterministic"),
        ("shape", "shapes"),
    ],
)
def test_check_catches_a_broken_mechanism(fault: str, property_name: str) -> None:
    with pytest.raises(ConformanceError, match=f"'broken' fails '{property_name}'"):
        check(_Broken(fault), n_markets=10, seed=0)


def test_conformance_error_is_an_assertion_error() -> None:
    assert issubclass(ConformanceError, AssertionError)


@dataclass(frozen=True)
class _ClockReader:
    """Promises not to read the clock, then prices by the epoch's parity."""

    name: ClassVar[str] = "clock_reader"
    summary: ClassVar[str] = "test double"
    reads_clock: ClassVar[bool] = False

    def clear(self, market: Market) -> Clearing:
        c = LPWelfare().clear(market)
        price = np.asarray(c.price_usd_per_unit_h) * (1.0 + market.epoch % 2)
        return Clearing(c.allocation_units, price, c.transfer_usd_per_h, status=c.status)


def test_check_holds_a_clock_free_rule_to_its_promise() -> None:
    # epoch + 1009 flips the parity, so any market with a positive price shows it
    with pytest.raises(ConformanceError, match="'clock_reader' fails 'reads_clock = False'"):
        check(_ClockReader(), n_markets=10, seed=0)
