"""Coalition values v(S) of a market's linear production game, cached per market.

v(S) is the welfare LP optimum of ``market.restrict(S)``: only members' demand on
members' capacity. It is computed without building sub-markets: the cells of the
grand LP are filtered by a bitmask of members. With HiGHS one model is kept per
market and each coalition only zeroes the demand and capacity rows of non-members,
so the dual simplex restarts from the previous basis (bulk evaluation visits the
coalitions in Gray-code order: each step adds or drops one member).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from fedsim.market.types import Market
from fedsim.mechanisms.lp import SolveError, cells_matrix, highs_model, run_highs, solve_cells


def to_mask(members: Iterable[int] | int) -> int:
    """A coalition as a bitmask (bit ``i`` set when member ``i`` is in it)."""
    if isinstance(members, (int, np.integer)):
        return int(members)
    mask = 0
    for i in members:
        mask |= 1 << int(i)
    return mask


class CoalitionValues:
    """v(S) for coalitions of one market, cached; owned by one call (no global state).

    Example::

        values = CoalitionValues(market)
        values({0, 2})          # v of members 0 and 2
        values.all()            # [2**n] array indexed by bitmask
    """

    def __init__(self, market: Market, solver: str = "highs") -> None:
        self.market = market
        self.solver = solver
        self.n = market.n_providers
        gain = market.gain_usd_per_unit_h()
        cell = np.isfinite(gain) & (gain > 0) & (market.capacity_units > 0)[None, :, :]
        cell &= (market.demand_units > 0)[:, None, None]
        d, i, r = np.nonzero(cell)
        self._gain = gain[d, i, r]
        self._demand_row = d
        self._capacity_row = i * market.n_resources + r
        self._need = market.need[d, r]
        self._host = i
        self._owner = market.demand_owner[d]
        self._group = market.demand_group[d]
        self._share = market.group_share[d]
        self._n_groups = market.n_groups
        self._demand = np.asarray(market.demand_units, dtype=float)
        self._capacity = np.asarray(market.capacity_units, dtype=float).ravel()
        n_d = market.n_demand
        group_owner = np.zeros(self._n_groups, dtype=np.int64)
        grouped = market.demand_group >= 0
        group_owner[market.demand_group[grouped]] = market.demand_owner[grouped]
        self._row_upper = np.concatenate([self._demand, self._capacity, np.ones(self._n_groups)])
        self._row_member = np.concatenate(
            [market.demand_owner, np.repeat(np.arange(self.n), market.n_resources), group_owner]
        ).astype(np.int64)
        self._n_demand = n_d
        self._cache: dict[int, float] = {0: 0.0}
        self._warm = _WarmModel(self) if solver == "highs" else None

    @property
    def grand_mask(self) -> int:
        return (1 << self.n) - 1

    @property
    def solves(self) -> int:
        """Coalitions evaluated so far (including those with nothing to trade)."""
        return len(self._cache) - 1

    def __call__(self, members: Iterable[int] | int) -> float:
        mask = to_mask(members)
        value = self._cache.get(mask)
        if value is None:
            value = self._cache[mask] = self._solve(mask)
        return value

    def _solve(self, mask: int, warm: _WarmModel | None = None) -> float:
        inside = ((mask >> np.arange(self.n)) & 1).astype(bool)
        sel = inside[self._owner] & inside[self._host]
        if not sel.any():
            return 0.0
        warm = warm or self._warm
        if warm is not None:
            try:
                return warm.value(inside)
            except SolveError:
                warm.reset()  # rebuild next time; answer this one from scratch
        sol = solve_cells(
            self._gain[sel], self._demand_row[sel], self._capacity_row[sel], self._need[sel],
            self._demand, self._capacity, solver=self.solver, group=self._group[sel],
            share=self._share[sel], n_groups=self._n_groups,
        )
        return sol.objective

    def all(self) -> np.ndarray:
        """``[2**n]`` array of v(S) indexed by bitmask (solves every coalition)."""
        for k in range(1, 1 << self.n):
            self(k ^ (k >> 1))  # Gray code: neighbours differ by one member
        return np.array([self._cache[mask] for mask in range(1 << self.n)])

    def standalone(self) -> np.ndarray:
        """``[n]`` v({i}) for each member."""
        return np.array([self(1 << i) for i in range(self.n)])


class _WarmModel:
    """One HiGHS model of the grand LP; a coalition closes its non-members' rows."""

    def __init__(self, values: CoalitionValues) -> None:
        self.v = values
        self.reset()

    def reset(self) -> None:
        self.highs = None
        self.open_rows: np.ndarray | None = None

    def value(self, inside: np.ndarray) -> float:
        v = self.v
        open_rows = inside[v._row_member]
        if self.highs is None:
            n_row = len(v._row_upper)
            a = cells_matrix(v._demand_row, v._capacity_row, v._need, v._n_demand, n_row,
                             v._group, v._share, v._n_demand + len(v._capacity))
            self.highs = highs_model(
                v._gain, a, np.full(n_row, -np.inf), np.where(open_rows, v._row_upper, 0.0),
                np.zeros(len(v._gain)), np.full(len(v._gain), np.inf), True,
            )
        else:
            changed = np.nonzero(open_rows != self.open_rows)[0]
            self.highs.changeRowsBounds(
                len(changed), changed.astype(np.int32), np.full(len(changed), -np.inf),
                np.where(open_rows[changed], v._row_upper[changed], 0.0),
            )
        self.open_rows = open_rows
        run_highs(self.highs)
        return float(self.highs.getInfo().objective_function_value)


def coalition_value(market: Market, members: Iterable[int], solver: str = "highs") -> float:
    """v(S): welfare LP optimum of the coalition ``members`` (indices into providers)."""
    return CoalitionValues(market, solver)(members)
