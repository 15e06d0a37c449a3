"""Figures of a mechanism comparison (``fedsim compare``'s ``compare.parquet``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fedsim.plots.style import new_axes


def gains_with_ci(table: pd.DataFrame, ax: Any = None) -> Any:
    """Each member's gain over ``isolated`` per mechanism, mean with its 95% CI across
    seeds (grouped bars; paired differences, so the interval is the paired one)."""
    ax = new_axes(ax)
    members = [c[len("gain_"):-len("_usd_mean")] for c in table.columns
               if c.startswith("gain_") and c.endswith("_usd_mean")]  # fmt: skip
    mechanisms = table["mechanism"].astype(str).tolist()
    width = 0.8 / max(len(members), 1)
    x = np.arange(len(mechanisms))
    for k, member in enumerate(members):
        mean = table[f"gain_{member}_usd_mean"].to_numpy(float)
        half = np.nan_to_num(table[f"gain_{member}_usd_ci95"].to_numpy(float))
        ax.bar(x + (k - (len(members) - 1) / 2) * width, mean, width, yerr=half, capsize=3,
               label=member)  # fmt: skip
    ax.set_xticks(x, mechanisms)
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set(ylabel="gain over isolated (USD)", title="per-member gain, 95% CI across seeds")
    ax.legend(loc="best")
    return ax
