"""Textbook M/M/c formulas written out again for tests, independent of fedsim.queueing:
a second method that the code's answers are checked against."""

from __future__ import annotations

import math


def erlang_c(c: int, a: float) -> float:
    """P(wait > 0): the Erlang-B recursion B_k = a·B_{k-1}/(k + a·B_{k-1}), then
    C = B/(1 − ρ(1 − B))."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b / (1.0 - a / c * (1.0 - b))


def response_tail(c: int, lam: float, s: float, t: float) -> float:
    """P(W + S > t) in FCFS M/M/c: (1 − C)e^{−μt} + C·P(Exp(θ) + Exp(μ) > t), θ = cμ − λ,
    P(Exp(θ) + Exp(μ) > t) = (θe^{−μt} − μe^{−θt})/(θ − μ), or (1 + μt)e^{−μt} at θ = μ.
    1 when unstable."""
    mu, a = 1.0 / s, lam * s
    if a >= c:
        return 1.0
    cc = erlang_c(c, a)
    theta = c * mu - lam
    if abs(theta - mu) < 1e-9:
        both = (1.0 + mu * t) * math.exp(-mu * t)
    else:
        both = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
    return (1.0 - cc) * math.exp(-mu * t) + cc * both


def mmck_distribution(c: int, k: int, lam: float, s: float) -> list[float]:
    """Stationary P(N = n), n = 0..K, of M/M/c/K: p_n ∝ a^n/n! (n ≤ c),
    a^c/c!·ρ^(n−c) (n > c), a = λs, ρ = a/c."""
    a = lam * s
    w = [a**n / math.factorial(n) if n <= c else a**c / math.factorial(c) * (a / c) ** (n - c)
         for n in range(k + 1)]
    total = sum(w)
    return [x / total for x in w]
