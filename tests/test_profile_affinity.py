"""Affinity from a calibration profile, checked against the model computed by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
    # whole-gang steps/s, the table's convention: 2 workers each do a local step per step
    assert table.steps_per_s("rec", "v100", 2) == pytest.approx(2 / step2, rel=1e-6)
    # 8 GPUs on 2 nodes: the ring crosses the 25 Gbps, 0.05 ms network
    s8 = 5e-5 + 2 * (7 / 8) * 8 * 4e6 / 25e9
    step8 = c / 3 + ((2 * c / 3) ** 2 + s8**2) ** 0.5
    assert table.steps_per_s("rec", "v100", 8) == pytest.approx(8 / step8, rel=1e-6)


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


C_PER_SAMPLE = 0.16 / 15.7  # the roofline scale from the profiled CPU to a V100 (above)


def _compute(b: int) -> float:
    return (0.01 + 0.001 * b) * C_PER_SAMPLE


def _mva_steps_per_s(z: float, d: float, servers: int, n: int) -> float:
    """Closed network by hand: n workers thinking z s (compute), then one visit to each of
    ``servers`` FCFS stations of demand d (its shard's push + pull); X(n) by the exact
    MVA recursion R = d(1 + Q), X = k / (z + Σ R), Q = X·R."""
    q = 0.0
    x = 0.0
    for k in range(1, n + 1):
        r = d * (1.0 + q)
        x = k / (z + servers * r)
        q = x * r
    return x


def test_batch_and_server_variants_match_the_hand_model(tmp_path: Path) -> None:
    table = affinity_from_profile(_spec(_profile(tmp_path / "p.csv")), {(128, 0), (0, 2)})
    assert table.job_types == ("rec", "rec/64/ps2", "rec/128")  # own type first
    # another local batch: one worker's step is the compute at that batch
    assert table.steps_per_s("rec/128", "v100", 1) == pytest.approx(1 / _compute(128), rel=1e-6)
    # 2 servers over the 25 Gbps network, each carrying half of the 4 MB gradient there and
    # back: d = 8 · 2 · 4e6 / 2 / 25e9 = 1.28 ms; one worker waits for both: c + 2d
    d = 8 * 2 * 4e6 / 2 / 25e9
    c = _compute(64)
    assert table.steps_per_s("rec/64/ps2", "v100", 1) == pytest.approx(1 / (c + 2 * d), rel=1e-6)
    # four workers queue at the servers: the MVA throughput (whole gang, local steps/s)
    assert table.steps_per_s("rec/64/ps2", "v100", 4) == pytest.approx(
        _mva_steps_per_s(c, d, 2, 4), rel=1e-6)


def _profile_scenario(profile: Path, configuration: dict | None) -> dict:
    dnn = {"rate_per_h": 20, "gpu_mix": {1: 1.0}, "job_type_mix": {"rec": 1.0},
           "duration": {"dist": "lognormal", "median_s": 3600, "sigma": 0.5}}  # fmt: skip
    if configuration is not None:
        dnn["configuration"] = configuration
    spec = _spec(profile).model_dump()
    return {"name": "ps", "seed": 3, "horizon_s": 43200,
            "affinity": {"reference_gpu": "v100", "dataset_gb": 0, "profile": spec},
            "federation": {"mechanism": {"name": "isolated"}, "epoch_s": 600},
            "providers": [{"name": "p", "pools": {"gpu:v100": 8},
                           "prices": {"dnn_usd_per_gpu_h": 1.0}, "dnn": dnn}]}  # fmt: skip


def test_a_job_given_one_server_runs_the_servers_step_time(tmp_path: Path) -> None:
    """Stated: batch 64, all-reduce, one worker (step c). Forced to one server: a step is
    c + d with d = 8 · 2 · 4e6 / 25e9 = 2.56 ms, so every job runs d0 · (c + d) / c; the
    run draws the same jobs either way."""
    from fedsim.config import scenario_from_dict
    from fedsim.engine.build import build_world

    profile = _profile(tmp_path / "p.csv")
    fixed = build_world(scenario_from_dict(_profile_scenario(profile, None))).jobs
    ps = build_world(scenario_from_dict(_profile_scenario(
        profile, {"workers": [1, 1], "ps": [1, 1]}))).jobs
    assert len(fixed) > 100 and np.array_equal(fixed.arrival_s, ps.arrival_s)
    assert {ps.job_types[t] for t in ps.job_type} == {"rec/64/ps1"}
    c, d = _compute(64), 8 * 2 * 4e6 / 25e9
    assert np.allclose(ps.ref_duration_s, fixed.ref_duration_s * (c + d) / c)
    # free to choose 0–4 servers, fastest keeps the all-reduce: one worker has nothing to
    # reduce, and any server adds its transfer to the step
    free = build_world(scenario_from_dict(_profile_scenario(
        profile, {"workers": [1, 1], "ps": [0, 4]}))).jobs
    assert {free.job_types[t] for t in free.job_type} == {"rec"}
    assert np.allclose(free.ref_duration_s, fixed.ref_duration_s)
