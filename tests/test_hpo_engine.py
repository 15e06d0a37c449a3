"""Hyperparameter searches inside the federation engine."""

from __future__ import annotations

import copy
import warnings

import pandas as pd
import pytest

from fedsim.api import prepare, run, simulate
from fedsim.config import scenario_from_dict
from fedsim.errors import FedsimWarning, ScenarioError


def searches(policy: str = "asha", a_gpus: int = 16, b_gpus: int = 32,
             mechanism: str = "lp_welfare") -> dict:
    def prov(name: str, gpus: int) -> dict:
        return {"name": name, "pools": {"gpu:v100": gpus},
                "cost": {"idle_usd_per_unit_h": {"gpu:v100": 0.5},
                         "busy_usd_per_unit_h": {"gpu:v100": 1.0}},
                "prices": {"dnn_usd_per_gpu_h": 2.0, "dnn_wait_penalty_usd_per_gpu_h": 1.0}}
    a = prov("a", a_gpus)
    a["hpo"] = {"start_s": [0, 3600, 7200], "trials": 81, "policy": policy, "r_min": 1,
                "r_max": 27, "eta": 3, "unit_s": 600, "workers": 16, "job_type": "cnn",
                "target_accuracy": 0.7}
    return {"name": "hpo", "seed": 3, "horizon_s": 4 * 86400, "local_scheduler": {"name": "fifo"},
            "affinity": {"reference_gpu": "v100", "dataset_gb": 0,
                         "table": {"cnn": {"v100": 1.0}}},
            "federation": {"mechanism": {"name": mechanism}, "epoch_s": 600},
            "providers": [a, prov("b", b_gpus)]}


def quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FedsimWarning)
        return fn(*args, **kw)


def test_a_search_spends_what_successive_halving_says() -> None:
    """Three synchronous SHA searches of 81 trials, rungs 1-3-9-27, 600 s per unit: each
    trains 81·1 + 27·2 + 9·6 + 3·18 = 243 units (27 is the top rung: ⌊3/3⌋ = 1 trial
    would need a rung 81); 243·600 s = 40.5 GPU-h per search, on a's own 16 GPUs."""
    t = quiet(simulate, scenario_from_dict(searches("sha", mechanism="isolated")))
    s = t.searches
    assert len(s) == 3 and s["finish_s"].notna().all()
    assert s["gpu_h"].tolist() == pytest.approx([40.5] * 3)
    assert s["steps"].tolist() == [81 + 27 + 9 + 3] * 3
    jobs = t.jobs
    assert len(jobs) == 3 * 120 and (jobs["status"] == "finished").all()
    assert jobs["ref_duration_s"].sum() == pytest.approx(3 * 243 * 600)


def test_searches_federate_and_finish_sooner() -> None:
    iso = quiet(simulate, scenario_from_dict(searches(mechanism="isolated")))
    fed = quiet(run, scenario_from_dict(searches()))
    moved = fed.jobs[fed.jobs["host"] != fed.jobs["owner"]]
    assert len(moved) > 0  # trial steps ran at b
    assert fed.searches["finish_s"].max() < iso.searches["finish_s"].max()
    assert fed.summary["providers"]["a"]["searches"]["arrived"] == 3
    assert fed.summary["federation"]["individually_rational"]


def test_deterministic() -> None:
    a = quiet(simulate, scenario_from_dict(searches("hybrid")))
    b = quiet(simulate, scenario_from_dict(searches("hybrid")))
    pd.testing.assert_frame_equal(a.searches, b.searches)
    pd.testing.assert_frame_equal(a.jobs, b.jobs)


def test_trials_that_cannot_run_end_the_search() -> None:
    data = searches(mechanism="isolated")
    data["providers"][0]["hpo"]["gpus_per_trial"] = 64  # no pool holds 64 GPUs
    t = quiet(simulate, scenario_from_dict(data))
    assert (t.jobs["status"] == "rejected").all() and len(t.jobs) > 0
    assert t.searches["finish_s"].notna().all()
    assert (t.events["kind"] == "reject").sum() == len(t.jobs)


def test_unknown_job_type_is_one_line() -> None:
    data = copy.deepcopy(searches())
    data["providers"][0]["hpo"]["job_type"] = "bert"
    with pytest.raises(ScenarioError) as err:
        prepare(scenario_from_dict(data))
    msg = str(err.value)
    assert "\n" not in msg and "providers[0].hpo.job_type" in msg and "'bert'" in msg


def test_search_starts_from_a_trace(tmp_path) -> None:
    """Start times replayed from a CSV (``t_s``, relative to the first row)."""
    path = tmp_path / "searches.csv"
    path.write_text("t_s,who\n1000,x\n1000,y\n8200,z\n")
    data = searches(mechanism="isolated")
    data["providers"][0]["hpo"].update(start_s=[], trace=str(path))
    s = quiet(simulate, scenario_from_dict(data)).searches
    assert s["arrival_s"].tolist() == [0.0, 0.0, 7200.0]
    path.write_text("t_s\nsoon\n")
    with pytest.raises(ScenarioError) as err:
        prepare(scenario_from_dict(data))
    assert "providers[0].hpo.trace" in str(err.value) and "line 2" in str(err.value)


@pytest.mark.parametrize(("key", "entry", "expected"), [
    ("hpo", {"rate_per_h": 1e300}, "providers[0].hpo.rate_per_h: 1e+300/h"),
    ("model_selection", {"rate_per_h": 1e300, "examples": 10, "bytes_per_example": 1,
                         "job_type": "cnn"}, "providers[1].model_selection.rate_per_h"),
    ("dag", {"rate_per_h": 1e300, "layers": 2, "layer_fwd_ms": [1], "activation_mb": 0,
             "steps": 1, "job_type": "cnn"}, "providers[1].dag.rate_per_h"),
    ("hpo", {"start_s": [0, -5]}, "providers[0].hpo.start_s[1]: must be >= 0, got -5"),
    ("dag", {"layers": 2, "layer_fwd_ms": [1, 0], "activation_mb": 0, "steps": 1,
             "job_type": "cnn"}, "providers[1].dag.layer_fwd_ms[1]: must be > 0, got 0"),
])
def test_absurd_workload_inputs_are_one_line(key: str, entry: dict, expected: str) -> None:
    """A rate that would draw more than 1e6 arrivals, or a bad element of a list, is
    refused before anything runs (not a traceback from the random generator)."""
    data = searches()
    k = 0 if key == "hpo" else 1
    if key == "hpo":
        data["providers"][0]["hpo"].update(entry)
    else:
        data["providers"][1][key] = entry
    with pytest.raises(ScenarioError) as err:
        prepare(scenario_from_dict(data))
    msg = str(err.value)
    assert "\n" not in msg and expected in msg and f"providers[{k}]" in msg
