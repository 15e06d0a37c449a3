"""Fractional allocations over the throughput matrix, as LPs built from arrays (HiGHS).

``x[j, g]`` is the share of time job ``j`` should spend on GPU type ``g``; every policy
here shares Gavel's base constraints (Narayanan et al., OSDI'20): ``x ≥ 0``, each job's
shares sum to at most 1, and each type's GPUs are not oversubscribed:
``Σ_j n_gpus[j]·x[j, g] ≤ capacity[g]``. The LPs have many optimal solutions; they are
solved by HiGHS' interior-point method without crossover, which, like the interior-point
solvers Gavel uses, returns a point inside the optimal face rather than a vertex.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from fedsim.mechanisms.lp import Csc, solve_lp


def _base(n_gpus: np.ndarray, capacity: np.ndarray, extra_cols: int) -> tuple[list, list]:
    """Rows of the base constraints over columns ``x[j, g]`` (row-major) then
    ``extra_cols`` more: per-job share rows, then per-type capacity rows."""
    n_j, n_g = len(n_gpus), len(capacity)
    cols = np.arange(n_j * n_g)
    jobs_of = cols // n_g
    width = n_j * n_g + extra_cols
    share = sp.csc_matrix((np.ones(n_j * n_g), (jobs_of, cols)), shape=(n_j, width))
    types_of = cols % n_g
    cap = sp.csc_matrix(
        (n_gpus[jobs_of].astype(float), (types_of, cols)), shape=(n_g, n_j * n_g + extra_cols)
    )
    return [share, cap], [(np.full(n_j, -np.inf), np.ones(n_j)),
                          (np.full(n_g, -np.inf), capacity.astype(float))]


def _solve(objective: np.ndarray, blocks: list, bounds: list, fallback: bool = True) -> np.ndarray:
    matrix = sp.vstack(blocks, format="csc")
    lo = np.concatenate([b[0] for b in bounds])
    hi = np.concatenate([b[1] for b in bounds])
    sol = solve_lp(objective, Csc.of(matrix), lo, hi, maximize=True, interior=True,
                   fallback=fallback)
    return sol.x


def _share_lp(coef: np.ndarray, rhs: np.ndarray, n_gpus: np.ndarray,
              capacity: np.ndarray) -> np.ndarray:
    """``max z`` s.t. ``z·rhs[j] − Σ_g coef[j,g]·x[j,g] ≤ 0`` per job and the base
    constraints; the column-wise matrix is built directly (no scipy on this hot path):
    column ``x[j,g]`` has ``−coef[j,g]`` in row ``j``, 1 in share row ``n_j + j`` and
    ``n_gpus[j]`` in capacity row ``2·n_j + g``; column ``z`` has ``rhs`` in rows ``j``."""
    n_j, n_g = coef.shape
    n_x = n_j * n_g
    jobs_of = np.repeat(np.arange(n_j), n_g)
    index = np.empty(3 * n_x + n_j, dtype=np.int32)
    value = np.empty(3 * n_x + n_j)
    index[0:3 * n_x:3] = jobs_of
    index[1:3 * n_x:3] = n_j + jobs_of
    index[2:3 * n_x:3] = 2 * n_j + np.tile(np.arange(n_g), n_j)
    value[0:3 * n_x:3] = -coef.ravel()
    value[1:3 * n_x:3] = 1.0
    value[2:3 * n_x:3] = n_gpus[jobs_of]
    index[3 * n_x:] = np.arange(n_j)
    value[3 * n_x:] = rhs
    start = np.concatenate([np.arange(0, 3 * n_x + 1, 3), [3 * n_x + n_j]]).astype(np.int32)
    matrix = Csc(2 * n_j + n_g, start, index, value)
    lo = np.full(2 * n_j + n_g, -np.inf)
    hi = np.concatenate([np.zeros(n_j), np.ones(n_j), capacity.astype(float)])
    objective = np.zeros(n_x + 1)
    objective[-1] = 1.0
    sol = solve_lp(objective, matrix, lo, hi, maximize=True, interior=True)
    return np.clip(sol.x[:-1].reshape(n_j, n_g), 0.0, 1.0)


def max_min_share(
    throughput: np.ndarray, n_gpus: np.ndarray, capacity: np.ndarray
) -> np.ndarray:
    """Gavel's max-min fairness: maximise ``min_j Σ_g a[j,g]·x[j,g]`` with
    ``a[j,g] = n_gpus[j]·T[j,g] / p[j]``, where ``p[j] = Σ_g T[j,g]·N_g / Σ_g N_g`` is
    job ``j``'s throughput under an equal share of every type (so each job's progress is
    measured against what it would get alone with its fair share)."""
    n_j, n_g = throughput.shape
    if n_j == 0:
        return np.zeros((0, n_g))
    total = float(capacity.sum())
    proportional = throughput @ capacity.astype(float) / total if total > 0 else np.zeros(n_j)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(proportional[:, None] > 0,
                     n_gpus[:, None] * throughput / proportional[:, None], 0.0)
    return _share_lp(a, np.ones(n_j), n_gpus, capacity)


def min_makespan_share(
    speed: np.ndarray, remaining: np.ndarray, n_gpus: np.ndarray, capacity: np.ndarray
) -> np.ndarray:
    """Gavel's makespan policy as one LP: maximise ``z`` (= 1 / makespan) subject to every
    job finishing its remaining work by the makespan, ``Σ_g speed[j,g]·x[j,g] ≥
    z·remaining[j]`` (Gavel bisects on the makespan; the optimum is the same)."""
    n_j, n_g = speed.shape
    if n_j == 0:
        return np.zeros((0, n_g))
    return _share_lp(speed, remaining.astype(float), n_gpus, capacity)


def feasible_rates(
    speed: np.ndarray, min_rate: np.ndarray, n_gpus: np.ndarray, capacity: np.ndarray
) -> np.ndarray | None:
    """An allocation giving every job at least ``min_rate[j]`` work per second
    (``Σ_g speed[j,g]·x[j,g] ≥ min_rate[j]``), or None when there is none."""
    from fedsim.mechanisms.lp import SolveError

    n_j, n_g = speed.shape
    cols = np.arange(n_j * n_g)
    rate = sp.csc_matrix((speed.ravel(), (cols // n_g, cols)), shape=(n_j, n_j * n_g))
    blocks, bounds = _base(n_gpus, capacity, 0)
    try:
        x = _solve(np.zeros(n_j * n_g), [rate, *blocks],
                   [(min_rate.astype(float), np.full(n_j, np.inf)), *bounds], fallback=False)
    except SolveError:
        return None
    return np.clip(x.reshape(n_j, n_g), 0.0, 1.0)
