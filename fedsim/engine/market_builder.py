"""Snapshot the epoch's ``Market`` from the run state, and turn a ``Clearing`` back into
whole placements (deterministic largest-remainder rounding)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from fedsim.engine.dnn import DnnCluster
from fedsim.engine.web_plan import Bundle, WebPlan
from fedsim.engine.world import World
from fedsim.market.types import Market


@dataclass(frozen=True)
class DemandClass:
    """What a market demand row stands for: queued jobs of one kind, or a bundle of
    cores at one host for a web service's overflow."""

    owner: int  # world provider index
    kind: str  # "dnn" | "web"
    n_gpus: int = 1
    # the class's waiting jobs in arrival order: a live view of the cluster's queue at
    # snapshot time (starting a job removes it), so copy what you keep
    jobs: Sequence[int] = ()
    bundle: Bundle | None = None


@dataclass(frozen=True)
class Snapshot:
    market: Market
    classes: tuple[DemandClass, ...]
    member_index: tuple[int, ...]  # market provider m -> world provider index


def _dnn_classes(world: World, dnn: DnnCluster) -> list[tuple[tuple[int, int, int], list[int]]]:
    """Members' waiting jobs (never started, or preempted) by owner, type and gang size,
    each class in arrival order, classes sorted."""
    members = world.members
    return sorted(item for item in dnn.waiting.items() if item[0][0] in members)


def _dnn_rows(
    world: World,
    dnn: DnnCluster,
    dnn_classes: list[tuple[tuple[int, int, int], list[int]]],
    member_gpu_capacity: np.ndarray,
    outside_usd_per_gpu_h: Callable[[int, int, int], float] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(value [c], need [c, r], affinity [c, m, r], WAN [c, m]) of the DNN classes, all at
    once (one class at a time costs more in numpy calls than in arithmetic)."""
    members = np.asarray(world.members)
    n_m, n_r, n_g = len(members), len(world.resources), len(world.gpu_types)
    keys = [key for key, _ in dnn_classes]
    o = np.array([key[0] for key in keys])
    n = np.array([key[2] for key in keys], dtype=float)
    slow = np.array([dnn.slowdown(k, g) for _, k, g in keys], dtype=float).reshape(-1, n_g)
    finite = np.isfinite(slow)
    runnable = finite[:, None, :] & (member_gpu_capacity[None, :, :] >= n[:, None, None])
    aff = np.zeros((len(keys), n_m, n_r))
    with np.errstate(divide="ignore"):
        aff[:, :, :n_g] = np.where(runnable, 1.0 / slow[:, None, :], 0.0)
    # the mean remaining work of each class, from running sums kept as jobs come and go
    waiting_ref_s = dnn.waiting_ref_s
    mean_ref_h = np.array([max(waiting_ref_s[key], 0.0) / len(jobs) / 3600.0
                           for key, jobs in dnn_classes])  # fmt: skip
    data_cost = world.dataset_gb * world.egress_usd_per_gb
    # (at least a second: an absurdly fast GPU type must not divide by zero)
    fastest = np.where(finite, slow, np.inf).min(axis=1)
    can_move = (mean_ref_h > 0) & runnable.any(axis=(1, 2))
    fastest_h = np.maximum(mean_ref_h * np.where(can_move, fastest, 1.0), 1.0 / 3600.0)
    # one data transfer amortised over the job, wherever it could run remotely
    remote = runnable.any(axis=2) & (members[None, :] != o[:, None]) & can_move[:, None]
    wan = np.where(remote, data_cost / (n * fastest_h)[:, None], 0.0)
    need = np.zeros((len(keys), n_r))
    need[:, :n_g] = 1.0
    # serving a queued GPU-unit now earns the price and saves its owner the wait refund
    value = world.dnn_price_usd_per_gpu_h[o] + world.dnn_wait_penalty_usd_per_gpu_h[o]
    if outside_usd_per_gpu_h is not None:
        # the pool also needs the data: the same amortised transfer as a remote host
        moved = data_cost / (n * np.maximum(mean_ref_h, 1.0 / 3600.0))
        outside = np.array([outside_usd_per_gpu_h(*key) for key in keys])
        value = np.minimum(value, outside + moved)
    return value.astype(float), need, aff, wan


def build_snapshot(
    world: World,
    dnn: DnnCluster,
    web: WebPlan,
    epoch: int,
    t_s: float,
    outside_usd_per_gpu_h: Callable[[int, int, int], float] | None = None,
) -> Snapshot:
    """The market among the federation members at the start of an epoch.

    ``outside_usd_per_gpu_h(owner, job_type, n_gpus)`` is what a reference GPU-hour of that
    work costs the owner outside the federation (its serverless pool); it caps the value."""
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
    need_rows, aff_rows, wan_rows = [], [], []
    member_ids = np.asarray(members)
    member_gpu_capacity = np.asarray(dnn.occ.capacity, dtype=float).reshape(
        world.n_providers, n_g
    )[member_ids]
    dnn_classes = _dnn_classes(world, dnn)
    if dnn_classes:
        rows = _dnn_rows(world, dnn, dnn_classes, member_gpu_capacity, outside_usd_per_gpu_h)
        for (o, k, n), jobs in dnn_classes:
            labels.append(f"{world.providers[o]}/{world.affinity.job_types[k]}/x{n}")
            classes.append(DemandClass(owner=o, kind="dnn", n_gpus=n, jobs=jobs))
            owner.append(pos[o])
            units.append(float(n * len(jobs)))
            gran.append(float(n))
        value.extend(rows[0].tolist())
        need_rows.extend(rows[1])
        aff_rows.extend(rows[2])
        wan_rows.extend(rows[3])
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

    n_d = len(labels)
    market = Market(
        providers=tuple(world.providers[i] for i in members),
        resources=world.resources,
        capacity_units=cap,
        cost_usd_per_unit_h=cost,
        demand_labels=tuple(labels),
        demand_owner=np.array(owner, dtype=np.int64),
        demand_units=np.array(units),
        demand_value_usd_per_unit_h=np.array(value),
        need=np.array(need_rows).reshape(n_d, n_r),
        affinity=np.array(aff_rows).reshape(n_d, n_m, n_r),
        wan_cost_usd_per_unit_h=np.array(wan_rows).reshape(n_d, n_m),
        granularity_units=np.array(gran),
        demand_group=np.array([-1] * n_dnn + groups, dtype=np.int64),
        group_share=np.array([0.0] * n_dnn + group_share),
        epoch=epoch,
        t_s=t_s,
        epoch_s=world.epoch_s,
    )
    return Snapshot(market=market, classes=tuple(classes), member_index=members)
