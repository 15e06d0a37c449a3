"""The dense basis of the compiled simplexes (:mod:`.coalition_simplex`,
:mod:`.dense_primal`): its inverse, pivots and certificate.

The basis inverse ``binv`` is a dense ``m × m`` array (m ≈ 100 rows for a 10-member
market); the constraint matrix ``A`` is column-wise sparse (``start``, ``index``,
``value``), and variable ``j ≥ n`` is the slack of row ``j − n``. Loops are written out:
inside compiled code a call per column would pay reference counting on every array
argument, and BLAS/LAPACK would wake OpenBLAS's thread pool, whose spinning threads
cost more CPU than these small products.

These functions are compiled into :func:`.coalition_simplex.coalition_sweep`'s and
:func:`.dense_primal.welfare_simplex`'s on-disk caches, which numba keys on *their*
files only: after editing this one, clear ``fedsim/mechanisms/__pycache__/`` of
``coalition_simplex*`` and ``dense_primal*`` (users' installs are unaffected: an
upgrade rewrites every file).
"""

from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

PIVOT_TOL = 1e-9


@register_jitable
def ftran(binv, j, n, start, index, value, w):
    m = binv.shape[0]
    if j >= n:
        for i in range(m):
            w[i] = binv[i, j - n]
        return
    for i in range(m):
        w[i] = 0.0
    for k in range(start[j], start[j + 1]):
        row = index[k]
        a = value[k]
        for i in range(m):
            w[i] += binv[i, row] * a


@register_jitable
def invert(mat, out):
    """Gauss-Jordan inverse with partial pivoting; False when (nearly) singular.

    Written out rather than ``np.linalg.inv`` (see the module docstring)."""
    m = mat.shape[0]
    out[:, :] = 0.0
    for i in range(m):
        out[i, i] = 1.0
    for c in range(m):
        p = c
        big = abs(mat[c, c])
        for i in range(c + 1, m):
            if abs(mat[i, c]) > big:
                big = abs(mat[i, c])
                p = i
        if big < 1e-12:
            return False
        if p != c:
            for k in range(m):
                mat[c, k], mat[p, k] = mat[p, k], mat[c, k]
                out[c, k], out[p, k] = out[p, k], out[c, k]
        inv = 1.0 / mat[c, c]
        for k in range(m):
            mat[c, k] *= inv
            out[c, k] *= inv
        for i in range(m):
            f = mat[i, c]
            if i != c and f != 0.0:
                for k in range(c, m):
                    mat[i, k] -= f * mat[c, k]
                for k in range(m):
                    out[i, k] -= f * out[c, k]
    return True


@register_jitable
def matvec(binv, b, out):
    m = binv.shape[0]
    for i in range(m):
        s = 0.0
        for k in range(m):
            s += binv[i, k] * b[k]
        out[i] = s


@register_jitable
def duals(n, start, index, value, cost, basic, binv, d):
    """y = c_B B⁻¹ and the reduced costs d = c − yA (0 on the basis); returns y."""
    m = binv.shape[0]
    y = np.zeros(m)
    for p in range(m):
        c = cost[basic[p]]
        if c != 0.0:
            for k in range(m):
                y[k] += c * binv[p, k]
    for j in range(n):
        s = 0.0
        for k in range(start[j], start[j + 1]):
            s += y[index[k]] * value[k]
        d[j] = cost[j] - s
    for i in range(m):
        d[n + i] = cost[n + i] - y[i]
    for p in range(m):
        d[basic[p]] = 0.0
    return y


@register_jitable
def refactor(n, start, index, value, cost, b, basic, binv, xb, d):
    """Fresh inverse of the basis, then x_B = B⁻¹b and the reduced costs."""
    m = binv.shape[0]
    mat = np.zeros((m, m))
    for p in range(m):
        j = basic[p]
        if j >= n:
            mat[j - n, p] = 1.0
        else:
            for k in range(start[j], start[j + 1]):
                mat[index[k], p] = value[k]
    if not invert(mat, binv):
        return False
    matvec(binv, b, xb)
    duals(n, start, index, value, cost, basic, binv, d)
    return True


@register_jitable
def certified(n, start, index, value, cost, b, basic, binv, xb, d, tol_p, tol_d):
    """An optimality certificate that does not trust the updated inverse: B x_B = b and
    y B = c_B with the basis's own columns, x_B ≥ 0 and d = c − yA ≥ 0 (fresh)."""
    m = binv.shape[0]
    y = duals(n, start, index, value, cost, basic, binv, d)
    res = b.copy()
    worst_dual = 0.0
    for p in range(m):
        j = basic[p]
        if xb[p] < -tol_p:
            return False
        if j >= n:
            res[j - n] -= xb[p]
            worst_dual = max(worst_dual, abs(y[j - n] - cost[j]))
        else:
            s = 0.0
            for k in range(start[j], start[j + 1]):
                res[index[k]] -= value[k] * xb[p]
                s += y[index[k]] * value[k]
            worst_dual = max(worst_dual, abs(s - cost[j]))
    if np.max(np.abs(res)) > tol_p or worst_dual > tol_d:
        return False
    return np.min(d) >= -tol_d


@register_jitable
def pivot(r, q, n, start, index, value, basic, pos, binv, xb, d, alpha, w):
    """Basis change: ``q`` enters at row ``r`` (``alpha`` holds row r of B⁻¹A)."""
    m = binv.shape[0]
    ftran(binv, q, n, start, index, value, w)
    piv = w[r]
    step = d[q] / alpha[q]
    for j in range(n + m):
        if pos[j] < 0 and alpha[j] != 0.0:
            d[j] -= step * alpha[j]
    leaving = basic[r]
    d[q] = 0.0
    d[leaving] = -step
    theta = xb[r] / piv
    for i in range(m):
        xb[i] -= theta * w[i]
    xb[r] = theta
    for c in range(m):
        binv[r, c] /= piv
    for i in range(m):
        wi = w[i]
        if i != r and wi != 0.0:
            for c in range(m):
                binv[i, c] -= wi * binv[r, c]
    basic[r] = q
    pos[q] = r
    pos[leaving] = -1
    return abs(step) > 0.0


@register_jitable
def price_row(r, n, start, index, value, pos, binv, alpha):
    """Row r of B⁻¹A over the nonbasic columns (loops written out: a call per column
    would cost reference counting on every array argument)."""
    m = binv.shape[0]
    for j in range(n):
        if pos[j] >= 0:
            alpha[j] = 0.0
        else:
            s = 0.0
            for k in range(start[j], start[j + 1]):
                s += binv[r, index[k]] * value[k]
            alpha[j] = s
    for i in range(m):
        alpha[n + i] = 0.0 if pos[n + i] >= 0 else binv[r, i]
