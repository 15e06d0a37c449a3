"""The run's tables as DataFrames, built once from the engine's raw records."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedsim.engine.dnn import DnnCluster
from fedsim.engine.world import World

EPOCH_COLUMNS = (
    "epoch",
    "t_s",
    "status",
    "fallback",
    "n_demand_classes",
    "demand_units",
    "allocated_units",
    "placed_units",
    "planned_welfare_usd_per_h",
    "transfer_sum_usd_per_h",
)
CLEARING_COLUMNS = (
    "epoch",
    "t_s",
    "demand",
    "owner",
    "host",
    "resource",
    "allocated_units",
    "placed_units",
    "price_usd_per_unit_h",
)
STATUS_NAMES = {0: "not_arrived", 1: "queued", 2: "running", 3: "finished", 4: "rejected"}


def jobs_frame(w: World, d: DnnCluster) -> pd.DataFrame:
    """One row per job that arrived within the horizon."""
    prov = list(w.providers)
    frame = pd.DataFrame(
        {
            "job": np.arange(len(w.jobs)),
            "owner": pd.Categorical.from_codes(w.jobs.owner, categories=prov),
            "job_type": pd.Categorical.from_codes(
                w.jobs.job_type, categories=list(w.jobs.job_types)
            ),
            "n_gpus": w.jobs.n_gpus,
            "ref_duration_s": w.jobs.ref_duration_s,
            "arrival_s": w.jobs.arrival_s,
            "start_s": np.array(d.start_s),
            "finish_s": np.array(d.finish_s),
            "host": pd.Categorical.from_codes(np.array(d.host), categories=prov),
            "gpu": pd.Categorical.from_codes(np.array(d.gpu), categories=list(w.resources)),
            "price_usd_per_gpu_h": np.array(d.price),
            "status": pd.Categorical([STATUS_NAMES[s] for s in d.status]),
        }
    )
    frame["jct_s"] = frame["finish_s"] - frame["arrival_s"]
    return frame[frame["status"] != "not_arrived"].reset_index(drop=True)


def clearings_frame(w: World, rows: list[tuple]) -> pd.DataFrame:
    """Allocated and placed units per epoch, demand class, host and resource."""
    prov, res = list(w.providers), list(w.resources)
    frame = pd.DataFrame(rows, columns=list(CLEARING_COLUMNS))
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
