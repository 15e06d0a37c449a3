"""Gang size chosen at submission from the throughput model, against hand-ranked tables."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from fedsim.config import scenario_from_dict
from fedsim.engine.build import build_world
from fedsim.errors import ScenarioError
from fedsim.world.affinity import AffinityTable
from fedsim.world.configuration import best_gang

# whole-gang steps/s: 1 → 1.0, 2 → 1.9, 4 → 3.2, 8 → 4.0 on k80 (per worker 1, .95, .8, .5);
# twice that on v100
POINTS = {("a", "k80"): {1: 1.0, 2: 1.9, 4: 3.2, 8: 4.0},
          ("a", "v100"): {1: 2.0, 2: 3.8, 4: 6.4, 8: 8.0}}  # fmt: skip


@pytest.fixture(scope="module")
def table() -> AffinityTable:
    return AffinityTable.from_points(POINTS)


def test_fastest_takes_the_most_throughput_that_fits(table: AffinityTable) -> None:
    # 8 workers: 4.0 (k80) / 8.0 (v100) steps/s is the most; with 4 v100s only, 6.4 (n = 4)
    assert best_gang(table, "a", (1, 8), "fastest", {"k80": 8}, {}, "k80") == 8
    assert best_gang(table, "a", (1, 8), "fastest", {"v100": 4}, {}, "k80") == 4
    # n = 3 is interpolated: per worker sqrt(.95 · .8) = 0.872, 2.61 steps/s < 3.2 at n = 4
    assert best_gang(table, "a", (1, 3), "fastest", {"k80": 8}, {}, "k80") == 3


def test_cheapest_takes_the_best_per_worker_throughput(table: AffinityTable) -> None:
    # per worker: 1.0 > 0.95 > 0.8 > 0.5: one worker; within [2, 8], two
    assert best_gang(table, "a", (1, 8), "cheapest", {"k80": 8}, {}, "k80") == 1
    assert best_gang(table, "a", (2, 8), "cheapest", {"k80": 8}, {}, "k80") == 2


def test_per_dollar_weighs_each_gpu_types_cost(table: AffinityTable) -> None:
    """Per worker per USD/h at n = 1: k80 1.0/0.25 = 4, v100 2.0/2.0 = 1 → k80, n = 1; with
    only v100s of cost 2 and a [4, 8] range: 0.8·2/2 = 0.8 (n = 4) > 0.5·2/2 (n = 8)."""
    both = {"k80": 8, "v100": 8}
    cost = {"k80": 0.25, "v100": 2.0}
    assert best_gang(table, "a", (1, 8), "per_dollar", both, cost, "k80") == 1
    assert best_gang(table, "a", (4, 8), "per_dollar", {"v100": 8}, cost, "k80") == 4
    assert best_gang(table, "a", (9, 16), "fastest", {"k80": 8}, {}, "k80") is None


def _scenario(configuration: dict | None) -> dict:
    dnn = {"rate_per_h": 20, "gpu_mix": {1: 0.5, 2: 0.5}, "job_type_mix": {"a": 1.0},
           "duration": {"dist": "lognormal", "median_s": 3600, "sigma": 0.5}}  # fmt: skip
    if configuration is not None:
        dnn["configuration"] = configuration
    table = {"a": {"k80": 1.0, "v100": 2.0}}
    data = {"name": "cfg", "seed": 5, "horizon_s": 86400,
            "affinity": {"reference_gpu": "k80", "dataset_gb": 0, "table": table},
            "federation": {"mechanism": {"name": "isolated"}, "epoch_s": 600},
            "providers": [{"name": "p", "pools": {"gpu:k80": 8},
                           "prices": {"dnn_usd_per_gpu_h": 1.0}, "dnn": dnn}]}  # fmt: skip
    return copy.deepcopy(data)


def test_chosen_gang_keeps_each_jobs_work() -> None:
    """The table above scales linearly (one worker's 1.0 steps/s, times n), so 'fastest'
    picks the largest gang that fits (8): a job stated as d0 seconds on n0 workers does
    d0 · n0 worker-seconds of work and runs d0 · n0 / 8 seconds; same arrivals and draws."""
    fixed = build_world(scenario_from_dict(_scenario(None))).jobs
    chosen = build_world(
        scenario_from_dict(_scenario({"workers": [1, 8], "objective": "fastest"}))
    ).jobs
    assert np.array_equal(fixed.arrival_s, chosen.arrival_s) and len(fixed) > 100
    assert (chosen.n_gpus == 8).all()
    assert np.allclose(chosen.ref_duration_s, fixed.ref_duration_s * fixed.n_gpus / 8)
    cheap = build_world(
        scenario_from_dict(_scenario({"workers": [1, 8], "objective": "cheapest"}))
    ).jobs
    # linear scaling: every n is equally cheap per sample; ties go to the fewest workers
    assert (cheap.n_gpus == 1).all()
    assert np.allclose(cheap.ref_duration_s, fixed.ref_duration_s * fixed.n_gpus)


def test_bad_configuration_names_the_path() -> None:
    with pytest.raises(ScenarioError, match=r"configuration\.workers.*1 <= min <= max"):
        scenario_from_dict(_scenario({"workers": [4, 2]}))
    with pytest.raises(ScenarioError, match=r"providers\[0\]\.dnn\.configuration\.workers: "
                       r"none can run: no worker count in \[16, 32\]"):  # fmt: skip
        build_world(scenario_from_dict(_scenario({"workers": [16, 32]})))


def _batch_scenario(configuration: dict) -> dict:
    """One provider of 8 k80s; job type m/32 (Gavel's model/batch naming) stated with one
    worker; the table also knows m at local batch 64 and 128."""
    data = _scenario(configuration)
    data["affinity"]["table"] = {"m/32": {"k80": 10.0}, "m/64": {"k80": 6.0},
                                 "m/128": {"k80": 2.0}}  # fmt: skip
    data["providers"][0]["dnn"].update(gpu_mix={1: 1.0}, job_type_mix={"m/32": 1.0})
    return data


def test_batch_size_choice_keeps_the_samples() -> None:
    """samples/s = local batch · steps/s: 32·10 = 320, 64·6 = 384, 128·2 = 256, so fastest
    takes 64, and a job stated as d0 at batch 32 runs d0 · 320 / 384."""
    fixed = build_world(scenario_from_dict(_batch_scenario({"workers": [1, 1]}))).jobs
    chosen = build_world(scenario_from_dict(_batch_scenario(
        {"workers": [1, 1], "batch_sizes": [32, 64, 128]}))).jobs
    assert len(fixed) > 100 and {fixed.job_types[t] for t in fixed.job_type} == {"m/32"}
    assert {chosen.job_types[t] for t in chosen.job_type} == {"m/64"}
    assert np.allclose(chosen.ref_duration_s, fixed.ref_duration_s * 320 / 384)
    # only sizes the provider accepts: without 64, 32 (320) beats 128 (256)
    kept = build_world(scenario_from_dict(_batch_scenario(
        {"workers": [1, 1], "batch_sizes": [32, 128]}))).jobs
    assert {kept.job_types[t] for t in kept.job_type} == {"m/32"}


def test_batch_sizes_and_servers_the_affinity_cannot_give_name_the_path() -> None:
    with pytest.raises(ScenarioError, match=r"providers\[0\]\.dnn\.configuration\.batch_sizes: "
                       r"job type 'm/32' has no configuration at batch sizes \[16\]; the "
                       r"affinity knows its model at \[32, 64, 128\]"):  # fmt: skip
        build_world(scenario_from_dict(_batch_scenario({"workers": [1, 1], "batch_sizes": [16]})))
    with pytest.raises(ScenarioError, match=r"configuration\.ps: job type 'm/32' has no "
                       r"parameter-server configuration.*affinity\.profile"):  # fmt: skip
        build_world(scenario_from_dict(_batch_scenario({"workers": [1, 1], "ps": [0, 2]})))
    with pytest.raises(ScenarioError, match=r"configuration\.ps.*0 <= min <= max <= 64"):
        scenario_from_dict(_batch_scenario({"workers": [1, 1], "ps": [3, 1]}))
