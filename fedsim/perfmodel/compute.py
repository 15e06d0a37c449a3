"""Compute time of one training step on one device as a function of the local batch size.

Two parametric forms are fitted and the one with the smaller held-out error is kept:

- linear, ``T(b) = α + β·b`` (fixed per-step overhead plus per-sample work);
- power law, ``T(b) = a·b^p`` (sub-linear when small batches under-use the device).

Held-out means leave-one-batch-size-out: each distinct batch size is predicted by a fit on
the others, never by repeats of itself. :class:`TabulatedCompute` then applies the measured
value exactly at batch sizes that were measured ("measured where known, modelled where not"),
interpolating the measured/model ratio in log batch size in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from scipy.optimize import nnls


@runtime_checkable
class ComputeModel(Protocol):
    """Anything that maps a local batch size to seconds of compute per step."""

    def step_time_s(self, batch_size: float | np.ndarray) -> float | np.ndarray: ...


@dataclass(frozen=True)
class LinearCompute:
    """``T(b) = alpha_s + beta_s_per_sample·b``."""

    alpha_s: float
    beta_s_per_sample: float

    def step_time_s(self, batch_size: float | np.ndarray) -> float | np.ndarray:
        return self.alpha_s + self.beta_s_per_sample * np.asarray(batch_size, dtype=float)


@dataclass(frozen=True)
class PowerLawCompute:
    """``T(b) = scale_s·b^exponent``."""

    scale_s: float
    exponent: float

    def step_time_s(self, batch_size: float | np.ndarray) -> float | np.ndarray:
        return self.scale_s * np.power(np.asarray(batch_size, dtype=float), self.exponent)


@dataclass(frozen=True)
class TabulatedCompute:
    """A parametric model corrected to the measured medians at the measured batch sizes."""

    base: LinearCompute | PowerLawCompute
    batch_sizes: tuple[float, ...]
    ratios: tuple[float, ...]

    def step_time_s(self, batch_size: float | np.ndarray) -> float | np.ndarray:
        b = np.asarray(batch_size, dtype=float)
        # np.interp clamps outside the measured range: the nearest correction persists
        ratio = np.interp(np.log(b), np.log(self.batch_sizes), self.ratios)
        return self.base.step_time_s(b) * ratio


@dataclass(frozen=True)
class ComputeFit:
    """Both candidate fits, their held-out errors and the chosen model."""

    linear: LinearCompute
    power_law: PowerLawCompute
    linear_cv_mape_pct: float
    power_law_cv_mape_pct: float
    model: ComputeModel


def _medians(batch_size: np.ndarray, time_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b = np.asarray(batch_size, dtype=float)
    t = np.asarray(time_s, dtype=float)
    if b.shape != t.shape or b.size == 0:
        raise ValueError("batch sizes and times must be non-empty and of the same length")
    if np.any(b <= 0) or np.any(t <= 0):
        raise ValueError("batch sizes and times must be > 0")
    sizes = np.unique(b)
    return sizes, np.array([np.median(t[b == size]) for size in sizes])


def fit_linear_compute(batch_size: np.ndarray, time_s: np.ndarray) -> LinearCompute:
    """Least relative squares with α, β ≥ 0 (a negative overhead or slope is unphysical)."""
    b, t = _medians(batch_size, time_s)
    if b.size == 1:
        # one batch size cannot separate overhead from per-sample cost: assume proportional
        return LinearCompute(0.0, float(t[0] / b[0]))
    coef, _ = nnls(np.column_stack([1.0 / t, b / t]), np.ones_like(t))
    return LinearCompute(float(coef[0]), float(coef[1]))


def fit_power_law_compute(batch_size: np.ndarray, time_s: np.ndarray) -> PowerLawCompute:
    """Least squares on log T = log a + p·log b (relative errors, as for the linear fit)."""
    b, t = _medians(batch_size, time_s)
    if b.size == 1:
        return PowerLawCompute(float(t[0] / b[0]), 1.0)
    exponent, log_scale = np.polyfit(np.log(b), np.log(t), 1)
    return PowerLawCompute(float(np.exp(log_scale)), float(exponent))


def _cv_mape_pct(
    b: np.ndarray, t: np.ndarray, fitter: Callable[[np.ndarray, np.ndarray], ComputeModel]
) -> float:
    errors = []
    for i in range(b.size):
        keep = np.arange(b.size) != i
        model = fitter(b[keep], t[keep])
        errors.append(abs(float(model.step_time_s(b[i])) / t[i] - 1.0))
    return 100.0 * float(np.mean(errors))


def fit_compute(
    batch_size: np.ndarray, time_s: np.ndarray, correct_measured: bool = False
) -> ComputeFit:
    """Fit both forms on per-batch-size medians; keep the one with smaller held-out error.

    With fewer than three distinct batch sizes there is nothing to hold out and the linear
    form is kept. ``correct_measured`` wraps the choice in :class:`TabulatedCompute`.
    """
    b, t = _medians(batch_size, time_s)
    linear = fit_linear_compute(b, t)
    power = fit_power_law_compute(b, t)
    if b.size >= 3:
        linear_cv = _cv_mape_pct(b, t, fit_linear_compute)
        power_cv = _cv_mape_pct(b, t, fit_power_law_compute)
    else:
        linear_cv = power_cv = float("nan")
    chosen: LinearCompute | PowerLawCompute = power if power_cv < linear_cv else linear
    model: ComputeModel = chosen
    if correct_measured:
        ratios = t / np.asarray(chosen.step_time_s(b), dtype=float)
        model = TabulatedCompute(chosen, tuple(b.tolist()), tuple(ratios.tolist()))
    return ComputeFit(linear, power, linear_cv, power_cv, model)
