"""The welfare LP of a ``Market`` (DESIGN.md §3), built on :mod:`fedsim.mechanisms.lp`::

    max  Σ g_dir · x_dir
    s.t. Σ_{i,r} x_dir        ≤ n_d     (demand,   dual u_d  ≥ 0)
         Σ_d a_dr · x_dir     ≤ q_ir    (capacity, dual y_ir ≥ 0)
         x ≥ 0

Only cells with a finite, strictly positive gain become variables: a cell with
``g ≤ 0`` is never needed in an optimum and its dual constraint
``u_d + a_dr·y_ir ≥ g_dir`` holds for any ``u, y ≥ 0``, so dropping it changes
neither the optimum nor the duals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fedsim.market.types import Market
from fedsim.mechanisms.compiled import kernel
from fedsim.mechanisms.lp import Csc, LPSolution, solve_lp


@dataclass(frozen=True)
class WelfareSolution:
    """The solved welfare LP of a market (all rates USD/h).

    Attributes:
        allocation_units: ``[d, i, r]`` optimal x (0 outside the variables).
        capacity_dual_usd_per_unit_h: ``[i, r]`` y ≥ 0, the scarcity rent over cost.
        demand_dual_usd_per_unit_h: ``[d]`` u ≥ 0, the surplus of a served demand unit.
        group_dual_usd_per_h: ``[n_groups]`` ≥ 0, the surplus of serving a demand group.
        welfare_usd_per_h: LP optimum Σ g·x.
        status: ``"optimal"`` or ``"empty"`` (no solver call was needed).
    """

    allocation_units: np.ndarray
    capacity_dual_usd_per_unit_h: np.ndarray
    demand_dual_usd_per_unit_h: np.ndarray
    welfare_usd_per_h: float
    status: str
    group_dual_usd_per_h: np.ndarray = field(default_factory=lambda: np.zeros(0))


def remote_mask(market: Market) -> np.ndarray:
    """``[d, i, r]`` True where ``d`` would run away from its owner."""
    owner = np.asarray(market.demand_owner)
    return (np.arange(market.n_providers)[None, :] != owner[:, None])[:, :, None] & np.ones(
        (1, 1, market.n_resources), dtype=bool
    )


def solve_welfare(
    market: Market,
    *,
    solver: str = "highs",
    allow: np.ndarray | None = None,
    demand_units: np.ndarray | None = None,
    capacity_units: np.ndarray | None = None,
    gain: np.ndarray | None = None,
    group_left: np.ndarray | None = None,
) -> WelfareSolution:
    """Solve the welfare LP of ``market`` (with a row per demand group, see ``Market``).

    Args:
        allow: optional ``[d, i, r]`` mask of cells that may be used (e.g. own cells only).
        demand_units, capacity_units: optional overrides of ``n_d`` and ``q_ir``.
        group_left: optional ``[n_groups]`` share of each group's need still to serve
            (default 1: all of it).
        gain: optional ``[d, i, r]`` gain array (defaults to ``market.gain_usd_per_unit_h()``).
    """
    n_d, n_i, n_r = market.n_demand, market.n_providers, market.n_resources
    n = np.asarray(market.demand_units if demand_units is None else demand_units, dtype=float)
    q = np.asarray(market.capacity_units if capacity_units is None else capacity_units, float)
    g = market.gain_usd_per_unit_h() if gain is None else gain
    # a cell on zero capacity can carry nothing; its row's dual is then arbitrary anyway
    cell = np.isfinite(g) & (g > 0) & (q > 0)[None, :, :]
    if allow is not None:
        cell &= allow
    if n_d:
        cell &= (n > 0)[:, None, None]
    d_idx, i_idx, r_idx = np.nonzero(cell)
    if len(d_idx) == 0:
        return _empty_welfare(n_d, n_i, n_r)
    sol = solve_cells(
        g[d_idx, i_idx, r_idx], d_idx, i_idx * n_r + r_idx,
        np.asarray(market.need)[d_idx, r_idx], n, q.ravel(), solver=solver,
        group=market.demand_group[d_idx], share=market.group_share[d_idx],
        n_groups=market.n_groups, group_left=group_left,
    )
    x = np.zeros((n_d, n_i, n_r))
    x[d_idx, i_idx, r_idx] = np.maximum(sol.x, 0.0)
    n_q = n_i * n_r
    return WelfareSolution(
        allocation_units=x,
        capacity_dual_usd_per_unit_h=np.maximum(sol.row_dual[n_d : n_d + n_q], 0.0).reshape(
            n_i, n_r
        ),
        demand_dual_usd_per_unit_h=np.maximum(sol.row_dual[:n_d], 0.0),
        welfare_usd_per_h=sol.objective,
        status=sol.status,
        group_dual_usd_per_h=np.maximum(sol.row_dual[n_d + n_q :], 0.0),
    )


def solve_cells(
    gain: np.ndarray,
    demand_row: np.ndarray,
    capacity_row: np.ndarray,
    need: np.ndarray,
    demand_units: np.ndarray,
    capacity_units: np.ndarray,
    *,
    solver: str = "highs",
    group: np.ndarray | None = None,
    share: np.ndarray | None = None,
    n_groups: int = 0,
    group_left: np.ndarray | None = None,
) -> LPSolution:
    """The welfare LP over explicit variables ``k`` (cell gain, demand row, capacity row,
    need; and, for grouped classes, the group and the share of it a unit serves).

    Rows are all ``len(demand_units)`` demand rows, then all capacity rows, then one row
    per group (``≤ 1``); empty rows are harmless and keep the dual vector aligned with
    the market's indices. With ``solver="highs"`` an LP of up to ``MAX_DENSE_ROWS`` rows
    in use goes to the compiled simplex of :mod:`.dense_primal` first (certified; HiGHS
    when it cannot certify), larger ones straight to HiGHS.
    """
    left = np.ones(n_groups) if group_left is None else np.maximum(group_left, 0.0)
    upper = np.concatenate([demand_units, capacity_units, left])
    a = cells_matrix(demand_row, capacity_row, need, len(demand_units), len(upper),
                     group, share, len(demand_units) + len(capacity_units))
    dense_primal = kernel("dense_primal") if solver == "highs" and len(gain) else None
    if dense_primal is not None:  # numba: imported on the first solve only
        dense = dense_primal.solve_dense(gain, a, upper)
        if dense is not None:
            return dense
    return solve_lp(gain, a, np.full(len(upper), -np.inf), upper, solver=solver,
                    zero_feasible=True)


def cells_matrix(
    demand_row: np.ndarray,
    capacity_row: np.ndarray,
    need: np.ndarray,
    n_demand: int,
    n_row: int,
    group: np.ndarray | None = None,
    share: np.ndarray | None = None,
    first_group_row: int = 0,
) -> Csc:
    """Each variable has two entries (its demand row, then its capacity row), and a third
    (its group row) when its class is grouped; the column-wise matrix is built directly,
    in sorted order."""
    n_var = len(demand_row)
    grouped = (group >= 0) if group is not None and n_var else np.zeros(n_var, dtype=bool)
    if not grouped.any():
        return Csc(
            n_row=n_row,
            start=np.arange(0, 2 * n_var + 1, 2, dtype=np.int32),
            index=np.column_stack([demand_row, n_demand + capacity_row]).ravel().astype(np.int32),
            value=np.column_stack([np.ones(n_var), need]).ravel().astype(float),
        )
    count = 2 + grouped.astype(np.int64)
    start = np.concatenate([[0], np.cumsum(count)]).astype(np.int32)
    index = np.empty(start[-1], dtype=np.int32)
    value = np.empty(start[-1])
    index[start[:-1]] = demand_row
    value[start[:-1]] = 1.0
    index[start[:-1] + 1] = n_demand + capacity_row
    value[start[:-1] + 1] = need
    third = start[:-1][grouped] + 2
    index[third] = first_group_row + group[grouped]
    value[third] = share[grouped]
    return Csc(n_row=n_row, start=start, index=index, value=value)


def _empty_welfare(n_d: int, n_i: int, n_r: int) -> WelfareSolution:
    return WelfareSolution(
        allocation_units=np.zeros((n_d, n_i, n_r)),
        capacity_dual_usd_per_unit_h=np.zeros((n_i, n_r)),
        demand_dual_usd_per_unit_h=np.zeros(n_d),
        welfare_usd_per_h=0.0,
        status="empty",
    )
