"""``double_auction``: McAfee's trade-reduction double auction, one per resource."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np

from fedsim.market.types import Clearing, Market
from fedsim.mechanisms.lp import SOLVERS
from fedsim.mechanisms.market_lp import remote_mask, solve_welfare


class McAfeeOutcome(NamedTuple):
    """Units traded, price per unit paid by buyers and received by sellers, and the
    units won by each bid and ask (in their input order)."""

    units: int
    buyer_price: float
    seller_price: float
    bid_won: np.ndarray
    ask_won: np.ndarray


def mcafee(bids: np.ndarray, bid_units: np.ndarray, asks: np.ndarray,
           ask_units: np.ndarray) -> McAfeeOutcome:
    """McAfee (1992) over integer multi-unit bids and asks (flat per-unit values).

    Sort bids down and asks up; k = the last unit with ``b_k ≥ s_k``. If
    ``p = (b_{k+1} + s_{k+1})/2`` lies in ``[s_k, b_k]``, k units trade at p;
    otherwise k−1 units trade, buyers pay ``b_k`` and sellers get ``s_k``.
    Ties are broken by input order.
    """
    bids, asks = np.asarray(bids, float), np.asarray(asks, float)
    qb = np.floor(np.asarray(bid_units, float) + 1e-9).astype(np.int64)
    qs = np.floor(np.asarray(ask_units, float) + 1e-9).astype(np.int64)
    ob, os_ = np.argsort(-bids, kind="stable"), np.argsort(asks, kind="stable")
    cb, cs = np.cumsum(qb[ob]), np.cumsum(qs[os_])
    total = int(min(cb[-1] if len(cb) else 0, cs[-1] if len(cs) else 0))

    def bid(j: int) -> float:  # j-th highest bid unit, 1-based
        return float(bids[ob[np.searchsorted(cb, j)]])

    def ask(j: int) -> float:
        return float(asks[os_[np.searchsorted(cs, j)]])

    lo, hi = 0, total  # b(j) − s(j) is non-increasing: bisect for the last j ≥ 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if bid(mid) >= ask(mid) else (lo, mid - 1)
    k = lo
    none = np.zeros(len(bids), np.int64), np.zeros(len(asks), np.int64)
    if k == 0:
        return McAfeeOutcome(0, 0.0, 0.0, *none)
    have_next = k + 1 <= cb[-1] and k + 1 <= cs[-1]
    p = 0.5 * (bid(k + 1) + ask(k + 1)) if have_next else np.nan
    if have_next and ask(k) <= p <= bid(k):
        units, pb, ps = k, p, p
    else:
        units, pb, ps = k - 1, bid(k), ask(k)
    bid_won, ask_won = none
    bid_won[ob] = np.clip(units - (cb - qb[ob]), 0, qb[ob])
    ask_won[os_] = np.clip(units - (cs - qs[os_]), 0, qs[os_])
    return McAfeeOutcome(units, pb if units else 0.0, ps if units else 0.0, bid_won, ask_won)


@dataclass(frozen=True)
class DoubleAuction:
    """Spare capacity traded in one McAfee double auction per resource.

    Formulation: each provider first serves its own demand (the ``isolated`` LP).
    Leftover demand class d bids in the resource r_d where its best remote value
    per resource unit ``max_{i≠o(d)} (v_d·e_dir − w_di)/a_dr`` is highest, with
    that value; leftover capacity asks its cost ``c_ir``; quantities are whole
    resource units. Winners are matched by the welfare LP over cells where the
    realised value covers the buyer price. Owners pay hosts the seller price
    (``price``); the buyer–seller spread of a reduced trade is paid to the
    auctioneer (a negative transfer), so money may leave the federation.

    Only whole blocks (``granularity_units``: a gang, a web bundle) are traded: a block
    matched in part is dropped, with its spread.

    Properties: individually rational (buyers pay ≤ their realised value, sellers
    get ≥ cost); weakly budget balanced (Σ transfers ≤ 0; ``budget_balanced`` is
    False whenever a spread is kept); dominant-strategy truthful for unit-demand
    traders of a homogeneous good — here approximately so (multi-unit classes,
    heterogeneous speeds); efficiency loss ≤ one marginal trade per resource.
    Reference: R. P. McAfee, "A dominant strategy double auction", J. Econ.
    Theory 56 (1992) 434–450.
    """

    name: ClassVar[str] = "double_auction"
    summary: ClassVar[str] = "McAfee trade-reduction double auction on spare capacity"
    reads_clock: ClassVar[bool] = False

    solver: str = "highs"

    def __post_init__(self) -> None:
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")

    def clear(self, market: Market) -> Clearing:
        n_d, n_i, n_r = market.n_demand, market.n_providers, market.n_resources
        remote = remote_mask(market)
        own = solve_welfare(market, solver=self.solver, allow=~remote)
        x_own = own.allocation_units
        need = market.need
        room = market.capacity_units - np.einsum("dir,dr->ir", x_own, need)
        left = market.demand_units - x_own.sum(axis=(1, 2))
        value = market.demand_value_usd_per_unit_h[:, None, None] * market.affinity
        value = value - market.wan_cost_usd_per_unit_h[:, :, None]
        ok = remote & (market.affinity > 0) & (need[:, None, :] > 0) & (room > 1e-9)[None]
        per_unit = np.where(ok, value / np.where(ok, need[:, None, :], 1.0), -np.inf)
        best_r = per_unit.max(axis=1)  # [d, r] best remote value per resource unit
        home = np.argmax(best_r, axis=1)
        bid = best_r[np.arange(n_d), home]
        wants = (left > 1e-9) & np.isfinite(bid) & (bid > 0)
        buyer_price, seller_price = np.zeros(n_r), np.zeros(n_r)
        won_units = np.zeros(n_d)
        sold = np.zeros((n_i, n_r))
        traded = 0.0
        for r in range(n_r):
            buyers = np.nonzero(wants & (home == r))[0]
            if len(buyers) == 0:
                continue
            out = mcafee(bid[buyers], left[buyers] * need[buyers, r],
                         market.cost_usd_per_unit_h[:, r], np.maximum(room[:, r], 0.0))
            buyer_price[r], seller_price[r] = out.buyer_price, out.seller_price
            won_units[buyers] = out.bid_won / need[buyers, r]
            sold[:, r] = out.ask_won
            traded += out.units
        # match winners; a cell is usable only if its realised value covers the buyer price
        covers = value >= buyer_price[None, None, :] * need[:, None, :] - 1e-12
        allow = ok & covers & (np.arange(n_r)[None, None, :] == home[:, None, None])
        match = solve_welfare(market, solver=self.solver, allow=allow,
                              demand_units=won_units, capacity_units=sold,
                              group_left=1.0 - market.group_usage(x_own))
        # whole blocks only (a gang, a web bundle): a block matched in part is not traded,
        # so no buyer pays for a part of a block it cannot use
        block = market.granularity_units[:, None, None]
        x_trade = np.floor(match.allocation_units / block + 1e-9) * block
        used = x_trade * need[:, None, :]
        spread = np.einsum("dir,r->d", used, buyer_price - seller_price)
        transfer = np.zeros(n_i)
        np.add.at(transfer, market.demand_owner, -spread)
        surplus = float(-transfer.sum())
        # hosts that did not win keep the price row at cost: no remote use lands there
        price = np.where(sold > 0, seller_price[None, :], market.cost_usd_per_unit_h)
        return Clearing(
            allocation_units=x_own + x_trade,
            price_usd_per_unit_h=price,
            transfer_usd_per_h=transfer,
            budget_balanced=surplus <= 1e-12,
            status="optimal" if own.status == "optimal" or traded else own.status,
            info={"traded_units": float(used.sum()), "auctioneer_surplus_usd_per_h": surplus},
        )
