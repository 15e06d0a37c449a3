"""Model selection strategies against hand-derived makespans, and Cerebro's setting."""

from __future__ import annotations

import pytest

from fedsim.modelsel import Config, Task, data_parallel, model_hopper, task_parallel
from fedsim.perfmodel.sync import RingAllReduce


def equal_task(k: int, w: int, epochs: int, model_bytes: float = 100e6,
               latency_s: float = 0.0) -> Task:
    # 80,000 examples in w partitions, batch 100, 0.1 s per step: a sub-epoch (one
    # partition) is τ = 80,000/w/100·0.1 s
    return Task(tuple([Config(0.1, model_bytes)] * k), epochs, w, 80_000, 100, 1e3,
                RingAllReduce(latency_s, 10.0))


def test_mop_ideal_makespan_for_equal_costs() -> None:
    """K = 16 ≥ 2W, W = P = 8: every worker busy every sub-epoch (a hop of 0.08 s is
    hidden by the other group's sub-epoch of τ = 10 s), so the makespan is the total
    work over the workers: E·K·P·τ/W = 2·16·8·10/8 = 320 s. No data moves; each model
    hops after every sub-epoch but its last: 2·8·16 − 16 = 240 hops of 100 MB."""
    out = model_hopper(equal_task(16, 8, 2))
    assert out.makespan_s == pytest.approx(320.0, rel=1e-12)
    assert out.bytes_moved == pytest.approx(240 * 100e6)
    assert out.gpu_utilisation == pytest.approx(1.0)


def test_mop_with_as_many_models_as_workers_waits_for_hops() -> None:
    """K = W = 4: a rotation; each model's chain is E·P sub-epochs of τ = 20 s with a hop
    h = 1 ms + 8·1e9 bits/10 Gb/s = 0.801 s between consecutive ones:
    E·P·τ + (E·P − 1)·h = 3·4·20 + 11·0.801 = 248.811 s."""
    out = model_hopper(equal_task(4, 4, 3, model_bytes=1e9, latency_s=1e-3))
    assert out.makespan_s == pytest.approx(3 * 4 * 20 + 11 * 0.801, rel=1e-12)


def test_task_parallel_by_hand() -> None:
    """5 configs of 0.1 and 5 of 0.3 s/step on 4 workers, 1 epoch of 800 steps: jobs of
    240 s ×5 and 80 s ×5; five 240 s jobs on four workers put two on one (480 s, also
    the optimum), the 80 s jobs fill the others; plus the copy of 3/4 of 80 MB at
    10 Gb/s (0.048 s)."""
    t = Task(tuple([Config(0.1, 1e6)] * 5 + [Config(0.3, 1e6)] * 5), 1, 4, 80_000, 100, 1e3,
             RingAllReduce(0.0, 10.0))
    out = task_parallel(t)
    assert out.makespan_s == pytest.approx(480.0 + 0.75 * 80e6 * 8 / 10e9)
    assert out.bytes_moved == pytest.approx(4 * 0.75 * 80e6)
    assert out.data_bytes_per_worker == 80e6


def test_data_parallel_ring_by_hand() -> None:
    """One config, 8 workers, 100 steps per epoch (80,000/(8·100)), step = 0.1 s compute
    + ring all-reduce of 100 MB: 2·7/8·8e8 bits / 1e10 = 0.14 s → 2 epochs · 100 · 0.24."""
    t = equal_task(1, 8, 2)
    assert data_parallel(t).makespan_s == pytest.approx(2 * 100 * 0.24)
    assert data_parallel(t, overlap=True).makespan_s == pytest.approx(2 * 100 * 0.14)


def test_cerebro_setting_ratios() -> None:
    """Cerebro (VLDB 2020): 8 workers, ImageNet (1.28 M images, ~110 KB each), 16
    configurations (8 ResNet-50: 98 MB, 0.12 s per batch of 32; 8 VGG16: 528 MB, 0.25 s),
    10 epochs, 10 Gb/s. It reports MOP 3–10x faster than Horovod / a parameter server and
    close to task parallelism without its data copies. Horovod (ring, no overlap) here:
    3.4x; a parameter server depends on its shards (one: 22.7x, two: 11.8x, eight:
    3.7x), and is
    never faster than the ring."""
    cfgs = tuple([Config(0.12, 98e6)] * 8 + [Config(0.25, 528e6)] * 8)
    t = Task(cfgs, 10, 8, 1_281_167, 32, 110e3, RingAllReduce(1e-4, 10.0))
    mop, tp = model_hopper(t), task_parallel(t)
    horovod = data_parallel(t)
    assert 3.0 <= horovod.makespan_s / mop.makespan_s <= 10.0
    for shards in (1, 2, 8):
        assert data_parallel(t, "ps", ps_shards=shards).makespan_s >= horovod.makespan_s
    assert mop.makespan_s <= 1.05 * tp.makespan_s
    assert tp.data_bytes_per_worker == 8 * mop.data_bytes_per_worker
    assert mop.bytes_moved < 0.5 * tp.bytes_moved


def test_a_model_selection_is_one_gang_job_of_its_makespan() -> None:
    """In a run, each model selection is one job of ``workers`` GPUs whose work is the
    strategy's makespan with the step from the affinity table: 10 steps/s on the
    reference V100 → 0.1 s per step of 100, τ = 80,000/8/100·0.1 = 10 s, and the MOP
    makespan of 16 equal configurations × 2 epochs on 8 workers is 320 s (above)."""
    import warnings

    from fedsim.api import run, simulate
    from fedsim.config import scenario_from_dict
    from fedsim.errors import FedsimWarning

    p = {"name": "a", "pools": {"gpu:v100": 16}, "prices": {"dnn_usd_per_gpu_h": 2.0},
         "model_selection": {"start_s": [0, 0, 100], "strategy": "mop", "workers": 8,
                             "configs": 16, "epochs": 2, "examples": 80_000, "batch": 100,
                             "bytes_per_example": 1e3, "model_mb": [100], "job_type": "cnn"}}
    d = {"name": "ms", "seed": 1, "horizon_s": 3600,
         "affinity": {"reference_gpu": "v100", "dataset_gb": 0,
                      "table": {"cnn": {"v100": 10.0}}},
         "federation": {"mechanism": {"name": "isolated"}, "epoch_s": 600}, "providers": [p]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FedsimWarning)
        jobs = simulate(scenario_from_dict(d)).jobs
    assert (jobs["kind"] == "model_selection").all() and (jobs["n_gpus"] == 8).all()
    assert jobs["ref_duration_s"].tolist() == pytest.approx([320.0] * 3)
    # two fit side by side on 16 GPUs from t = 0; the third waits for one of them
    assert jobs["jct_s"].tolist() == pytest.approx([320.0, 320.0, 540.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FedsimWarning)
        ms = run(scenario_from_dict(d)).summary["providers"]["a"]["model_selections"]
    assert ms["arrived"] == ms["finished"] == 3 and ms["strategy"] == "mop"
    assert ms["bytes_moved_each"] == pytest.approx(240 * 100e6)  # 240 hops (first test)
    assert ms["jct_mean_s"] == pytest.approx((320 + 320 + 540) / 3)
