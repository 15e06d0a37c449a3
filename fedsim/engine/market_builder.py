"""Snapshot the epoch's ``Market`` from the run state, and turn a ``Clearing`` back into
whole placements (deterministic largest-remainder rounding)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fedsim.engine.demand_class import DemandClass
from fedsim.engine.dnn import DnnCluster
from fedsim.engine.dnn_rows import DnnRows
from fedsim.engine.web_plan import WebPlan
from fedsim.engine.world import World
from fedsim.market.types import Market


@dataclass(frozen=True)
class Snapshot:
    market: Market
    classes: tuple[DemandClass, ...]
    member_index: tuple[int, ...]  # market provider m -> world provider index


def build_snapshot(
    world: World,
    dnn: DnnCluster,
    web: WebPlan,
    epoch: int,
    t_s: float,
    outside_usd_per_gpu_h: Callable[[int, int, int], float] | None = None,
    dnn_rows: DnnRows | None = None,
) -> Snapshot:
    """The market among the federation members at the start of an epoch.

    ``outside_usd_per_gpu_h(owner, job_type, n_gpus)`` is what a reference GPU-hour of that
    work costs the owner outside the federation (its serverless pool); it caps the value.
    ``dnn_rows`` is the run's row keeper (a run passes the same one every epoch)."""
    members = world.members
    n_m, n_r, n_g = len(members), len(world.resources), len(world.gpu_types)
    cpu = world.cpu_index
    cap = np.zeros((n_m, n_r))
    for m, i in enumerate(members):
        cap[m, :n_g] = dnn.occ.free[i]
        cap[m, cpu] = web.free_cores[i]
    marginal = world.busy_cost_usd_per_unit_h - world.idle_cost_usd_per_unit_h
    cost = marginal[list(members)]
    pos = {i: m for m, i in enumerate(members)}

    labels: list[str] = []
    classes: list[DemandClass] = []
    owner, units, value, gran = [], [], [], []
    # the DNN classes' rows come as arrays, the web bundles' as lists of rows
    need_rows: list[np.ndarray] = []
    aff_rows: list[np.ndarray] = []
    wan_rows: list[np.ndarray] = []
    dnn_need, dnn_aff, dnn_wan = np.zeros((0, n_r)), np.zeros((0, n_m, n_r)), np.zeros((0, n_m))
    if dnn_rows is None:
        dnn_rows = DnnRows(world, dnn)
    dnn_classes = dnn_rows.classes()
    if dnn_classes:
        rows = dnn_rows.rows(dnn_classes, outside_usd_per_gpu_h)
        labels.extend(rows.labels)
        classes.extend(dnn_rows.demand_class(key, jobs) for key, jobs in dnn_classes)
        owner.extend(rows.owner_m)
        units.extend(rows.units)
        gran.extend(rows.granularity)
        value.extend(rows.value.tolist())
        dnn_need, dnn_aff, dnn_wan = rows.need, rows.affinity, rows.wan
    groups = []
    group_of: dict[int, int] = {}
    group_share = []
    for o in members:
        service = web.services[o]
        if service is None:
            continue
        epoch_h = sum(service.planned.duration_s) / 3600.0
        for bundle in service.bundles:
            aff = np.zeros((n_m, n_r))
            aff[pos[bundle.host], cpu] = 1.0  # a bundle is sized for its host only
            need = np.zeros(n_r)
            need[cpu] = 1.0
            labels.append(f"{world.providers[o]}/web@{world.providers[bundle.host]}")
            classes.append(DemandClass(owner=o, kind="web", bundle=bundle))
            owner.append(pos[o])
            units.append(float(bundle.cores))
            value.append(bundle.value_usd / (bundle.cores * epoch_h))
            gran.append(float(bundle.cores))
            need_rows.append(need)
            aff_rows.append(aff)
            wan_rows.append(np.zeros(n_m))
            # the bundles of one service are alternatives: a whole bundle is its whole need
            groups.append(group_of.setdefault(o, len(group_of)))
            group_share.append(1.0 / bundle.cores)
    n_dnn = len(labels) - len(groups)
    market = Market(
        providers=tuple(world.providers[i] for i in members),
        resources=world.resources,
        capacity_units=cap,
        cost_usd_per_unit_h=cost,
        demand_labels=tuple(labels),
        demand_owner=np.array(owner, dtype=np.int64),
        demand_units=np.array(units),
        demand_value_usd_per_unit_h=np.array(value),
        need=_stack(dnn_need, need_rows, (n_r,)),
        affinity=_stack(dnn_aff, aff_rows, (n_m, n_r)),
        wan_cost_usd_per_unit_h=_stack(dnn_wan, wan_rows, (n_m,)),
        granularity_units=np.array(gran),
        demand_group=np.array([-1] * n_dnn + groups, dtype=np.int64),
        group_share=np.array([0.0] * n_dnn + group_share),
        epoch=epoch,
        t_s=t_s,
        epoch_s=world.epoch_s,
    )
    return Snapshot(market=market, classes=tuple(classes), member_index=members)


class Snapshots:
    """One run's epoch snapshots. Without web services or a serverless outside option the
    market reads only the DNN queues and GPU pools; when neither changed since the last
    snapshot (no job arrived, started, finished or was preempted: a third of the Philly
    trace's epochs), that market comes back at the new clock instead of being rebuilt."""

    def __init__(self, world: World, dnn: DnnCluster) -> None:
        self.world = world
        self.dnn = dnn
        self.rows = DnnRows(world, dnn)
        self._key: tuple | None = None
        self._last: Snapshot | None = None

    def take(self, web: WebPlan, epoch: int, t_s: float,
             outside_usd_per_gpu_h: Callable[[int, int, int], float] | None) -> Snapshot:
        """The market among the members at the start of ``epoch`` (see ``build_snapshot``)."""
        key = self._state_key(web, outside_usd_per_gpu_h)
        last = self._last
        if key is not None and key == self._key and last is not None:
            return Snapshot(last.market.at_clock(epoch, t_s), last.classes, last.member_index)
        snap = build_snapshot(self.world, self.dnn, web, epoch, t_s, outside_usd_per_gpu_h,
                              self.rows)
        self._key, self._last = key, snap
        return snap

    def _state_key(self, web: WebPlan, outside: object) -> tuple | None:
        if outside is not None or any(s is not None for s in web.services):
            return None  # web loads and outside prices move with the clock
        return self.dnn.queue_changes, self.dnn.occ.changes, web.free_cores


def _stack(head: np.ndarray, rows: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """``head`` with ``rows`` (each of ``shape``) below it (``Market`` copies it)."""
    if not rows:
        return head
    return np.concatenate([head, np.array(rows).reshape(len(rows), *shape)])
