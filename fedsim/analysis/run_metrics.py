"""Economic metrics of one run, from its tables (pure functions), and an epoch
observer that records the members' planned payoffs and, optionally, the
coalition values needed for the core violation.

Unpaired metrics (welfare, budget residual, prices, core violation) need one run;
paired ones (gain over ``isolated``, individual rationality, efficiency against
``lp_welfare``, Jain's index of gains) compare runs on the same workload and seed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fedsim.analysis import economics
from fedsim.market.types import Clearing, Market

IR_TOLERANCE_USD = 1e-6


# ---------------------------------------------------------------------------- profits


def provider_totals(ledger: pd.DataFrame) -> pd.DataFrame:
    """Per-provider sums of the ledger's numeric columns (one row per provider)."""
    cols = [c for c in ledger.columns if c not in ("epoch", "t_s", "provider")]
    out = ledger.groupby("provider", observed=False)[cols].sum()
    out.index = out.index.astype(str)
    return out.reset_index()


def profits_usd(ledger: pd.DataFrame) -> dict[str, float]:
    """Each provider's profit over the run."""
    totals = ledger.groupby("provider", observed=False)["profit_usd"].sum()
    return {str(k): float(v) for k, v in totals.items()}


def welfare_usd(
    profits: Mapping[str, float], members: Iterable[str], budget_residual_usd: float = 0.0
) -> float:
    """Members' total profit, less money the mechanism injected from outside
    (a budget deficit is not value the federation created)."""
    return float(sum(profits[m] for m in members)) - float(budget_residual_usd)


def paired_gains_usd(
    profits: Mapping[str, float], baseline: Mapping[str, float], members: Iterable[str]
) -> dict[str, float]:
    """Each member's profit minus its profit under ``isolated`` on the same workload."""
    return {m: float(profits[m]) - float(baseline[m]) for m in members}


def individually_rational(gains: Mapping[str, float], tol_usd: float = IR_TOLERANCE_USD) -> bool:
    """Every member earns at least its isolated profit (within ``tol_usd``)."""
    g = np.array(list(gains.values()), float)
    return bool(np.all(economics.individually_rational(g, np.zeros_like(g), tol_usd)))


def jain_of_gains(gains: Mapping[str, float]) -> float:
    """Jain's index of the members' gains (1 = equal gains, 1/n = one takes all)."""
    return economics.jain_index(list(gains.values()))


# ----------------------------------------------------------------------------- prices


def price_level_usd_per_unit_h(clearings: pd.DataFrame) -> dict[str, float]:
    """Per resource, the mean price of remotely placed work, weighted by the units placed
    (resources without trade are left out). Never averaged across resources: a CPU
    core-hour and a V100-hour are different units."""
    if clearings.empty:
        return {}
    remote = clearings[
        (clearings["owner"].astype(str) != clearings["host"].astype(str))
        & (clearings["placed_units"] > 0)
    ]
    return {
        str(resource): economics.price_level(part["price_usd_per_unit_h"], part["placed_units"])
        for resource, part in remote.groupby(remote["resource"].astype(str), sort=True)
    }


def price_volatility(prices: pd.DataFrame) -> float:
    """Std of relative epoch-to-epoch changes of each member's resource prices
    (series that are always 0, e.g. resources a member does not have, are dropped)."""
    if prices.empty:
        return 0.0
    wide = prices.pivot_table(
        index="epoch", columns=["provider", "resource"], values="price_usd_per_unit_h",
        observed=True, aggfunc="first",
    )
    wide = wide.loc[:, (wide.abs() > 1e-12).any(axis=0)]
    return economics.price_volatility(wide.to_numpy()) if wide.shape[1] else 0.0


# ------------------------------------------------------------------- epoch observer


class EpochRecorder:
    """Engine observer: per epoch, the members' planned payoffs (USD/h) and, when
    ``coalition_values`` is set, v(S) of every coalition (2^n LPs per epoch).

    Use as ``simulate(scenario, observer=recorder)``; one recorder per run.
    """

    def __init__(self, coalition_values: bool = False, solver: str = "highs") -> None:
        self.coalition_values = coalition_values
        self.solver = solver
        self.members: tuple[str, ...] = ()
        self._epochs: list[int] = []
        self._hours: list[float] = []
        self._payoff: list[np.ndarray] = []
        self._values: list[np.ndarray] = []

    def __call__(self, epoch: int, market: Market, clearing: Clearing) -> None:
        if not self.members:
            self.members = market.providers
        elif market.providers != self.members:
            raise ValueError(f"epoch {epoch}: members changed from {self.members}")
        self._epochs.append(epoch)
        self._hours.append(market.epoch_h)
        self._payoff.append(np.asarray(clearing.planned_payoff_usd_per_h(market), float))
        if self.coalition_values:
            self._values.append(self._coalition_values(market))

    def _coalition_values(self, market: Market) -> np.ndarray:
        from fedsim.mechanisms.coalitions import CoalitionValues
        from fedsim.mechanisms.lp import SolveError

        if market.n_demand == 0 or not np.any(market.capacity_units > 0):
            return np.zeros(1 << market.n_providers)
        try:
            return CoalitionValues(market, self.solver).all()
        except SolveError:  # a measurement must not end the run: skip this epoch
            return np.full(1 << market.n_providers, np.nan)

    def payoff_usd_per_h(self) -> np.ndarray:
        """``[epoch, member]`` planned payoff rates."""
        return np.array(self._payoff).reshape(len(self._epochs), len(self.members))

    def values_usd_per_h(self) -> np.ndarray:
        """``[epoch, 2**n]`` coalition values by bitmask (empty unless recorded)."""
        return np.array(self._values).reshape(len(self._values), 1 << len(self.members))

    def epoch_excess_usd_per_h(self) -> np.ndarray:
        """``[epoch]`` max_S v(S) − Σ_{i∈S} payoff_i within each epoch."""
        if not self._values:
            return np.full(len(self._epochs), np.nan)
        excess = _excess(self.values_usd_per_h(), self.payoff_usd_per_h())[:, 1:]
        return np.max(excess, axis=1)  # NaN where the coalition LPs failed

    def core_violation(self) -> tuple[float, tuple[str, ...]]:
        """Over the whole run: max_S Σ_e h_e (v_e(S) − payoff_e(S)) in USD, and the
        coalition attaining it (> 0: it would rather have traded on its own).
        Epochs whose coalition LPs failed are left out."""
        if not self._values:
            return math.nan, ()
        values = self.values_usd_per_h()
        ok = np.all(np.isfinite(values), axis=1)
        h = np.array(self._hours)[ok, None]
        total = _excess((values[ok] * h).sum(axis=0, keepdims=True),
                        (self.payoff_usd_per_h()[ok] * h).sum(axis=0, keepdims=True))[0]
        best = 1 + int(np.argmax(total[1:]))
        return float(total[best]), tuple(m for k, m in enumerate(self.members) if best >> k & 1)

    def frame(self) -> pd.DataFrame:
        """Per-epoch table: planned payoff of each member and the epoch's core excess."""
        out = pd.DataFrame({"epoch": self._epochs})
        for k, m in enumerate(self.members):
            out[f"planned_payoff_{m}_usd_per_h"] = self.payoff_usd_per_h()[:, k]
        out["core_excess_usd_per_h"] = self.epoch_excess_usd_per_h()
        return out


def _excess(values: np.ndarray, payoff: np.ndarray) -> np.ndarray:
    """``[epoch, 2**n]`` v(S) − Σ_{i∈S} payoff_i for every coalition mask."""
    from fedsim.mechanisms.games import membership

    n = payoff.shape[1]
    return values - payoff @ membership(np.arange(1 << n), n).T


# ----------------------------------------------------------------------- run summary


def run_metrics(
    tables: Any, members: Sequence[str], recorder: EpochRecorder | None = None
) -> dict[str, Any]:
    """Unpaired metrics of one run (``tables``: a ``RunTables`` or ``Result``-like
    object with ``ledger``, ``prices``, ``clearings``, ``epochs``)."""
    profits = profits_usd(tables.ledger)
    residual = float(getattr(tables, "budget_residual_usd", 0.0))
    violation, blocking, worst_epoch = math.nan, (), math.nan
    if recorder is not None and recorder.coalition_values:
        violation, blocking = recorder.core_violation()
        excess = recorder.epoch_excess_usd_per_h()
        worst_epoch = float(np.nanmax(excess)) if np.isfinite(excess).any() else math.nan
    epochs = tables.epochs
    return {
        "members": list(members),
        "profits_usd": profits,
        "welfare_usd": welfare_usd(profits, members, residual),
        "budget_residual_usd": residual,
        "price_levels_usd_per_unit_h": price_level_usd_per_unit_h(tables.clearings),
        "price_volatility": price_volatility(tables.prices),
        "core_violation_usd": violation,
        "core_violation_max_usd_per_h": worst_epoch,
        "blocking_coalition": list(blocking),
        "solve_failures": int(epochs["fallback"].sum()) if len(epochs) else 0,
    }


def paired_metrics(
    run: Mapping[str, Any], baseline: Mapping[str, Any], reference: Mapping[str, Any]
) -> dict[str, Any]:
    """Metrics of ``run`` against ``isolated`` (``baseline``) and ``lp_welfare``
    (``reference``) on the same workload; each argument is a :func:`run_metrics` dict."""
    members = run["members"]
    gains = paired_gains_usd(run["profits_usd"], baseline["profits_usd"], members)
    return {
        "gains_usd": gains,
        "individually_rational": individually_rational(gains),
        "efficiency": economics.efficiency(run["welfare_usd"], reference["welfare_usd"],
                                           baseline["welfare_usd"]),
        "jain_index": jain_of_gains(gains),
    }
