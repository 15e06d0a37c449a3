"""Side-by-side comparison of mechanisms on paired seeds: per-seed paired metrics,
then mean and 95% t-interval across seeds (pure DataFrame functions)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fedsim.analysis.run_metrics import paired_metrics
from fedsim.mechanisms.registry import BASELINE, REFERENCE

# metric column -> (title, kind) in display order; gains come first, one per member
METRICS: tuple[tuple[str, str, str], ...] = (
    ("welfare_usd", "welfare\n$", "usd"),
    ("individually_rational", "IR", "frac"),
    ("budget_residual_usd", "budget\nresid. $", "usd"),
    ("efficiency", "effic-\niency", "ratio"),
    ("core_violation_usd", "core\nviol. $", "usd"),
    ("jain_index", "Jain\n(gains)", "ratio"),
    ("price_volatility", "price\nvolat.", "ratio"),
)


def gain_column(member: str) -> str:
    return f"gain_{member}_usd"


def price_column(resource: str) -> str:
    return f"price_{resource}_usd_per_unit_h"


def per_seed_table(runs: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per (mechanism, seed) with paired metrics.

    ``runs``: dicts with ``mechanism``, ``seed`` and ``result`` (a ``run_metrics``
    dict); every seed needs its ``isolated`` and ``lp_welfare`` runs."""
    by = {(r["mechanism"], int(r["seed"])): r["result"] for r in runs}
    rows = []
    for (mech, seed), res in sorted(by.items()):
        try:
            base, ref = by[(BASELINE, seed)], by[(REFERENCE, seed)]
        except KeyError as exc:
            raise ValueError(f"seed {seed}: no {exc.args[0][0]} run to pair with") from None
        paired = paired_metrics(res, base, ref)
        row = {"mechanism": mech, "seed": seed}
        row.update({gain_column(m): g for m, g in paired["gains_usd"].items()})
        row.update({k: _num(res.get(k)) for k, _, _ in METRICS if k in res})
        # one price column per resource: never an average over different units
        for resource, level in sorted(res.get("price_levels_usd_per_unit_h", {}).items()):
            row[price_column(resource)] = _num(level)
        row.update({k: float(paired[k]) for k in ("individually_rational", "efficiency",
                                                  "jain_index")})
        rows.append(row)
    return pd.DataFrame(rows)


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def t_interval(samples: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """(mean, half-width) of a two-sided Student-t interval; half-width NaN with < 2
    finite samples, 0 when they are all equal."""
    from scipy.special import stdtrit  # Student-t quantile; scipy.stats costs ~0.8 s to import

    x = np.asarray(samples, float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan
    sd = float(x.std(ddof=1))
    return mean, float(stdtrit(len(x) - 1, 0.5 + level / 2) * sd / math.sqrt(len(x)))


def summary_table(per_seed: pd.DataFrame, order: Sequence[str] | None = None) -> pd.DataFrame:
    """Per mechanism: ``<metric>_mean`` and ``<metric>_ci95`` (half-width) across seeds.

    Gains are paired differences (mechanism minus ``isolated`` on the same seed), so
    their interval is the paired-t interval."""
    metrics = [c for c in per_seed.columns if c not in ("mechanism", "seed")]
    mechs = list(order) if order is not None else sorted(per_seed["mechanism"].unique())
    rows = []
    for mech in mechs:
        part = per_seed[per_seed["mechanism"] == mech]
        row: dict[str, Any] = {"mechanism": mech, "n_seeds": len(part)}
        for col in metrics:
            row[f"{col}_mean"], row[f"{col}_ci95"] = t_interval(part[col])
        rows.append(row)
    return pd.DataFrame(rows)


def display_columns(summary: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(metric, title, kind) of the summary's metrics, gains first."""
    gains = [
        (c[: -len("_mean")], f"gain\n{c[len('gain_'):-len('_usd_mean')]} $", "usd")
        for c in summary.columns if c.startswith("gain_") and c.endswith("_mean")
    ]
    known = [m for m in METRICS if f"{m[0]}_mean" in summary.columns]
    prices = [
        (c[: -len("_mean")], f"price\n{c[len('price_'):-len('_usd_per_unit_h_mean')]} $/h",
         "price")
        for c in summary.columns if c.startswith("price_") and c.endswith("_usd_per_unit_h_mean")
    ]  # fmt: skip
    return gains + known + prices


def _usd(x: float) -> str:
    x = 0.0 if abs(x) < 0.5 else x  # no "-0" from rounding noise
    if abs(x) >= 1e6:
        return f"{x / 1e6:.2f}M"
    return f"{x / 1e3:.1f}k" if abs(x) >= 1e4 else f"{x:,.0f}"


def format_cell(mean: float, half: float, kind: str, sep: str = " ± ") -> str:
    """``mean ± half`` in the metric's unit ("-" when undefined)."""
    if not math.isfinite(mean):
        return "-"
    if kind == "frac":  # share of seeds on which the property held
        return f"{100 * mean:.0f}%"
    fmt = _usd if kind == "usd" else "{:.3f}".format
    return fmt(mean) + (sep + fmt(half) if math.isfinite(half) else "")


FOOTNOTE = ("IR: share of seeds on which every member gained; gains are paired differences vs "
            "isolated; efficiency is the share of lp_welfare's welfare gain over isolated "
            "realised (1: as much, 0: none, NaN: no gain).")


def compare_rows(summary: pd.DataFrame, sep: str = " ± ") -> tuple[list[str], list[list[str]]]:
    """(column heads, rows) of the comparison: one row per mechanism, ``mean ± CI``."""
    cols = display_columns(summary)
    heads = ["mechanism", *(head for _, head, _ in cols)]
    rows = [[str(row["mechanism"]), *(format_cell(row[f"{key}_mean"], row[f"{key}_ci95"], kind,
                                                  sep=sep) for key, _, kind in cols)]
            for _, row in summary.iterrows()]
    return heads, rows
