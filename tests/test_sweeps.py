"""The sweep runner: stable keys, resumability (a deleted result, and only it, runs
again), determinism whatever the number of workers, and failures that lose nothing."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from fedsim.config import scenario_from_dict
from fedsim.errors import FedsimError
from fedsim.sweeps import InlineBackend, LocalBackend, RunSpec, RunStore, run_specs
from tests.helpers.scenarios import two_provider_dict


def _scenario(**kw):
    return scenario_from_dict(two_provider_dict(horizon_s=6 * 3600, **kw))


def _specs() -> list[RunSpec]:
    sc = _scenario()
    return [RunSpec.make(sc, m, seed=s) for m in ("lp_welfare", "isolated") for s in (1, 2)]


def _without_timing(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "timing"}


def test_keys_are_stable_and_name_the_run() -> None:
    a = RunSpec.make(_scenario(), "shapley", seed=3)
    b = RunSpec.make(_scenario(), "shapley", seed=3)
    assert a.key == b.key and len(a.key) == 20
    assert RunSpec.make(_scenario(), "shapley", seed=4).key != a.key
    assert RunSpec.make(_scenario(), "shapley", seed=3, params={"seed": 1}).key != a.key
    assert RunSpec.make(_scenario(), "shapley", seed=3, members=("gpu_rich",)).key != a.key
    # the scenario's own seed field does not matter once the spec sets the seed
    assert RunSpec.make(_scenario(seed=99), "shapley", seed=3).key == a.key


def test_resume_runs_only_what_is_missing(tmp_path: Path) -> None:
    specs = _specs()
    first = run_specs(specs, tmp_path, backend=InlineBackend(), progress=False)
    assert sorted(first.ran) == sorted(s.key for s in specs) and first.skipped == ()
    # results come back in spec order, not completion order
    in_order = sorted(specs, key=lambda s: s.sort_key)
    assert [r.key for r in first.records] == [s.key for s in in_order]

    again = run_specs(specs, tmp_path, backend=InlineBackend(), progress=False)
    assert again.ran == () and len(again.skipped) == len(specs)

    store = RunStore(tmp_path)
    victim = specs[1].key
    stamps = {k: (store.path(k) / "result.json").stat().st_mtime_ns for k in store.finished()}
    for f in store.path(victim).iterdir():
        f.unlink()
    store.path(victim).rmdir()
    third = run_specs(specs, tmp_path, backend=InlineBackend(), progress=False)
    assert third.ran == (victim,)
    for key, stamp in stamps.items():
        if key != victim:  # the others were not rewritten
            assert (store.path(key) / "result.json").stat().st_mtime_ns == stamp
    rerun = third.by_key()[victim].result
    assert _without_timing(rerun) == _without_timing(first.by_key()[victim].result)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".fedsim-tmp")]  # no temp dirs


def test_one_worker_and_two_workers_give_identical_results(tmp_path: Path) -> None:
    specs = _specs()
    one = run_specs(specs, tmp_path / "one", backend=InlineBackend(), progress=False)
    two = run_specs(specs, tmp_path / "two", backend=LocalBackend(2), progress=False)
    assert [r.key for r in one.records] == [r.key for r in two.records]
    for a, b in zip(one.records, two.records, strict=True):
        assert json.dumps(_without_timing(a.result), sort_keys=True) == json.dumps(
            _without_timing(b.result), sort_keys=True
        )
        for name in ("providers", "epochs"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(tmp_path / "one" / a.key / f"{name}.parquet"),
                pd.read_parquet(tmp_path / "two" / b.key / f"{name}.parquet"),
            )


def test_a_failing_run_loses_none_of_the_others(tmp_path: Path) -> None:
    sc = _scenario()
    good = RunSpec.make(sc, "isolated", seed=1)
    bad = RunSpec.make(sc, "lp_welfare", seed=1, params={"solver": "no_such_solver"})
    with pytest.raises(FedsimError, match=r"1 of 2 runs failed.*no_such_solver"):
        run_specs([bad, good], tmp_path, backend=InlineBackend(), progress=False)
    assert RunStore(tmp_path).finished() == [good.key]


def test_stored_result_has_the_summary_and_tables(tmp_path: Path) -> None:
    spec = RunSpec.make(_scenario(), "lp_welfare", seed=1)
    run_specs([spec], tmp_path, backend=InlineBackend(), progress=False)
    record = RunStore(tmp_path).load(spec.key, tables=True)
    assert record.spec["mechanism"] == "lp_welfare" and record.spec["seed"] == 1
    assert set(record.result["profits_usd"]) == {"gpu_rich", "cpu_rich"}
    assert set(record.tables) == {"providers", "epochs"}
    assert record.tables["providers"]["profit_usd"].sum() == pytest.approx(
        sum(record.result["profits_usd"].values())
    )


@pytest.mark.skipif(not sys.platform.startswith("linux")
                    or "forkserver" not in multiprocessing.get_all_start_methods(),
                    reason="workers are spawned off Linux")
def test_pool_workers_start_with_fedsim_and_its_kernels_loaded() -> None:
    """Workers are forked from a server that imported fedsim and loaded the compiled LP
    kernels once: neither is imported again per worker (a spawned worker would have
    neither before its first item)."""
    from fedsim.sweeps.pool import ProcessPool
    from tests.helpers.ray_tasks import loaded

    modules = ["fedsim.api", "fedsim.mechanisms.dense_primal",
               "fedsim.mechanisms.coalition_simplex"]
    replies = {k: value for k, value, error in ProcessPool(2).map_unordered(loaded, modules)
               if error is None}
    assert sorted(replies) == [0, 1, 2]
    assert all(was_loaded for _pid, was_loaded in replies.values())
    assert os.getpid() not in {pid for pid, _ in replies.values()}


def test_pool_workers_see_the_environment_of_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable set after the pool's first use (the fork server already running, with
    the environment it started with) still reaches the next workers, as under spawn."""
    from fedsim.sweeps.pool import ProcessPool
    from tests.helpers.ray_tasks import environ, square

    assert [v for _k, v, _e in ProcessPool(1).map_unordered(square, [3])] == [9]
    monkeypatch.setenv("FEDSIM_TEST_LATE", "set later")
    monkeypatch.delenv("FEDSIM_WEB_THREADS", raising=False)
    got = {k: v for k, v, _e in ProcessPool(2).map_unordered(
        environ, ["FEDSIM_TEST_LATE", "FEDSIM_WEB_THREADS"])}
    assert got == {0: "set later", 1: "1"}  # and one web thread per worker by default
