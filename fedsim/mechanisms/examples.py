"""Small hand-solvable markets used by the tests, the docs and the benchmarks.

Derivations of their LP optima, duals and payoff vectors are in
``tests/test_mech_lp.py`` and ``tests/test_mech_payments.py``.
"""

from __future__ import annotations

import numpy as np

from fedsim.market.types import Market


def gpu_cpu_market(
    *,
    gpu_capacity_units: tuple[float, float] = (10.0, 2.0),
    cpu_capacity_units: tuple[float, float] = (2.0, 10.0),
    gpu_cost_usd_per_unit_h: tuple[float, float] = (1.0, 1.0),
    epoch: int = 0,
) -> Market:
    """GPU-rich A and CPU-rich B (DESIGN.md §3's hand check).

    Each owns DNN work (value 3 per GPU-unit-hour, needs a GPU) and web work
    (value 1 per CPU-unit-hour, needs a core): A 6 DNN + 8 web, B 8 DNN + 6 web.
    CPU cost 0.2; WAN cost 0.5 per remote DNN unit, 0.1 per remote web unit.
    """
    need = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    wan_remote = np.array([0.5, 0.1, 0.5, 0.1])
    owner = np.array([0, 0, 1, 1])
    wan = np.where(np.arange(2)[None, :] != owner[:, None], wan_remote[:, None], 0.0)
    return Market(
        providers=("A", "B"),
        resources=("gpu", "cpu"),
        capacity_units=np.column_stack([gpu_capacity_units, cpu_capacity_units]),
        cost_usd_per_unit_h=np.column_stack([gpu_cost_usd_per_unit_h, (0.2, 0.2)]),
        demand_labels=("A/dnn", "A/web", "B/dnn", "B/web"),
        demand_owner=owner,
        demand_units=np.array([6.0, 8.0, 8.0, 6.0]),
        demand_value_usd_per_unit_h=np.array([3.0, 1.0, 3.0, 1.0]),
        need=need,
        affinity=np.repeat(need[:, None, :], 2, axis=1),
        wan_cost_usd_per_unit_h=wan,
        epoch=epoch,
    )


def one_resource_market(
    capacity_units: list[float],
    demand_units: list[float],
    value_usd_per_unit_h: list[float] | None = None,
    cost_usd_per_unit_h: list[float] | None = None,
    *,
    epoch: int = 0,
) -> Market:
    """One resource, one demand class per member, no WAN cost, unit affinity:
    v(S) = Σ_k gain_k · min(demand, capacity) solved greedily by hand."""
    n = len(capacity_units)
    value = value_usd_per_unit_h or [1.0] * n
    cost = cost_usd_per_unit_h or [0.0] * n
    return Market(
        providers=tuple(chr(ord("A") + k) for k in range(n)),
        resources=("cpu",),
        capacity_units=np.array(capacity_units, dtype=float)[:, None],
        cost_usd_per_unit_h=np.array(cost, dtype=float)[:, None],
        demand_labels=tuple(f"{chr(ord('A') + k)}/work" for k in range(n)),
        demand_owner=np.arange(n),
        demand_units=np.array(demand_units, dtype=float),
        demand_value_usd_per_unit_h=np.array(value, dtype=float),
        need=np.ones((n, 1)),
        affinity=np.ones((n, n, 1)),
        wan_cost_usd_per_unit_h=np.zeros((n, n)),
        epoch=epoch,
    )
