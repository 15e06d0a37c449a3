"""The engine under local schedulers: preemption keeps exactly the work done, the event
order at an epoch boundary, FIFO's fast path equals its pure function, and a guest
keeps the capacity its owner bought."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fedsim.api import prepare, run
from fedsim.config import scenario_from_dict
from fedsim.engine.local import LocalScheduling
from fedsim.engine.simulation import Simulation
from fedsim.mechanisms import make
from tests.helpers.scenarios import two_provider_dict
from tests.helpers.strategies import check_invariants


def _trace(tmp_path: Path, rows: list[tuple[int, int]]) -> Path:
    """Philly-format trace: (arrival second, duration s) per 1-GPU job of cluster 'a'."""
    path = tmp_path / "trace.csv"
    path.write_text("timestamp,duration,num_gpus,gpu_time,cluster\n" + "".join(
        f"2017-10-01 00:{t // 60:02d}:{t % 60:02d},{d},1,{d},a\n" for t, d in rows))
    return path


def _one_provider(tmp_path: Path, rows, pools, scheduler, horizon_s=4000.0, table=None) -> dict:
    return {
        "name": "sched", "horizon_s": horizon_s,
        "affinity": {"reference_gpu": "k80", "dataset_gb": 0,
                     "table": table or {"m": {"k80": 1.0, "v100": 2.0}}},
        "federation": {"mechanism": {"name": "isolated"}, "epoch_s": 600},
        "local_scheduler": scheduler,
        "dnn_trace": {"path": str(_trace(tmp_path, rows)), "cluster_to_provider": {"a": "A"},
                      "job_type_mix": {"m": 1}},
        "providers": [{"name": "A", "pools": pools,
                       "prices": {"dnn_usd_per_gpu_h": 1.0,
                                  "dnn_wait_penalty_usd_per_gpu_h": 0.5}}],
    }


def test_preemption_keeps_exactly_the_work_done(tmp_path: Path) -> None:
    # One V100 (2x the reference K80), SRTF, rounds of 100 s, 30 s to restore a checkpoint.
    # Job A: 2000 s of reference work (1000 s on the V100) from t=0; job B: 200 s (100 s)
    # from t=250. t=0: A starts. t=300: A has 700 s of V100 time left, B 100 s: B runs,
    # A is preempted with exactly 300 s done (600 s of reference work). t=400: B is done,
    # A resumes: 30 s restoring, then 700 s: it finishes at 1130.
    data = _one_provider(tmp_path, [(0, 2000), (250, 200)], {"gpu:v100": 1},
                         {"name": "srtf", "round_s": 100, "preemption_cost_s": 30})
    result = run(scenario_from_dict(data), baseline=False)
    jobs = result.jobs.set_index("job")
    a, b = jobs.loc[0], jobs.loc[1]
    assert a["finish_s"] == pytest.approx(1130.0) and b["finish_s"] == pytest.approx(400.0)
    assert a["preemptions"] == 1 and b["preemptions"] == 0
    assert a["remaining_ref_s"] == 0.0
    assert a["attained_gpu_s"] == pytest.approx(300 + 730)  # held: before + after (restore)
    assert a["time_on_v100_s"] == pytest.approx(1030.0)
    assert a["queue_delay_s"] == pytest.approx(100.0) and b["queue_delay_s"] == pytest.approx(50.0)
    ev = result.events
    assert ev[ev["kind"] == "preempt"]["t_s"].tolist() == [300.0]
    led = result.ledger.groupby("provider", observed=True).sum(numeric_only=True)
    # customers pay for the work exactly once: (2000 + 200) s at 1 $/GPU-h
    assert led.loc["A", "revenue_dnn_usd"] == pytest.approx(2200 / 3600)
    # and are refunded 0.5 $/GPU-h for the 150 s of waiting
    assert led.loc["A", "sla_penalty_usd"] == pytest.approx(0.5 * 150 / 3600)
    check_invariants(result)


def test_a_preempted_job_resumes_on_another_type_with_its_work(tmp_path: Path) -> None:
    # LAS, rounds of 100 s, one queue threshold at 0.1 GPU-h (360 GPU-s); one K80 and one
    # V100 (2x). A (3000 s of reference work) starts alone on the V100 at 0. B (100 s)
    # arrives at 50: at the round at 100 both are in queue 0, A keeps the V100, B takes
    # the K80 and finishes at 200. C (400 s) arrives at 350: at 400, A has attained 400
    # GPU-s (queue 1) and C goes first: C takes the V100, A moves to the K80 with 800 s
    # done (preemption 1). C finishes at 600; at the round at 600 A moves back to the free
    # V100 (preemption 2) with 800 + 200 = 1000 s done: 2000 s left at 2x, done at 1600.
    data = _one_provider(
        tmp_path, [(0, 3000), (50, 100), (350, 400)], {"gpu:k80": 1, "gpu:v100": 1},
        {"name": "las", "round_s": 100, "params": {"thresholds_gpu_h": [0.1]}},
        horizon_s=10000.0,
    )
    result = run(scenario_from_dict(data), baseline=False)
    jobs = result.jobs.set_index("job")
    a = jobs.loc[0]
    assert a["finish_s"] == pytest.approx(1600.0) and a["preemptions"] == 2
    assert a["time_on_v100_s"] == pytest.approx(400 + 1000)
    assert a["time_on_k80_s"] == pytest.approx(200.0)
    assert jobs.loc[1, "finish_s"] == pytest.approx(200.0)
    assert jobs.loc[2, "finish_s"] == pytest.approx(600.0)
    # its 3000 s of reference work done exactly once, across both types
    assert a["time_on_v100_s"] * 2.0 + a["time_on_k80_s"] == pytest.approx(3000.0)
    led = result.ledger.groupby("provider", observed=True).sum(numeric_only=True)
    assert led.loc["A", "revenue_dnn_usd"] == pytest.approx((3000 + 100 + 400) / 3600)
    check_invariants(result)


def test_a_job_finishing_at_an_epoch_boundary_frees_its_gpu_before_the_market(
    tmp_path: Path,
) -> None:
    # A owns one K80; B an idle V100 (2x faster). Job 1 (600 s) runs 0-600 at home; job 2
    # arrives at 1 s and waits. Epochs of 600 s: at t=600 job 1 finishes *before* the
    # market looks, FIFO starts job 2 at home, and the market sees nothing to ship.
    data = _one_provider(tmp_path, [(0, 600), (1, 600)], {"gpu:k80": 1}, "fifo",
                         horizon_s=3000.0)
    data["federation"]["mechanism"] = {"name": "lp_welfare"}
    data["network"] = {"bandwidth_gbps": 10, "rtt_ms": 40, "egress_usd_per_gb": 0.0}
    data["providers"].append({"name": "B", "pools": {"gpu:v100": 1},
                              "prices": {"dnn_usd_per_gpu_h": 1.0}})
    result = run(scenario_from_dict(data), baseline=False)
    jobs = result.jobs.set_index("job")
    assert jobs.loc[0, "finish_s"] == 600.0
    assert jobs.loc[1, "host"] == "A" and jobs.loc[1, "start_s"] == 600.0
    assert result.summary["federation"]["jobs_moved"] == 0


@pytest.mark.parametrize("load", [1.0, 3.0])
def test_fifo_fast_path_equals_its_pure_function(load: float,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Under light load most jobs start as they arrive, without queueing (the fast path
    skips a wait of 0 s); under 3x load queues build up. Both must equal the pure
    function's run, which queues every job and asks ``Fifo.schedule``."""
    data = two_provider_dict(horizon_s=24 * 3600)
    for p in data["providers"]:
        p["dnn"]["rate_per_h"] *= load
    prepared = prepare(scenario_from_dict(data))
    mech = make("lp_welfare")
    at_once = []
    real = LocalScheduling.start_at_once

    def counted(self: LocalScheduling, j: int, i: int, t_s: float) -> bool:
        started = real(self, j, i, t_s)
        at_once.append(started)
        return started

    monkeypatch.setattr(LocalScheduling, "start_at_once", counted)
    fast = Simulation(prepared.world, mech).run()
    pure = Simulation(prepared.world, mech, fast_paths=False).run()
    for name in ("events", "jobs", "ledger", "clearings", "epochs"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(pure, name))
    assert (fast.events["kind"] == "start").sum() > 100
    assert sum(at_once) > 20 and not all(at_once)  # both ways in both runs


@pytest.mark.parametrize("host_scheduler", ["las", "max_min_fairness"])
def test_a_guest_keeps_the_capacity_its_owner_bought(host_scheduler: str) -> None:
    # the host runs a preemptive scheduler; the market sells it GPUs for the owner's jobs:
    # the host may preempt its own jobs, never a guest, and is paid for exactly the time
    # the guest held them
    data = two_provider_dict(horizon_s=24 * 3600)
    data["providers"][0]["scheduler"] = {"name": host_scheduler}
    data["providers"][1]["dnn"]["rate_per_h"] = 20  # cpu_rich's K80s overflow to gpu_rich
    result = run(scenario_from_dict(data))
    jobs, ev = result.jobs, result.events
    guests = jobs[jobs["host"].notna() & (jobs["host"] != jobs["owner"])]
    assert len(guests) > 0
    preempted = ev[ev["kind"] == "preempt"]
    assert not preempted["job"].isin(guests["job"]).any()
    assert (preempted["host"] == preempted["owner"]).all()
    horizon = result.scenario.horizon_s
    held_h = guests["n_gpus"] * (guests["finish_s"].fillna(horizon) - guests["start_s"]) / 3600
    paid = (guests["price_usd_per_gpu_h"] * held_h).groupby(guests["host"], observed=True).sum()
    led = result.ledger.groupby("provider", observed=True).sum(numeric_only=True)
    assert led.loc["gpu_rich", "received_usd"] >= paid.get("gpu_rich", 0.0) - 1e-9
    check_invariants(result)
