"""The market snapshot a mechanism sees, and the clearing it returns.

Both are frozen dataclasses over read-only numpy arrays, so a mechanism is a pure
function ``Market -> Clearing`` that can be unit-tested with literal numbers.

Index conventions (all arrays are dense):

* ``i`` indexes ``providers`` (the federation members taking part in this market);
* ``r`` indexes ``resources`` (``"gpu:v100"``, ``"gpu:k80"``, ``"cpu"``, ...);
* ``d`` indexes demand classes (queued work aggregated by owner and kind).

Every rate is per hour of the epoch: values, costs and prices are USD per unit-hour,
so the LP optimum is a welfare *rate* (USD/h); multiply by ``epoch_h`` for USD.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

import numpy as np


def _frozen(a: np.ndarray | list | tuple, dtype: type = float) -> np.ndarray:
    arr = np.array(a, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class Market:
    """One epoch's market: free capacity, pending demand, costs, affinity, WAN costs.

    Attributes:
        providers: member names, index ``i``.
        resources: resource names, index ``r``.
        capacity_units: ``[i, r]`` free units (GPUs or cores) offered this epoch.
        cost_usd_per_unit_h: ``[i, r]`` marginal operating cost of a busy unit
            (busy minus idle cost: idle cost is paid whether or not the unit is used).
        demand_labels: ``[d]`` human-readable class names (``"A/ResNet-18/x2"``, ``"B/web"``).
        demand_owner: ``[d]`` index of the provider that owns the demand.
        demand_units: ``[d]`` quantity demanded, in units of resource (GPUs or cores).
        demand_value_usd_per_unit_h: ``[d]`` value of one unit-hour of *useful work*.
        need: ``[d, r]`` units of resource ``r`` one unit of demand occupies
            (1 on the resources it can use, 0 elsewhere).
        affinity: ``[d, i, r]`` useful work per unit-hour of ``r`` at ``i``
            (1.0 = reference speed; 0 = cannot run there).
        wan_cost_usd_per_unit_h: ``[d, i]`` WAN cost of serving a unit of ``d`` at ``i``
            (0 at the owner), amortised per unit-hour.
        granularity_units: ``[d]`` indivisible block size of a class (a job's gang size);
            allocations are rounded to whole blocks by the engine, not by mechanisms.
        demand_group: ``[d]`` group of each class (``-1``: none). Classes of one group
            are alternative ways to serve the same need of one owner (a web overflow
            served at one host or another), so together they are served at most once:
            ``Σ_{d∈G} group_share[d]·Σ_{i,r} x[d,i,r] ≤ 1`` for every group ``G``.
        group_share: ``[d]`` the share of its group's need one unit of ``d`` serves.
        epoch: epoch number; ``t_s``: simulated time at the start; ``epoch_s``: length.
    """

    providers: tuple[str, ...]
    resources: tuple[str, ...]
    capacity_units: np.ndarray
    cost_usd_per_unit_h: np.ndarray
    demand_labels: tuple[str, ...]
    demand_owner: np.ndarray
    demand_units: np.ndarray
    demand_value_usd_per_unit_h: np.ndarray
    need: np.ndarray
    affinity: np.ndarray
    wan_cost_usd_per_unit_h: np.ndarray
    granularity_units: np.ndarray | None = None
    demand_group: np.ndarray | None = None
    group_share: np.ndarray | None = None
    epoch: int = 0
    t_s: float = 0.0
    epoch_s: float = 3600.0

    def __post_init__(self) -> None:
        n_i, n_r, n_d = len(self.providers), len(self.resources), len(self.demand_labels)
        gran = self.granularity_units if self.granularity_units is not None else np.ones(n_d)
        group = self.demand_group if self.demand_group is not None else np.full(n_d, -1)
        share = self.group_share if self.group_share is not None else np.zeros(n_d)
        arrays = {
            "capacity_units": (self.capacity_units, (n_i, n_r), float),
            "cost_usd_per_unit_h": (self.cost_usd_per_unit_h, (n_i, n_r), float),
            "demand_owner": (self.demand_owner, (n_d,), np.int64),
            "demand_units": (self.demand_units, (n_d,), float),
            "demand_value_usd_per_unit_h": (self.demand_value_usd_per_unit_h, (n_d,), float),
            "need": (self.need, (n_d, n_r), float),
            "affinity": (self.affinity, (n_d, n_i, n_r), float),
            "wan_cost_usd_per_unit_h": (self.wan_cost_usd_per_unit_h, (n_d, n_i), float),
            "granularity_units": (gran, (n_d,), float),
            "demand_group": (group, (n_d,), np.int64),
            "group_share": (share, (n_d,), float),
        }
        for name, (value, shape, dtype) in arrays.items():
            arr = _frozen(value, dtype)
            if n_d == 0 and arr.size == 0:
                arr = _frozen(np.zeros(shape), dtype)
            if arr.shape != shape:
                raise ValueError(f"Market.{name}: expected shape {shape}, got {arr.shape}")
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "providers", tuple(self.providers))
        object.__setattr__(self, "resources", tuple(self.resources))
        object.__setattr__(self, "demand_labels", tuple(self.demand_labels))
        if n_d and (self.demand_owner.min() < 0 or self.demand_owner.max() >= n_i):
            raise ValueError("Market.demand_owner: index out of range")
        grouped = self.demand_group >= 0
        if grouped.any():
            if np.any(grouped & ~(self.group_share > 0)):
                raise ValueError("Market.group_share: must be > 0 for every grouped class")
            for g in np.unique(self.demand_group[grouped]):
                if len(np.unique(self.demand_owner[self.demand_group == g])) > 1:
                    raise ValueError(f"Market.demand_group: group {g} spans several owners")

    def same_but_clock(self, other: Market) -> bool:
        """Whether ``other`` is this market at another epoch: every name, quantity, cost
        and epoch length equal, only ``epoch`` and ``t_s`` may differ."""
        for name in _ALL_BUT_CLOCK:  # every field, so that a new one cannot be missed
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine is theirs:  # shared read-only arrays (``at_clock``)
                continue
            if isinstance(mine, np.ndarray):
                if not np.array_equal(mine, theirs):
                    return False
            elif mine != theirs:
                return False
        return True

    def at_clock(self, epoch: int, t_s: float) -> Market:
        """This market at another epoch: the same (read-only) arrays, a new clock. No
        copy and no validation: what was valid is still valid."""
        moved = object.__new__(Market)
        moved.__dict__.update(self.__dict__)
        object.__setattr__(moved, "epoch", epoch)
        object.__setattr__(moved, "t_s", t_s)
        return moved

    @property
    def n_groups(self) -> int:
        """Groups are numbered ``0 .. n_groups-1`` (some may be empty)."""
        return int(self.demand_group.max()) + 1 if self.n_demand else 0

    def within_groups(self, allocation: np.ndarray) -> np.ndarray:
        """``allocation`` with every over-served demand group scaled down to its need (a
        helper for mechanisms that allocate class by class)."""
        x = np.array(allocation, dtype=float, copy=True)
        usage = self.group_usage(x)
        over = np.flatnonzero(usage > 1.0)
        for g in over:
            x[self.demand_group == g] /= usage[g]
        return x

    def group_usage(self, allocation: np.ndarray) -> np.ndarray:
        """``[n_groups]`` share of each group's need an allocation ``[d,i,r]`` serves."""
        served = np.asarray(allocation, float).sum(axis=(1, 2)) * self.group_share
        grouped = self.demand_group >= 0
        return np.bincount(self.demand_group[grouped], served[grouped],
                           minlength=self.n_groups)

    @property
    def n_providers(self) -> int:
        return len(self.providers)

    @property
    def n_resources(self) -> int:
        return len(self.resources)

    @property
    def n_demand(self) -> int:
        return len(self.demand_labels)

    @property
    def epoch_h(self) -> float:
        return self.epoch_s / 3600.0

    def gain_usd_per_unit_h(self) -> np.ndarray:
        """``[d, i, r]`` net welfare of one unit of ``d`` on ``r`` at ``i``:
        ``v_d·e_dir − c_ir·a_dr − w_{d,i}``; ``-inf`` where it cannot run."""
        value = self.demand_value_usd_per_unit_h[:, None, None] * self.affinity
        cost = self.cost_usd_per_unit_h[None, :, :] * self.need[:, None, :]
        gain = value - cost - self.wan_cost_usd_per_unit_h[:, :, None]
        feasible = (self.affinity > 0) & (self.need[:, None, :] > 0)
        return np.where(feasible, gain, -np.inf)

    def restrict(self, members: tuple[int, ...] | list[int]) -> Market:
        """The market of a coalition: only its members' capacity and demand."""
        idx = np.asarray(sorted(members), dtype=np.int64)
        keep_d = np.isin(self.demand_owner, idx)
        remap = {int(old): new for new, old in enumerate(idx)}
        return Market(
            providers=tuple(self.providers[k] for k in idx),
            resources=self.resources,
            capacity_units=self.capacity_units[idx],
            cost_usd_per_unit_h=self.cost_usd_per_unit_h[idx],
            demand_labels=tuple(np.asarray(self.demand_labels, dtype=object)[keep_d]),
            demand_owner=np.array(
                [remap[int(o)] for o in self.demand_owner[keep_d]], dtype=np.int64
            ),
            demand_units=self.demand_units[keep_d],
            demand_value_usd_per_unit_h=self.demand_value_usd_per_unit_h[keep_d],
            need=self.need[keep_d],
            affinity=self.affinity[keep_d][:, idx],
            wan_cost_usd_per_unit_h=self.wan_cost_usd_per_unit_h[keep_d][:, idx],
            granularity_units=self.granularity_units[keep_d],
            demand_group=self.demand_group[keep_d],
            group_share=self.group_share[keep_d],
            epoch=self.epoch,
            t_s=self.t_s,
            epoch_s=self.epoch_s,
        )


_ALL_BUT_CLOCK = tuple(f.name for f in fields(Market) if f.name not in ("epoch", "t_s"))


@dataclass(frozen=True)
class Clearing:
    """What a mechanism decides for one epoch.

    Attributes:
        allocation_units: ``[d, i, r]`` units of demand ``d`` served on ``r`` at ``i``
            (may be fractional; the engine places whole jobs by deterministic rounding).
        price_usd_per_unit_h: ``[i, r]`` price the owner of remotely served work pays
            host ``i`` per unit-hour of ``r`` it occupies (self-service is never charged).
        transfer_usd_per_h: ``[i]`` lump-sum side payment *received* by each member during
            the epoch, on top of usage payments (negative = paid). Cooperative-game rules
            (Shapley, nucleolus, ...) use it to move planned payoffs onto their solution.
        budget_balanced: whether the mechanism promises that payments sum to zero;
            when False the engine reports the residual instead of failing.
        status: ``"optimal"``, ``"empty"``, or a solver status for the event log.
        info: scalar diagnostics (welfare rate, iterations, standard error, ...).
    """

    allocation_units: np.ndarray
    price_usd_per_unit_h: np.ndarray
    transfer_usd_per_h: np.ndarray
    budget_balanced: bool = True
    status: str = "optimal"
    info: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("allocation_units", "price_usd_per_unit_h", "transfer_usd_per_h"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "info", MappingProxyType(dict(self.info)))

    @classmethod
    def empty(cls, market: Market, status: str = "empty", **info: float) -> Clearing:
        """No trade: nothing allocated, zero prices and transfers."""
        return cls(
            allocation_units=np.zeros((market.n_demand, market.n_providers, market.n_resources)),
            price_usd_per_unit_h=np.zeros((market.n_providers, market.n_resources)),
            transfer_usd_per_h=np.zeros(market.n_providers),
            status=status,
            info=info,
        )

    def welfare_usd_per_h(self, market: Market) -> float:
        """Planned welfare rate of the allocation: Σ gain·x over feasible cells."""
        gain = market.gain_usd_per_unit_h()
        x = self.allocation_units
        return float(np.sum(np.where(x > 0, gain, 0.0) * x))

    def planned_payoff_usd_per_h(self, market: Market) -> np.ndarray:
        """``[i]`` planned profit rate of each member under this clearing.

        Owner of ``d`` earns ``v_d·e_dir − w_di`` per unit; host ``i`` bears ``c_ir·a_dr``;
        remote use moves ``price_ir·a_dr`` from owner to host; plus the transfers.
        """
        n_i = market.n_providers
        x = self.allocation_units
        payoff = np.array(self.transfer_usd_per_h, dtype=float)
        if market.n_demand == 0:
            return payoff
        value = market.demand_value_usd_per_unit_h[:, None, None] * market.affinity
        value = value - market.wan_cost_usd_per_unit_h[:, :, None]
        used = x * market.need[:, None, :]  # [d, i, r] resource units occupied
        host_cost = np.einsum("dir,ir->i", used, market.cost_usd_per_unit_h)
        own_value = np.zeros(n_i)
        np.add.at(
            own_value, market.demand_owner, np.sum(np.where(x > 0, value, 0.0) * x, axis=(1, 2))
        )
        remote = used * (np.arange(n_i)[None, :, None] != market.demand_owner[:, None, None])
        pay = remote * self.price_usd_per_unit_h[None, :, :]
        received = pay.sum(axis=(0, 2))
        paid = np.zeros(n_i)
        np.add.at(paid, market.demand_owner, pay.sum(axis=(1, 2)))
        return payoff + own_value - host_cost + received - paid
