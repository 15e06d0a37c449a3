"""Figures of a coalitional game (``fedsim coalitions``' ``coalitions.parquet``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from fedsim.plots.style import new_axes

MAX_LABELLED_MEMBERS = 5  # 31 labelled nodes still read; 63 do not


def coalition_values(coalitions: pd.DataFrame, ax: Any = None) -> Any:
    """v(S) of every coalition, by size then name (``fedsim coalitions``' table)."""
    ax = new_axes(ax)
    ordered = coalitions.sort_values(["size", "coalition"], kind="stable")
    x = np.arange(len(ordered))
    values = ordered["value_usd"].to_numpy(float)
    ax.bar(x, values, color=np.where(values >= 0, "tab:blue", "tab:red"))
    ax.set_xticks(x, ordered["coalition"].astype(str), rotation=45, ha="right")
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set(ylabel="v(S) (USD)", title="coalition values")
    return ax


def _members(coalitions: pd.DataFrame) -> list[str]:
    """The member columns: the boolean ones, in the table's order."""
    return [str(c) for c in coalitions.columns if coalitions[c].dtype == bool]


def coalition_lattice(coalitions: pd.DataFrame, stable_structure: Sequence[Sequence[str]] = (),
                      ax: Any = None) -> Any:
    """The lattice of coalitions: one node per coalition at height |S|, coloured by v(S)
    (blue above 0, red below);
    an edge joins S to S ∪ {i}, dashed red where adding i lowers v(S); the coalitions of
    ``stable_structure`` (``solution.json``'s merge-and-split partition) are ringed."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    ax = new_axes(ax)
    members = _members(coalitions)
    ordered = coalitions.sort_values(["size", "coalition"], kind="stable")
    masks = ordered[members].to_numpy(bool)
    keys = [frozenset(np.asarray(members)[m]) for m in masks]
    sizes = ordered["size"].to_numpy(int)
    values = ordered["value_usd"].to_numpy(float)
    x = np.zeros(len(keys))
    for size in np.unique(sizes):  # each level centred on 0, spread over [-1, 1]
        at = np.flatnonzero(sizes == size)
        x[at] = np.linspace(-1.0, 1.0, len(at)) if len(at) > 1 else 0.0
    where = {k: i for i, k in enumerate(keys)}
    up, down = [], []
    for i, key in enumerate(keys):
        for member in members:
            j = where.get(key | {member}) if member not in key else None
            if j is not None:
                (down if values[j] < values[i] else up).append(
                    [(x[i], sizes[i]), (x[j], sizes[j])])
    ax.add_collection(LineCollection(up, colors="lightgrey", linewidths=0.8, zorder=1))
    if down:
        ax.add_collection(LineCollection(down, colors="tab:red", linewidths=1.0,
                                         linestyles="dashed", zorder=1,
                                         label="adding a member lowers v(S)"))
    # symmetric about 0: white is v(S) = 0, blue a gain, red a loss, whatever the range
    bound = max(float(np.abs(values).max()), 1e-9)
    norm = Normalize(-bound, bound)
    nodes = ax.scatter(x, sizes, c=values, cmap="RdBu", norm=norm, s=160, zorder=2,
                       edgecolors="grey", linewidths=0.5)
    ax.figure.colorbar(nodes, ax=ax, label="v(S) (USD)")
    stable = [where[frozenset(c)] for c in stable_structure if frozenset(c) in where]
    if stable:
        ax.scatter(x[stable], sizes[stable], s=420, facecolors="none", edgecolors="black",
                   linewidths=1.6, zorder=3, label="stable structure (merge-and-split)")
    if len(members) <= MAX_LABELLED_MEMBERS:
        for i, key in enumerate(keys):
            name = "{" + ", ".join(m for m in members if m in key) + "}"
            ax.annotate(f"{name}\n{values[i]:,.0f} $", (x[i], sizes[i]), xytext=(0, 11),
                        textcoords="offset points", ha="center", va="bottom",
                        fontsize="x-small")
    ax.set_xticks([])
    ax.set_yticks(sorted(set(sizes.tolist())))
    ax.set_xlim(-1.35, 1.35)
    ax.set_ylim(sizes.min() - 0.5, sizes.max() + 0.8)
    ax.grid(False)
    ax.set(ylabel="coalition size |S|", title="coalition lattice")
    if down or stable:
        ax.legend(loc="upper left", fontsize="x-small", markerscale=0.4)
    return ax
