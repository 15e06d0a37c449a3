"""Prediction-error summaries: relative errors and rank agreement of predicted step times."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import spearmanr


@dataclass(frozen=True)
class ErrorSummary:
    """Absolute percentage errors of predictions against measurements, and Spearman's ρ."""

    n: int
    mape_pct: float
    p90_pct: float
    max_pct: float
    spearman: float

    def line(self, name: str) -> str:
        """One human-readable line, e.g. ``fedsim-model MAPE 7.9% p90 15.2% ...``."""
        return (
            f"{name:<12s} MAPE {self.mape_pct:.1f}% p90 {self.p90_pct:.1f}% "
            f"max {self.max_pct:.1f}% spearman {self.spearman:.3f}"
        )

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def error_summary(predicted: np.ndarray, measured: np.ndarray) -> ErrorSummary:
    """Summarise |predicted/measured - 1| (in %) and the rank correlation of the two."""
    predicted = np.asarray(predicted, dtype=float)
    measured = np.asarray(measured, dtype=float)
    if predicted.shape != measured.shape or predicted.size == 0:
        raise ValueError("predicted and measured must be non-empty and of the same shape")
    ape = 100.0 * np.abs(predicted / measured - 1.0)
    rho = float(spearmanr(predicted, measured)[0]) if predicted.size > 1 else float("nan")
    return ErrorSummary(
        n=int(predicted.size),
        mape_pct=float(ape.mean()),
        p90_pct=float(np.quantile(ape, 0.9)),
        max_pct=float(ape.max()),
        spearman=rho,
    )
