"""Shared LP helpers: solve ``opt c·x s.t. l ≤ A x ≤ u`` with HiGHS (through ``highspy``,
the whole model passed as arrays), CBC through PuLP as the fallback. The welfare LP of a
``Market`` is built on them in :mod:`fedsim.mechanisms.market_lp`.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
import warnings
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

SOLVERS = ("highs", "cbc")
_HIGHS_OPTIMAL = highspy.HighsModelStatus.kOptimal


class SolveError(RuntimeError):
    """An LP was infeasible, unbounded, or the solver failed; the message says which."""


@dataclass(frozen=True)
class LPSolution:
    """A solved generic LP. ``row_dual`` is d(objective)/d(active row bound)."""

    x: np.ndarray
    row_dual: np.ndarray
    objective: float
    status: str


@dataclass(frozen=True)
class Csc:
    """A column-wise sparse matrix as HiGHS takes it (no scipy in the hot path)."""

    n_row: int
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray

    @classmethod
    def of(cls, matrix: sp.spmatrix | Csc) -> Csc:
        if isinstance(matrix, Csc):
            return matrix
        a = sp.csc_matrix(matrix)
        a.sort_indices()
        return cls(a.shape[0], a.indptr, a.indices, a.data)

    @property
    def n_col(self) -> int:
        return len(self.start) - 1

    def to_scipy(self) -> sp.csc_matrix:
        return sp.csc_matrix((self.value, self.index, self.start), shape=(self.n_row, self.n_col))


def solve_lp(
    cost: np.ndarray,
    matrix: sp.spmatrix | Csc,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray | None = None,
    col_upper: np.ndarray | None = None,
    *,
    maximize: bool = True,
    solver: str = "highs",
    fallback: bool = True,
    interior: bool = False,
    zero_feasible: bool = False,
) -> LPSolution:
    """Solve ``opt cost·x s.t. row_lower ≤ A x ≤ row_upper, col_lower ≤ x ≤ col_upper``.

    ``solver`` is ``"highs"`` (default; on failure CBC is tried when ``fallback``) or
    ``"cbc"``. ``interior`` asks HiGHS for its interior-point method without crossover:
    when the optimum is not unique, it returns a point inside the optimal face (as other
    interior-point solvers do) instead of a vertex. ``zero_feasible`` says ``x = 0`` is
    feasible (every row ``-inf ≤ A x ≤ u`` with ``u ≥ 0``, as in the welfare LP): HiGHS
    then runs primal simplex from the slack basis without presolve, which needs no phase
    one (2-3x faster on welfare LPs of 25 to 15,000 cells, same optimum; measured in
    benchmarks/README.md). Raises ``SolveError`` when no solver returns an optimum.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    n_col = len(cost)
    col_lower = np.zeros(n_col) if col_lower is None else np.asarray(col_lower, dtype=float)
    col_upper = np.full(n_col, np.inf) if col_upper is None else np.asarray(col_upper, dtype=float)
    args = (np.asarray(cost, dtype=float), Csc.of(matrix), np.asarray(row_lower, float),
            np.asarray(row_upper, float), col_lower, col_upper, maximize)
    if solver == "cbc":
        return _solve_cbc(*args)
    try:
        return _solve_highs(*args, interior=interior, zero_feasible=zero_feasible)
    except SolveError as highs_error:
        if not fallback:
            raise
        try:
            return _solve_cbc(*args)
        except SolveError as cbc_error:
            raise SolveError(f"{highs_error}; CBC fallback: {cbc_error}") from cbc_error


def highs_model(cost, a: Csc, row_lo, row_hi, col_lo, col_hi, maximize) -> highspy.Highs:
    """A silent ``Highs`` instance holding the LP (not yet run)."""
    h = new_highs()
    n_col = a.n_col
    # the flat overload copies the arrays once; building a HighsLp field by field costs
    # ~4x more (measured: 60 against 250 µs on a 150-cell market)
    status = h.passModel(
        n_col, a.n_row, len(a.value), _COLWISE, _MAXIMIZE if maximize else _MINIMIZE, 0.0,
        np.asarray(cost, dtype=float), np.asarray(col_lo, dtype=float),
        np.asarray(col_hi, dtype=float), np.asarray(row_lo, dtype=float),
        np.asarray(row_hi, dtype=float), np.asarray(a.start, dtype=np.int32),
        np.asarray(a.index, dtype=np.int32), np.asarray(a.value, dtype=float),
        np.zeros(n_col, dtype=np.int32),  # all continuous
    )
    if status != highspy.HighsStatus.kOk:
        raise SolveError(f"HiGHS rejected the model: {status}")
    return h


_COLWISE = int(highspy.MatrixFormat.kColwise)
_PRIMAL_SIMPLEX = 4  # HiGHS's simplex_strategy: 1 dual, 4 primal
_MAXIMIZE = int(highspy.ObjSense.kMaximize)
_MINIMIZE = int(highspy.ObjSense.kMinimize)


@functools.cache
def _first_highs_made() -> bool:
    """HiGHS prints a banner to the C-level stdout when the process's first ``Highs`` is
    built, before any option can be set; build that one with stdout pointed at
    /dev/null so that fedsim's stdout carries only fedsim's output."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()
            _quiet_and_serial(h)
            _libc_flush()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return True


def _libc_flush() -> None:
    with contextlib.suppress(OSError, AttributeError):  # no C library (not Linux/macOS)
        ctypes.CDLL(None).fflush(None)


# highspy.Highs is a Python subclass that wires every HiGHS callback back into Python;
# fedsim uses none, and the bare class is ~30 µs cheaper to make (results identical)
_BareHighs = getattr(getattr(highspy, "_core", None), "_Highs", highspy.Highs)


def new_highs() -> highspy.Highs:
    """A silent, single-threaded ``Highs`` instance (no banner, no log)."""
    _first_highs_made()
    h = _BareHighs()
    _quiet_and_serial(h)
    return h


def _quiet_and_serial(h: highspy.Highs) -> None:
    # fedsim's LPs have tens to thousands of cells: HiGHS's thread pool costs more to
    # wake (~150 µs a run, measured) than it saves, and sweeps parallelise across runs.
    # HiGHS keeps one scheduler per process, so every instance must ask for the same count.
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)


def run_highs(h: highspy.Highs) -> None:
    """Run ``h``; raise ``SolveError`` unless it reaches an optimum."""
    h.run()
    status = h.getModelStatus()
    if status != _HIGHS_OPTIMAL:
        raise SolveError(f"HiGHS: {h.modelStatusToString(status)}")


def _solve_highs(
    cost, a: Csc, row_lo, row_hi, col_lo, col_hi, maximize, interior: bool = False,
    zero_feasible: bool = False,
) -> LPSolution:
    h = highs_model(cost, a, row_lo, row_hi, col_lo, col_hi, maximize)
    if interior:  # presolve would fix free variables at bounds: a vertex again
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
        h.setOptionValue("presolve", "off")
    elif zero_feasible:  # the slack basis is primal feasible: no phase one
        h.setOptionValue("simplex_strategy", _PRIMAL_SIMPLEX)
        h.setOptionValue("presolve", "off")
    run_highs(h)
    sol = h.getSolution()
    return LPSolution(
        x=np.asarray(sol.col_value, dtype=float),
        row_dual=np.asarray(sol.row_dual, dtype=float),
        objective=float(h.getInfo().objective_function_value),
        status="optimal",
    )


def _solve_cbc(cost, a: Csc, row_lo, row_hi, col_lo, col_hi, maximize) -> LPSolution:
    import pulp  # the fallback only: keep HiGHS-only runs free of the import

    prob = pulp.LpProblem("fedsim", pulp.LpMaximize if maximize else pulp.LpMinimize)
    add = getattr(prob, "add_variable", None) or pulp.LpVariable  # PuLP ≥ 3.3 / older
    xs = [
        add(f"x{j}", None if np.isneginf(lo) else lo, None if np.isposinf(hi) else hi)
        for j, (lo, hi) in enumerate(zip(col_lo.tolist(), col_hi.tolist(), strict=True))
    ]
    prob += pulp.LpAffineExpression([(xs[j], c) for j, c in enumerate(cost.tolist()) if c != 0])
    csr = a.to_scipy().tocsr()
    rows: list[list[pulp.LpConstraint]] = []
    for k in range(csr.shape[0]):
        lo, hi = float(row_lo[k]), float(row_hi[k])
        span = slice(csr.indptr[k], csr.indptr[k + 1])
        expr = pulp.LpAffineExpression(
            list(zip((xs[j] for j in csr.indices[span]), csr.data[span].tolist(), strict=True))
        )
        made = []
        if lo == hi:
            made.append(pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"e{k}", hi))
        else:
            if np.isfinite(hi):
                made.append(pulp.LpConstraint(expr, pulp.LpConstraintLE, f"u{k}", hi))
            if np.isfinite(lo):
                made.append(pulp.LpConstraint(expr, pulp.LpConstraintGE, f"l{k}", lo))
        for con in made:
            prob += con
        rows.append(made)
    try:
        with warnings.catch_warnings():
            # PuLP 3.3 deprecates the bundled CBC for 4.0; it is still the one shipped
            warnings.simplefilter("ignore", DeprecationWarning)
            code = prob.solve(pulp.PULP_CBC_CMD(msg=False))
    except pulp.PulpSolverError as exc:
        raise SolveError(f"CBC: {exc}") from exc
    status = pulp.LpStatus.get(code, str(code))
    if status != "Optimal" or prob.sol_status != pulp.LpSolutionOptimal:
        raise SolveError(f"CBC: {status}")
    x = np.array([v.varValue or 0.0 for v in xs], dtype=float)
    duals = np.zeros(csr.shape[0])
    for k, made in enumerate(rows):
        # at most one side of a ranged row is active, so the duals just add
        duals[k] = sum(float(con.pi or 0.0) for con in made)
    return LPSolution(x=x, row_dual=duals, objective=float(cost @ x), status="optimal")
