"""A full run: results on disk, accounting recomputed from the job and clearing tables,
determinism and common random numbers, and the fluid web model against requests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fedsim.api import run
from fedsim.config import scenario_from_dict
from fedsim.results.result import Result
from tests.helpers.scenarios import two_provider_dict

SUMMARY_PROVIDER_KEYS = {
    "profit_usd",
    "revenue_usd",
    "cost_usd",
    "net_payments_usd",
    "gpu_utilization",
    "cpu_utilization",
    "jobs_finished",
    "jct_mean_s",
    "jct_p95_s",
    "sla_violation_frac",
    "gain_vs_isolated_usd",
}


@pytest.fixture(scope="module")
def day_run() -> Result:
    data = two_provider_dict(horizon_s=86400)
    for p in data["providers"]:
        p["prices"]["dnn_wait_penalty_usd_per_gpu_h"] = 0.2
    return run(scenario_from_dict(data))


def test_save_writes_every_table_and_loads_back(day_run: Result, tmp_path: Path) -> None:
    out = day_run.save(tmp_path / "run")
    for name in ("events", "clearings", "ledger", "jobs", "prices", "epochs"):
        assert (out / f"{name}.parquet").is_file()
    summary = json.loads((out / "summary.json").read_text())
    for provider in summary["providers"].values():
        assert set(provider) >= SUMMARY_PROVIDER_KEYS
    assert {"welfare_usd", "budget_residual_usd", "individually_rational"} <= set(
        summary["federation"]
    )
    assert summary["events"] == len(day_run.events) and summary["wall_s"] > 0
    loaded = Result.load(out)
    pd.testing.assert_frame_equal(loaded.ledger, day_run.ledger)
    pd.testing.assert_frame_equal(loaded.jobs, day_run.jobs)
    assert loaded.scenario == day_run.scenario
    # saving again replaces the directory whole
    day_run.save(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_something_moves_between_providers(day_run: Result) -> None:
    assert day_run.summary["federation"]["jobs_moved"] > 0
    assert (day_run.clearings["owner"] != day_run.clearings["host"]).any()


def test_dnn_revenue_and_gpu_cost_recomputed_from_jobs(day_run: Result) -> None:
    sc = day_run.scenario
    horizon = sc.horizon_s
    jobs = day_run.jobs
    by = day_run.ledger.groupby("provider", observed=True).sum(numeric_only=True)
    for p in sc.providers:
        own = jobs[jobs["owner"] == p.name]
        # customers pay for the work done: all of a finished job, the part a running one did
        done_ref_s = own["ref_duration_s"] - own["remaining_ref_s"]
        assert (own.loc[own["status"] == "finished", "remaining_ref_s"] == 0).all()
        assert (own.loc[own["status"] == "queued", "remaining_ref_s"]
                == own.loc[own["status"] == "queued", "ref_duration_s"]).all()  # no preemption
        revenue = (p.prices.dnn_usd_per_gpu_h * own["n_gpus"] * done_ref_s / 3600).sum()
        assert by.loc[p.name, "revenue_dnn_usd"] == pytest.approx(revenue, rel=1e-9)

        hosted = jobs[jobs["host"] == p.name]
        end_s = hosted["finish_s"].fillna(horizon)  # still running at the horizon
        busy_gpu_h = (hosted["n_gpus"] * (end_s - hosted["start_s"]) / 3600).sum()
        assert by.loc[p.name, "gpu_busy_h"] == pytest.approx(busy_gpu_h, rel=1e-9)
        gpu_cost = 0.0
        for key, count in p.gpu_pools.items():
            idle = p.cost.idle_usd_per_unit_h[f"gpu:{key}"]
            busy = p.cost.busy_usd_per_unit_h[f"gpu:{key}"]
            gpu_cost += idle * count * horizon / 3600 + (busy - idle) * busy_gpu_h
        cpu = "cpu"
        cpu_cost = (
            p.cost.idle_usd_per_unit_h[cpu] * p.cpu_cores * horizon / 3600
            + (p.cost.busy_usd_per_unit_h[cpu] - p.cost.idle_usd_per_unit_h[cpu])
            * by.loc[p.name, "cpu_busy_h"]
        )
        assert by.loc[p.name, "operating_cost_usd"] == pytest.approx(gpu_cost + cpu_cost, rel=1e-9)


def test_payments_recomputed_from_jobs_and_clearings(day_run: Result) -> None:
    horizon = day_run.scenario.horizon_s
    epoch_s = day_run.scenario.federation.epoch_s
    jobs = day_run.jobs
    remote = jobs[jobs["host"].notna() & (jobs["host"] != jobs["owner"])]
    end_s = remote["finish_s"].fillna(horizon)  # still running at the horizon
    held_h = remote["n_gpus"] * (end_s - remote["start_s"]) / 3600
    gpu_pay = (remote["price_usd_per_gpu_h"] * held_h).groupby(remote["host"], observed=True).sum()
    cl = day_run.clearings
    web = cl[(cl["resource"] == "cpu") & (cl["owner"] != cl["host"])]
    web_pay = (
        (web["placed_units"] * web["price_usd_per_unit_h"] * epoch_s / 3600)
        .groupby(web["host"], observed=True)
        .sum()
    )
    by = day_run.ledger.groupby("provider", observed=True).sum(numeric_only=True)
    for name in by.index:
        expected = gpu_pay.get(name, 0.0) + web_pay.get(name, 0.0)
        assert by.loc[name, "received_usd"] == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert by["received_usd"].sum() == pytest.approx(by["paid_usd"].sum())
    assert day_run.summary["federation"]["budget_residual_usd"] == pytest.approx(0, abs=1e-9)


def test_profit_identity_and_job_identity(day_run: Result) -> None:
    led = day_run.ledger
    parts = (
        led["revenue_dnn_usd"]
        + led["revenue_web_usd"]
        - led["sla_penalty_usd"]
        - led["operating_cost_usd"]
        - led["wan_cost_usd"]
        + led["received_usd"]
        - led["paid_usd"]
        + led["transfer_usd"]
    )
    np.testing.assert_allclose(led["profit_usd"], parts)
    arrivals = (day_run.events["kind"] == "arrive").sum()
    status = day_run.jobs["status"].value_counts()
    assert (
        arrivals
        == len(day_run.jobs)
        == sum(status.get(k, 0) for k in ("finished", "running", "queued", "rejected"))
    )


def test_no_pool_ever_above_capacity(day_run: Result) -> None:
    jobs = day_run.jobs[day_run.jobs["start_s"].notna()]
    for p in day_run.scenario.providers:
        for gpu, capacity in p.gpu_pools.items():
            mine = jobs[(jobs["host"] == p.name) & (jobs["gpu"] == f"gpu:{gpu}")]
            t = np.concatenate([mine["start_s"], mine["finish_s"]])
            delta = np.concatenate([mine["n_gpus"], -mine["n_gpus"]])
            order = np.lexsort((delta, t))  # at equal times, releases before starts
            assert np.cumsum(delta[order]).max(initial=0) <= capacity


def test_same_seed_same_results_and_common_random_numbers() -> None:
    data = two_provider_dict(horizon_s=21600, seed=3)
    a = run(scenario_from_dict(data), baseline=False)
    b = run(scenario_from_dict(data), baseline=False)
    pd.testing.assert_frame_equal(a.ledger, b.ledger)
    pd.testing.assert_frame_equal(a.events, b.events)
    data["federation"]["mechanism"] = {"name": "isolated"}
    iso = run(scenario_from_dict(data), baseline=False)
    cols = ["owner", "job_type", "n_gpus", "ref_duration_s", "arrival_s"]
    pd.testing.assert_frame_equal(a.jobs[cols], iso.jobs[cols])
    data["seed"] = 4
    other = run(scenario_from_dict(data), baseline=False)
    assert not other.jobs["arrival_s"].equals(a.jobs["arrival_s"])


@pytest.mark.parametrize("remote", [False, True], ids=["own cores", "overflow to a remote site"])
def test_fluid_web_model_agrees_with_request_level(remote: bool) -> None:
    data = two_provider_dict(horizon_s=86400)
    data["federation"]["epoch_s"] = 3600
    for p in data["providers"]:
        p.pop("dnn")
        p["web"]["mean_rps"] = 25.0  # about 1 Erlang at 40 ms: a few cores, sized at p95
    if remote:
        # gpu_rich has 1 core (1 Erlang of load: unstable alone) and must serve the rest
        # 50 ms away: its remote requests meet the 200 ms SLA only within 150 ms there
        data["providers"][0]["pools"]["cpu"] = 1
        data["network"]["rtt_ms"] = 50
    fluid = run(scenario_from_dict(data), baseline=False)
    if remote:
        cl = fluid.clearings
        assert (
            (cl["resource"] == "cpu") & (cl["host"] != cl["owner"]) & (cl["placed_units"] > 0)
        ).any()
    data["web_model"] = "requests"
    requests = run(scenario_from_dict(data), baseline=False)
    for name in ("gpu_rich", "cpu_rich"):
        f = fluid.ledger[fluid.ledger["provider"] == name]
        r = requests.ledger[requests.ledger["provider"] == name]
        fluid_frac = f["web_violations"].sum() / f["web_requests"].sum()
        per_epoch = (r["web_violations"] / r["web_requests"]).to_numpy()
        # 24 hourly epochs are nearly independent replications at ~1 Erlang (a queue
        # relaxes in well under a second, an epoch is an hour): a t-interval
        half = 2.07 * per_epoch.std(ddof=1) / np.sqrt(len(per_epoch))  # t(0.975, 23)
        assert abs(per_epoch.mean() - fluid_frac) <= half + 0.002, (
            name,
            fluid_frac,
            per_epoch.mean(),
            half,
        )
        assert r["web_requests"].sum() == pytest.approx(f["web_requests"].sum(), rel=0.01)
