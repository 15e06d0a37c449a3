"""Figures of what moves between providers, service levels and the throughput model's
predictions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fedsim.plots.style import new_axes


def moved_work(clearings: pd.DataFrame, epoch_s: float, ax: Any = None) -> Any:
    """Unit-hours placed away from their owner, owner (rows) × host (columns), all
    resources together in unit-hours of what was placed (GPU and core placements are
    both shown; the annotations give the numbers)."""
    ax = new_axes(ax)
    remote = clearings[(clearings["owner"].astype(str) != clearings["host"].astype(str))
                       & (clearings["placed_units"] > 0)]  # fmt: skip
    names = sorted(set(clearings["owner"].astype(str)) | set(clearings["host"].astype(str)))
    matrix = np.zeros((len(names), len(names)))
    for owner, host, units in zip(remote["owner"].astype(str), remote["host"].astype(str),
                                  remote["placed_units"].to_numpy(float), strict=True):  # fmt: skip
        matrix[names.index(owner), names.index(host)] += units * epoch_s / 3600.0
    ax.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        if value > 0:  # white on the darker half of the colour scale, so it stays legible
            ax.text(j, i, f"{value:,.0f}", ha="center", va="center", fontsize="small",
                    color="white" if value > matrix.max() / 2 else "black")
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    ax.grid(False)
    ax.set(xlabel="host", ylabel="owner", title="unit-hours placed at another provider")
    return ax


def sla_vs_load(ledger: pd.DataFrame, ax: Any = None) -> Any:
    """Per provider and epoch: the share of web requests over the SLA against the load."""
    ax = new_axes(ax)
    for provider, part in ledger.groupby("provider", observed=True, sort=True):
        requests = part["web_requests"].to_numpy(float)
        served = requests > 0
        if not served.any():
            continue
        share = part["web_violations"].to_numpy(float)[served] / requests[served]
        ax.scatter(requests[served], share, s=8, label=str(provider))
    ax.set(xlabel="web requests per epoch", ylabel="share over the SLA",
           title="SLA violations against load")  # fmt: skip
    ax.legend(loc="best")
    return ax


def predicted_vs_measured(rows: pd.DataFrame, ax: Any = None) -> Any:
    """Predicted against measured step time per configuration, one marker set per model
    (``perfmodel evaluate``'s rows), with the y = x line."""
    ax = new_axes(ax)
    measured = rows["measured_s"].to_numpy(float)
    for column in [c for c in rows.columns if c.startswith("predicted_")]:
        ax.scatter(measured, rows[column].to_numpy(float), s=8,
                   label=column[len("predicted_"):-len("_s")])  # fmt: skip
    lo, hi = float(np.nanmin(measured)), float(np.nanmax(measured))
    ax.plot([lo, hi], [lo, hi], color="grey", linewidth=0.8)
    ax.set(xscale="log", yscale="log", xlabel="measured step time (s)",
           ylabel="predicted step time (s)", title="throughput model, held out")  # fmt: skip
    from matplotlib.ticker import FormatStrFormatter

    for axis in (ax.xaxis, ax.yaxis):  # plain numbers, not powers of ten, on a short range
        axis.set_major_formatter(FormatStrFormatter("%g"))
        axis.set_minor_formatter(FormatStrFormatter("%g"))
    ax.legend(loc="best")
    return ax
