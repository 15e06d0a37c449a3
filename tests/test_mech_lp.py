"""The shared welfare LP, ``isolated`` and ``lp_welfare`` on a hand-solved market.

Hand derivation for ``gpu_cpu_market()`` (fedsim/mechanisms/examples.py):

    A: 10 GPU, 2 CPU     B: 2 GPU, 10 CPU     GPU cost 1, CPU cost 0.2 (both)
    A owns dnn_A (6 units) and web_A (8);  B owns dnn_B (8) and web_B (6)
    value 3 per GPU-unit (dnn), 1 per CPU-unit (web); WAN 0.5 (dnn), 0.1 (web) off-owner

Gains g = v − c − w: dnn at home 3 − 1 = 2, dnn remote 1.5; web home 0.8, remote 0.7.

GPU side (14 units wanted, 12 exist, so every GPU is used and only the number of
remote units matters, 2 − 1.5 = 0.5 lost on each): dnn_A 6 at A, dnn_B 2 at B,
and the 4 GPUs left at A go to dnn_B remotely (any other plan sends more remote).
Welfare 6·2 + 2·2 + 4·1.5 = 22. Duals: dnn_B is short (6 of 8) so u_dnnB = 0;
then x(dnn_B,A) > 0 gives y_A,gpu = 1.5, x(dnn_B,B) > 0 gives y_B,gpu = 2, and
x(dnn_A,A) > 0 gives u_dnnA = 2 − 1.5 = 0.5 (dnn_A at B: 0.5 + 2 ≥ 1.5 holds).
CPU side, mirror image: web_B 6 at B, web_A 2 at A and 4 at B; welfare
6·0.8 + 2·0.8 + 4·0.7 = 9.2; u_webA = 0, y_A,cpu = 0.8, y_B,cpu = 0.7, u_webB = 0.1.
v(N) = 31.2. The optimum is non-degenerate, so allocation and duals are unique.

Prices p = c + y: A gpu 2.5, A cpu 1.0, B gpu 3.0, B cpu 0.9. B pays A 4·2.5 = 10
for the GPUs, A pays B 4·0.9 = 3.6 for the cores. Payoffs (Owen: Σ u·n + Σ y·q):
A = 0.5·6 + 1.5·10 + 0.8·2 = 19.6;  B = 0.1·6 + 2·2 + 0.7·10 = 11.6.
Isolated: v(A) = 6·2 + 2·0.8 = 13.6, v(B) = 2·2 + 6·0.8 = 8.8.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fedsim.market.types import Market
from fedsim.mechanisms import (
    CoalitionValues,
    SolveError,
    coalition_value,
    dense_primal,
    make,
    market_lp,
)
from fedsim.mechanisms import lp as lp_mod
from fedsim.mechanisms.conformance import random_market
from fedsim.mechanisms.examples import gpu_cpu_market
from fedsim.mechanisms.lp import solve_lp
from fedsim.mechanisms.market_lp import solve_welfare

DNN_A, WEB_A, DNN_B, WEB_B = range(4)
A, B = 0, 1
GPU, CPU = 0, 1


def test_lp_welfare_hand_solved_allocation_duals_and_payments() -> None:
    market = gpu_cpu_market()
    clearing = make("lp_welfare").clear(market)
    x = clearing.allocation_units
    expected = np.zeros((4, 2, 2))
    expected[DNN_A, A, GPU] = 6
    expected[DNN_B, B, GPU] = 2
    expected[DNN_B, A, GPU] = 4
    expected[WEB_A, A, CPU] = 2
    expected[WEB_A, B, CPU] = 4
    expected[WEB_B, B, CPU] = 6
    np.testing.assert_allclose(x, expected, atol=1e-9)
    sol = solve_welfare(market)
    np.testing.assert_allclose(sol.capacity_dual_usd_per_unit_h, [[1.5, 0.8], [2.0, 0.7]])
    np.testing.assert_allclose(sol.demand_dual_usd_per_unit_h, [0.5, 0.0, 0.0, 0.1], atol=1e-9)
    assert sol.welfare_usd_per_h == pytest.approx(31.2)
    np.testing.assert_allclose(clearing.price_usd_per_unit_h, [[2.5, 1.0], [3.0, 0.9]])
    # payments owners make to hosts: B → A for 4 GPU-units, A → B for 4 cores
    b_pays_a = 4 * clearing.price_usd_per_unit_h[A, GPU]
    a_pays_b = 4 * clearing.price_usd_per_unit_h[B, CPU]
    assert (b_pays_a, a_pays_b) == pytest.approx((10.0, 3.6))
    np.testing.assert_allclose(clearing.transfer_usd_per_h, [0.0, 0.0])
    np.testing.assert_allclose(clearing.planned_payoff_usd_per_h(market), [19.6, 11.6])
    assert clearing.budget_balanced and clearing.status == "optimal"


def test_isolated_never_allocates_across_providers() -> None:
    market = gpu_cpu_market()
    clearing = make("isolated").clear(market)
    np.testing.assert_allclose(clearing.planned_payoff_usd_per_h(market), [13.6, 8.8])
    rng = np.random.default_rng(7)
    for k in range(20):
        m = random_market(rng, 4, 3, 12, epoch=k)
        x = make("isolated").clear(m).allocation_units
        remote = np.arange(4)[None, :] != m.demand_owner[:, None]
        assert np.all(x[remote] == 0.0)
        np.testing.assert_array_equal(make("isolated").clear(m).price_usd_per_unit_h, 0.0)


def test_coalition_values_match_restricted_markets() -> None:
    market = gpu_cpu_market()
    values = CoalitionValues(market)
    assert values({A}) == pytest.approx(13.6)
    assert values({B}) == pytest.approx(8.8)
    assert values({A, B}) == pytest.approx(31.2)
    np.testing.assert_allclose(values.all(), [0.0, 13.6, 8.8, 31.2])
    assert coalition_value(market, [A, B], solver="cbc") == pytest.approx(31.2)
    m = random_market(np.random.default_rng(3), 4, 3, 16)
    values = CoalitionValues(m)
    table = values.all()
    for mask in range(16):
        members = [i for i in range(4) if mask >> i & 1]
        if members:
            direct = solve_welfare(m.restrict(members)).welfare_usd_per_h
            assert table[mask] == pytest.approx(direct, abs=1e-7)


def test_highs_and_cbc_agree_on_objective_and_duals() -> None:
    market = gpu_cpu_market()
    h, c = solve_welfare(market, solver="highs"), solve_welfare(market, solver="cbc")
    assert h.welfare_usd_per_h == pytest.approx(c.welfare_usd_per_h)
    np.testing.assert_allclose(h.capacity_dual_usd_per_unit_h, c.capacity_dual_usd_per_unit_h)
    np.testing.assert_allclose(h.demand_dual_usd_per_unit_h, c.demand_dual_usd_per_unit_h)
    rng = np.random.default_rng(11)
    for _ in range(5):
        m = random_market(rng, 3, 2, 8)
        h, c = solve_welfare(m, solver="highs"), solve_welfare(m, solver="cbc")
        assert h.welfare_usd_per_h == pytest.approx(c.welfare_usd_per_h, abs=1e-6)
        # duals may differ on degenerate random instances; both must price the optimum
        for s in (h, c):  # demand groups' rows have right-hand side 1
            dual_obj = (s.demand_dual_usd_per_unit_h @ m.demand_units
                        + np.sum(s.capacity_dual_usd_per_unit_h * m.capacity_units)
                        + np.sum(s.group_dual_usd_per_h))
            assert dual_obj == pytest.approx(s.welfare_usd_per_h, abs=1e-6)


def test_empty_market_needs_no_solver(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kw: object) -> None:
        raise AssertionError("solver called on an empty market")

    monkeypatch.setattr(market_lp, "solve_lp", boom)
    no_demand = random_market(np.random.default_rng(0), 3, 2, 0)
    rich = gpu_cpu_market()
    no_capacity = Market(**{**vars(rich), "capacity_units": np.zeros((2, 2))})
    for m in (no_demand, no_capacity):
        for name in ("lp_welfare", "isolated"):
            c = make(name).clear(m)
            assert c.status == "empty"
            assert c.allocation_units.shape == (m.n_demand, m.n_providers, m.n_resources)
            assert not c.allocation_units.any()


def test_infeasible_lp_raises_solve_error() -> None:
    # x ≥ 0 and x ≤ −1 cannot both hold
    with pytest.raises(SolveError, match=r"HiGHS.*CBC"):
        solve_lp(np.array([1.0]), np.array([[1.0]]), np.array([-np.inf]), np.array([-1.0]))
    with pytest.raises(SolveError, match="CBC"):
        solve_lp(np.array([1.0]), np.array([[1.0]]), np.array([-np.inf]), np.array([-1.0]),
                 solver="cbc")


def test_failing_solver_raises_solve_error_and_cbc_is_the_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def highs_fails(h: object) -> None:
        raise SolveError("HiGHS: Solve error")

    monkeypatch.setattr(dense_primal, "MAX_DENSE_ROWS", 0)  # the HiGHS → CBC chain alone
    monkeypatch.setattr(lp_mod, "run_highs", highs_fails)
    market = gpu_cpu_market()
    # HiGHS fails, CBC answers
    assert make("lp_welfare").clear(market).info["welfare_usd_per_h"] == pytest.approx(31.2)

    def cbc_fails(*args: object) -> None:
        raise SolveError("CBC: Not Solved")

    monkeypatch.setattr(lp_mod, "_solve_cbc", cbc_fails)
    with pytest.raises(SolveError, match="CBC fallback"):
        make("lp_welfare").clear(market)


def test_solver_parameter_is_validated() -> None:
    from fedsim.errors import MechanismError

    with pytest.raises(MechanismError, match="solver"):
        make("lp_welfare", {"solver": "gurobi"})
    assert make("lp_welfare", {"solver": "cbc"}).clear(gpu_cpu_market()).info[
        "welfare_usd_per_h"
    ] == pytest.approx(31.2)


@pytest.mark.parametrize("dense_rows", [dense_primal.MAX_DENSE_ROWS, 0],
                         ids=["compiled", "highs-from-zero"])
def test_welfare_lp_from_zero_matches_default_highs_and_its_duals_price_the_optimum(
    monkeypatch: pytest.MonkeyPatch, dense_rows: int,
) -> None:
    # the welfare LP runs primal simplex from x = 0 (the compiled dense one, or HiGHS's
    # without presolve when that is off); HiGHS's default (presolve, dual simplex) is the
    # second method. Optima must agree; duals may differ on degenerate markets, so each
    # must be dual feasible and close the duality gap.
    rng = np.random.default_rng(23)
    markets = [random_market(rng, int(rng.integers(2, 7)), 3, int(rng.integers(2, 25)))
               for _ in range(60)]
    monkeypatch.setattr(dense_primal, "MAX_DENSE_ROWS", dense_rows)
    fast = [solve_welfare(m) for m in markets]
    monkeypatch.setattr(dense_primal, "MAX_DENSE_ROWS", 0)
    plain_solve = lp_mod.solve_lp
    monkeypatch.setattr(market_lp, "solve_lp",
                        lambda *a, **kw: plain_solve(*a, **{**kw, "zero_feasible": False}))
    for m, f in zip(markets, fast, strict=True):
        ref = solve_welfare(m)
        assert f.welfare_usd_per_h == pytest.approx(ref.welfare_usd_per_h, rel=1e-9, abs=1e-9)
        g = m.gain_usd_per_unit_h()
        usable = np.isfinite(g) & (g > 0) & (m.capacity_units > 0)[None] & (
            m.demand_units > 0)[:, None, None]
        group_dual = np.where(m.demand_group >= 0, m.group_share, 0.0) * np.append(
            f.group_dual_usd_per_h, 0.0)[m.demand_group]
        reduced = (f.demand_dual_usd_per_unit_h[:, None, None] + group_dual[:, None, None]
                   + m.need[:, None, :] * f.capacity_dual_usd_per_unit_h[None]) - g
        assert np.all(reduced[usable] >= -1e-7)  # dual feasible on every variable
        dual_obj = (f.demand_dual_usd_per_unit_h @ m.demand_units
                    + np.sum(f.capacity_dual_usd_per_unit_h * m.capacity_units)
                    + np.sum(f.group_dual_usd_per_h))
        assert dual_obj == pytest.approx(f.welfare_usd_per_h, abs=1e-6)
        x = f.allocation_units  # and primal feasible
        assert np.all(x.sum(axis=(1, 2)) <= m.demand_units + 1e-7)
        assert np.all(np.einsum("dir,dr->ir", x, m.need) <= m.capacity_units + 1e-7)


def test_compiled_welfare_lp_hands_over_to_highs_when_uncertified_or_too_large(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    plain_solve = lp_mod.solve_lp
    monkeypatch.setattr(market_lp, "solve_lp",
                        lambda *a, **kw: calls.append(1) or plain_solve(*a, **kw))
    market = gpu_cpu_market()
    assert make("lp_welfare").clear(market).info["welfare_usd_per_h"] == pytest.approx(31.2)
    assert calls == []  # 8 rows: the compiled simplex answered
    # a kernel that cannot certify its answer: HiGHS gives the hand-derived optimum
    monkeypatch.setattr(dense_primal, "welfare_simplex",
                        lambda *a: (False, np.full(len(a[3]), 99.0), np.zeros(len(a[4]))))
    assert make("lp_welfare").clear(market).info["welfare_usd_per_h"] == pytest.approx(31.2)
    assert calls == [1]
    # more rows in use than the dense inverse is worth: never offered to the kernel
    monkeypatch.setattr(dense_primal, "welfare_simplex", lambda *a: pytest.fail("kernel"))
    big = random_market(np.random.default_rng(5), 6, 3, dense_primal.MAX_DENSE_ROWS)
    assert solve_welfare(big).status == "optimal"
    assert calls == [1, 1]


def test_without_a_usable_numba_cache_highs_solves_everything(repo_root: Path) -> None:
    # numba refuses to define a cached kernel where no cache folder is writable (here
    # forced by allowing only zip-file locations): the LPs must still be solved, by HiGHS,
    # with one warning per kernel instead of a traceback
    code = (
        "from fedsim.mechanisms import make\n"
        "from fedsim.mechanisms.examples import gpu_cpu_market\n"
        "m = gpu_cpu_market()\n"
        "print(make('lp_welfare').clear(m).info['welfare_usd_per_h'])\n"
        "print(make('shapley').clear(m).status, make('vcg').clear(m).status)\n"
    )
    env = {**os.environ, "NUMBA_CACHE_LOCATOR_CLASSES": "ZipCacheLocator"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=repo_root, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["31.2", "optimal", "optimal"]  # the hand-derived v(N)
    assert "Traceback" not in proc.stderr
    for name in ("dense_primal", "coalition_simplex"):
        assert proc.stderr.count(f"compiled LP kernel '{name}' cannot load") == 1


def test_a_sweep_without_a_usable_numba_cache_warns_in_one_line_per_kernel(
    repo_root: Path, tmp_path: Path,
) -> None:
    """The same machine, through ``fedsim compare`` on 2 workers: the runs finish, and
    what the pool's processes say about the kernels is one line each, never a source
    excerpt (a fork server warns once for all its workers)."""
    from tests.helpers.scenarios import two_provider_dict, write

    scenario = write(two_provider_dict(horizon_s=6 * 3600), tmp_path / "s.yaml")
    env = {**os.environ, "NUMBA_CACHE_LOCATOR_CLASSES": "ZipCacheLocator",
           "PYTHONPATH": str(repo_root)}
    proc = subprocess.run(
        [sys.executable, "-m", "fedsim.cli.main", "compare", str(scenario), "--mechanisms",
         "vcg", "--seeds", "1", "--workers", "2", "-q", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "3 runs done" in proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines and all(ln.startswith("fedsim: warning: ") for ln in lines), proc.stderr
    for name in ("dense_primal", "coalition_simplex"):
        assert any(f"kernel '{name}' cannot load" in ln for ln in lines)


def test_warming_the_kernels_never_runs_highs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool's fork server warms the kernels before it forks workers; HiGHS started
    there would leave its thread pool half-copied in every worker."""
    from fedsim.mechanisms import compiled

    runs: list[object] = []
    real = lp_mod.run_highs
    monkeypatch.setattr(lp_mod, "run_highs", lambda h: (runs.append(h), real(h))[1])
    compiled.warm()
    assert runs == []
    # the counter does count HiGHS runs: the same market's LP straight to HiGHS
    monkeypatch.setattr(dense_primal, "MAX_DENSE_ROWS", 0)
    solve_welfare(gpu_cpu_market())
    assert len(runs) == 1
