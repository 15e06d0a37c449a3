"""The run summary: per-provider and federation figures from the raw tables
(pure DataFrame -> dict)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from fedsim.analysis import run_metrics


def _num(x: float) -> float | None:
    """JSON-safe number: NaN/inf become null."""
    x = float(x)
    return x if math.isfinite(x) else None


def _ratio(num: float, den: float) -> float | None:
    return _num(num / den) if den > 0 else None


def provider_profits(ledger: pd.DataFrame) -> pd.Series:
    return ledger.groupby("provider", observed=False)["profit_usd"].sum()


def summarize(
    ledger: pd.DataFrame,
    jobs: pd.DataFrame,
    epochs: pd.DataFrame,
    providers: tuple[str, ...],
    members: tuple[str, ...],
    budget_residual_usd: float,
    baseline_ledger: pd.DataFrame | None,
    clearings: pd.DataFrame | None = None,
    searches: pd.DataFrame | None = None,
) -> dict[str, Any]:
    by = ledger.groupby("provider", observed=False).sum(numeric_only=True)
    base = provider_profits(baseline_ledger) if baseline_ledger is not None else None
    finished = jobs[jobs["status"] == "finished"]
    status_counts = (
        jobs.groupby(["owner", "status"], observed=False).size()
        if len(jobs)
        else pd.Series(dtype="int64")
    )

    def count(owner: str, status: str) -> int:
        return int(status_counts.get((owner, status), 0))

    out: dict[str, Any] = {}
    for name in providers:
        row = by.loc[name]
        jct = finished.loc[finished["owner"] == name, "jct_s"].to_numpy()
        remote = jobs[(jobs["owner"] == name) & jobs["host"].notna() & (jobs["host"] != name)]
        hosted = jobs[(jobs["host"] == name) & (jobs["owner"] != name)]
        out[name] = {
            "member": name in members,
            "profit_usd": _num(row["profit_usd"]),
            "revenue_usd": _num(row["revenue_dnn_usd"] + row["revenue_web_usd"]),
            "revenue_dnn_usd": _num(row["revenue_dnn_usd"]),
            "revenue_web_usd": _num(row["revenue_web_usd"]),
            "sla_penalty_usd": _num(row["sla_penalty_usd"]),
            "cost_usd": _num(
                row["operating_cost_usd"] + row["wan_cost_usd"] + row.get("serverless_usd", 0.0)
            ),
            "net_payments_usd": _num(row["received_usd"] - row["paid_usd"] + row["transfer_usd"]),
            "gpu_utilization": _ratio(row["gpu_busy_h"], row["gpu_capacity_h"]),
            "cpu_utilization": _ratio(row["cpu_busy_h"], row["cpu_capacity_h"]),
            "jobs_arrived": int((jobs["owner"] == name).sum()),
            "jobs_finished": int(row["jobs_finished"]),
            "jobs_running": count(name, "running"),
            "jobs_queued": count(name, "queued"),
            "jobs_rejected": count(name, "rejected"),
            "jobs_run_remotely": len(remote),
            "jobs_hosted": len(hosted),
            "jct_mean_s": _num(np.mean(jct)) if len(jct) else None,
            "jct_p95_s": _num(np.percentile(jct, 95)) if len(jct) else None,
            "sla_violation_frac": _ratio(row["web_violations"], row["web_requests"]),
            "gain_vs_isolated_usd": (
                _num(row["profit_usd"] - base.loc[name]) if base is not None else None
            ),
        }
        for kind, key in (("model_selection", "model_selections"), ("dag", "dag_jobs")):
            mine = jobs[(jobs["owner"] == name) & (jobs["kind"] == kind)] \
                if "kind" in jobs else jobs.iloc[:0]
            if len(mine):
                done = mine[mine["status"] == "finished"]
                out[name][key] = {
                    "arrived": len(mine),
                    "finished": len(done),
                    "jct_mean_s": _num(done["jct_s"].mean()) if len(done) else None,
                }
        if row.get("web_serverless", 0.0) > 0:
            out[name]["web_served_serverless"] = _num(row["web_serverless"])
        burst = jobs[(jobs["owner"] == name) & jobs["serverless"]] \
            if "serverless" in jobs else jobs.iloc[:0]
        if len(burst):
            done = burst[burst["status"] == "finished"]
            out[name]["serverless"] = {
                "jobs": len(burst),
                "finished": len(done),
                "gpu_h": _num(burst["attained_gpu_s"].sum() / 3600.0),
                "cost_usd": _num(row.get("serverless_usd", 0.0)),
                "jct_mean_s": _num(done["jct_s"].mean()) if len(done) else None,
            }
        if searches is not None and (searches["provider"] == name).any():
            out[name]["searches"] = _searches(searches[searches["provider"] == name])
    # the federation's metrics are defined once, in analysis.run_metrics, and shared by
    # run, compare, coalitions and sweep
    profits = {name: float(by.loc[name, "profit_usd"]) for name in providers}
    welfare = run_metrics.welfare_usd(profits, members, budget_residual_usd)
    individually_rational = None
    welfare_isolated = None
    if base is not None:
        base_profits = {name: float(base.loc[name]) for name in providers}
        gains = run_metrics.paired_gains_usd(profits, base_profits, members)
        individually_rational = run_metrics.individually_rational(gains)
        welfare_isolated = run_metrics.welfare_usd(base_profits, members, 0.0)
    fed: dict[str, Any] = {
        "members": list(members),
        "welfare_usd": _num(welfare),
        "welfare_isolated_usd": _num(welfare_isolated) if welfare_isolated is not None else None,
        "budget_residual_usd": _num(budget_residual_usd),
        "individually_rational": individually_rational,
        "epochs": len(epochs),
        "solve_failures": int(epochs["fallback"].sum()) if len(epochs) else 0,
        "jobs_moved": int(sum(out[m]["jobs_run_remotely"] for m in members)),
        "trades": _trades(clearings),
    }
    return {"providers": out, "federation": fed}


def _searches(s: pd.DataFrame) -> dict[str, Any]:
    """A provider's hyperparameter searches: how many, how many complete and how many
    reached their target, the mean time to target (of those), best accuracy, GPU-hours."""
    reached = s["time_to_target_s"].to_numpy()
    reached = reached[np.isfinite(reached)]
    return {
        "arrived": len(s),
        "completed": int(s["finish_s"].notna().sum()),
        "reached_target": len(reached),
        "time_to_target_mean_s": _num(np.mean(reached)) if len(reached) else None,
        "best_accuracy_mean": _num(s["best_accuracy"].mean()),
        "best_by_deadline_mean": _num(s["best_by_deadline"].mean()),
        "gpu_h": _num(s["gpu_h"].sum()),
    }


def _trades(clearings: pd.DataFrame | None) -> dict[str, Any] | None:
    """How often the market placed work across members: epochs with any remote
    placement, and the remote unit placements (GPU jobs' GPUs and web cores)."""
    if clearings is None:
        return None
    remote = clearings[
        (clearings["owner"].astype(str) != clearings["host"].astype(str))
        & (clearings["placed_units"] > 0)
    ]
    return {
        "epochs_with_trade": int(remote["epoch"].nunique()),
        "remote_units_placed": _num(remote["placed_units"].sum()),
    }
