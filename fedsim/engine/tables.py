"""The run's tables as DataFrames, built once from the engine's raw records (rows are
named tuples; the event log keeps plain tuples of :data:`EVENT_FIELDS` on its hot path)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from fedsim.engine.jobs import JobState, JobStatus
from fedsim.engine.searches import COLUMNS as SEARCH_COLUMNS
from fedsim.engine.world import JOB_KINDS, World


@dataclass(frozen=True)
class RunTables:
    """Raw outputs of one simulation, as DataFrames."""

    events: pd.DataFrame
    jobs: pd.DataFrame
    clearings: pd.DataFrame
    prices: pd.DataFrame
    epochs: pd.DataFrame
    ledger: pd.DataFrame
    budget_residual_usd: float
    wall_s: float
    mechanism_s: float
    searches: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SEARCH_COLUMNS))


class EpochRow(NamedTuple):
    epoch: int
    t_s: float
    status: str
    fallback: bool
    n_demand_classes: int
    demand_units: float
    allocated_units: float
    placed_units: float
    planned_welfare_usd_per_h: float
    transfer_sum_usd_per_h: float


class ClearingRow(NamedTuple):
    epoch: int
    t_s: float
    demand: str
    owner: int
    host: int
    resource: int
    allocated_units: float
    placed_units: float
    price_usd_per_unit_h: float


def jobs_frame(w: World, jobs: JobState) -> pd.DataFrame:
    """One row per job that arrived within the horizon: what it is, where and when it
    ran, and its service (attained GPU-seconds, preemptions, queueing delay, seconds on
    each GPU type)."""
    prov = list(w.providers)
    n, n_g = len(jobs), len(w.gpu_types)
    on_type = np.asarray(jobs.time_on_type_s, dtype=float).reshape(n, n_g)
    status = np.asarray(jobs.status, dtype=np.int64)
    frame = pd.DataFrame(
        {
            "job": np.arange(n),
            "owner": pd.Categorical.from_codes(np.array(jobs.owner, dtype=np.int64),
                                               categories=prov),
            "job_type": pd.Categorical.from_codes(
                np.array(jobs.job_type, dtype=np.int64), categories=list(w.jobs.job_types)
            ),
            "kind": pd.Categorical.from_codes(np.array(jobs.kind, dtype=np.int64),
                                              categories=list(JOB_KINDS)),
            "n_gpus": np.array(jobs.n_gpus, dtype=np.int64),
            "ref_duration_s": np.array(jobs.work_ref_s, dtype=float),
            "arrival_s": np.array(jobs.arrival_s, dtype=float),
            "start_s": np.array(jobs.first_start_s),
            "finish_s": np.array(jobs.finish_s),
            "host": pd.Categorical.from_codes(np.array(jobs.host), categories=prov),
            "gpu": pd.Categorical.from_codes(np.array(jobs.gpu), categories=list(w.resources)),
            "price_usd_per_gpu_h": np.array(jobs.price),
            "status": pd.Categorical.from_codes(
                status, categories=[s.name.lower() for s in JobStatus]
            ),
            "remaining_ref_s": np.array(jobs.remaining_ref_s),
            "attained_gpu_s": np.array(jobs.attained_gpu_s),
            "preemptions": np.array(jobs.preemptions, dtype=np.int64),
            "queue_delay_s": np.array(jobs.queue_delay_s),
            "serverless": np.array(jobs.serverless, dtype=bool),
            **{f"time_on_{g}_s": on_type[:, k] for k, g in enumerate(w.gpu_types)},
        }
    )
    frame["jct_s"] = frame["finish_s"] - frame["arrival_s"]
    arrived = status != JobStatus.NOT_ARRIVED
    frame = frame[arrived].reset_index(drop=True)
    frame["status"] = frame["status"].cat.remove_categories("not_arrived")
    return frame


def epochs_frame(rows: list[EpochRow]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(EpochRow._fields))


def clearings_frame(w: World, rows: list[ClearingRow]) -> pd.DataFrame:
    """Allocated and placed units per epoch, demand class, host and resource."""
    prov, res = list(w.providers), list(w.resources)
    frame = pd.DataFrame(rows, columns=list(ClearingRow._fields))
    frame["owner"] = pd.Categorical.from_codes(frame["owner"].astype(int), categories=prov)
    frame["host"] = pd.Categorical.from_codes(frame["host"].astype(int), categories=prov)
    frame["resource"] = pd.Categorical.from_codes(frame["resource"].astype(int), categories=res)
    return frame


def prices_frame(w: World, rows: list[np.ndarray]) -> pd.DataFrame:
    """Every member's price per resource and epoch (``rows``: one ``[m, r]`` array each)."""
    members = [w.providers[i] for i in w.members]
    if not rows:
        return pd.DataFrame(columns=["epoch", "provider", "resource", "price_usd_per_unit_h"])
    arr = np.stack(rows)  # [e, m, r]
    n_e, n_m, n_r = arr.shape
    return pd.DataFrame(
        {
            "epoch": np.repeat(np.arange(n_e), n_m * n_r),
            "provider": pd.Categorical(np.tile(np.repeat(members, n_r), n_e), categories=members),
            "resource": pd.Categorical(
                np.tile(list(w.resources), n_e * n_m), categories=list(w.resources)
            ),
            "price_usd_per_unit_h": arr.ravel(),
        }
    )
