"""Erlang-B/C formulas and M/M/c waiting/response-time tails.

Erlang-B is computed in O(1) as the ratio of the Poisson pmf to its cdf,
B(c, a) = P[N = c] / P[N <= c] with N ~ Poisson(a), in log space (no factorials),
falling back to the stable recursion B(k) = a·B(k-1) / (k + a·B(k-1)) where the cdf
underflows; so c may be in the millions and per-epoch sizing stays cheap. Time arguments
(``t_s``) may be numpy arrays; the result then has their shape.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import special

FloatOrArray = float | npt.NDArray[np.float64]


def _check_servers(c: int) -> None:
    if isinstance(c, bool) or not isinstance(c, int | np.integer) or c < 0:
        raise ValueError(f"number of servers must be an int >= 0, got {c!r}")


def _check_load(a_erl: float) -> None:
    if not (math.isfinite(a_erl) and a_erl >= 0.0):
        raise ValueError(f"offered load must be finite and >= 0 Erlang, got {a_erl!r}")


def erlang_b_table(c_max: int, a_erl: float) -> npt.NDArray[np.float64]:
    """``[B(0, a), B(1, a), ..., B(c_max, a)]``: blocking of M/M/k/k for every k <= c_max."""
    _check_servers(c_max)
    _check_load(a_erl)
    out = np.empty(c_max + 1)
    b = 1.0
    out[0] = b
    for k in range(1, c_max + 1):
        ab = a_erl * b
        b = ab / (k + ab)
        out[k] = b
    return out


def erlang_b(c: int, a_erl: float) -> float:
    """Erlang-B blocking probability of an M/M/c/c loss system offered ``a_erl = λ/μ``."""
    _check_servers(c)
    _check_load(a_erl)
    if c == 0:
        return 1.0
    if a_erl == 0.0:
        return 0.0
    return _erlang_b_given_cdf(c, a_erl, float(special.pdtr(c, a_erl)))


def _erlang_b_given_cdf(c: int, a_erl: float, cdf: float) -> float:
    """Erlang-B for ``c >= 1`` and ``a_erl > 0`` given the Poisson cdf ``P[N <= c]``."""
    if cdf > 1e-280:
        log_pmf = c * math.log(a_erl) - a_erl - math.lgamma(c + 1.0)
        return min(1.0, math.exp(log_pmf - math.log(cdf)))
    b = 1.0  # heavily overloaded (a >> c): the recursion is exact and short enough here
    for k in range(1, int(c) + 1):
        ab = a_erl * b
        b = ab / (k + ab)
    return b


def _erlang_c_from_b(c: int, a_erl: float, b: float) -> float:
    if c == 0 or a_erl >= c:
        return 1.0
    rho = a_erl / c
    return b / (1.0 - rho * (1.0 - b))


def erlang_c(c: int, a_erl: float) -> float:
    """Erlang-C probability that an M/M/c arrival waits; 1.0 when unstable (a >= c)."""
    if a_erl >= c:
        _check_servers(c)
        _check_load(a_erl)
        return 1.0
    return _erlang_c_from_b(c, a_erl, erlang_b(c, a_erl))


def _check_rates(c: int, lam_per_s: float, service_s: float) -> float:
    _check_servers(c)
    if not (math.isfinite(service_s) and service_s > 0.0):
        raise ValueError(f"service_s must be finite and > 0, got {service_s!r}")
    if not (math.isfinite(lam_per_s) and lam_per_s >= 0.0):
        raise ValueError(f"lam_per_s must be finite and >= 0, got {lam_per_s!r}")
    return lam_per_s * service_s


def _as_output(x: npt.NDArray[np.float64]) -> FloatOrArray:
    return float(x) if x.ndim == 0 else x


def p_wait_exceeds(c: int, lam_per_s: float, service_s: float, t_s: npt.ArrayLike) -> FloatOrArray:
    """P(W > t) in FCFS M/M/c: C(c, a)·exp(-(cμ-λ)t); 1.0 when unstable (λ >= cμ) or t < 0."""
    a = _check_rates(c, lam_per_s, service_s)
    t = np.asarray(t_s, dtype=float)
    if a >= c:
        return _as_output(np.ones_like(t))
    theta = (c - a) / service_s
    p = erlang_c(c, a) * np.exp(-theta * np.maximum(t, 0.0))
    return _as_output(np.where(t < 0.0, 1.0, p))


def _tail_scalar(c: int, a_erl: float, service_s: float, erl_c: float, t: float) -> float:
    """:func:`_tail_from_c` for one time, in plain floats (the engine calls this per epoch)."""
    if t <= 0.0:
        return 1.0
    mu = 1.0 / service_s
    theta = (c - a_erl) / service_s
    m = min(theta, mu)
    x = abs(theta - mu) * t
    phi = -math.expm1(-x) / x if x > 0.0 else 1.0
    hypo = math.exp(-m * t) * (1.0 + m * t * phi)
    return min((1.0 - erl_c) * math.exp(-mu * t) + erl_c * hypo, 1.0)


def _tail_from_c(
    c: int, a_erl: float, service_s: float, erl_c: float, t: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """P(W + S > t) given Erlang-C ``erl_c`` (stable queue, any t)."""
    if t.ndim == 0:
        return np.asarray(_tail_scalar(c, a_erl, service_s, erl_c, float(t)))
    mu = 1.0 / service_s
    theta = (c - a_erl) / service_s
    tp = np.maximum(t, 0.0)
    # P(Exp(θ) + Exp(μ) > t) = (θe^{-μt} - μe^{-θt}) / (θ - μ), symmetric in (θ, μ).
    # With m = min, d = |θ - μ|: = e^{-mt}·(1 + m·t·φ(d·t)), φ(x) = (1 - e^{-x}) / x, φ(0) = 1.
    # No cancellation when θ ≈ μ, no overflow when d·t is large; φ(0) gives (1 + μt)e^{-μt}.
    m = min(theta, mu)
    x = abs(theta - mu) * tp
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(x > 0.0, -np.expm1(-x) / x, 1.0)
    hypo = np.exp(-m * tp) * (1.0 + m * tp * phi)
    p = (1.0 - erl_c) * np.exp(-mu * tp) + erl_c * hypo
    return np.where(t <= 0.0, 1.0, np.minimum(p, 1.0))


def p_response_exceeds(
    c: int, lam_per_s: float, service_s: float, t_s: npt.ArrayLike
) -> FloatOrArray:
    """P(W + S > t): FCFS M/M/c sojourn-time tail (W Erlang-C wait, S ~ Exp(μ) independent).

    = (1-C)e^{-μt} + C·P(Exp(θ) + Exp(μ) > t) with θ = cμ - λ. Returns 1.0 when the queue
    is unstable (λ >= cμ): an epoch whose load exceeds its cores counts every request as
    an SLA violation. Also 1.0 for t <= 0 (response times are positive).
    """
    a = _check_rates(c, lam_per_s, service_s)
    t = np.asarray(t_s, dtype=float)
    if a >= c:
        return _as_output(np.ones_like(t))
    return _as_output(_tail_from_c(c, a, service_s, erlang_c(c, a), t))


def response_tails(c: int, a_erl: list[float], service_s: float, t_s: float) -> list[float]:
    """:func:`p_response_exceeds` at one time ``t_s`` for several loads of ``c >= 1``
    servers, every one stable (``0 <= a < c``), with one scipy call for all their Poisson
    cdfs: the same numbers, in plain floats, for the engine's per-slice sums."""
    cdfs = special.pdtr(c, np.asarray(a_erl, dtype=float)).tolist()
    return [_stable_tail(c, a, service_s, cdf, t_s) for a, cdf in zip(a_erl, cdfs, strict=True)]


def response_tail(c: int, a_erl: float, service_s: float, t_s: float) -> float:
    """:func:`response_tails` of one load."""
    return _stable_tail(c, a_erl, service_s, float(special.pdtr(c, a_erl)), t_s)


def _stable_tail(c: int, a_erl: float, service_s: float, cdf: float, t_s: float) -> float:
    b = _erlang_b_given_cdf(c, a_erl, cdf) if a_erl > 0.0 else 0.0
    return _tail_scalar(c, a_erl, service_s, _erlang_c_from_b(c, a_erl, b), t_s)


def cores_needed(
    lam_per_s: float,
    service_s: float,
    latency_s: float,
    percentile: float,
    *,
    max_cores: int = 1_000_000,
) -> int:
    """Smallest c with P(response > latency_s) <= 1 - percentile in FCFS M/M/c.

    Returns 0 for zero load. Raises ValueError when the SLA is unattainable: even with
    infinitely many cores the response is the service time, so e^{-latency/service} must
    be below 1 - percentile (and strictly so, or the search runs past ``max_cores``).
    Search: from the stability bound floor(a)+1, doubling steps, then bisection; B(k) is
    each probe is O(1), so the cost is O(log answer).
    """
    _check_rates(0, lam_per_s, service_s)
    if not (0.0 < percentile < 1.0):
        raise ValueError(f"percentile must be in (0, 1), got {percentile!r}")
    if not (math.isfinite(latency_s) and latency_s > 0.0):
        raise ValueError(f"latency_s must be finite and > 0, got {latency_s!r}")
    if lam_per_s == 0.0:
        return 0
    eps = 1.0 - percentile
    floor_p = math.exp(-latency_s / service_s)
    if floor_p > eps:
        raise ValueError(
            f"latency {latency_s} s at p{percentile * 100:g} is unattainable with service "
            f"time {service_s} s: even infinite cores give P(response > latency) = "
            f"{floor_p:.4g} > {eps:.4g}"
        )
    a = lam_per_s * service_s

    def meets(c: int) -> bool:  # every probe is above the stability bound
        return response_tail(c, a, service_s, latency_s) <= eps

    lo = math.floor(a)  # unstable, hence violates
    hi, step = lo + 1, 1
    while hi > max_cores or not meets(hi):
        if hi >= max_cores:
            raise ValueError(
                f"more than max_cores={max_cores} cores needed for latency {latency_s} s at "
                f"p{percentile * 100:g} (service {service_s} s, {a:.4g} Erlang): raise max_cores, "
                "or the SLA is within rounding of the infinite-core limit"
            )
        lo, hi, step = hi, min(hi + step, max_cores), 2 * step
    while hi - lo > 1:  # invariant: lo violates, hi meets
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid
    return hi
