"""Figures of one run, from its ledger, prices and jobs tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fedsim.plots.style import new_axes

HOUR_S = 3600.0


def utilisation_over_time(ledger: pd.DataFrame, ax: Any = None) -> Any:
    """GPU utilisation per provider and epoch: busy GPU-hours ÷ GPU-hours available."""
    ax = new_axes(ax)
    for provider, part in ledger.groupby("provider", observed=True, sort=False):
        cap = part["gpu_capacity_h"].to_numpy(float)
        if not np.any(cap > 0):
            continue  # no GPUs: nothing to show
        util = np.divide(part["gpu_busy_h"].to_numpy(float), cap, out=np.full(len(cap), np.nan),
                         where=cap > 0)  # fmt: skip
        ax.plot(part["t_s"].to_numpy(float) / HOUR_S, util, label=str(provider))
    ax.set(xlabel="time (h)", ylabel="GPU utilisation", ylim=(0.0, 1.05),
           title="GPU utilisation per provider")  # fmt: skip
    ax.legend(loc="best")
    return ax


def prices_over_time(prices: pd.DataFrame, epoch_s: float, ax: Any = None) -> Any:
    """Each member's price per resource over epochs, one line per (member, resource): a
    GPU-hour and a core-hour are different units, so they are never averaged. A series
    at 0 throughout (most often a pool the member does not have) is not drawn; the
    title says how many were left out."""
    ax = new_axes(ax)
    flat = 0
    for (provider, resource), part in prices.groupby(["provider", "resource"], observed=True,
                                                     sort=True):  # fmt: skip
        price = part["price_usd_per_unit_h"].to_numpy(float)
        if not np.any(price != 0.0):
            flat += 1
            continue
        ax.step(part["epoch"].to_numpy(float) * epoch_s / HOUR_S, price, where="post",
                label=f"{provider} {resource}")
    title = "prices per resource" + (f" ({flat} series at 0 throughout not drawn)"
                                     if flat else "")
    ax.set(xlabel="time (h)", ylabel="price (USD per unit-hour)", title=title)
    if ax.get_lines():
        ax.legend(loc="best", fontsize="small")
    return ax


def jct_cdf(jobs: pd.DataFrame, ax: Any = None) -> Any:
    """Empirical CDF of finished jobs' completion times, per owner (hours, log scale)."""
    ax = new_axes(ax)
    done = jobs[jobs["status"] == "finished"]
    for owner, part in done.groupby("owner", observed=True, sort=True):
        jct_h = np.sort(part["jct_s"].to_numpy(float)) / HOUR_S
        if len(jct_h):
            ax.step(jct_h, np.arange(1, len(jct_h) + 1) / len(jct_h), where="post",
                    label=f"{owner} ({len(jct_h)} jobs)")  # fmt: skip
    ax.set(xlabel="job completion time (h)", ylabel="share of jobs", ylim=(0.0, 1.02),
           title="JCT distribution")  # fmt: skip
    if len(done) and (done["jct_s"] > 0).all():
        ax.set_xscale("log")
    ax.legend(loc="lower right")
    return ax


PARTS: tuple[tuple[str, str, float], ...] = (
    ("revenue_dnn_usd", "DNN revenue", 1.0),
    ("revenue_web_usd", "web revenue", 1.0),
    ("received_usd", "received", 1.0),
    ("transfer_usd", "transfers", 1.0),
    ("sla_penalty_usd", "SLA penalties", -1.0),
    ("operating_cost_usd", "operating cost", -1.0),
    ("wan_cost_usd", "WAN", -1.0),
    ("serverless_usd", "serverless", -1.0),
    ("paid_usd", "paid", -1.0),
)


def profit_decomposition(ledger: pd.DataFrame, ax: Any = None) -> Any:
    """Per provider, the ledger's terms stacked (gains up, costs down) and the profit they
    add up to (a black tick)."""
    ax = new_axes(ax)
    totals = ledger.groupby("provider", observed=True, sort=False).sum(numeric_only=True)
    x = np.arange(len(totals))
    up, down = np.zeros(len(totals)), np.zeros(len(totals))
    for column, label, sign in PARTS:
        if column not in totals:
            continue
        signed = sign * totals[column].to_numpy(float)
        if not np.any(np.abs(signed) > 1e-9):
            continue
        base = np.where(signed >= 0, up, down)
        ax.bar(x, signed, bottom=base, label=label, width=0.6)
        up += np.maximum(signed, 0.0)
        down += np.minimum(signed, 0.0)
    ax.scatter(x, totals["profit_usd"].to_numpy(float), marker="_", s=400, color="black",
               label="profit", zorder=3)  # fmt: skip
    ax.set_xticks(x, [str(p) for p in totals.index])
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set(ylabel="USD over the run", title="profit decomposition")
    ax.legend(loc="best", fontsize="small")
    return ax
