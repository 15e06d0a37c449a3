"""A short human summary of a profile: one line per model / worker count (torch-free)."""

from __future__ import annotations

import pandas as pd


def format_seconds(t_s: float) -> str:
    if t_s < 1e-3:
        return f"{t_s * 1e6:.0f} µs"
    if t_s < 1.0:
        return f"{t_s * 1e3:.2f} ms"
    return f"{t_s:.2f} s"


def format_bytes(n_bytes: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:g} {unit}"
    return f"{n_bytes} B"


def summarize(profile: pd.DataFrame) -> pd.DataFrame:
    """One line per model / worker count: kind, model, range, time, rate, noise.

    ``time`` is smallest → largest point of the range; ``noise`` the largest IQR/median.
    """
    lines: list[dict[str, str]] = []
    for model, group in profile[profile["kind"] == "web"].groupby("model", sort=False):
        row = group.iloc[0]
        lines.append(
            {
                "kind": "web",
                "model": str(model),
                "range": f"1 request, {int(row['threads'])} thread(s)",
                "time": format_seconds(float(row["time_s"])),
                "rate": f"{1.0 / float(row['time_s']):,.0f} req/s",
                "noise": f"{float(row['iqr_over_median']):.1%}",
            }
        )
    allreduce = profile[profile["kind"] == "allreduce"]
    for (model, n_workers), group in allreduce.groupby(["model", "n_workers"], sort=False):
        group = group.sort_values("message_bytes")
        first, last = group.iloc[0], group.iloc[-1]
        k = int(n_workers)
        # ring all-reduce moves 2(K-1)/K of the message per rank: the usual "bus bandwidth"
        bus_gbps = 8 * float(last["message_bytes"]) * 2 * (k - 1) / k / float(last["time_s"]) / 1e9
        lines.append(
            {
                "kind": "allreduce",
                "model": f"{model} x{k}",
                "range": f"{format_bytes(int(first['message_bytes']))} → "
                f"{format_bytes(int(last['message_bytes']))}",
                "time": f"{format_seconds(float(first['time_s']))} → "
                f"{format_seconds(float(last['time_s']))}",
                "rate": f"{bus_gbps:.1f} Gbit/s bus",
                "noise": f"{group['iqr_over_median'].max():.1%}",
            }
        )
    compute = profile[profile["kind"] == "compute"]
    for model, group in compute.groupby("model", sort=False):
        group = group.sort_values("batch_size")
        first, last = group.iloc[0], group.iloc[-1]
        lines.append(
            {
                "kind": "compute",
                "model": str(model),
                "range": f"batch {int(first['batch_size'])} → {int(last['batch_size'])}",
                "time": f"{format_seconds(float(first['time_s']))} → "
                f"{format_seconds(float(last['time_s']))}",
                "rate": f"{int(last['batch_size']) / float(last['time_s']):,.0f} samples/s",
                "noise": f"{group['iqr_over_median'].max():.1%}",
            }
        )
    return pd.DataFrame(lines, columns=["kind", "model", "range", "time", "rate", "noise"])
