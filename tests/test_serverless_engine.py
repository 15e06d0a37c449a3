"""Serverless burst capacity in the engine, and the pool as the market's outside option.

Expected numbers are derived by hand from the price sheet beside each assertion.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

from fedsim.api import prepare, run
from fedsim.config import scenario_from_dict
from fedsim.engine.build import build_world
from fedsim.errors import FedsimWarning, ScenarioError
from fedsim.serverless.burst import BurstPool
from fedsim.serverless.pool import PriceSheet, ServerlessPool

SCENARIO = "scenarios/serverless_burst.yaml"


def _pool(restore_s: float = 30.0) -> BurstPool:
    sheet = PriceSheet(usd_per_gb_s=2.5e-6, usd_per_request=2e-7, round_ms=1.0,
                       usd_per_gpu_s=3e-4)  # fmt: skip
    return BurstPool("t4", ServerlessPool(sheet, 80.0, 32, 45.0, 600.0, gpus_per_function=1),
                     16.0, 900.0, restore_s, True, 600.0)  # fmt: skip


def test_outside_option_price_by_hand() -> None:
    """Per function-second 3e-4 + 16 GB × 2.5e-6 = 3.4e-4 USD → 1.224 USD/h; 4 requests an
    hour (900 s invocations) × 2e-7; a useful share of (900 − 30)/900; a job three times
    faster on the pool's GPU (slowdown 1/3): (1.224 + 8e-7)/3 · 900/870 = 0.42207 USD per
    reference GPU-hour."""
    expected = (1.224 + 8e-7) / 3.0 * 900.0 / 870.0
    assert _pool().usd_per_useful_gpu_h(1.0 / 3.0) == pytest.approx(expected, rel=1e-12)
    assert math.isinf(_pool().usd_per_useful_gpu_h(math.inf))  # cannot run there
    assert math.isinf(_pool(restore_s=900.0).usd_per_useful_gpu_h(1.0))  # no useful time


def test_invocation_chain_by_hand() -> None:
    """2,000 s of work, 900 s invocations, 30 s restores: 900 (no restore: fresh job),
    then 30 + 870, then 30 + 230; a resumed job restores in the first one too."""
    assert _pool().chain(2000.0, restore_first=False) == pytest.approx([900.0, 900.0, 260.0])
    assert _pool().chain(2000.0, restore_first=True) == pytest.approx([900.0, 900.0, 290.0])
    assert _pool().chain(100.0, restore_first=False) == pytest.approx([100.0])


def _solo(**serverless: Any) -> dict[str, Any]:
    """One provider without GPUs of its own: every job can only run on its pool."""
    pool = {"gpu_type": "t4", "usd_per_gpu_s": 0.001, "usd_per_gb_s": 1e-5,
            "usd_per_request": 0.01, "round_ms": 1000, "memory_gb": 10, "cold_start_s": 0,
            "max_invocation_s": 600, **serverless}  # fmt: skip
    provider = {
        "name": "solo", "pools": {"gpu:k80": 0},
        "prices": {"dnn_usd_per_gpu_h": 9.0, "dnn_wait_penalty_usd_per_gpu_h": 1.0},
        "dnn": {"rate_per_h": 3, "gpu_mix": {1: 1.0}, "job_type_mix": {"cnn": 1.0},
                "duration": {"dist": "fixed", "median_s": 1800}},
        "serverless": pool,
    }  # fmt: skip
    return {"name": "solo", "seed": 3, "horizon_s": 6 * 3600,
            "affinity": {"reference_gpu": "k80", "dataset_gb": 2,
                         "table": {"cnn": {"k80": 1.0, "t4": 2.0}}},
            "network": {"egress_usd_per_gb": 0.05},
            "federation": {"mechanism": {"name": "isolated"}, "epoch_s": 600},
            "providers": [provider]}  # fmt: skip


def _run(data: dict[str, Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FedsimWarning)
        return run(scenario_from_dict(data), baseline=False)


def test_jobs_burst_after_an_epoch_and_are_billed_by_hand() -> None:
    """1,800 reference seconds on a GPU twice as fast: 900 s of work in 600 s invocations
    (no restore cost): 600 + 300 s. Each is billed 1e-3 + 10 GB × 1e-5 = 1.1e-3 USD per
    second plus 0.01 a request: 600·1.1e-3 + 0.01 + 300·1.1e-3 + 0.01 = 1.01 USD per job.
    A job arriving at a goes to the pool at the first epoch start ≥ a + 600 (it waited an
    epoch) and finishes 900 s later; its data (2 GB × 0.05) moves once."""
    res = _run(_solo())
    jobs, led = res.jobs, res.ledger
    burst_s = np.ceil((jobs["arrival_s"] + 600.0) / 600.0) * 600.0
    started = jobs["start_s"].notna()
    horizon = 6 * 3600.0
    # every job the horizon left time for went to the pool (the others are still queued)
    assert started.sum() > 5 and (jobs["serverless"] == (burst_s < horizon)).all()
    assert (started == (burst_s < horizon)).all()
    assert np.allclose(jobs.loc[started, "start_s"], burst_s[started])
    done = jobs["status"] == "finished"
    assert np.allclose(jobs.loc[done, "finish_s"], burst_s[done] + 900.0)
    # a chain cut by the horizon is billed for the share that ran
    share = np.clip((horizon - burst_s[started]) / 900.0, 0.0, 1.0)
    assert led["serverless_usd"].sum() == pytest.approx(1.01 * share.sum(), rel=1e-9)
    assert led["wan_cost_usd"].sum() == pytest.approx(0.1 * started.sum(), rel=1e-9)
    # revenue 9 USD per reference GPU-hour of work done: 0.5 h per finished job
    assert led["revenue_dnn_usd"].sum() == pytest.approx(9.0 * 0.5 * share.sum(), rel=1e-9)
    # the wait until the burst is refunded at 1 USD per GPU-hour
    waited_h = (burst_s[started] - jobs.loc[started, "arrival_s"]).sum() / 3600.0
    assert led["sla_penalty_usd"].sum() >= waited_h * 1.0 - 1e-9
    summary = res.summary["providers"]["solo"]["serverless"]
    assert summary["jobs"] == int(started.sum()) and summary["finished"] == int(done.sum())


def test_too_dear_a_pool_is_refused_before_the_run() -> None:
    """At 0.01 USD per GPU-second plus 10 GB × 1e-5 (36.36 USD/h) and 6 requests an hour
    (0.06), on a GPU twice as fast, the pool costs (36.36 + 0.06)/2 = 18.21 USD per
    reference hour, more than the 10 USD/h the owner values the work at: no job can ever
    run, and the run is refused with the reason."""
    with pytest.raises(ScenarioError, match=r"none can run: .*serverless pool costs 18\.2 USD"):
        _run(_solo(usd_per_gpu_s=0.01))


def test_concurrency_caps_the_functions_in_use() -> None:
    data = _solo(concurrency=1)
    data["providers"][0]["dnn"]["rate_per_h"] = 12
    jobs = _run(data).jobs
    ran = jobs[jobs["start_s"].notna()].sort_values("start_s")
    end = ran["finish_s"].fillna(np.inf).to_numpy()
    assert (ran["start_s"].to_numpy()[1:] >= end[:-1] - 1e-9).all()  # one at a time


@pytest.mark.parametrize("markup", [0.0, 2.0, 4.0, 8.0])
def test_no_peer_is_paid_more_than_the_pool_for_the_same_work(markup: float) -> None:
    """posted_price asks the farm's busy cost (0.10 USD per K80-hour above idle) × (1 +
    markup). A K80-hour does one reference hour of work. The lab's pool costs 0.42 (resnet)
    and 0.74 (transformer) per reference hour (test above); the cap is that plus the data
    transfer amortised over the class's mean work, so every trade is priced at most there,
    and at markup 8 (0.90) nothing trades, while without the pool the lab would buy."""
    overrides = ["federation.mechanism.name=posted_price",
                 f"federation.mechanism.params.markup={markup}"]  # fmt: skip
    world = prepare(SCENARIO).world
    res = run(SCENARIO, overrides=overrides, baseline=False)
    c = res.clearings
    trades = c[(c["placed_units"] > 0) & (c["owner"] == "lab") & (c["host"] == "farm")]
    data_usd = world.dataset_gb * world.egress_usd_per_gb
    jobs = res.jobs
    for demand, price in zip(trades["demand"], trades["price_usd_per_unit_h"], strict=True):
        _, job_type, gang = str(demand).split("/")
        n = int(gang[1:])
        k = world.affinity.job_types.index(job_type)
        slow = world.affinity.steps_per_s(job_type, "k80", n) / world.affinity.steps_per_s(
            job_type, "t4", n
        )
        outside = _pool().usd_per_useful_gpu_h(slow)
        shortest_h = jobs.loc[(jobs["job_type"] == job_type) & (jobs["n_gpus"] == n),
                              "ref_duration_s"].min() / 3600.0  # fmt: skip
        assert k >= 0 and price <= outside + data_usd / (n * shortest_h) + 1e-9
    if markup >= 8.0:
        assert len(trades) == 0
        without = run(SCENARIO, overrides=[*overrides, "providers[0].serverless=null"],
                      baseline=False)  # fmt: skip
        w = without.clearings
        assert ((w["placed_units"] > 0) & (w["host"] == "farm")).any()


def test_bad_pool_settings_name_the_path() -> None:
    data = _solo(gpu_type="h100")
    with pytest.raises(ScenarioError, match=r"providers\[0\]\.serverless\.gpu_type: .*'h100'"):
        build_world(scenario_from_dict(data))
    data = _solo(max_invocation_s=20)
    data["providers"][0]["scheduler"] = {"name": "fifo", "preemption_cost_s": 30}
    with pytest.raises(ScenarioError, match=r"serverless\.max_invocation_s: 20 s leaves no"):
        build_world(scenario_from_dict(data))
    with pytest.raises(ScenarioError, match=r"serverless\.memory_gb"):
        scenario_from_dict(_solo(memory_gb=100, memory_cap_gb=80))


def test_same_seed_same_tables() -> None:
    a, b = run(SCENARIO, baseline=False), run(SCENARIO, baseline=False)
    assert a.jobs.equals(b.jobs) and a.ledger.equals(b.ledger)
    assert a.summary["providers"]["lab"]["serverless"]["jobs"] > 0


def _web_only(functions: dict[str, Any] | None) -> dict[str, Any]:
    """A web service with no cores of its own: its whole load is overflow."""
    web = {"mean_rps": 10, "service_ms": 40, "sla": {"percentile": 0.95, "latency_ms": 200},
           "revenue_usd_per_request": 2e-6, "penalty_usd_per_violation": 4e-6}  # fmt: skip
    if functions is not None:
        web["serverless"] = functions
    return {"name": "web", "seed": 1, "horizon_s": 7200, "web_model": "fluid",
            "affinity": {"reference_gpu": "k80", "table": {"cnn": {"k80": 1.0}}},
            "federation": {"mechanism": {"name": "isolated"}, "epoch_s": 600},
            "providers": [{"name": "shop", "pools": {"cpu": 0},
                           "prices": {"dnn_usd_per_gpu_h": 1.0}, "web": web}]}  # fmt: skip


def test_web_overflow_goes_to_functions_by_hand() -> None:
    """10 requests/s of 40 ms, no cores: 6,000 requests an epoch, all overflow. A function
    costs 40 ms × 0.5 GB × 1.6667e-5 + 2e-7 = 5.3334e-7 USD a request, below the 6e-6
    a shed request loses, so all 72,000 go there: 0.0384 USD. One instance is needed
    (10/s × 0.04 s); it starts cold once (0.5 s + 0.04 s > 200 ms: one violation), then
    stays warm from epoch to epoch. Without functions every request is shed."""
    fn = {"usd_per_gb_s": 1.6667e-5, "usd_per_request": 2e-7, "memory_gb": 0.5,
          "cold_start_s": 0.5}  # fmt: skip
    with_fn, without = _run(_web_only(fn)).ledger, _run(_web_only(None)).ledger
    per_request = 0.04 * 0.5 * 1.6667e-5 + 2e-7
    assert with_fn["web_requests"].sum() == pytest.approx(72000.0)
    assert with_fn["web_serverless"].sum() == pytest.approx(72000.0)
    assert with_fn["serverless_usd"].sum() == pytest.approx(72000.0 * per_request)
    assert with_fn["web_violations"].sum() == pytest.approx(1.0)
    assert with_fn["web_shed"].sum() == pytest.approx(0.0)
    assert with_fn["revenue_web_usd"].sum() == pytest.approx(71999.0 * 2e-6)
    assert without["web_shed"].sum() == pytest.approx(72000.0)
    assert without["web_violations"].sum() == pytest.approx(72000.0)
    assert with_fn["profit_usd"].sum() > without["profit_usd"].sum()


def test_web_functions_cap_what_a_bundle_is_worth() -> None:
    """6,000 requests routed to bought cores, none late: worth (2e-6 + 4e-6)·6000 = 0.036
    USD without functions, but only what the functions would charge for them with:
    (0.1 s × 0.5 GB × 1.6667e-5 + 2e-7)·6000 = 0.0062 USD. One function of 200 ms serves
    600 s / 0.2 s = 3,000 of them; the other 3,000 keep their full worth."""
    from fedsim.config.schema import WebWorkload
    from fedsim.engine.web_plan import _capped_value
    from fedsim.queueing.profile import LoadProfile
    from fedsim.serverless.web import web_functions

    routed = LoadProfile((600.0,), (10.0,))
    base = {"mean_rps": 10, "service_ms": 100, "revenue_usd_per_request": 2e-6,
            "penalty_usd_per_violation": 4e-6}  # fmt: skip
    fn = {"usd_per_gb_s": 1.6667e-5, "usd_per_request": 2e-7, "memory_gb": 0.5}

    def spec(web: dict[str, Any]) -> Any:
        from fedsim.engine.world import WebSpec

        w = WebWorkload(**web)
        return WebSpec("shop", None, w.service_ms, 0.2, 0.95, w.revenue_usd_per_request,
                       w.penalty_usd_per_violation, serverless=web_functions(w))  # fmt: skip

    assert _capped_value(spec(base), routed, 0.0) == pytest.approx(0.036)
    capped = _capped_value(spec({**base, "serverless": fn}), routed, 0.0)
    assert capped == pytest.approx(6000 * (0.1 * 0.5 * 1.6667e-5 + 2e-7))
    slow = {**base, "service_ms": 200, "serverless": {**fn, "concurrency": 1}}
    c200 = 0.2 * 0.5 * 1.6667e-5 + 2e-7
    assert _capped_value(spec(slow), routed, 0.0) == pytest.approx(3000 * c200 + 3000 * 6e-6)


def test_a_pool_kept_only_as_outside_option_runs_nothing() -> None:
    """``burst: false``: the pool is cheap, but jobs may not go there, so a provider with
    no GPUs can run none; the refusal does not blame the pool's price."""
    with pytest.raises(ScenarioError, match="none can run") as info:
        _run(_solo(burst=False))
    assert "serverless pool costs" not in str(info.value)
