"""A compiled dense simplex for the coalition values v(S) of one market.

Every coalition LP of a market is the grand welfare LP with the demand, capacity and
group rows of non-members closed (bound 0). In standard form, ``max g·x`` s.t.
``A x + s = b``, ``x, s ≥ 0``, closing or opening rows changes ``b`` only, so an
optimal basis of one coalition stays *dual* feasible for the next and the dual simplex
restores primal feasibility in a few pivots. Visiting the coalitions in Gray-code order
(one member in or out per step) keeps those pivots few.

HiGHS does the same warm start, but a ``run()`` on a ~100-row model costs ~80–240 µs of
fixed set-up (model checks, scaling, edge weights) before its ~25 pivots; here the basis
inverse is kept dense (m ≈ 100 rows), a pivot is a rank-one update, and the whole
sequence of 2^n coalitions is one compiled call.

Safeguards: Harris' two-pass ratio test with the largest pivot, Bland's rule after a run
of degenerate pivots (so ties cannot cycle), a fresh inverse every ``REFACTOR`` pivots,
and a certificate before a value is accepted that does not trust the updated inverse
(``B x_B = b`` and ``y B = c_B`` checked on the basis's own columns, ``x_B ≥ 0`` and
fresh reduced costs ``≥ 0``). A coalition the kernel cannot certify even on a fresh
inverse is reported as failed (NaN) and its caller solves it with HiGHS instead.

Only :mod:`fedsim.mechanisms.coalitions` imports this module (it imports numba).
"""

from __future__ import annotations

import numba
import numpy as np
from numba.extending import register_jitable

from fedsim.mechanisms.dense_basis import (
    PIVOT_TOL,
    certified,
    duals,
    matvec,
    pivot,
    price_row,
    refactor,
)
from fedsim.mechanisms.dense_primal import BLAND_AFTER, MAX_PIVOTS_PER_LP, REFACTOR, primal

FAILED = np.nan


@register_jitable
def _dual(n, start, index, value, cost, b, basic, pos, binv, xb, d, tol_p, tol_d, counter):
    """Dual simplex from a dual-feasible basis; True when certified optimal.
    ``counter[0]`` counts pivots since the last fresh inverse, across calls."""
    m = binv.shape[0]
    alpha = np.zeros(n + m)
    w = np.zeros(m)
    degenerate = 0
    checked = False
    for _ in range(MAX_PIVOTS_PER_LP):
        bland = degenerate >= BLAND_AFTER
        r = -1
        worst = -tol_p
        for i in range(m):
            if bland:
                if xb[i] < -tol_p and (r < 0 or basic[i] < basic[r]):
                    r = i
            elif xb[i] < worst:
                worst = xb[i]
                r = i
        if r < 0:
            if certified(n, start, index, value, cost, b, basic, binv, xb, d, tol_p, tol_d):
                return True
            if checked:  # still not certified on a fresh inverse: give up on this one
                return False
            if not refactor(n, start, index, value, cost, b, basic, binv, xb, d):
                return False
            counter[0] = 0
            checked = True
            continue
        price_row(r, n, start, index, value, pos, binv, alpha)
        # Harris: the largest step no reduced cost overshoots by more than tol_d ...
        limit = np.inf
        for j in range(n + m):
            a = alpha[j]
            if a < -PIVOT_TOL:
                t = (max(d[j], 0.0) + tol_d) / -a
                if t < limit:
                    limit = t
        if limit == np.inf:
            return False  # primal infeasible: impossible (x = 0 is feasible)
        # ... then, within it, the largest pivot (Bland: the smallest index at the minimum)
        q = -1
        if bland:
            low = np.inf
            for j in range(n + m):
                if alpha[j] < -PIVOT_TOL:
                    t = max(d[j], 0.0) / -alpha[j]
                    if t < low - 1e-12:
                        low = t
                        q = j
        else:
            big = 0.0
            for j in range(n + m):
                a = -alpha[j]
                if a > PIVOT_TOL and max(d[j], 0.0) / a <= limit and a > big:
                    big = a
                    q = j
        if d[q] < 0.0:
            d[q] = 0.0  # Harris may pick a slightly negative cost: treat it as zero
        moved = pivot(r, q, n, start, index, value, basic, pos, binv, xb, d, alpha, w)
        degenerate = 0 if moved else degenerate + 1
        counter[0] += 1
        if counter[0] >= REFACTOR:
            if not refactor(n, start, index, value, cost, b, basic, binv, xb, d):
                return False
            counter[0] = 0
    return False


@numba.njit(cache=True)
def coalition_sweep(start, index, value, gain, row_upper, row_member, masks, basic, binv,
                    tol_p, tol_d):
    """v(S) for each bitmask in ``masks``, in order, each warm-started from the last.

    ``basic`` (length m) and ``binv`` (m × m) are the basis to start from and its
    inverse, or ``basic[0] = -1`` for none (then the grand coalition is solved first,
    by the primal simplex from the slack basis); they hold the final basis on return.
    A coalition that fails is NaN in the result and the next starts afresh.
    """
    n = len(gain)
    m = len(row_upper)
    cost = np.zeros(n + m)
    cost[:n] = -gain
    pos = np.full(n + m, -1)
    xb = np.zeros(m)
    d = np.zeros(n + m)
    b = np.empty(m)
    counter = np.zeros(1, dtype=np.int64)
    out = np.full(len(masks), FAILED)
    ready = basic[0] >= 0
    if ready:
        for p in range(m):
            pos[basic[p]] = p
        duals(n, start, index, value, cost, basic, binv, d)
    for k in range(len(masks)):
        if not ready:
            pos[:] = -1
            for p in range(m):
                basic[p] = n + p
                pos[n + p] = p
            ready = refactor(n, start, index, value, cost, row_upper, basic, binv, xb, d) and (
                primal(n, start, index, value, cost, row_upper, basic, pos, binv, xb, d,
                       tol_p, tol_d))
            counter[0] = 0
            if not ready:
                break
        mask = masks[k]
        for i in range(m):
            b[i] = row_upper[i] if (mask >> row_member[i]) & 1 else 0.0
        matvec(binv, b, xb)
        if _dual(n, start, index, value, cost, b, basic, pos, binv, xb, d, tol_p, tol_d,
                 counter):
            total = 0.0
            for p in range(m):
                if basic[p] < n:
                    total += gain[basic[p]] * xb[p]
            out[k] = total
        else:
            ready = False
    if not ready:
        basic[:] = -1
    return out
