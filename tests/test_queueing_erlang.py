"""Erlang-B/C, M/M/c tails and cores_needed, checked against independent derivations."""

from __future__ import annotations

import heapq
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate, stats

from fedsim.queueing import (
    cores_needed,
    erlang_b,
    erlang_b_table,
    erlang_c,
    p_response_exceeds,
    p_wait_exceeds,
)


def batch_means_ci95(x: np.ndarray, batches: int = 20) -> tuple[float, float, float]:
    """Mean of a correlated series and its 95% interval from the means of contiguous
    batches (treated as independent: t with batches − 1 d.o.f.)."""
    means = np.array([b.mean() for b in np.array_split(np.asarray(x, float), batches)])
    half = stats.t.ppf(0.975, batches - 1) * means.std(ddof=1) / math.sqrt(batches)
    return float(means.mean()), float(means.mean() - half), float(means.mean() + half)


def _b_exact(c: int, a: int | Fraction) -> float:
    """Textbook Erlang-B in exact rationals: (a^c/c!) / Σ_{k<=c} a^k/k!."""
    a = Fraction(a)
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return float(terms[-1] / sum(terms))


def _c_exact(c: int, a: Fraction) -> float:
    """Textbook Erlang-C in exact rationals: X / (Σ_{k<c} a^k/k! + X), X = a^c/c! · c/(c-a)."""
    x = a**c / math.factorial(c) * Fraction(c) / (c - a)
    return float(x / (sum(a**k / math.factorial(k) for k in range(c)) + x))


def test_erlang_b_reference_values() -> None:
    # DESIGN §7 reference figures; the exact-rational formula gives 0.1216610643 / 0.0644109248.
    assert erlang_b(10, 8.0) == pytest.approx(0.12166, abs=5e-6)
    assert erlang_b(20, 16.0) == pytest.approx(0.06441, abs=5e-6)
    assert erlang_b(10, 8.0) == pytest.approx(_b_exact(10, 8), rel=1e-12)
    assert erlang_b(20, 16.0) == pytest.approx(_b_exact(20, 16), rel=1e-12)


def test_erlang_b_edges_and_table() -> None:
    assert erlang_b(0, 3.0) == 1.0  # no server: everything blocked
    assert erlang_b(5, 0.0) == 0.0
    assert erlang_b(1, 1.0) == pytest.approx(0.5)  # B(1, a) = a/(1+a)
    table = erlang_b_table(30, 12.5)
    assert table[0] == 1.0
    assert table[17] == pytest.approx(erlang_b(17, 12.5), rel=1e-15)
    with pytest.raises(ValueError):
        erlang_b(-1, 1.0)
    with pytest.raises(ValueError):
        erlang_b(3, -0.5)


def test_erlang_large_c_is_stable() -> None:
    # Second method: B(c, a) = Poisson(a).pmf(c) / Poisson(a).cdf(c) (scipy, log-space).
    for c, a in ((5000, 4900.0), (4000, 4100.0), (20_000, 19_500.0)):
        b = erlang_b(c, a)
        ref = math.exp(stats.poisson.logpmf(c, a) - stats.poisson.logcdf(c, a))
        assert 0.0 < b < 1.0
        assert b == pytest.approx(ref, rel=1e-9)
    assert 0.0 < erlang_c(5000, 4900.0) < 1.0


def test_pooling_two_loss_clouds_raises_carried_traffic_as_erlang_b_predicts() -> None:
    # Carried traffic = a(1 - B). Two separate 10-server clouds at 8 Erl each carry
    # 2·8·(1 - 0.121661) = 14.0534 Erl; pooled (20 servers, 16 Erl): 16·(1 - 0.064411) = 14.9694.
    separate = 2 * 8.0 * (1.0 - erlang_b(10, 8.0))
    pooled = 16.0 * (1.0 - erlang_b(20, 16.0))
    assert separate == pytest.approx(14.05342, abs=1e-4)
    assert pooled == pytest.approx(14.96943, abs=1e-4)
    assert pooled - separate == pytest.approx(0.91601, abs=1e-4)
    # Independent check: simulate both M/M/c/c loss systems (server-free-time heap).
    rng = np.random.default_rng(7)
    for c, a, expected in ((10, 8.0, 8.0 * (1 - 0.1216611)), (20, 16.0, pooled)):
        n = 150_000
        arrival = np.cumsum(rng.exponential(1.0 / a, n)).tolist()  # μ = 1, λ = a
        service = rng.exponential(1.0, n).tolist()
        free = [0.0] * c  # server-free times; an arrival is lost if all are in the future
        carried_work = np.zeros(n)
        for i, (t, s) in enumerate(zip(arrival, service, strict=True)):
            if free[0] <= t:
                heapq.heapreplace(free, t + s)
                carried_work[i] = s
        # carried Erlang = accepted work per unit time; batch-means CI on work per arrival
        mean, lo, hi = batch_means_ci95(carried_work * a)
        assert lo <= expected <= hi, (c, a, mean, lo, hi, expected)


@pytest.mark.parametrize(
    ("c", "a"),
    [(1, Fraction(1, 2)), (2, Fraction(3, 2)), (5, Fraction(7, 2)), (12, Fraction(10)),
     (40, Fraction(37))],
)  # fmt: skip
def test_erlang_c_matches_erlang_b_relation_and_direct_formula(c: int, a: Fraction) -> None:
    b = erlang_b(c, float(a))
    rho = float(a) / c
    assert erlang_c(c, float(a)) == pytest.approx(b / (1.0 - rho * (1.0 - b)), rel=1e-12)
    assert erlang_c(c, float(a)) == pytest.approx(_c_exact(c, a), rel=1e-12)


def test_erlang_c_small_cases_by_hand() -> None:
    # c = 1: an arrival waits iff the server is busy, probability ρ.
    for rho in (0.1, 0.5, 0.93):
        assert erlang_c(1, rho) == pytest.approx(rho, rel=1e-12)
    # c = 2, a = 2ρ: B = (a²/2)/(1 + a + a²/2) = 2ρ²/(1 + 2ρ + 2ρ²);
    # C = B/(1 - ρ(1-B)) simplifies to 2ρ²/(1 + ρ).
    for rho in (0.2, 0.6, 0.95):
        assert erlang_c(2, 2 * rho) == pytest.approx(2 * rho**2 / (1 + rho), rel=1e-12)
    assert erlang_c(3, 3.0) == 1.0  # unstable
    assert erlang_c(3, 4.0) == 1.0


def test_mm1_tails() -> None:
    # M/M/1 FCFS: sojourn ~ Exp(μ - λ); P(W > t) = ρ e^{-(μ-λ)t}.
    lam, service_s = 7.0, 0.1  # μ = 10, ρ = 0.7
    t = np.array([0.0, 0.05, 0.3, 1.0, 4.0])
    np.testing.assert_allclose(
        p_response_exceeds(1, lam, service_s, t), np.exp(-3.0 * t), rtol=1e-12
    )
    np.testing.assert_allclose(
        p_wait_exceeds(1, lam, service_s, t), 0.7 * np.exp(-3.0 * t), rtol=1e-12
    )
    assert isinstance(p_response_exceeds(1, lam, service_s, 0.2), float)


def _tail_by_quadrature(c: int, lam: float, service_s: float, t: float) -> float:
    """P(W+S>t) = (1-C)e^{-μt} + C[∫_0^t θe^{-θw} e^{-μ(t-w)} dw + e^{-θt}] (numerical)."""
    mu, a = 1.0 / service_s, lam * service_s
    theta, erl_c = c * mu - lam, _c_exact(c, Fraction(a).limit_denominator(10**9))
    conv, _ = integrate.quad(lambda w: theta * math.exp(-theta * w - mu * (t - w)), 0.0, t,
                             epsabs=1e-14, epsrel=1e-12)  # fmt: skip
    return (1 - erl_c) * math.exp(-mu * t) + erl_c * (conv + math.exp(-theta * t))


@pytest.mark.parametrize(
    ("c", "lam", "t"),
    [(3, 24.0, 0.25), (2, 10.0, 0.3), (2, 10.0 * (1 - 1e-10), 0.3), (2, 10.0 * (1 + 1e-7), 0.3),
     (2, 19.0, 2.0), (64, 600.0, 0.12)],
)  # fmt: skip
def test_response_tail_matches_quadrature(c: int, lam: float, t: float) -> None:
    # (2, 10.0): θ = 2·10 - 10 = μ exactly, the (1 + μt)e^{-μt} branch; neighbours are near-equal.
    got = p_response_exceeds(c, lam, 0.1, t)
    assert got == pytest.approx(_tail_by_quadrature(c, lam, 0.1, t), rel=1e-8)


def test_tails_unstable_and_degenerate() -> None:
    assert p_response_exceeds(4, 40.0, 0.1, 0.5) == 1.0  # λ = cμ
    assert p_wait_exceeds(4, 50.0, 0.1, 0.5) == 1.0
    assert p_response_exceeds(0, 1.0, 0.1, 0.5) == 1.0  # no cores
    assert p_response_exceeds(3, 0.0, 0.1, 0.5) == pytest.approx(math.exp(-5.0))  # S only
    assert p_response_exceeds(3, 10.0, 0.1, -1.0) == 1.0
    assert p_wait_exceeds(3, 10.0, 0.1, -1.0) == 1.0


@pytest.mark.parametrize(
    ("lam", "service_s", "latency_s", "pct"),
    [(50.0, 0.1, 0.5, 0.95), (3.0, 0.2, 1.0, 0.9), (1000.0, 0.01, 0.05, 0.99),
     (400.0, 0.05, 0.4, 0.999), (250_000.0, 0.02, 0.1, 0.95)],
)  # fmt: skip
def test_cores_needed_is_minimal(
    lam: float, service_s: float, latency_s: float, pct: float
) -> None:
    c = cores_needed(lam, service_s, latency_s, pct)
    eps = 1.0 - pct
    assert p_response_exceeds(c, lam, service_s, latency_s) <= eps
    assert p_response_exceeds(c - 1, lam, service_s, latency_s) > eps
    if c < 2000:  # brute-force linear scan as a second method
        assert c == next(
            k for k in range(1, 3000) if p_response_exceeds(k, lam, service_s, latency_s) <= eps
        )


def test_cores_needed_unattainable_and_zero_load() -> None:
    assert cores_needed(0.0, 0.1, 0.5, 0.95) == 0
    # e^{-0.2/0.1} = 0.135 > 0.05: not even infinite cores meet p95 <= 200 ms.
    with pytest.raises(ValueError, match="unattainable"):
        cores_needed(10.0, 0.1, 0.2, 0.95)
    # Attainable, but 1000 Erlang needs more than max_cores = 500 (stability alone needs 1001);
    # the cap also ends the search when e^{-μt} is within rounding of 1 - percentile.
    with pytest.raises(ValueError, match="max_cores"):
        cores_needed(100_000.0, 0.01, 0.05, 0.99, max_cores=500)
    assert cores_needed(100_000.0, 0.01, 0.05, 0.99, max_cores=1100) > 1000
    with pytest.raises(ValueError):
        cores_needed(10.0, 0.1, 0.5, 1.0)
