"""Affinity from a calibration profile, checked against the model computed by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fedsim.api import run
from fedsim.config import load_scenario
from fedsim.config.schema import ProfileAffinity
from fedsim.errors import ScenarioError
from fedsim.world.profile_affinity import affinity_from_profile

PROVENANCE = {
    "device_name": "test cpu",
    "torch_version": "x",
    "threads": 2,
    "date": "2026-11-22",
    "fedsim_version": "0.1.0",
}


def _profile(path: Path) -> Path:
    rows = []
    for b in (1, 2, 4, 8, 16, 32, 64, 128, 256):  # compute exactly 0.01 + 0.001·b seconds
        rows.append(
            {
                "kind": "compute",
                "model": "mlp",
                "device": "cpu",
                "batch_size": b,
                "n_workers": 1,
                "message_bytes": 4e6,
                "time_s": 0.01 + 0.001 * b,
            }
        )
    for m in (1e3, 1e5, 1e7):  # a 2-process ring at 1e-4 s + 2·(1/2)·8m/10 Gbps
        rows.append(
            {
                "kind": "allreduce",
                "model": "gloo",
                "device": "cpu",
                "batch_size": 0,
                "n_workers": 2,
                "message_bytes": m,
                "time_s": 1e-4 + 8 * m / 10e9,
            }
        )
    frame = pd.DataFrame(rows).assign(iqr_over_median=0.01, repeats=5, **PROVENANCE)
    frame.to_csv(path, index=False)
    return path


def _spec(path: Path) -> ProfileAffinity:
    return ProfileAffinity(
        path=str(path),
        jobs={"rec": {"model": "mlp", "batch_size": 64}},
        gpu_types=("v100",),
        device_specs={"cpu": {"peak_tflops": 0.16, "memory_bandwidth_gbytes_per_s": 20}},
        max_workers=8,
        gpus_per_node=4,
    )


def test_steps_per_s_match_the_hand_model(tmp_path: Path) -> None:
    table = affinity_from_profile(_spec(_profile(tmp_path / "p.csv")))
    # compute on the CPU at batch 64: 0.074 s. Roofline at the default intensity 30 FLOP/B:
    # cpu min(0.16, 30·20e-3) = 0.16 TFLOP/s, V100 min(15.7, 30·0.9) = 15.7 → c = 0.074·0.16/15.7
    c = 0.074 * 0.16 / 15.7
    assert table.steps_per_s("rec", "v100", 1) == pytest.approx(1 / c, rel=1e-6)
    # 2 GPUs in one node: intra-node ring 2e-5 s + 2·(1/2)·8·4e6 bit / 100 Gbps = 3.4e-4 s,
    # overlapped with the backward 2/3 of compute (γ = 2): c/3 + sqrt((2c/3)² + s²)
    s2 = 2e-5 + 8 * 4e6 / 100e9
    step2 = c / 3 + ((2 * c / 3) ** 2 + s2**2) ** 0.5
    assert table.steps_per_s("rec", "v100", 2) == pytest.approx(1 / step2, rel=1e-6)
    # 8 GPUs on 2 nodes: the ring crosses the 25 Gbps, 0.05 ms network
    s8 = 5e-5 + 2 * (7 / 8) * 8 * 4e6 / 25e9
    step8 = c / 3 + ((2 * c / 3) ** 2 + s8**2) ** 0.5
    assert table.steps_per_s("rec", "v100", 8) == pytest.approx(1 / step8, rel=1e-6)


def test_profile_errors_name_the_yaml_path(tmp_path: Path) -> None:
    profile = _profile(tmp_path / "p.csv")
    bad_model = ProfileAffinity.model_validate(
        {**_spec(profile).model_dump(), "jobs": {"rec": {"model": "gpt", "batch_size": 8}}}
    )
    with pytest.raises(ScenarioError, match=r"affinity.profile.jobs.rec.model: 'gpt'"):
        affinity_from_profile(bad_model)
    no_spec = ProfileAffinity.model_validate({**_spec(profile).model_dump(), "device_specs": {}})
    with pytest.raises(ScenarioError, match="no datasheet figures for cpu"):
        affinity_from_profile(no_spec)


def test_shipped_calibrated_scenario_runs(repo_root: Path) -> None:
    sc = load_scenario(repo_root / "scenarios" / "calibrated.yaml", ["horizon_s=43200"])
    result = run(sc, baseline=False)
    assert result.summary["federation"]["jobs_moved"] >= 0
    assert result.jobs["status"].eq("finished").any()
