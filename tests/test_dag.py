"""Pipeline schedules and DAG critical paths against closed forms and hand solutions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_a_transfer_per_boundary_by_hand() -> None:
    """Three stages (f 1, b 2), one micro-batch: everything in sequence, each boundary
    crossed twice: 3·1 + 3·2 + 2·(0.5 + 0.25) = 10.5 s."""
    stages = (Stage(1.0, 2.0),) * 3
    assert simulate_pipeline(stages, 1, "1f1b", [0.5, 0.25]).step_s == pytest.approx(10.5)
    with pytest.raises(ValueError, match="3 stages have 2 boundaries"):
        simulate_pipeline(stages, 1, "1f1b", [0.5])


def _hybrid(function_usd_per_s: float, **dag: object) -> dict:
    """One provider with 2 V100s (busy 3.6 $/GPU-h = 0.001 $/s) and a V100 function pool
    (no request price, 5 s cold start, invocations long enough never to restore)."""
    spec = {"start_s": [0], "layers": 2, "layer_fwd_ms": [1000], "activation_mb": 0,
            "pipeline": 2, "tensor": 1, "micro_batches": 1, "steps": 100,
            "link_latency_s": 0, "job_type": "cnn", "serverless_stages": "auto",
            "function_link_latency_s": 0.5, **dag}  # fmt: skip
    pool = {"gpu_type": "v100", "usd_per_gpu_s": function_usd_per_s, "cold_start_s": 5,
            "max_invocation_s": 1e6, "burst": False}  # fmt: skip
    p = {"name": "a", "pools": {"gpu:v100": 2}, "prices": {"dnn_usd_per_gpu_h": 9.0},
         "cost": {"idle_usd_per_unit_h": {"gpu:v100": 0.0},
                  "busy_usd_per_unit_h": {"gpu:v100": 3.6}},
         "dag": spec, "serverless": pool}  # fmt: skip
    return {"name": "hybrid", "seed": 1, "horizon_s": 3600,
            "local_scheduler": {"name": "fifo", "preemption_cost_s": 0},
            "affinity": {"reference_gpu": "v100", "dataset_gb": 0, "table": {"cnn": {"v100": 1.0}}},
            "federation": {"mechanism": {"name": "isolated"}, "epoch_s": 600},
            "providers": [p]}  # fmt: skip


def test_stages_go_to_functions_when_that_is_cheaper_per_step() -> None:
    """Two stages (f 1 s, b 2 s), one micro-batch. All on GPUs: a step is 1+1+2+2 = 6 s
    on 2 GPUs, 2·6·0.001 = 0.012 $. The last stage on a function: the activations cross
    the 0.5 s function link both ways, a step is 7 s on 1 GPU + 1 function:
    7·(0.001 + π). π = 0.0002: 0.0084 $ < 0.012, split (the first stage instead costs the
    same; ties go to the suffix); π = 0.0008: 0.0126 $ > 0.012, all on GPUs. The split
    job's work is 100 steps · 7 s; it starts at 0 behind a 5 s cold start (JCT 705 s)
    and its function is billed for the stint: 705 · 0.0002 = 0.141 $."""
    import warnings

    from fedsim.api import run
    from fedsim.config import scenario_from_dict
    from fedsim.errors import FedsimWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FedsimWarning)
        cheap = run(scenario_from_dict(_hybrid(0.0002)), baseline=False)
        dear = run(scenario_from_dict(_hybrid(0.0008)), baseline=False)
    s = cheap.summary["providers"]["a"]["dag_jobs"]
    assert (s["gpus"], s["functions"], s["function_stages"]) == (1, 1, [1])
    assert s["step_s"] == pytest.approx(7.0) and s["all_gpu_step_s"] == pytest.approx(6.0)
    assert s["usd_per_step"] == pytest.approx(0.0084)
    jobs = cheap.jobs
    assert jobs["n_gpus"].tolist() == [1] and jobs["ref_duration_s"].tolist() == [700.0]
    assert jobs["jct_s"].tolist() == pytest.approx([705.0])
    assert cheap.ledger["serverless_usd"].sum() == pytest.approx(705 * 0.0002)
    d = dear.summary["providers"]["a"]["dag_jobs"]
    assert (d["gpus"], d["functions"], d["step_s"]) == (2, 0, pytest.approx(6.0))
    assert dear.ledger["serverless_usd"].sum() == 0.0


def test_serverless_stages_need_a_pool_and_a_stage_left_on_gpus() -> None:
    from fedsim.config import scenario_from_dict
    from fedsim.engine.build import build_world
    from fedsim.errors import ScenarioError

    no_pool = _hybrid(0.0002)
    del no_pool["providers"][0]["serverless"]
    with pytest.raises(ScenarioError, match=r"providers\[0\]\.dag\.serverless_stages: needs a "
                       r"serverless pool \(providers\[0\]\.serverless\)"):  # fmt: skip
        build_world(scenario_from_dict(no_pool))
    with pytest.raises(ScenarioError, match=r"dag\.serverless_stages: 2 of 2 stages; at least "
                       "one stays on GPUs"):  # fmt: skip
        build_world(scenario_from_dict(_hybrid(0.0002, serverless_stages=2)))


@given(p=st.integers(2, 5), m=st.integers(1, 6), tensor=st.integers(1, 3),
       fwd=st.lists(st.floats(0.01, 2.0), min_size=5, max_size=5),
       cheaper=st.booleans())
@settings(max_examples=40, deadline=None)
def test_free_links_send_every_stage_but_one_to_cheaper_functions(p, m, tensor, fwd, cheaper):
    """With free links, functions as fast as the GPUs and no restores, every split has the
    all-GPU step time T, and a step costs T·(gpus·c + functions·π) with gpus + functions =
    p·tensor: cheaper functions (π < c) take all stages but one (at least one stays on
    GPUs), dearer ones none."""
    from fedsim.dag.hybrid import StageFunctions, choose, evaluate, masks

    stages = [Stage(f, 2 * f) for f in fwd[:p]]
    c = 0.001
    fn = StageFunctions(slowdown=1.0, usd_per_function_s=c / 2 if cheaper else 2 * c,
                        useful=1.0, cold_start_s=0.0, concurrency=10**6, link_latency_s=0.0,
                        link_gbps=1e9)  # fmt: skip
    options = [evaluate(mask, stages, m, "1f1b", tensor, 0.0, 0.0, fn, c)
               for mask in masks(p, "auto")]  # fmt: skip
    best = choose(options)
    all_gpu = options[0]
    assert all(o.step.step_s == pytest.approx(all_gpu.step.step_s) for o in options)
    assert best.functions == ((p - 1) * tensor if cheaper else 0)
    assert best.gpus == (tensor if cheaper else p * tensor)
