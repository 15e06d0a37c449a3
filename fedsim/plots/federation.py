"""Figures of what moves between providers, service levels and the throughput model's
predictions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fedsim.plots.style import new_axes


def _owner_host_matrix(owner: pd.Series, host: pd.Series, hours: np.ndarray,
                       names: list[str], ax: Any, title: str) -> Any:
    matrix = np.zeros((len(names), len(names)))
    for o, h, x in zip(owner.astype(str), host.astype(str), hours, strict=True):
        matrix[names.index(o), names.index(h)] += x
    ax.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        if value > 0:  # white on the darker half of the colour scale, so it stays legible
            ax.text(j, i, f"{value:,.0f}", ha="center", va="center", fontsize="small",
                    color="white" if value > matrix.max() / 2 else "black")
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    ax.grid(False)
    ax.set(xlabel="host", ylabel="owner", title=title)
    return ax


def moved_work(events: pd.DataFrame, end_s: float, ax: Any = None) -> Any:
    """GPU-hours that jobs ran at another provider, owner (rows) × host (columns): every
    stint of the event log (a ``start`` to the job's next ``preempt`` or ``finish``, or to
    ``end_s`` while still running) held ``units`` GPUs at ``host``."""
    ax = new_axes(ax)
    ev = events[events["kind"].astype(str).isin(("start", "preempt", "finish"))]
    ev = ev.sort_values(["job", "t_s"], kind="stable")
    job, t_s = ev["job"].to_numpy(), ev["t_s"].to_numpy(float)
    # a stint ends at its job's next event; the job's last event runs to end_s
    same_job = np.append(job[1:] == job[:-1], False) if len(ev) else np.zeros(0, bool)
    ends = np.where(same_job, np.append(t_s[1:], end_s), end_s)
    starts = (ev["kind"].astype(str) == "start").to_numpy()
    stints = ev[starts].assign(end_s=ends[starts])
    remote = stints[(stints["owner"].astype(str) != stints["host"].astype(str))
                    & stints["resource"].astype(str).str.startswith("gpu:")]  # fmt: skip
    hours = remote["units"].to_numpy(float) * (remote["end_s"] - remote["t_s"]).to_numpy() / 3600
    names = sorted(set(events["owner"].dropna().astype(str))
                   | set(events["host"].dropna().astype(str)))
    return _owner_host_matrix(remote["owner"], remote["host"], hours, names, ax,
                              "GPU-hours run at another provider")


def moved_cores(clearings: pd.DataFrame, epoch_s: float, ax: Any = None) -> Any:
    """Core-hours of web overflow placed at another provider, owner × host (a bundle of
    cores is placed anew every epoch, so each placed row holds ``epoch_s``)."""
    ax = new_axes(ax)
    remote = clearings[(clearings["owner"].astype(str) != clearings["host"].astype(str))
                       & (clearings["placed_units"] > 0)
                       & (clearings["resource"].astype(str) == "cpu")]  # fmt: skip
    hours = remote["placed_units"].to_numpy(float) * epoch_s / 3600.0
    names = sorted(set(clearings["owner"].astype(str)) | set(clearings["host"].astype(str)))
    return _owner_host_matrix(remote["owner"], remote["host"], hours, names, ax,
                              "core-hours of web overflow at another provider")


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
