"""``tatonnement``: Walrasian price adjustment on capacity until the market clears."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fedsim.market.types import Clearing, Market


@dataclass(frozen=True)
class Tatonnement:
    """Prices rise where demand exceeds supply and fall (to cost) where it does not.

    Formulation: the price of resource r at host i is ``p_ir = c_ir + y_ir``.
    Each round every demand class takes all its units to its best cell at current
    prices (``argmax v_d·e_dir − w_di − p_ir·a_dr`` if positive); hosts supply all
    capacity at ``p ≥ c``. Rents move by the excess demand,
    ``y ← max(0, y + η_t·ĝ·(demand − supply)/max(q, 1))`` with ``η_t = step/√(t+1)``
    and ĝ the largest gain (a price scale). Best responses jump, so the allocation
    is their step-weighted running average since the last power-of-two round
    (ergodic primal recovery without the early transient), scaled down
    wherever it still exceeds capacity. Stops when the averaged excess —
    over-demand anywhere, or any imbalance where the rent is positive — is below
    ``tol`` (relative to capacity), or after ``max_iterations``.

    Properties: budget balanced (prices only move money); rents converge to an
    optimal dual of the welfare LP (projected subgradient), so prices approach
    ``lp_welfare``'s and efficiency approaches 1 as the residual → 0; residual and
    iterations are reported in ``info``. Reference: L. Walras (1874); K. J. Arrow &
    L. Hurwicz, "On the stability of the competitive equilibrium I", Econometrica
    26 (1958); Nedić & Ozdaglar, SIAM J. Optim. 19 (2009) for primal averaging.
    """

    name: ClassVar[str] = "tatonnement"
    summary: ClassVar[str] = "iterative price adjustment p ← max(c, p + η·excess demand)"
    reads_clock: ClassVar[bool] = False

    step: float = 0.2
    tol: float = 1e-3
    max_iterations: int = 5000
    check_every: int = 10

    def __post_init__(self) -> None:
        for key in ("step", "tol", "max_iterations", "check_every"):
            if not getattr(self, key) > 0:
                raise ValueError(f"{key} must be > 0, got {getattr(self, key)!r}")

    def clear(self, market: Market) -> Clearing:
        n_d, n_i, n_r = market.n_demand, market.n_providers, market.n_resources
        q = np.asarray(market.capacity_units, float).ravel()
        gain = market.gain_usd_per_unit_h()
        cell = np.isfinite(gain) & (gain > 0) & (market.capacity_units > 0)[None]
        cell &= (market.demand_units > 0)[:, None, None]
        d, i, r = np.nonzero(cell)  # sorted by d
        if len(d) == 0:
            return Clearing.empty(market, iterations=0.0, residual=0.0)
        g, need, row = gain[d, i, r], market.need[d, r], i * n_r + r
        units = market.demand_units[d]
        # demand groups (alternatives for one need) are priced like capacity: a group
        # "rent" rises while its classes together ask for more than the need
        n_g = market.n_groups
        grp, share = market.demand_group[d], market.group_share[d]
        in_group = grp >= 0
        grp_row = np.where(in_group, grp, 0)
        y_group = np.zeros(max(n_g, 1))
        starts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
        scale_q = np.maximum(q, 1.0)
        scale_g = float(g.max())
        y = np.zeros(n_i * n_r)
        x_avg, weight = np.zeros(len(d)), 0.0
        residual, t = np.inf, 0
        for t in range(1, self.max_iterations + 1):
            score = g - need * y[row] - np.where(in_group, share * y_group[grp_row], 0.0)
            # best cell per class: sort by (class, −score); first of each segment wins
            best = np.lexsort((-score, d))[starts]
            x_t = np.zeros(len(d))
            take = best[score[best] > 0]
            x_t[take] = units[take]
            excess = np.bincount(row, need * x_t, minlength=len(q)) - q
            eta = self.step / np.sqrt(t)
            if t & (t - 1) == 0:  # restart the average at powers of two: drop the transient
                x_avg, weight = np.zeros(len(d)), 0.0
            weight += eta
            x_avg += (eta / weight) * (x_t - x_avg)
            y = np.maximum(0.0, y + eta * scale_g * excess / scale_q)
            if n_g:
                asked = np.bincount(grp_row[in_group], (share * x_t)[in_group], minlength=n_g)
                y_group = np.maximum(0.0, y_group + eta * scale_g * (asked - 1.0))
            if t % self.check_every == 0:
                residual = self._residual(x_avg, need, row, q, y, scale_q)
                if residual <= self.tol:
                    break
        load = np.bincount(row, need * x_avg, minlength=len(q))
        shrink = np.where(load > q, q / np.maximum(load, 1e-300), 1.0)
        x_cell = x_avg * shrink[row]
        if n_g:  # and no group served more than once
            usage = np.bincount(grp_row[in_group], (share * x_cell)[in_group], minlength=n_g)
            over = np.where(usage > 1.0, 1.0 / np.maximum(usage, 1e-300), 1.0)
            x_cell = np.where(in_group, x_cell * over[grp_row], x_cell)
        x = np.zeros((n_d, n_i, n_r))
        x[d, i, r] = x_cell
        price = market.cost_usd_per_unit_h + y.reshape(n_i, n_r)
        return Clearing(
            allocation_units=x,
            price_usd_per_unit_h=price,
            transfer_usd_per_h=np.zeros(n_i),
            status="optimal" if residual <= self.tol else "not_converged",
            info={"iterations": float(t), "residual": float(residual)},
        )

    @staticmethod
    def _residual(x, need, row, q, y, scale_q) -> float:
        excess = (np.bincount(row, need * x, minlength=len(q)) - q) / scale_q
        return float(np.max(np.where(y > 0, np.abs(excess), np.maximum(excess, 0.0))))
