"""Per-provider, per-epoch accounting, and the identities every run must satisfy.

profit = revenue_dnn + revenue_web − sla_penalty − operating_cost − wan_cost
         + received − paid + transfer
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedsim.errors import AccountingError

MONEY = (
    "revenue_dnn_usd",
    "revenue_web_usd",
    "sla_penalty_usd",
    "operating_cost_usd",
    "wan_cost_usd",
    "received_usd",
    "paid_usd",
    "transfer_usd",
)
USAGE = (
    "gpu_busy_h",
    "gpu_capacity_h",
    "cpu_busy_h",
    "cpu_capacity_h",
    "web_requests",
    "web_violations",
    "jobs_finished",
)
TOLERANCE_USD = 1e-6


class Ledger:
    """Dense accumulators ``[epoch, provider]`` for every ledger column."""

    def __init__(self, providers: tuple[str, ...], n_epochs: int, epoch_s: float) -> None:
        self.providers = providers
        self.epoch_s = epoch_s
        shape = (n_epochs, len(providers))
        self.cols: dict[str, np.ndarray] = {c: np.zeros(shape) for c in MONEY + USAGE}
        self.budget_balanced = np.ones(n_epochs, dtype=bool)

    def add(self, column: str, epoch: int, provider: int, amount: float) -> None:
        self.cols[column][epoch, provider] += amount

    def pay(self, epoch: int, payer: int, payee: int, amount_usd: float) -> None:
        """A payment between two members; a provider paying itself is not booked."""
        if payer == payee or amount_usd == 0.0:
            return
        self.cols["paid_usd"][epoch, payer] += amount_usd
        self.cols["received_usd"][epoch, payee] += amount_usd

    def profit(self) -> np.ndarray:
        c = self.cols
        return (
            c["revenue_dnn_usd"]
            + c["revenue_web_usd"]
            - c["sla_penalty_usd"]
            - c["operating_cost_usd"]
            - c["wan_cost_usd"]
            + c["received_usd"]
            - c["paid_usd"]
            + c["transfer_usd"]
        )

    def budget_residual_usd(self) -> float:
        """Σ over providers and epochs of net payments (0 for budget-balanced mechanisms)."""
        c = self.cols
        return float(np.sum(c["received_usd"] - c["paid_usd"] + c["transfer_usd"]))

    def check(self) -> None:
        """Raise :class:`AccountingError` if an accounting identity fails."""
        c = self.cols
        usage_gap = np.abs(c["received_usd"].sum(axis=1) - c["paid_usd"].sum(axis=1))
        if usage_gap.max(initial=0.0) > TOLERANCE_USD:
            e = int(np.argmax(usage_gap))
            raise AccountingError(
                f"epoch {e}: payments received != paid (gap {usage_gap[e]:.6g} USD)"
            )
        transfer_sum = np.abs(c["transfer_usd"].sum(axis=1))
        bad = (transfer_sum > TOLERANCE_USD) & self.budget_balanced
        if bad.any():
            e = int(np.argmax(bad))
            raise AccountingError(
                f"epoch {e}: transfers of a budget-balanced mechanism sum to "
                f"{c['transfer_usd'][e].sum():.6g} USD, not 0"
            )
        for col in MONEY + USAGE:
            if not np.all(np.isfinite(c[col])):
                raise AccountingError(f"ledger column {col} has non-finite values")

    def to_frame(self) -> pd.DataFrame:
        n_e, n_i = self.cols["paid_usd"].shape
        frame = pd.DataFrame(
            {
                "epoch": np.repeat(np.arange(n_e), n_i),
                "t_s": np.repeat(np.arange(n_e) * self.epoch_s, n_i),
                "provider": pd.Categorical(np.tile(self.providers, n_e), categories=self.providers),
                **{c: self.cols[c].ravel() for c in MONEY},
                "profit_usd": self.profit().ravel(),
                **{c: self.cols[c].ravel() for c in USAGE},
            }
        )
        frame["jobs_finished"] = frame["jobs_finished"].astype(np.int64)
        return frame
