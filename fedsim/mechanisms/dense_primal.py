"""The primal simplex on the dense basis of :mod:`.dense_basis`, and a compiled solve of
one welfare LP with it.

A welfare LP (``max g·x`` s.t. ``A x ≤ u``, ``u ≥ 0``, ``x ≥ 0``; DESIGN.md §3) starts
feasible at the slack basis, so the primal simplex needs no phase one. For the markets an
engine clears every epoch (tens of demand rows, a few pools: ~60 rows, ~200 cells) HiGHS
spends most of its time on set-up (a new instance, model checks, scaling) rather than on
its pivots; here the whole solve is one compiled call on a dense basis inverse: 6x
faster on the Philly replay's markets, 1.3-3.4x on random ones of 35-210 rows
(benchmarks/README.md). The answer is accepted only with the certificate of
:func:`.dense_basis.certified`; otherwise the caller solves the LP with HiGHS. Beyond
``MAX_DENSE_ROWS`` rows the dense inverse (m² per pivot) costs more than HiGHS's sparse
one, and HiGHS solves it.

Only :mod:`fedsim.mechanisms.market_lp` (on its first compiled solve) and
:mod:`.coalition_simplex` import this module (it imports numba). numba caches each
compiled function keyed on its own file: after editing :mod:`.dense_basis` or this file,
clear ``fedsim/mechanisms/__pycache__/*simplex*`` and ``*dense_primal*``.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.extending import register_jitable

from fedsim.mechanisms.dense_basis import (
    PIVOT_TOL,
    certified,
    duals,
    ftran,
    pivot,
    price_row,
    refactor,
)
from fedsim.mechanisms.lp import Csc, LPSolution

REFACTOR = 200  # pivots between fresh inverses
MAX_PIVOTS_PER_LP = 5000
BLAND_AFTER = 25  # consecutive degenerate pivots before Bland's rule
MAX_DENSE_ROWS = 200  # rows in use; beyond, HiGHS is faster (benchmarks/README.md)


@register_jitable
def primal(n, start, index, value, cost, b, basic, pos, binv, xb, d, tol_p, tol_d):
    """Primal simplex from a primal-feasible basis; True at an optimum (reduced costs
    ≥ −tol_d), False when it cannot get there (unbounded means numerical trouble here)."""
    m = binv.shape[0]
    alpha = np.zeros(n + m)
    w = np.zeros(m)
    degenerate = 0
    since = 0
    for _ in range(MAX_PIVOTS_PER_LP * 4):
        bland = degenerate >= BLAND_AFTER
        q = -1
        best = -tol_d
        for j in range(n + m):
            if pos[j] < 0 and d[j] < best:
                q = j
                if bland:
                    break
                best = d[j]
        if q < 0:
            return True
        ftran(binv, q, n, start, index, value, w)
        r = -1
        ratio = np.inf
        for i in range(m):
            if w[i] > PIVOT_TOL:
                t = max(xb[i], 0.0) / w[i]
                if r < 0 or t < ratio - 1e-12:
                    ratio = t
                    r = i
                elif t <= ratio + 1e-12 and (  # a tie: Bland's smallest index, else largest pivot
                    (bland and basic[i] < basic[r]) or (not bland and w[i] > w[r])
                ):
                    ratio = min(ratio, t)
                    r = i
        if r < 0:
            return False  # unbounded: impossible for a welfare LP, so numerical trouble
        price_row(r, n, start, index, value, pos, binv, alpha)
        moved = ratio > 0.0
        pivot(r, q, n, start, index, value, basic, pos, binv, xb, d, alpha, w)
        degenerate = 0 if moved else degenerate + 1
        since += 1
        if since >= REFACTOR:
            if not refactor(n, start, index, value, cost, b, basic, binv, xb, d):
                return False
            since = 0
    return False


@numba.njit(cache=True)
def welfare_simplex(start, index, value, gain, upper, tol_p, tol_d):
    """Solve ``max gain·x`` s.t. ``A x ≤ upper`` (``upper ≥ 0``), ``x ≥ 0`` over the rows
    that some column uses (the others keep their slack basic: dual 0).

    Returns (ok, x, row_dual) with ``row_dual ≥ 0`` over all rows of ``upper``; ok is
    False when the solve could not be certified optimal, even on a fresh inverse."""
    n = len(gain)
    n_row = len(upper)
    x = np.zeros(n)
    row_dual = np.zeros(n_row)
    row = np.full(n_row, -1)
    m = 0
    for k in range(len(index)):
        if row[index[k]] < 0:
            row[index[k]] = 0
    for i in range(n_row):
        if row[i] == 0:
            row[i] = m
            m += 1
    local = np.empty(len(index), dtype=np.int64)
    for k in range(len(index)):
        local[k] = row[index[k]]
    b = np.empty(m)
    for i in range(n_row):
        if row[i] >= 0:
            b[row[i]] = upper[i]
    cost = np.zeros(n + m)
    for j in range(n):
        cost[j] = -gain[j]  # the kernels minimise
    basic = np.empty(m, dtype=np.int64)
    pos = np.full(n + m, -1)
    for p in range(m):
        basic[p] = n + p
        pos[n + p] = p
    binv = np.zeros((m, m))
    xb = np.zeros(m)
    d = np.zeros(n + m)
    if not refactor(n, start, local, value, cost, b, basic, binv, xb, d):
        return False, x, row_dual
    if not primal(n, start, local, value, cost, b, basic, pos, binv, xb, d, tol_p, tol_d):
        return False, x, row_dual
    if not certified(n, start, local, value, cost, b, basic, binv, xb, d, tol_p, tol_d):
        if not refactor(n, start, local, value, cost, b, basic, binv, xb, d):
            return False, x, row_dual
        if not certified(n, start, local, value, cost, b, basic, binv, xb, d, tol_p, tol_d):
            return False, x, row_dual
    y = duals(n, start, local, value, cost, basic, binv, d)
    for p in range(m):
        if basic[p] < n:
            x[basic[p]] = xb[p]
    for i in range(n_row):
        if row[i] >= 0:
            row_dual[i] = -y[row[i]]  # d(max)/d(upper) of the minimised −gain·x
    return True, x, row_dual


def solve_dense(gain: np.ndarray, a: Csc, upper: np.ndarray) -> LPSolution | None:
    """The welfare LP by the compiled simplex, or None when it should go to HiGHS (too
    many rows, or no certified optimum)."""
    if a.n_row > MAX_DENSE_ROWS and len(np.unique(a.index)) > MAX_DENSE_ROWS:
        return None
    gain = np.asarray(gain, dtype=float)
    upper = np.asarray(upper, dtype=float)
    # tolerances relative to the data's scale (units and USD/h vary by scenario)
    tol_p = 1e-9 * max(1.0, float(np.max(upper, initial=0.0)))
    tol_d = 1e-9 * max(1.0, float(np.max(np.abs(gain), initial=0.0)))
    ok, x, row_dual = welfare_simplex(
        np.asarray(a.start, dtype=np.int64), np.asarray(a.index, dtype=np.int64),
        np.asarray(a.value, dtype=float), gain, upper, tol_p, tol_d)
    if not ok:
        return None
    return LPSolution(x=x, row_dual=row_dual, objective=float(gain @ x), status="optimal")
