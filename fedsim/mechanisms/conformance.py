"""Conformance checks every mechanism must pass (in the spirit of scikit-learn's
``check_estimator``), and a random market generator for tests and benchmarks."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import replace

import numpy as np

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.base import Mechanism, reads_clock

TOL = 1e-6


class ConformanceError(AssertionError):
    """A mechanism broke a contract property; the message names both."""


def random_market(
    rng: np.random.Generator,
    n_providers: int = 3,
    n_resources: int = 2,
    n_demand: int = 6,
    *,
    epoch: int = 0,
) -> Market:
    """A random but well-formed market: integer capacities and demands, some missing
    resources (zero capacity, zero affinity), heterogeneous speeds, WAN costs off-owner."""
    n_i, n_r, n_d = n_providers, n_resources, n_demand
    has = rng.random((n_i, n_r)) < 0.8
    capacity = np.where(has, rng.integers(1, 33, (n_i, n_r)), 0).astype(float)
    cost = np.round(rng.uniform(0.05, 1.0, (n_i, n_r)), 3)
    need = np.zeros((n_d, n_r))
    need[np.arange(n_d), rng.integers(0, n_r, n_d)] = 1.0
    need = np.maximum(need, (rng.random((n_d, n_r)) < 0.3).astype(float))
    speed = np.round(rng.uniform(0.5, 1.5, (n_d, n_i, n_r)), 3)
    affinity = speed * need[:, None, :] * has[None, :, :]
    owner = rng.integers(0, n_i, n_d)
    wan = np.round(rng.uniform(0.0, 0.2, (n_d, n_i)), 3)
    wan[np.arange(n_d), owner] = 0.0
    # some classes of one owner are alternatives for one need (a demand group)
    group = np.full(n_d, -1)
    share = np.zeros(n_d)
    n_groups = 0
    for o in range(n_i):
        mine = np.flatnonzero(owner == o)
        if len(mine) >= 2 and rng.random() < 0.5:
            group[mine[:2]] = n_groups
            n_groups += 1
    units = rng.integers(1, 17, n_d).astype(float)
    share[group >= 0] = 1.0 / units[group >= 0]
    return Market(
        providers=tuple(f"P{k}" for k in range(n_i)),
        resources=tuple(f"r{k}" for k in range(n_r)),
        capacity_units=capacity,
        cost_usd_per_unit_h=cost,
        demand_labels=tuple(f"P{owner[k]}/c{k}" for k in range(n_d)),
        demand_owner=owner,
        demand_units=units,
        demand_group=group,
        group_share=share,
        demand_value_usd_per_unit_h=np.round(rng.uniform(0.2, 3.0, n_d), 3),
        need=need,
        affinity=affinity,
        wan_cost_usd_per_unit_h=wan,
        epoch=epoch,
    )


def _fail(mech: Mechanism, prop: str, detail: str) -> ConformanceError:
    name = getattr(mech, "name", type(mech).__name__)
    return ConformanceError(f"mechanism {name!r} fails {prop!r}: {detail}")


def check_clearing(mech: Mechanism, market: Market, clearing: Clearing) -> None:
    """Assert the contract properties of one clearing; raise ``ConformanceError``."""
    n_d, n_i, n_r = market.n_demand, market.n_providers, market.n_resources
    x = np.asarray(clearing.allocation_units)
    shapes = {
        "allocation_units": (x.shape, (n_d, n_i, n_r)),
        "price_usd_per_unit_h": (np.shape(clearing.price_usd_per_unit_h), (n_i, n_r)),
        "transfer_usd_per_h": (np.shape(clearing.transfer_usd_per_h), (n_i,)),
    }
    for field, (got, want) in shapes.items():
        if got != want:
            raise _fail(mech, "shapes", f"{field} has shape {got}, expected {want}")
    if not np.all(np.isfinite(x)):
        raise _fail(mech, "finite allocation", "allocation has NaN or inf")
    if x.min(initial=0.0) < -TOL:
        raise _fail(mech, "non-negative allocation", f"min x = {x.min():.3g}")
    feasible = (market.affinity > 0) & (market.need[:, None, :] > 0)
    bad = (x > TOL) & ~feasible
    if bad.any():
        d, i, r = np.argwhere(bad)[0]
        raise _fail(mech, "feasible cells only", f"x[{d},{i},{r}] = {x[d, i, r]:.3g} infeasible")
    over_d = x.sum(axis=(1, 2)) - market.demand_units
    if n_d and over_d.max() > TOL:
        d = int(np.argmax(over_d))
        raise _fail(mech, "demand", f"class {d} gets {over_d[d]:.3g} units more than demanded")
    load = np.einsum("dir,dr->ir", x, market.need)
    over_q = load - market.capacity_units
    if over_q.size and over_q.max() > TOL:
        i, r = np.unravel_index(int(np.argmax(over_q)), over_q.shape)
        raise _fail(mech, "capacity", f"provider {i} resource {r} over by {over_q[i, r]:.3g}")
    usage = market.group_usage(x)
    if usage.size and usage.max() > 1.0 + TOL:
        raise _fail(mech, "demand groups", f"group {int(np.argmax(usage))} served "
                    f"{usage.max():.3g} times (alternatives for one need: at most once)")
    for field in ("price_usd_per_unit_h", "transfer_usd_per_h"):
        if not np.all(np.isfinite(getattr(clearing, field))):
            raise _fail(mech, "finite payments", f"{field} has NaN or inf")
    residual = float(np.sum(clearing.transfer_usd_per_h))
    if clearing.budget_balanced and abs(residual) > TOL * max(1.0, _scale(market)):
        raise _fail(mech, "budget balance", f"declared balanced but Σ transfers = {residual:.6g}")
    payoff = clearing.planned_payoff_usd_per_h(market)
    gain = market.gain_usd_per_unit_h()
    welfare = float(np.sum(np.where(x > 0, gain, 0.0) * x))  # no 0·(−inf) on unused cells
    # prices only move money between members, so Σ payoffs = welfare + Σ transfers
    if abs(payoff.sum() - welfare - residual) > TOL * max(1.0, _scale(market)):
        raise _fail(mech, "payments between members", "Σ payoffs ≠ welfare + Σ transfers")


def _scale(market: Market) -> float:
    return float(np.sum(market.demand_units * market.demand_value_usd_per_unit_h))


def _snapshot(market: Market) -> dict[str, np.ndarray]:
    return {k: np.array(v, copy=True) for k, v in vars(market).items()
            if isinstance(v, np.ndarray)}


def check(
    mechanism: Mechanism,
    n_markets: int = 20,
    seed: int = 0,
    *,
    markets: Iterable[Market] | None = None,
    sizes: Callable[[np.random.Generator], tuple[int, int, int]] | None = None,
) -> int:
    """Run the conformance checks on ``n_markets`` random markets (or ``markets``).

    Checks: allocation within capacity, demand and demand groups (1e-6), non-negative,
    only on feasible cells; finite payments; budget balance when declared; payoffs add up;
    the market is not mutated; the same market gives the same clearing (exactly the same
    at another epoch when the rule declares ``reads_clock = False``); the empty market
    clears. Returns the number of markets checked; raises ``ConformanceError``.
    """
    rng = np.random.default_rng(seed)
    if markets is None:
        draw = sizes or (lambda g: (int(g.integers(1, 5)), int(g.integers(1, 4)),
                                    int(g.integers(0, 10))))
        markets = [random_market(rng, *draw(rng), epoch=k) for k in range(n_markets)]
    count = 0
    for market in markets:
        before = _snapshot(market)
        clearing = mechanism.clear(market)
        if not isinstance(clearing, Clearing):
            raise _fail(mechanism, "returns Clearing", f"got {type(clearing).__name__}")
        check_clearing(mechanism, market, clearing)
        after = _snapshot(market)
        if any(not np.array_equal(before[k], after[k]) for k in before):
            raise _fail(mechanism, "market not mutated", "an array of the market changed")
        again = mechanism.clear(copy.deepcopy(market))
        for field in ("allocation_units", "price_usd_per_unit_h", "transfer_usd_per_h"):
            if not np.allclose(getattr(clearing, field), getattr(again, field), atol=TOL):
                raise _fail(mechanism, "deterministic", f"{field} differs on the same market")
        if not reads_clock(mechanism):  # its promise: the engine reuses its clearings
            later = mechanism.clear(replace(market, epoch=market.epoch + 1009,
                                            t_s=market.t_s + 1009 * market.epoch_s))
            for field in ("allocation_units", "price_usd_per_unit_h", "transfer_usd_per_h"):
                if not np.array_equal(getattr(clearing, field), getattr(later, field)):
                    raise _fail(mechanism, "reads_clock = False",
                                f"{field} differs on the same market at another epoch")
        count += 1
    empty = random_market(rng, 2, 2, 0)
    check_clearing(mechanism, empty, mechanism.clear(empty))
    return count
