"""Coalition values v(S) of a market's linear production game, cached per market.

v(S) is the welfare LP optimum of ``market.restrict(S)``: only members' demand on
members' capacity. It is computed without building sub-markets: the cells of the
grand LP are filtered by a bitmask of members. With ``solver="highs"`` (the default)
the grand LP is kept in a compiled dense simplex (:mod:`.coalition_simplex`) and each
coalition only zeroes the demand, capacity and group rows of non-members, so the dual
simplex restarts from the previous basis (bulk evaluation visits the coalitions in
Gray-code order: each step adds or drops one member); a coalition it cannot finish
cleanly is solved by HiGHS. With ``solver="cbc"`` each coalition is its own CBC model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from fedsim.market.types import Market
from fedsim.mechanisms.compiled import kernel
from fedsim.mechanisms.market_lp import cells_matrix, solve_cells

MAX_COMPILED_MEMBERS = 62  # masks are int64 in the compiled simplex


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
        self._compiled: _CompiledSweep | None = None

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

    def _solve(self, mask: int) -> float:
        inside = self._inside(mask)
        if not (inside[self._owner] & inside[self._host]).any():
            return 0.0
        if self._compiled_ok():
            value = float(self._kernel().values(np.array([mask]))[0])
            if not np.isnan(value):
                return value
        return self._solve_direct(mask)

    def _compiled_ok(self) -> bool:
        # the kernel takes masks as int64: beyond 62 members they are Python ints only
        return (self.solver == "highs" and self.n <= MAX_COMPILED_MEMBERS
                and kernel("coalition_simplex") is not None)

    def _solve_direct(self, mask: int) -> float:
        """v(S) from a model of the coalition alone (CBC, or HiGHS when the compiled
        simplex could not finish)."""
        inside = self._inside(mask)
        sel = inside[self._owner] & inside[self._host]
        if not sel.any():
            return 0.0
        sol = solve_cells(
            self._gain[sel], self._demand_row[sel], self._capacity_row[sel], self._need[sel],
            self._demand, self._capacity, solver=self.solver, group=self._group[sel],
            share=self._share[sel], n_groups=self._n_groups,
        )
        return sol.objective

    def _inside(self, mask: int) -> np.ndarray:
        """``[n]`` membership of ``mask`` (Python ints: masks of 64+ members fit too)."""
        if self.n <= MAX_COMPILED_MEMBERS:
            return ((mask >> np.arange(self.n)) & 1).astype(bool)
        return np.array([(mask >> i) & 1 for i in range(self.n)], dtype=bool)

    def _kernel(self) -> _CompiledSweep:
        if self._compiled is None:
            self._compiled = _CompiledSweep(self)
        return self._compiled

    def all(self) -> np.ndarray:
        """``[2**n]`` array of v(S) indexed by bitmask (solves every coalition)."""
        gray = np.arange(1, 1 << self.n)
        gray ^= gray >> 1  # neighbours differ by one member, so each warm start is close
        todo = [int(mask) for mask in gray if int(mask) not in self._cache]
        if todo and self._compiled_ok() and len(self._gain):
            for mask, value in zip(todo, self._kernel().values(np.array(todo)).tolist(),
                                   strict=True):
                self._cache[mask] = self._solve_direct(mask) if math.isnan(value) else value
        else:
            for mask in todo:
                self(mask)
        return np.array([self._cache[mask] for mask in range(1 << self.n)])

    def standalone(self) -> np.ndarray:
        """``[n]`` v({i}) for each member."""
        return np.array([self(1 << i) for i in range(self.n)])


class _CompiledSweep:
    """The grand LP in the compiled simplex's form; keeps its basis between calls."""

    def __init__(self, values: CoalitionValues) -> None:
        v = values
        module = kernel("coalition_simplex")  # numba: only for v(S); _compiled_ok() loaded it
        assert module is not None
        self._sweep = module.coalition_sweep
        a = cells_matrix(v._demand_row, v._capacity_row, v._need, v._n_demand,
                         len(v._row_upper), v._group, v._share, v._n_demand + len(v._capacity))
        self._start = np.asarray(a.start, dtype=np.int64)
        self._index = np.asarray(a.index, dtype=np.int64)
        self._value = np.asarray(a.value, dtype=float)
        self._gain = np.asarray(v._gain, dtype=float)
        self._upper = np.asarray(v._row_upper, dtype=float)
        self._member = v._row_member
        self._basic = np.full(len(self._upper), -1, dtype=np.int64)
        self._binv = np.eye(len(self._upper))
        # tolerances relative to the data's scale (units and USD/h vary by scenario)
        self._tol_primal = 1e-9 * max(1.0, float(np.max(self._upper, initial=0.0)))
        self._tol_dual = 1e-9 * max(1.0, float(np.max(self._gain, initial=0.0)))

    def values(self, masks: np.ndarray) -> np.ndarray:
        """v(S) of each mask in order; NaN where the kernel gave up."""
        return self._sweep(self._start, self._index, self._value, self._gain, self._upper,
                           self._member, np.asarray(masks, dtype=np.int64), self._basic,
                           self._binv, self._tol_primal, self._tol_dual)


def coalition_value(market: Market, members: Iterable[int], solver: str = "highs") -> float:
    """v(S): welfare LP optimum of the coalition ``members`` (indices into providers)."""
    return CoalitionValues(market, solver)(members)
