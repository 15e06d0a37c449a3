"""The CUDA path: the CPU harness's code with the CUDA-event timer (runs only on a GPU)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

from fedsim.calibration.config import KIB, MIB, CalibrationConfig, TimingConfig  # noqa: E402
from fedsim.calibration.runner import calibrate, plan  # noqa: E402
from fedsim.calibration.timing import CudaTimer, make_timer  # noqa: E402


def _config() -> CalibrationConfig:
    return CalibrationConfig(
        device="cuda",
        threads=1,
        size="tiny",
        models=("resnet_cnn", "transformer_encoder"),
        batch_sizes=(1, 16, 256),
        message_bytes=(KIB, 4 * MIB),
        n_workers=(2,),
        web_models=("mlp_recommender",),
        timing=TimingConfig(warmup=2, min_repeats=5, max_repeats=40, target_s=0.1, rounds=2),
    )


def test_cuda_uses_event_timer_and_ten_warmup_steps() -> None:
    assert isinstance(make_timer("cuda"), CudaTimer)
    assert _config().timing.for_device("cuda").warmup == 10


def test_cuda_profile_is_complete_and_monotone() -> None:
    config = _config()
    profile = calibrate(config)
    assert (profile["device"] == "cuda").all()
    assert profile["device_name"].str.len().gt(0).all()
    compute = profile[profile["kind"] == "compute"]
    for _, g in compute.groupby("model"):
        g = g.sort_values("batch_size")
        times, noise = g["time_s"].to_numpy(), g["iqr_over_median"].to_numpy()
        assert len(times) == 3 and (times > 0).all()
        for i in range(len(times) - 1):
            # tiny models may be launch-bound on a GPU: non-decreasing within the noise floor
            assert times[i + 1] >= times[i] * (1 - max(noise[i], noise[i + 1], 0.05)), times
    n_gpus = torch.cuda.device_count()
    allreduce = profile[profile["kind"] == "allreduce"]
    if n_gpus >= 2:
        assert set(allreduce["model"]) == {"nccl"} and len(allreduce) == 2
    else:
        # NCCL needs one GPU per rank: the plan says so instead of failing
        assert allreduce.empty
        assert any("NCCL" in note for note in plan(config).notes)
