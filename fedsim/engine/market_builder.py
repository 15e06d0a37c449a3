"""Snapshot the epoch's ``Market`` from the run state, and turn a ``Clearing`` back into
whole placements (deterministic largest-remainder rounding)."""

from __future__ import annotations

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
    jobs: tuple[int, ...] = ()
    bundle: Bundle | None = None


@dataclass(frozen=True)
class Snapshot:
    market: Market
    classes: tuple[DemandClass, ...]
    member_index: tuple[int, ...]  # market provider m -> world provider index


def _dnn_classes(world: World, dnn: DnnCluster) -> dict[tuple[int, int, int], list[int]]:
    """Members' waiting jobs (never started, or preempted) by owner, type and gang size,
    each class in arrival order."""
    groups: dict[tuple[int, int, int], list[int]] = {}
    jobs = dnn.jobs
    for o in world.members:
        for j in sorted(dnn.queued[o]):
            groups.setdefault((o, jobs.job_type[j], jobs.n_gpus[j]), []).append(j)
    return groups


def build_snapshot(world: World, dnn: DnnCluster, web: WebPlan, epoch: int, t_s: float) -> Snapshot:
    """The market among the federation members at the start of an epoch."""
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
    data_cost = world.dataset_gb * world.egress_usd_per_gb
    member_ids = np.asarray(members)
    member_gpu_capacity = np.asarray(dnn.occ.capacity, dtype=float).reshape(
        world.n_providers, n_g
    )[member_ids]
    for (o, k, n), jobs in sorted(_dnn_classes(world, dnn).items()):
        slow = np.asarray(dnn.slowdown(k, n))
        aff = np.zeros((n_m, n_r))
        runnable = np.isfinite(slow)[None, :] & (member_gpu_capacity >= n)  # [m, g]
        aff[:, :n_g] = np.where(runnable, 1.0 / slow, 0.0)
        wan = np.zeros(n_m)
        mean_ref_h = sum(dnn.jobs.remaining_ref_s[j] for j in jobs) / len(jobs) / 3600.0
        if mean_ref_h > 0 and runnable.any():
            # (at least a second: an absurdly fast GPU type must not divide by zero)
            fastest_h = max(mean_ref_h * float(slow[np.isfinite(slow)].min()), 1.0 / 3600.0)
            # one data transfer amortised over the job, wherever it could run remotely
            wan = np.where(
                runnable.any(axis=1) & (member_ids != o), data_cost / (n * fastest_h), 0.0
            )
        need = np.zeros(n_r)
        need[:n_g] = 1.0
        labels.append(f"{world.providers[o]}/{world.affinity.job_types[k]}/x{n}")
        classes.append(DemandClass(owner=o, kind="dnn", n_gpus=n, jobs=tuple(jobs)))
        owner.append(pos[o])
        units.append(float(n * len(jobs)))
        # serving a queued GPU-unit now earns the price and saves its owner the wait refund
        value.append(
            float(world.dnn_price_usd_per_gpu_h[o] + world.dnn_wait_penalty_usd_per_gpu_h[o])
        )
        gran.append(float(n))
        need_rows.append(need)
        aff_rows.append(aff)
        wan_rows.append(wan)
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
