"""What happened is visible: job counts by status, why jobs were rejected, warnings with
counts for legitimate-but-suspicious inputs, a market that never traded, and nothing
but fedsim's own output on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

from fedsim.api import prepare, run
from fedsim.config import scenario_from_dict
from fedsim.errors import FedsimWarning
from fedsim.results.result import Result
from tests.helpers.scenarios import two_provider_dict, write

REPO = Path(__file__).resolve().parents[1]


def fedsim(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "fedsim.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def _big_gangs() -> dict:
    """gpu_rich alone (not federated) with 16 V100s; a quarter of its jobs want 32 GPUs."""
    data = two_provider_dict(horizon_s=12 * 3600, seed=3)
    data["federation"]["members"] = ["cpu_rich"]
    data["providers"][0]["dnn"]["gpu_mix"] = {1: 0.75, 32: 0.25}
    data["providers"][0]["dnn"]["rate_per_h"] = 8
    return data


def test_unrunnable_jobs_warn_with_counts_and_rejects_say_why() -> None:
    sc = scenario_from_dict(_big_gangs())
    with pytest.warns(FedsimWarning, match=r"of \d+ DNN jobs of provider 'gpu_rich' can never "
                                           r"run: a gang of 32 GPU\(s\)"):
        prepared = prepare(sc)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FedsimWarning)  # said once, in prepare
        result = run(prepared, baseline=False)
    jobs = result.jobs
    mine = jobs[jobs["owner"] == "gpu_rich"]
    rejected = mine[mine["status"] == "rejected"]
    # expected: exactly the 32-GPU gangs (16 GPUs is the largest pool it may use)
    assert (rejected["n_gpus"] == 32).all() and len(rejected) == int((mine["n_gpus"] == 32).sum())
    assert len(rejected) > 0
    row = result.summary["providers"]["gpu_rich"]
    assert row["jobs_rejected"] == len(rejected)
    assert row["jobs_arrived"] == row["jobs_finished"] + row["jobs_running"] + row[
        "jobs_queued"] + row["jobs_rejected"]
    reasons = result.events[result.events["kind"] == "reject"]["detail"]
    assert len(reasons) == len(rejected)
    assert reasons.str.contains("gang of 32 GPU(s) of", regex=False).all()
    assert reasons.str.contains("largest: 16 GPUs", regex=False).all()


def test_cli_shows_counts_rejections_and_one_line_warnings(tmp_path: Path) -> None:
    proc = fedsim("run", str(write(_big_gangs(), tmp_path / "s.yaml")), "--quiet",
                  "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    warn = [x for x in proc.stderr.splitlines() if x.startswith("fedsim: warning:")]
    assert len(warn) == 1 and "can never run" in warn[0]
    assert "Traceback" not in proc.stderr and "warnings.warn" not in proc.stderr
    for label in ("jobs arrived", "finished", "queued at end", "rejected"):
        assert label in proc.stdout
    assert "jobs of gpu_rich were rejected" in proc.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["providers"]["gpu_rich"]["jobs_rejected"] > 0


def test_a_market_that_never_traded_says_so(tmp_path: Path) -> None:
    data = two_provider_dict(horizon_s=6 * 3600)
    for p in data["providers"]:  # nobody is short of anything: nothing to trade
        p["dnn"]["rate_per_h"] = 0.1
        p["web"]["mean_rps"] = 10
    proc = fedsim("run", str(write(data, tmp_path / "s.yaml")), "--quiet", "--no-baseline",
                  "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "the market never traded" in proc.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["federation"]["trades"]["epochs_with_trade"] == 0


def test_no_solver_banner_on_stdout(tmp_path: Path) -> None:
    scenario = write(two_provider_dict(horizon_s=6 * 3600), tmp_path / "s.yaml")
    for args in (("run", str(scenario), "--quiet", "--out", str(tmp_path / "r")),
                 ("compare", str(scenario), "--mechanisms", "shapley", "--seeds", "1",
                  "--workers", "2", "--quiet", "--out", str(tmp_path / "c"))):
        proc = fedsim(*args)
        assert proc.returncode == 0, proc.stderr
        assert "HiGHS" not in proc.stdout + proc.stderr
        assert "Copyright" not in proc.stdout


def test_trace_cluster_without_jobs_in_the_window_warns(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(
        "timestamp,duration,num_gpus,gpu_time,cluster\n"
        + "".join(f"2017-10-01T{h:02d}:00:00,600,1,600,aa\n" for h in range(4))
    )
    data = two_provider_dict(horizon_s=6 * 3600)
    data["dnn_trace"] = {"path": str(tmp_path / "t.csv"), "job_type_mix": {"cnn": 1},
                         "cluster_to_provider": {"aa": "gpu_rich", "zz": "cpu_rich"}}
    with pytest.warns(FedsimWarning, match=r"cluster\(s\) zz have no jobs in the window"):
        prepare(scenario_from_dict(data))


def test_seeds_are_not_masked_to_32_bits() -> None:
    data = two_provider_dict(horizon_s=6 * 3600, seed=5)
    a = prepare(scenario_from_dict(data)).world.jobs.arrival_s
    data["seed"] = 5 + 2**32  # the same low 32 bits
    b = prepare(scenario_from_dict(data)).world.jobs.arrival_s
    assert not (len(a) == len(b) and np.array_equal(a, b))


def test_results_saved_by_fedsim_0_1_still_load(tmp_path: Path) -> None:
    result = run(scenario_from_dict(two_provider_dict(horizon_s=3 * 3600)), baseline=False)
    out = result.save(tmp_path / "res")
    # fedsim 0.1 wrote the scenario with JSON-mode keys: gpu_mix {'1': 0.8}
    data = yaml.safe_load((out / "scenario.yaml").read_text())
    for p in data["providers"]:
        p["dnn"]["gpu_mix"] = {str(k): v for k, v in p["dnn"]["gpu_mix"].items()}
    (out / "scenario.yaml").write_text(yaml.safe_dump(data))
    loaded = Result.load(out)
    assert loaded.scenario == result.scenario
