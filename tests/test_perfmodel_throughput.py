"""The simulator-facing ThroughputModel: fitted from a profile, scaled across devices."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fedsim.errors import FedsimError
from fedsim.perfmodel.compute import LinearCompute, TabulatedCompute
from fedsim.perfmodel.crossdevice import KNOWN_DEVICES, CrossDeviceScaler, measured_rates
from fedsim.perfmodel.dataparallel import DataParallelModel, DataParallelParams
from fedsim.perfmodel.mva import ParameterServerModel
from fedsim.perfmodel.profile_fit import fit_profile
from fedsim.perfmodel.sync import RingAllReduce
from fedsim.perfmodel.throughput import ThroughputModel

PROVENANCE = {
    "iqr_over_median": 0.01,
    "repeats": 5,
    "device_name": "test cpu",
    "torch_version": "2.13.0",
    "threads": 4,
    "date": "2026-01-01T00:00:00+00:00",
    "fedsim_version": "0.1.0",
}
GRADIENT_BYTES = 4_000_000


def _profile() -> pd.DataFrame:
    """Compute rows T = 0.05 + 0.004·b; all-reduce rows of a 1 ms, 16 Gbit/s ring."""
    ring = RingAllReduce(latency_s=1e-3, bandwidth_gbps=16.0)
    rows = [
        {"kind": "compute", "model": "cnn", "device": "cpu", "batch_size": b, "n_workers": 1,
         "message_bytes": GRADIENT_BYTES, "time_s": 0.05 + 0.004 * b}
        for b in (4, 8, 16, 32, 64)
    ] + [
        {"kind": "allreduce", "model": "gloo", "device": "cpu", "batch_size": 0, "n_workers": k,
         "message_bytes": s, "time_s": float(ring.time_s(k, s))}
        for k in (2, 4) for s in (1e4, 1e6, 1e8)
    ] + [
        {"kind": "web", "model": "cnn", "device": "cpu", "batch_size": 1, "n_workers": 1,
         "message_bytes": 0, "time_s": 0.002}
    ]  # fmt: skip
    return pd.DataFrame([{**row, **PROVENANCE} for row in rows])


def test_fit_profile_recovers_compute_and_allreduce() -> None:
    model = fit_profile(_profile())
    tabulated = model.compute[("cnn", "cpu")]
    assert isinstance(tabulated, TabulatedCompute)
    # exactly linear measurements: the measured/model ratio is 1 everywhere
    assert tabulated.ratios == pytest.approx([1.0] * 5)
    assert float(tabulated.step_time_s(20.0)) == pytest.approx(0.05 + 0.004 * 20)
    compute = tabulated.base
    assert isinstance(compute, LinearCompute)
    assert compute.alpha_s == pytest.approx(0.05, rel=1e-6)
    assert compute.beta_s_per_sample == pytest.approx(0.004, rel=1e-6)
    assert model.allreduce["cpu"].latency_s == pytest.approx(1e-3, rel=1e-4)
    assert model.allreduce["cpu"].bandwidth_gbps == pytest.approx(16.0, rel=1e-4)
    assert model.gradient_bytes["cnn"] == GRADIENT_BYTES


def test_step_time_by_hand() -> None:
    model = fit_profile(_profile(), network=RingAllReduce(latency_s=5e-3, bandwidth_gbps=1.0))
    # one replica: the compute, 0.05 + 0.004·32 = 0.178 s
    assert model.step_time_s("cnn", "cpu", 32) == pytest.approx(0.178, rel=1e-6)
    assert model.steps_per_s("cnn", "cpu", 32) == pytest.approx(1 / 0.178, rel=1e-6)
    # 4 replicas on one node: sync = 1 ms + 1.5·3.2e7 bits / 16e9 = 0.004 s; γ = 2, φ = 1/3
    sync = 1e-3 + 1.5 * 8 * GRADIENT_BYTES / 16e9
    want = 0.178 / 3 + math.hypot(2 * 0.178 / 3, sync)
    assert model.step_time_s("cnn", "cpu", 32, 1, 4) == pytest.approx(want, rel=1e-6)
    # across 2 nodes the 1 Gbit/s network is the ring's bottleneck, with its 5 ms latency
    sync = 5e-3 + 1.5 * 8 * GRADIENT_BYTES / 1e9
    want = 0.178 / 3 + math.hypot(2 * 0.178 / 3, sync)
    assert model.step_time_s("cnn", "cpu", 32, 2, 4) == pytest.approx(want, rel=1e-6)
    assert model.samples_per_s("cnn", "cpu", 32, 2, 4) == pytest.approx(4 * 32 / want, rel=1e-6)


def test_parameter_server_step_uses_the_profiled_compute() -> None:
    model = fit_profile(_profile())
    ps = ParameterServerModel(GRADIENT_BYTES, 10.0)
    assert model.ps_step_time_s("cnn", "cpu", 32, 8, 2, 10.0) == pytest.approx(
        ps.step_time_s(0.178, 8, 2)
    )


def test_profile_errors_name_the_problem() -> None:
    with pytest.raises(FedsimError, match="missing column"):
        fit_profile(_profile().drop(columns=["time_s"]))
    bad = _profile().astype({"time_s": object})
    bad.loc[2, "time_s"] = "fast"
    with pytest.raises(FedsimError, match=r"line 4, column time_s"):
        fit_profile(bad)
    model = fit_profile(_profile())
    with pytest.raises(FedsimError, match="no network model"):
        model.step_time_s("cnn", "cpu", 32, 2, 4)
    with pytest.raises(FedsimError, match="no compute measurement"):
        model.step_time_s("lstm", "cpu", 32)
    with pytest.raises(ValueError):
        model.step_time_s("cnn", "cpu", 32, 4, 2)


def test_roofline_ratios_by_hand() -> None:
    scaler = CrossDeviceScaler()
    # compute-bound (I = 1000 FLOP/B): time scales with FP32 peaks, 4.37/15.7 from K80 to V100
    roof = CrossDeviceScaler(default_intensity_flop_per_byte=1000.0)
    assert roof.time_ratio("x", "k80", "v100") == pytest.approx(4.37 / 15.7)
    # memory-bound (I = 1): with memory bandwidths, 240/900
    mem = CrossDeviceScaler(default_intensity_flop_per_byte=1.0)
    assert mem.time_ratio("x", "k80", "v100") == pytest.approx(240 / 900)
    assert scaler.source("x", "k80", "v100") == "roofline"
    assert set(KNOWN_DEVICES) >= {"k80", "v100", "t4"}


def test_measured_ratio_wins_over_the_roofline() -> None:
    table = pd.DataFrame(
        {"job": ["resnet", "resnet", "resnet"], "gpu": ["k80", "v100", "v100"],
         "steps_per_s": [2.0, 19.0, 21.0]}
    )  # fmt: skip
    rates = measured_rates(table, "job", "gpu", "steps_per_s")
    assert rates == {("resnet", "k80"): 2.0, ("resnet", "v100"): 20.0}
    scaler = CrossDeviceScaler(measured_rate=rates)
    assert scaler.source("resnet", "k80", "v100") == "measured"
    assert scaler.time_ratio("resnet", "k80", "v100") == pytest.approx(0.1)
    with pytest.raises(FedsimError, match="no device spec"):
        scaler.time_ratio("resnet", "k80", "tpu")


def test_unmeasured_device_is_scaled_from_a_measured_one() -> None:
    compute = {("resnet", "k80"): LinearCompute(0.1, 0.01)}
    rates = {("resnet", "k80"): 2.0, ("resnet", "v100"): 20.0}
    model = ThroughputModel(compute=compute, scaler=CrossDeviceScaler(measured_rate=rates))
    assert model.step_time_s("resnet", "v100", 10) == pytest.approx(0.2 * 0.1)
    with pytest.raises(FedsimError, match="no cross-device scaler"):
        ThroughputModel(compute=compute).step_time_s("resnet", "v100", 10)


def test_a_fitted_data_parallel_model_takes_precedence() -> None:
    params = DataParallelParams("ring", 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0)
    fitted = DataParallelModel(LinearCompute(0.0, 0.01), (params,))
    base = fit_profile(_profile())
    model = base.with_data_parallel("cnn", "cpu", fitted)
    # γ = 1 and no forward share: compute 0.32 s plus a 0.5 s cross-node sync
    assert model.step_time_s("cnn", "cpu", 32, 2, 4) == pytest.approx(0.82)
    assert ("cnn", "cpu") not in base.data_parallel
    assert float(np.asarray(fitted.step_time_s(32, 1, 1))) == pytest.approx(0.32)
