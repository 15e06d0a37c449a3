"""Per-provider, per-epoch accounting, and the identities every run must satisfy.

profit = revenue_dnn + revenue_web − sla_penalty − operating_cost − wan_cost
         − serverless + received − paid + transfer
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
    "serverless_usd",
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
    "web_violations",  # requests over the SLA latency, shed ones included
    "web_shed",  # requests turned away: no core could serve them within the SLA
    "web_serverless",  # overflow requests served by serverless functions
    "jobs_finished",
)
TOLERANCE_USD = 1e-6


class Ledger:
    """Accumulators ``[epoch, provider]`` for every ledger column.

    Kept as flat Python lists while the run books into them (item access on numpy arrays
    costs several times more per call); :attr:`cols` gives numpy ``[epoch, provider]`` views.
    """

    def __init__(self, providers: tuple[str, ...], n_epochs: int, epoch_s: float) -> None:
        self.providers = providers
        self.epoch_s = epoch_s
        self.n_epochs = n_epochs
        self._n = len(providers)
        self._acc: dict[str, list[float]] = {c: [0.0] * (n_epochs * self._n) for c in MONEY + USAGE}
        self.budget_balanced = np.ones(n_epochs, dtype=bool)

    def add(self, column: str, epoch: int, provider: int, amount: float) -> None:
        self._acc[column][epoch * self._n + provider] += amount

    def add_all(self, column: str, epoch: int, amounts: list[float]) -> None:
        """``amounts[i]`` for every provider ``i`` (one call per epoch and column)."""
        acc, k = self._acc[column], epoch * self._n
        for i, amount in enumerate(amounts):
            acc[k + i] += amount

    def column(self, column: str) -> list[float]:
        """The flat ``[epoch · n_providers + provider]`` accumulator of a column, for
        callers that book on a hot path (add to it in place)."""
        return self._acc[column]

    def get(self, column: str, epoch: int, provider: int) -> float:
        return self._acc[column][epoch * self._n + provider]

    @property
    def cols(self) -> dict[str, np.ndarray]:
        shape = (self.n_epochs, self._n)
        return {c: np.asarray(v, dtype=float).reshape(shape) for c, v in self._acc.items()}

    def pay(self, epoch: int, payer: int, payee: int, amount_usd: float) -> None:
        """A payment between two members; a provider paying itself is not booked."""
        if payer == payee or amount_usd == 0.0:
            return
        k = epoch * self._n
        self._acc["paid_usd"][k + payer] += amount_usd
        self._acc["received_usd"][k + payee] += amount_usd

    def profit(self, c: dict[str, np.ndarray] | None = None) -> np.ndarray:
        c = self.cols if c is None else c
        return (
            c["revenue_dnn_usd"]
            + c["revenue_web_usd"]
            - c["sla_penalty_usd"]
            - c["operating_cost_usd"]
            - c["wan_cost_usd"]
            - c["serverless_usd"]
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
        cols = self.cols
        n_e, n_i = cols["paid_usd"].shape
        frame = pd.DataFrame(
            {
                "epoch": np.repeat(np.arange(n_e), n_i),
                "t_s": np.repeat(np.arange(n_e) * self.epoch_s, n_i),
                "provider": pd.Categorical(np.tile(self.providers, n_e), categories=self.providers),
                **{c: cols[c].ravel() for c in MONEY},
                "profit_usd": self.profit(cols).ravel(),
                **{c: cols[c].ravel() for c in USAGE},
            }
        )
        frame["jobs_finished"] = frame["jobs_finished"].astype(np.int64)
        return frame
