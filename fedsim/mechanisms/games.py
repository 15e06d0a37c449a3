"""Solution concepts of a transferable-utility game given as coalition values.

Exact rules take ``values``: a ``[2**n]`` array of v(S) indexed by bitmask (bit ``i``
set when member ``i`` is in S, ``values[0] = 0``). Sampling rules take a callable
``value(mask) -> float`` (a cached ``CoalitionValues``) and a seeded generator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import factorial

import numpy as np

from fedsim.mechanisms.lp import solve_lp


def n_members(values: np.ndarray) -> int:
    n = len(values).bit_length() - 1
    if len(values) != 1 << n:
        raise ValueError(f"values must have 2**n entries, got {len(values)}")
    return n


def popcount(masks: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):  # numpy ≥ 2.0
        return np.bitwise_count(masks).astype(np.int64)
    return np.array([bin(int(m)).count("1") for m in masks], dtype=np.int64)


def membership(masks: np.ndarray, n: int) -> np.ndarray:
    """``[len(masks), n]`` 0/1 matrix: row k says who is in coalition ``masks[k]``."""
    return ((np.asarray(masks)[:, None] >> np.arange(n)[None, :]) & 1).astype(float)


def shapley_exact(values: np.ndarray) -> np.ndarray:
    """φ_i = Σ_{S∌i} |S|!(n−|S|−1)!/n! · (v(S∪i) − v(S))."""
    n = n_members(values)
    masks = np.arange(1 << n)
    size = popcount(masks)
    weight = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])
    phi = np.zeros(n)
    for i in range(n):
        without = masks[(masks >> i) & 1 == 0]
        phi[i] = weight[size[without]] @ (values[without | (1 << i)] - values[without])
    return phi


def banzhaf_exact(values: np.ndarray) -> np.ndarray:
    """Raw Banzhaf value β_i = 2^{1−n} Σ_{S∌i} (v(S∪i) − v(S))."""
    n = n_members(values)
    masks = np.arange(1 << n)
    beta = np.zeros(n)
    for i in range(n):
        without = masks[(masks >> i) & 1 == 0]
        beta[i] = np.sum(values[without | (1 << i)] - values[without]) / (1 << (n - 1))
    return beta


def normalise(raw: np.ndarray, grand_value: float) -> np.ndarray:
    """Scale a raw index so it sums to v(N) (equal split when it sums to ~0)."""
    total = float(np.sum(raw))
    if abs(total) <= 1e-12 * max(1.0, abs(grand_value)):
        return np.full(len(raw), grand_value / max(len(raw), 1))
    return raw * (grand_value / total)


@dataclass(frozen=True)
class Estimate:
    """A sampled value: mean, standard error per member, and the sample count."""

    value: np.ndarray
    std_error: np.ndarray
    samples: int


def _sample_count(pilot: np.ndarray, target_se: float, lo: int, hi: int) -> int:
    var = float(np.max(np.var(pilot, axis=0, ddof=1))) if len(pilot) > 1 else np.inf
    if target_se <= 0 or not np.isfinite(var):
        return hi
    return int(np.clip(np.ceil(var / target_se**2), lo, hi))


def _adaptive_estimate(
    draw: Callable[[int], np.ndarray], target_se: float, min_samples: int, max_samples: int
) -> Estimate:
    """Mean of sampled marginal contributions: a pilot of ``min_samples`` rows, then as
    many more as the pilot variance says the target standard error needs (capped)."""
    samples = draw(min(min_samples, max_samples))
    wanted = _sample_count(samples, target_se, len(samples), max_samples)
    if wanted > len(samples):
        samples = np.vstack([samples, draw(wanted - len(samples))])
    m = len(samples)
    return Estimate(samples.mean(axis=0), samples.std(axis=0, ddof=1) / np.sqrt(m), m)


def shapley_sampled(
    value: Callable[[int], float], n: int, rng: np.random.Generator,
    target_se: float, min_samples: int = 32, max_samples: int = 2000,
) -> Estimate:
    """Permutation sampling (Castro, Gómez & Tejada 2009). Each permutation's
    marginals sum to v(N), so the estimate is exactly efficient. The count is
    the pilot variance over the target error squared, within the bounds."""

    def draw(k: int) -> np.ndarray:
        out = np.zeros((k, n))
        for row in range(k):
            mask, before = 0, 0.0
            for i in rng.permutation(n):
                mask |= 1 << int(i)
                after = value(mask)
                out[row, i], before = after - before, after
        return out

    return _adaptive_estimate(draw, target_se, min_samples, max_samples)


def banzhaf_sampled(
    value: Callable[[int], float], n: int, rng: np.random.Generator,
    target_se: float, min_samples: int = 32, max_samples: int = 2000,
) -> Estimate:
    """Raw Banzhaf by sampling, for each member, coalitions of the others uniformly."""
    bits = 1 << np.arange(n)

    def draw(k: int) -> np.ndarray:
        out = np.zeros((k, n))
        for row in range(k):
            coin = rng.random(n) < 0.5
            for i in range(n):
                mask = int(bits[coin].sum()) & ~int(bits[i])
                out[row, i] = value(mask | int(bits[i])) - value(mask)
        return out

    return _adaptive_estimate(draw, target_se, min_samples, max_samples)


def _excess_lp(
    values: np.ndarray, free: np.ndarray, fixed: np.ndarray, fixed_rhs: np.ndarray,
    solver: str,
):
    """min ε s.t. x(S) + ε ≥ v(S) (free S), x(S) = rhs (fixed S), x(N) = v(N)."""
    n = n_members(values)
    a_free = np.hstack([membership(free, n), np.ones((len(free), 1))])
    a_fixed = np.hstack([membership(fixed, n), np.zeros((len(fixed), 1))])
    matrix = np.vstack([a_free, a_fixed])
    lower = np.concatenate([values[free], fixed_rhs])
    upper = np.concatenate([np.full(len(free), np.inf), fixed_rhs])
    cost = np.zeros(n + 1)
    cost[n] = 1.0
    free_col = np.full(n + 1, -np.inf), np.full(n + 1, np.inf)
    return solve_lp(cost, matrix, lower, upper, *free_col, maximize=False, solver=solver)


def least_core(values: np.ndarray, solver: str = "highs") -> tuple[float, np.ndarray]:
    """Least-core ε and one payoff in it: min ε s.t. x(S) ≥ v(S) − ε, x(N) = v(N).
    ε ≤ 0 means the core is non-empty."""
    n = n_members(values)
    grand = (1 << n) - 1
    if n == 1:
        return 0.0, np.array([values[1]])
    sol = _excess_lp(values, np.arange(1, grand), np.array([grand]), values[[grand]], solver)
    return float(sol.x[n]), sol.x[:n]


def nucleolus(values: np.ndarray, solver: str = "highs", tol: float = 1e-9) -> np.ndarray:
    """The (pre)nucleolus by the sequential LPs of Maschler, Peleg & Shapley (1979).

    Each round minimises the largest excess ε over the coalitions not yet fixed;
    those with a positive dual are tight in every optimum and are fixed at
    ``v(S) − ε``. Coalitions whose indicator lies in the span of fixed ones have a
    constant excess and are dropped. At most n rounds (the fixed rows gain rank
    each time). With a non-empty core it is the nucleolus proper.
    """
    n = n_members(values)
    grand = (1 << n) - 1
    if n == 1:
        return np.array([values[1]])
    fixed, rhs = [grand], [float(values[grand])]
    free = np.arange(1, grand)
    x = np.zeros(n)
    for _ in range(n):
        basis = _row_basis(membership(np.array(fixed), n))
        if len(basis) == n:
            break
        m = membership(free, n)
        free = free[np.linalg.norm(m - (m @ basis.T) @ basis, axis=1) > 1e-9]
        if len(free) == 0:
            break
        sol = _excess_lp(values, free, np.array(fixed), np.array(rhs), solver)
        eps, x = float(sol.x[n]), sol.x[:n]
        dual = sol.row_dual[: len(free)]
        tight = dual > tol
        if not tight.any():  # degenerate solve: fall back to the tight rows
            tight = membership(free, n) @ x + eps - values[free] <= tol
        fixed.extend(int(s) for s in free[tight])
        rhs.extend(float(v) - eps for v in values[free[tight]])
        free = free[~tight]
    a = membership(np.array(fixed), n)
    if np.linalg.matrix_rank(a) == n:
        x = np.linalg.lstsq(a, np.array(rhs), rcond=None)[0]
    return x


def _row_basis(rows: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the row space (as rows)."""
    _, s, vt = np.linalg.svd(rows, full_matrices=False)
    return vt[s > 1e-9 * max(1.0, float(s.max(initial=0.0)))]
