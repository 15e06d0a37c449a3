"""Real measurements on the CPU with tiny models and a tiny grid (needs torch)."""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("torch")

from fedsim.calibration.config import KIB, MIB, CalibrationConfig, TimingConfig
from fedsim.calibration.profile import COLUMNS, validate_profile
from fedsim.calibration.runner import SAMPLES, calibrate, plan, pool_rounds, run_plan


@pytest.fixture(scope="module")
def quick_profile() -> pd.DataFrame:
    # one thread: the tests share the machine with other work, and a single thread is far
    # less disturbed by it than OpenMP threads that wait on each other
    config = CalibrationConfig(
        device="cpu",
        threads=1,
        size="tiny",
        models=("resnet_cnn",),
        batch_sizes=(1, 8, 64),
        message_bytes=(KIB, 64 * MIB),  # 64 MiB: transfer, not latency jitter, dominates
        n_workers=(2,),
        web_models=("mlp_recommender",),
        timing=TimingConfig(warmup=2, min_repeats=5, max_repeats=40, target_s=0.1, rounds=2),
    )
    return calibrate(config)


def test_profile_has_columns_provenance_and_noise(quick_profile: pd.DataFrame) -> None:
    assert list(quick_profile.columns) == list(COLUMNS)
    validate_profile(quick_profile, "quick")  # every row valid
    assert set(quick_profile["kind"]) == {"compute", "allreduce", "web"}
    for col in ("device_name", "torch_version", "date", "fedsim_version"):
        assert quick_profile[col].str.len().gt(0).all(), col
    assert quick_profile["torch_version"].iloc[0].startswith("2.13")
    assert (quick_profile["repeats"] >= 5).all()
    assert quick_profile["iqr_over_median"].between(0, 100).all()


def test_compute_time_grows_with_batch_size(quick_profile: pd.DataFrame) -> None:
    compute = quick_profile[quick_profile["kind"] == "compute"].sort_values("batch_size")
    assert list(compute["batch_size"]) == [1, 8, 64]
    assert (compute["model"] == "resnet_cnn-tiny").all()
    assert (compute["message_bytes"] > 0).all()  # gradient bytes of the model
    times = compute["time_s"].to_numpy()
    noise = compute["iqr_over_median"].to_numpy()
    for i in range(len(times) - 1):
        # non-decreasing within the noise floor of the two points
        floor = max(noise[i], noise[i + 1])
        assert times[i + 1] >= times[i] * (1 - floor), (times, noise)
    assert times[-1] > times[0]  # 64x the work is never free


def test_allreduce_time_grows_with_message_size(quick_profile: pd.DataFrame) -> None:
    allreduce = quick_profile[quick_profile["kind"] == "allreduce"].sort_values("message_bytes")
    assert list(allreduce["message_bytes"]) == [KIB, 64 * MIB]
    assert (allreduce["n_workers"] == 2).all() and (allreduce["model"] == "gloo").all()
    small, large = allreduce["time_s"].to_numpy()
    assert large > small


def test_web_service_time_is_positive(quick_profile: pd.DataFrame) -> None:
    web = quick_profile[quick_profile["kind"] == "web"]
    assert len(web) == 1
    row = web.iloc[0]
    assert row["time_s"] > 0 and row["batch_size"] == 1 and row["threads"] == 1


def test_plan_orders_cheap_kinds_first() -> None:
    kinds = [task.kind for task in plan(CalibrationConfig.preset("cpu", 2, quick=True)).tasks]
    assert kinds[0] == "web" and kinds[-1] == "compute"
    assert kinds.count("compute") == 4 * 2  # 4 models x 2 interleaved rounds


def test_rounds_pool_into_one_row_per_batch_size() -> None:
    rows = [
        {"kind": "compute", "model": "m", "device": "cpu", "batch_size": 8, "n_workers": 1,
         "message_bytes": 4, "time_s": 1.5, SAMPLES: [1.0, 2.0]},
        {"kind": "web", "model": "w", "time_s": 0.1},
        {"kind": "compute", "model": "m", "device": "cpu", "batch_size": 8, "n_workers": 1,
         "message_bytes": 4, "time_s": 4.0, SAMPLES: [3.0, 4.0, 5.0]},
    ]  # fmt: skip
    pooled = pool_rounds(rows)
    assert [row["kind"] for row in pooled] == ["compute", "web"]
    row = pooled[0]
    # the median and quartiles of 1..5, not the mean of the two rounds' medians
    assert row["time_s"] == 3.0 and row["repeats"] == 5
    assert row["iqr_over_median"] == pytest.approx((4.0 - 2.0) / 3.0)
    assert SAMPLES not in row


class _RunTwice:
    """A quiet guard that measures every task twice and keeps the second attempt."""

    def run(self, measure):  # type: ignore[no-untyped-def]
        measure()
        return measure(), 0.0


def test_a_remeasured_round_replaces_its_samples() -> None:
    config = CalibrationConfig(
        device="cpu",
        threads=1,
        size="tiny",
        models=("mlp_recommender",),
        batch_sizes=(1, 4),
        message_bytes=(),
        web_models=(),
        timing=TimingConfig(warmup=1, min_repeats=6, max_repeats=6, target_s=0.0, rounds=3),
    )
    profile = run_plan(config, plan(config), guard=_RunTwice())  # type: ignore[arg-type]
    # 6 repeats split over 3 rounds: 2 per round; a second attempt must not add 2 more
    assert sorted(profile["batch_size"]) == [1, 4]
    assert (profile["repeats"] == 6).all()
