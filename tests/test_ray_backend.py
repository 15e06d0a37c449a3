"""The Ray backend against a real local Ray: the same results as the local backend,
a killed worker retried, a raising run reported without retry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from fedsim.sweeps import LocalBackend, RunSpec, run_specs  # noqa: E402
from fedsim.sweeps.backend import make_backend  # noqa: E402
from fedsim.sweeps.ray_backend import RayBackend  # noqa: E402
from tests.helpers import ray_tasks  # noqa: E402
from tests.test_sweeps import _scenario, _without_timing  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    RayBackend(2)._connect()  # one private Ray for the module (started on loopback)
    yield
    ray.shutdown()


def test_same_results_as_the_local_backend(tmp_path: Path, local_ray) -> None:
    sc = _scenario()
    specs = [RunSpec.make(sc, m, seed=s) for m in ("lp_welfare", "shapley") for s in (1, 2)]
    local = run_specs(specs, tmp_path / "local", backend=LocalBackend(2), progress=False)
    on_ray = run_specs(specs, tmp_path / "ray", backend=RayBackend(2), progress=False)
    assert [r.key for r in local.records] == [r.key for r in on_ray.records]
    for a, b in zip(local.records, on_ray.records, strict=True):
        assert json.dumps(_without_timing(a.result), sort_keys=True) == json.dumps(
            _without_timing(b.result), sort_keys=True)
        for name in ("providers", "epochs"):
            assert (tmp_path / "local" / a.key / f"{name}.parquet").read_bytes() == (
                tmp_path / "ray" / b.key / f"{name}.parquet").read_bytes()


def test_outcomes_come_back_by_index(local_ray) -> None:
    got = dict(RayBackend(2).map_unordered(ray_tasks.square, [3, 1, 2]))
    assert {k: o.value for k, o in got.items()} == {0: 9, 1: 1, 2: 4}


def test_a_killed_worker_is_retried(tmp_path: Path, local_ray) -> None:
    marker = tmp_path / "attempts"
    [(_k, out)] = list(RayBackend(2).map_unordered(ray_tasks.die_once, [str(marker)]))
    assert out.error is None and out.value == "survived"
    assert marker.read_text().count("attempt") == 2


def test_a_raising_run_is_reported_not_retried(tmp_path: Path, local_ray) -> None:
    marker = tmp_path / "attempts"
    [(_k, out)] = list(RayBackend(2).map_unordered(ray_tasks.raise_and_count, [str(marker)]))
    assert isinstance(out.error, ValueError) and "a bad run" in str(out.error)
    assert marker.read_text().count("attempt") == 1


def test_address_only_with_ray() -> None:
    from fedsim.errors import FedsimError

    with pytest.raises(FedsimError, match="--address is for --backend ray"):
        make_backend("local", 2, address="auto")


def test_a_sweep_gives_the_same_table_on_ray(tmp_path: Path, local_ray) -> None:
    """The sweep table (timings aside) is identical whatever the backend and workers."""
    from fedsim.sweeps.sweep import run_sweep
    from tests.test_sweep_cmd import SWEEP, _files

    path = _files(tmp_path, {**SWEEP, "seeds": 1})
    local, _ = run_sweep(path, tmp_path / "local", backend=LocalBackend(1), progress=False)
    on_ray, _ = run_sweep(path, tmp_path / "ray", backend=RayBackend(2), progress=False)
    assert local.drop(columns="wall_s").equals(on_ray.drop(columns="wall_s"))
