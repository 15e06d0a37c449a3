"""Pipeline schedules and DAG critical paths against closed forms and hand solutions."""

from __future__ import annotations

import pytest

from fedsim.dag import Stage, critical_path_s, partition, simulate_pipeline


@pytest.mark.parametrize("schedule", ["gpipe", "1f1b"])
@pytest.mark.parametrize(("p", "m"), [(1, 1), (2, 1), (4, 4), (4, 16), (8, 3)])
def test_balanced_pipeline_is_the_closed_form(schedule: str, p: int, m: int) -> None:
    """p equal stages (f = 1 s, b = 2 s per micro-batch), free transfers: a step is
    (m + p − 1)·(f + b) and the bubble (p − 1)/(m + p − 1) (GPipe, Huang et al. 2019;
    1F1B has the same bubble, Narayanan et al. 2021)."""
    r = simulate_pipeline(tuple(Stage(1.0, 2.0) for _ in range(p)), m, schedule)
    assert r.step_s == pytest.approx((m + p - 1) * 3.0)
    assert r.bubble == pytest.approx((p - 1) / (m + p - 1))


def test_activation_memory_gpipe_holds_all_1f1b_at_most_p_minus_s() -> None:
    st = tuple(Stage(1.0, 2.0) for _ in range(4))
    assert simulate_pipeline(st, 8, "gpipe").peak_activations == (8, 8, 8, 8)
    assert simulate_pipeline(st, 8, "1f1b").peak_activations == (4, 3, 2, 1)
    assert simulate_pipeline(st, 2, "1f1b").peak_activations == (2, 2, 2, 1)


def test_transfers_and_a_slow_stage_by_hand() -> None:
    """Two stages, stage 1 twice as slow (f 2, b 4), 0.5 s per transfer, GPipe, m = 2:
    forwards: s0 [0,1], [1,2]; s1 [1.5,3.5], [3.5,5.5]; backwards on s1 right after:
    [5.5,9.5] for micro-batch 0, [9.5,13.5] for 1; on s0 after the transfer: [10,12],
    [14,16]. Step 16 s; busy 2·(1+2) + 2·(2+4) = 18 of 2·16 → bubble 14/32."""
    r = simulate_pipeline((Stage(1.0, 2.0), Stage(2.0, 4.0)), 2, "gpipe", transfer_s=0.5)
    assert r.step_s == pytest.approx(16.0)
    assert r.bubble == pytest.approx(14 / 32)


def test_critical_path_by_hand() -> None:
    # 0 → 1 → 3: 1 + 0.5 + 2 + 0 + 1 = 4.5;  0 → 2 → 3: 1 + 0.1 + 3 + 0.2 + 1 = 5.3
    length, path = critical_path_s([1, 2, 3, 1], {(0, 1): 0.5, (0, 2): 0.1, (1, 3): 0.0,
                                                  (2, 3): 0.2})
    assert length == pytest.approx(5.3) and path == [0, 2, 3]
    with pytest.raises(ValueError, match="cycle"):
        critical_path_s([1, 1], {(0, 1): 0.0, (1, 0): 0.0})


def test_partition_minimises_the_slowest_stage() -> None:
    # [1 1 1 1 | 4 | 1 1 1]: stages of 4, 4, 3 (no split does better than the 4-layer)
    assert partition([1, 1, 1, 1, 4, 1, 1, 1], 3) == [0, 4, 5]
    assert partition([5, 1, 1, 1], 2) == [0, 1]


def test_a_model_parallel_job_is_one_gang_of_its_steps() -> None:
    """8 layers of 10 ms in 4 stages × tensor 2 (8 GPUs), 1F1B, m = 4, backward 2x,
    no activations, free links: a stage is 2 layers / 2 GPUs = 10 ms forward, 20 ms
    backward; a step is (m + p − 1)·30 ms = 210 ms; 1,000 steps = 210 s of work; the
    bubble is 3/7 and the critical path of one micro-batch 4·(10 + 20) = 120 ms."""
    import warnings

    from fedsim.api import run
    from fedsim.config import scenario_from_dict
    from fedsim.errors import FedsimWarning

    p = {"name": "a", "pools": {"gpu:v100": 8}, "prices": {"dnn_usd_per_gpu_h": 2.0},
         "dag": {"start_s": [0, 0], "layers": 8, "layer_fwd_ms": [10], "activation_mb": 0,
                 "pipeline": 4, "tensor": 2, "micro_batches": 4, "steps": 1000,
                 "link_latency_s": 0, "job_type": "cnn"}}
    d = {"name": "dag", "seed": 1, "horizon_s": 3600,
         "affinity": {"reference_gpu": "v100", "dataset_gb": 0, "table": {"cnn": {"v100": 1.0}}},
         "federation": {"mechanism": {"name": "isolated"}, "epoch_s": 600}, "providers": [p]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FedsimWarning)
        res = run(scenario_from_dict(d))
    jobs = res.jobs
    assert (jobs["kind"] == "dag").all() and (jobs["n_gpus"] == 8).all()
    assert jobs["ref_duration_s"].tolist() == pytest.approx([210.0, 210.0])
    assert jobs["jct_s"].tolist() == pytest.approx([210.0, 420.0])  # one gang at a time
    s = res.summary["providers"]["a"]["dag_jobs"]
    assert s["bubble"] == pytest.approx(3 / 7) and s["critical_path_s"] == pytest.approx(0.12)
    assert s["peak_activations"] == [4, 3, 2, 1]
