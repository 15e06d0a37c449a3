"""Optimus' speed model: NNLS recovers known coefficients."""

from __future__ import annotations

import numpy as np
import pytest

from fedsim.perfmodel.optimus import OptimusParams, fit_optimus

TRUE = OptimusParams(
    theta0_s=0.05, theta1_s=0.08, theta2_s=0.004, theta3_s=0.01, theta_b_s_per_sample=0.002
)


def _grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p, w, b = np.meshgrid([1, 2, 4, 8], [1, 2, 4, 8, 16], [16, 64, 256])
    return p.ravel().astype(float), w.ravel().astype(float), b.ravel().astype(float)


def test_speed_formula_by_hand() -> None:
    params = OptimusParams(theta0_s=1.0, theta1_s=2.0, theta2_s=0.5, theta3_s=0.25)
    # p = 2, w = 4: 1 + 2·4/2 + 0.5·4 + 0.25·2 = 7.5 s per step; 4 workers → 4/7.5 steps/s
    assert float(params.step_time_s(2, 4)) == pytest.approx(7.5)
    assert float(params.speed_steps_per_s(2, 4)) == pytest.approx(4 / 7.5)


def test_nnls_recovers_the_coefficients_exactly_without_noise() -> None:
    p, w, b = _grid()
    fit = fit_optimus(p, w, TRUE.step_time_s(p, w, b), local_bsz=b)
    for name in ("theta0_s", "theta1_s", "theta2_s", "theta3_s", "theta_b_s_per_sample"):
        assert getattr(fit, name) == pytest.approx(getattr(TRUE, name), rel=1e-6), name


def test_nnls_recovers_the_coefficients_with_noise() -> None:
    p, w, b = _grid()
    t = TRUE.step_time_s(p, w, b) * np.exp(np.random.default_rng(6).normal(0, 0.01, p.shape))
    fit = fit_optimus(p, w, t, local_bsz=b)
    assert fit.theta1_s == pytest.approx(0.08, rel=0.05)
    assert fit.theta_b_s_per_sample == pytest.approx(0.002, rel=0.05)
    assert fit.theta0_s == pytest.approx(0.05, abs=0.02)


def test_coefficients_stay_non_negative() -> None:
    p, w, _ = _grid()
    # time falling with w would need θ2 < 0: NNLS clamps it to 0 instead
    fit = fit_optimus(p, w, 1.0 - 0.01 * w)
    assert min(fit.theta0_s, fit.theta1_s, fit.theta2_s, fit.theta3_s) >= 0.0
