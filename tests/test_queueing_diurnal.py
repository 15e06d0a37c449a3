"""Diurnal rate: closed-form means against hand integrals, NHPP sampling by thinning."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from scipy import integrate, stats

from fedsim.queueing import DAY_S, DiurnalRate, sample_arrivals_s


def test_amplitude_peak_and_trough() -> None:
    rate = DiurnalRate(mean_per_s=10.0, peak_to_trough=3.0, phase_s=3600.0)
    assert rate.amplitude == pytest.approx(0.5)  # (3-1)/(3+1)
    # sin peaks a quarter day after the phase, bottoms out three quarters after.
    assert rate.rate_per_s(3600.0 + DAY_S / 4) == pytest.approx(15.0)
    assert rate.rate_per_s(3600.0 + 3 * DAY_S / 4) == pytest.approx(5.0)
    assert rate.peak_per_s / rate.trough_per_s == pytest.approx(3.0)
    assert rate.rate_per_s(3600.0) == pytest.approx(10.0)
    np.testing.assert_allclose(rate.rate_per_s(np.array([3600.0, 3600.0 + DAY_S])), [10.0, 10.0])
    assert DiurnalRate(4.0).rate_per_s(12345.0) == 4.0  # ratio 1: constant
    with pytest.raises(dataclasses.FrozenInstanceError):
        rate.mean_per_s = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        DiurnalRate(1.0, peak_to_trough=0.5)
    with pytest.raises(ValueError):
        DiurnalRate(-1.0)


@pytest.mark.parametrize("t0_s", [0.0, 5000.0, 1.7e6])
def test_mean_over_a_full_day_is_the_mean(t0_s: float) -> None:
    rate = DiurnalRate(mean_per_s=7.5, peak_to_trough=4.0, phase_s=2 * 3600.0)
    assert rate.mean_rate_per_s(t0_s, t0_s + DAY_S) == pytest.approx(7.5, rel=1e-12)
    assert rate.mean_rate_per_s(t0_s, t0_s + 3 * DAY_S) == pytest.approx(7.5, rel=1e-12)


def test_mean_over_half_and_quarter_periods_by_hand() -> None:
    m, r, phase = 10.0, 3.0, 1000.0
    a = 0.5  # (r-1)/(r+1)
    rate = DiurnalRate(m, r, phase)
    # Rising half [φ, φ + P/2]: ∫_0^{P/2} sin(2πu/P) du = P/π
    #   ⇒ mean = m(1 + A·(P/π)/(P/2)) = m(1 + 2A/π).
    assert rate.mean_rate_per_s(phase, phase + DAY_S / 2) == pytest.approx(
        m * (1 + 2 * a / math.pi)
    )
    # Falling half: m(1 - 2A/π).
    assert rate.mean_rate_per_s(phase + DAY_S / 2, phase + DAY_S) == pytest.approx(
        m * (1 - 2 * a / math.pi)
    )
    # Quarter [φ + P/4, φ + P/2]: ∫ sin over [π/2, π] in angle is 1 ⇒ ∫ = P/(2π) s
    #   ⇒ mean = m(1 + A·(P/2π)/(P/4)) = m(1 + 2A/π).
    assert rate.mean_rate_per_s(phase + DAY_S / 4, phase + DAY_S / 2) == pytest.approx(
        m * (1 + 2 * a / math.pi)
    )
    # Degenerate interval: the instantaneous rate.
    assert rate.mean_rate_per_s(5000.0, 5000.0) == pytest.approx(rate.rate_per_s(5000.0))
    with pytest.raises(ValueError):
        rate.mean_rate_per_s(10.0, 5.0)


@pytest.mark.parametrize(("t0_s", "t1_s"), [(0.0, 300.0), (12_345.0, 12_645.0), (100.0, 50_000.0)])
def test_mean_matches_numerical_integral(t0_s: float, t1_s: float) -> None:
    rate = DiurnalRate(mean_per_s=3.0, peak_to_trough=5.0, phase_s=-7200.0)
    total, _ = integrate.quad(lambda t: rate.rate_per_s(t), t0_s, t1_s, epsrel=1e-12)
    assert rate.mean_rate_per_s(t0_s, t1_s) == pytest.approx(total / (t1_s - t0_s), rel=1e-10)
    assert rate.expected_count(t0_s, t1_s) == pytest.approx(total, rel=1e-10)


def test_thinning_reproduces_the_rate_profile() -> None:
    # One day at mean 0.5/s, ratio 4: counts per hour are independent Poisson with mean ∫λ
    # over the hour (thinning is exact). Chi-square goodness of fit over the 24 hours.
    rate = DiurnalRate(mean_per_s=0.5, peak_to_trough=4.0, phase_s=0.0)
    t = sample_arrivals_s(np.random.default_rng(11), rate, 0.0, DAY_S)
    assert np.all(np.diff(t) >= 0.0) and t[0] >= 0.0 and t[-1] < DAY_S
    expected_total = rate.expected_count(0.0, DAY_S)  # 43 200
    assert abs(t.size - expected_total) < 4 * math.sqrt(expected_total)
    edges = np.arange(25) * 3600.0
    observed, _ = np.histogram(t, bins=edges)
    expected = np.array([rate.expected_count(lo, hi) for lo, hi in itertools.pairwise(edges)])
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    assert stats.chi2.sf(chi2, df=24) > 1e-3
    # The two hours around the peak (6 h) vs around the trough (18 h): ≈ 3.83 (not quite r = 4,
    # λ is averaged over ±1 h); noise on ~5700 vs ~1500 counts is ~3%.
    peak_ratio = expected[5:7].sum() / expected[17:19].sum()
    assert 3.7 < peak_ratio < 4.0
    assert observed[5:7].sum() / observed[17:19].sum() == pytest.approx(peak_ratio, rel=0.1)


def test_constant_rate_sampling_and_determinism() -> None:
    t = sample_arrivals_s(np.random.default_rng(3), 20.0, 100.0, 1100.0)
    assert abs(t.size - 20_000) < 4 * math.sqrt(20_000)
    assert t.min() >= 100.0 and t.max() < 1100.0
    again = sample_arrivals_s(np.random.default_rng(3), 20.0, 100.0, 1100.0)
    np.testing.assert_array_equal(t, again)
    assert sample_arrivals_s(np.random.default_rng(3), 0.0, 0.0, 10.0).size == 0


def test_the_same_hours_of_any_day_give_the_same_mean_to_the_bit() -> None:
    # λ has a period of one day, so the mean over [t0, t1] and over [t0 + kD, t1 + kD]
    # are one number; the run's web sizing memo relies on getting the same float
    rate = DiurnalRate(mean_per_s=1234.5, peak_to_trough=3.0, phase_s=5000.0)
    for t0 in (0.0, 300.0, 43_500.0, 86_100.0):
        first = rate.mean_rate_per_s(t0, t0 + 300.0)
        for day in (1, 2, 29, 365):
            assert rate.mean_rate_per_s(t0 + day * DAY_S, t0 + 300.0 + day * DAY_S) == first
    # and it is still the integral far from t = 0 (second method: quadrature)
    t0 = 400 * DAY_S + 12_345.0
    expected = integrate.quad(rate.rate_per_s, t0, t0 + 900.0)[0] / 900.0
    assert rate.mean_rate_per_s(t0, t0 + 900.0) == pytest.approx(expected, rel=1e-9)
