"""Compute-time fits: known parameters are recovered and the held-out choice is sensible."""

from __future__ import annotations

import numpy as np
import pytest

from fedsim.perfmodel.compute import (
    LinearCompute,
    PowerLawCompute,
    TabulatedCompute,
    fit_compute,
    fit_linear_compute,
    fit_power_law_compute,
)

BATCHES = np.array([8, 16, 32, 64, 128, 256, 512], dtype=float)


def _noisy(t: np.ndarray, cv: float, seed: int = 0) -> np.ndarray:
    return t * np.exp(np.random.default_rng(seed).normal(0.0, cv, t.shape))


def test_linear_fit_recovers_overhead_and_slope() -> None:
    times = 0.020 + 0.003 * BATCHES
    fit = fit_linear_compute(BATCHES, times)
    assert fit.alpha_s == pytest.approx(0.020, rel=1e-9)
    assert fit.beta_s_per_sample == pytest.approx(0.003, rel=1e-9)
    noisy = fit_linear_compute(BATCHES, _noisy(times, 0.01))
    assert noisy.alpha_s == pytest.approx(0.020, rel=0.15)
    assert noisy.beta_s_per_sample == pytest.approx(0.003, rel=0.03)


def test_power_law_fit_recovers_scale_and_exponent() -> None:
    times = 0.004 * BATCHES**0.7
    fit = fit_power_law_compute(BATCHES, _noisy(times, 0.01, seed=1))
    assert fit.exponent == pytest.approx(0.7, abs=0.02)
    assert fit.scale_s == pytest.approx(0.004, rel=0.1)


def test_repeats_of_one_batch_size_are_reduced_to_their_median() -> None:
    b = np.array([16, 16, 16, 64, 64, 64], dtype=float)
    t = np.array([1.0, 1.1, 9.0, 4.0, 4.1, 0.1])  # one outlier each: the median ignores it
    fit = fit_linear_compute(b, t)
    assert float(fit.step_time_s(16)) == pytest.approx(1.1, rel=1e-6)
    assert float(fit.step_time_s(64)) == pytest.approx(4.0, rel=1e-6)


def test_held_out_error_chooses_the_generating_form() -> None:
    sublinear = fit_compute(BATCHES, _noisy(0.01 * BATCHES**0.5, 0.005, seed=2))
    assert isinstance(sublinear.model, PowerLawCompute)
    assert sublinear.power_law_cv_mape_pct < sublinear.linear_cv_mape_pct
    overhead = fit_compute(BATCHES, _noisy(0.5 + 0.001 * BATCHES, 0.005, seed=3))
    assert isinstance(overhead.model, LinearCompute)
    assert overhead.linear_cv_mape_pct < overhead.power_law_cv_mape_pct


def test_two_batch_sizes_keep_the_linear_form() -> None:
    fit = fit_compute(np.array([8.0, 32.0]), np.array([0.1, 0.3]))
    assert isinstance(fit.model, LinearCompute)
    # through both points: slope (0.3 - 0.1) / 24, intercept 0.1 - 8·slope
    assert fit.model.beta_s_per_sample == pytest.approx(0.2 / 24)
    assert fit.model.alpha_s == pytest.approx(0.1 - 8 * 0.2 / 24)


def test_tabulated_compute_is_exact_where_measured_and_interpolates_between() -> None:
    base = LinearCompute(0.0, 0.01)
    table = TabulatedCompute(base, (10.0, 40.0), (1.2, 0.9))
    assert float(table.step_time_s(10)) == pytest.approx(0.1 * 1.2)
    assert float(table.step_time_s(40)) == pytest.approx(0.4 * 0.9)
    # halfway in log batch size (20 = sqrt(10·40)) the ratio is halfway: 1.05
    assert float(table.step_time_s(20)) == pytest.approx(0.2 * 1.05)
    # beyond the measured range the nearest ratio persists
    assert float(table.step_time_s(80)) == pytest.approx(0.8 * 0.9)


def test_correct_measured_reproduces_the_measured_medians() -> None:
    times = np.array([0.05, 0.08, 0.09, 0.2, 0.33, 0.7, 1.3])  # non-monotone like yolov3
    fit = fit_compute(BATCHES, times, correct_measured=True)
    assert isinstance(fit.model, TabulatedCompute)
    np.testing.assert_allclose(fit.model.step_time_s(BATCHES), times, rtol=1e-9)


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError):
        fit_compute(np.array([]), np.array([]))
    with pytest.raises(ValueError):
        fit_compute(np.array([0.0, 8.0]), np.array([0.1, 0.2]))
