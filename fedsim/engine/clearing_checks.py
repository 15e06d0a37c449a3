"""Checks on a mechanism's clearing before the engine applies it."""

from __future__ import annotations

import numpy as np

from fedsim.market.types import Clearing, Market


def clearing_problem(market: Market, clearing: Clearing) -> str | None:
    """Why the engine cannot apply ``clearing`` (wrong shapes, NaN or negative amounts),
    or None. Deeper properties are the conformance checker's job."""
    n_d, n_m, n_r = market.n_demand, market.n_providers, len(market.resources)
    try:
        x = np.asarray(clearing.allocation_units, dtype=float)
        price = np.asarray(clearing.price_usd_per_unit_h, dtype=float)
        transfer = np.asarray(clearing.transfer_usd_per_h, dtype=float)
    except (TypeError, ValueError) as exc:
        return f"not numeric ({exc})"
    for label, arr, shape in (
        ("allocation_units", x, (n_d, n_m, n_r)),
        ("price_usd_per_unit_h", price, (n_m, n_r)),
        ("transfer_usd_per_h", transfer, (n_m,)),
    ):
        if arr.shape != shape:
            return f"{label} has shape {arr.shape}, expected {shape}"
        if not np.all(np.isfinite(arr)):
            return f"{label} is not finite"
    if np.any(x < -1e-9):
        return "negative allocation"
    return None


def can_trade(market: Market) -> bool:
    """Whether some demand class could use some free capacity of a federation of at least
    two members. If none can, every allocation is empty and every coalition is worth 0,
    so no rule can do anything. A market of one member has nobody to trade with: its
    clearing could only plan the member's own GPUs, which its local scheduler runs
    (``placement``), so the engine does not ask the rule (a Gavel-style single
    datacenter spent 8% of its run clearing markets nothing came of)."""
    if market.n_demand == 0 or market.n_providers < 2:
        return False
    usable = (market.affinity > 0) & (market.need[:, None, :] > 0)
    return bool(np.any(usable & (market.capacity_units[None, :, :] > 0)))
