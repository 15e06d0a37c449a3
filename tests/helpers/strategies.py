"""Hypothesis strategies for valid scenarios, and the invariants every run must satisfy.

Used by ``tests/test_properties.py`` (a small budget in the suite) and by
``scripts/fuzz_scenarios.py`` (thousands of runs, counted)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from fedsim.mechanisms.registry import BUILTIN
from fedsim.schedulers.registry import BUILTIN as SCHEDULERS

GPU_TYPES = ("k80", "p100", "v100")
JOB_TYPES = ("cnn", "lm", "rec")
MECHANISMS = tuple(sorted(BUILTIN))
NAMES = ("alpha", "beta", "gamma", "delta", "epsilon")
# may leave a residual by design (reported, not an error): Clarke pivot, trade reduction
NOT_BUDGET_BALANCED = frozenset({"vcg", "double_auction"})


def _money(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 4))


@st.composite
def providers(draw: st.DrawFn, name: str, requests_mode: bool) -> dict[str, Any]:
    pools: dict[str, int] = {}
    for gpu in GPU_TYPES:  # each GPU type: absent, empty, or some GPUs
        kind = draw(st.sampled_from(("absent", "zero", "some", "some")))
        if kind != "absent":
            pools[f"gpu:{gpu}"] = 0 if kind == "zero" else draw(st.integers(1, 24))
    if draw(st.booleans()) or not pools:
        pools["cpu"] = draw(st.sampled_from((0, 8, 64, 512)))
    idle: dict[str, float] = {}
    busy: dict[str, float] = {}
    for key in pools:
        if draw(st.booleans()):
            idle[key] = draw(_money(0.0, 1.0))
            busy[key] = round(idle[key] + draw(_money(0.0, 1.0)), 4)
    provider: dict[str, Any] = {
        "name": name,
        "pools": pools,
        "cost": {"idle_usd_per_unit_h": idle, "busy_usd_per_unit_h": busy},
        "prices": {
            "dnn_usd_per_gpu_h": draw(_money(0.1, 3.0)),
            "dnn_wait_penalty_usd_per_gpu_h": draw(_money(0.0, 1.0)),
        },
        "cpu_speed": draw(st.sampled_from((0.5, 1.0, 1.5))),
    }
    if draw(st.booleans()):
        provider["scheduler"] = {
            "name": draw(st.sampled_from(sorted(SCHEDULERS))),
            "round_s": draw(st.sampled_from((None, 0.0, 300.0, 1800.0))),
            "preemption_cost_s": draw(st.sampled_from((0.0, 60.0))),
        }
    if draw(st.booleans()):
        sizes = draw(st.lists(st.sampled_from((1, 2, 4, 8)), min_size=1, max_size=3, unique=True))
        provider["dnn"] = {
            "rate_per_h": draw(_money(0.0, 12.0)),
            "gpu_mix": {n: draw(_money(0.1, 1.0)) for n in sizes},
            "duration": {
                "dist": draw(st.sampled_from(("lognormal", "exponential", "fixed"))),
                "median_s": draw(st.sampled_from((600.0, 1800.0, 5400.0))),
                "sigma": draw(_money(0.0, 1.5)),
            },
            "job_type_mix": {
                t: draw(_money(0.1, 1.0))
                for t in draw(st.lists(st.sampled_from(JOB_TYPES), min_size=1, unique=True))
            },
            "diurnal_peak_to_trough": draw(st.sampled_from((1.0, 2.0))),
        }
        if draw(st.booleans()):
            lo = draw(st.sampled_from((1, 2)))
            provider["dnn"]["configuration"] = {
                "workers": [lo, draw(st.sampled_from((lo, 4, 8)))],
                "objective": draw(st.sampled_from(("fastest", "cheapest", "per_dollar"))),
            }
    if draw(st.booleans()):
        provider["serverless"] = {
            "gpu_type": draw(st.sampled_from(GPU_TYPES)),
            "usd_per_gpu_s": draw(_money(0.0, 0.001)),
            "usd_per_gb_s": draw(_money(0.0, 1e-5)),
            "usd_per_request": draw(_money(0.0, 1e-3)),
            "round_ms": draw(st.sampled_from((1.0, 1000.0))),
            "concurrency": draw(st.integers(1, 16)),
            "cold_start_s": draw(st.sampled_from((0.0, 60.0))),
            "max_invocation_s": draw(st.sampled_from((120.0, 900.0))),
            "burst": draw(st.booleans()),
            "burst_after_s": draw(st.sampled_from((None, 0.0, 3600.0))),
        }
    if draw(st.booleans()):
        service_ms = draw(st.sampled_from((20.0, 40.0, 60.0)))
        max_rps = 300.0 if requests_mode else 6000.0
        provider["web"] = {
            "mean_rps": draw(_money(0.0, max_rps)),
            "peak_to_trough": draw(st.sampled_from((1.0, 2.5))),
            "phase_s": draw(st.sampled_from((0.0, 43200.0))),
            "service_ms": service_ms,
            # P(S > 10 s̄) = e^-10 at cpu_speed 1, e^-5 at 0.5: under 1 - p for every p here
            "sla": {"percentile": draw(st.sampled_from((0.9, 0.95, 0.99))),
                    "latency_ms": 10.0 * service_ms},
            "revenue_usd_per_request": draw(_money(1e-6, 5e-6)),
            "penalty_usd_per_violation": draw(_money(0.0, 5e-6)),
        }
        if draw(st.booleans()):
            provider["web"]["serverless"] = {
                "usd_per_gb_s": draw(_money(0.0, 2e-5)),
                "usd_per_request": draw(_money(0.0, 1e-6)),
                "memory_gb": draw(st.sampled_from((0.25, 1.0))),
                "concurrency": draw(st.integers(1, 100)),
                "cold_start_s": draw(st.sampled_from((0.0, 1.0))),
                "keep_warm_s": draw(st.sampled_from((0.0, 600.0))),
            }
    kind = draw(st.sampled_from(("none", "none", "hpo", "model_selection", "dag")))
    job_type = draw(st.sampled_from(JOB_TYPES))
    if kind == "hpo":
        provider["hpo"] = {
            "start_s": draw(st.lists(st.sampled_from((0.0, 1800.0, 7200.0)), max_size=2)),
            "rate_per_h": draw(st.sampled_from((0.0, 0.2))),
            "trials": draw(st.integers(1, 30)),
            "policy": draw(st.sampled_from(("random", "sha", "hyperband", "asha", "hybrid"))),
            "r_min": 1, "r_max": draw(st.sampled_from((1, 3, 9))), "eta": 3,
            "unit_s": draw(st.sampled_from((60.0, 600.0))),
            "cost_sigma": draw(st.sampled_from((0.0, 0.5))),
            "workers": draw(st.integers(1, 8)),
            "gpus_per_trial": draw(st.sampled_from((1, 2))),
            "job_type": job_type,
        }
    elif kind == "model_selection":
        provider["model_selection"] = {
            "start_s": draw(st.lists(st.sampled_from((0.0, 3600.0)), max_size=2)),
            "strategy": draw(st.sampled_from(("task_parallel", "data_parallel", "mop"))),
            "workers": draw(st.integers(1, 4)), "configs": draw(st.integers(1, 8)),
            "epochs": draw(st.integers(1, 3)), "examples": 20_000, "batch": 32,
            "bytes_per_example": 1e3, "model_mb": [10.0, 100.0], "job_type": job_type,
        }
    elif kind == "dag":
        layers = draw(st.integers(1, 12))
        provider["dag"] = {
            "start_s": draw(st.lists(st.sampled_from((0.0, 600.0)), max_size=2)),
            "layers": layers, "layer_fwd_ms": [5.0, 10.0],
            "activation_mb": draw(st.sampled_from((0.0, 20.0))),
            "pipeline": draw(st.integers(1, min(layers, 4))),
            "tensor": draw(st.sampled_from((1, 2))),
            "micro_batches": draw(st.integers(1, 8)), "steps": draw(st.integers(10, 3000)),
            "schedule": draw(st.sampled_from(("gpipe", "1f1b"))), "job_type": job_type,
        }
    return provider


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A valid scenario: 2-5 providers with random pools (zero and missing ones too), any
    built-in mechanism, any member subset, either web model, a few hours to a day."""
    n = draw(st.integers(2, 5))
    names = NAMES[:n]
    requests_mode = draw(st.sampled_from(("fluid", "fluid", "requests"))) == "requests"
    table = {
        t: {g: (draw(_money(0.5, 10.0)) if g == "k80" or draw(st.integers(0, 4)) else 0.0)
            for g in GPU_TYPES}
        for t in JOB_TYPES
    }
    members = None
    if draw(st.booleans()):
        members = draw(st.lists(st.sampled_from(names), min_size=1, max_size=n, unique=True))
    links = []
    if n > 2 and draw(st.booleans()):
        links.append({"between": [names[0], names[1]], "bandwidth_gbps": 1.0,
                      "rtt_ms": draw(st.sampled_from((5.0, 80.0)))})
    mechanism = draw(st.sampled_from(MECHANISMS))
    return {
        "name": "fuzz",
        "seed": draw(st.integers(0, 2**40)),
        "horizon_s": draw(st.sampled_from((3 * 3600.0, 8 * 3600.0, 86400.0))),
        "web_model": "requests" if requests_mode else "fluid",
        "affinity": {"reference_gpu": "k80", "dataset_gb": draw(_money(0.0, 50.0)),
                     "table": table},
        "network": {"bandwidth_gbps": draw(st.sampled_from((1.0, 10.0))),
                    "rtt_ms": draw(st.sampled_from((10.0, 40.0))),
                    "egress_usd_per_gb": draw(_money(0.0, 0.1)), "links": links},
        "federation": {"members": members, "mechanism": {"name": mechanism},
                       "epoch_s": draw(st.sampled_from((1800.0, 3600.0)))},
        "providers": [draw(providers(name, requests_mode)) for name in names],
    }


# --- invariants ----------------------------------------------------------------------

def check_invariants(result: Any) -> None:
    """The identities of one run, re-derived from its tables (not read off the summary)."""
    led = result.ledger
    parts = (
        led["revenue_dnn_usd"] + led["revenue_web_usd"] - led["sla_penalty_usd"]
        - led["operating_cost_usd"] - led["wan_cost_usd"] - led["serverless_usd"]
        + led["received_usd"]
        - led["paid_usd"] + led["transfer_usd"]
    )
    np.testing.assert_allclose(led["profit_usd"], parts, rtol=1e-9, atol=1e-6)
    scale = 1.0 + float(led["paid_usd"].abs().sum())
    assert abs(led["received_usd"].sum() - led["paid_usd"].sum()) <= 1e-9 * scale
    if result.scenario.federation.mechanism.name not in NOT_BUDGET_BALANCED:
        assert abs(led["transfer_usd"].sum()) <= 1e-6 * (1.0 + led["transfer_usd"].abs().sum())
    assert (led["cpu_busy_h"] <= led["cpu_capacity_h"] + 1e-9).all()
    assert (led["gpu_busy_h"] <= led["gpu_capacity_h"] + 1e-9).all()
    # jobs: arrived = finished + running + queued + rejected, from the jobs table
    jobs, events = result.jobs, result.events
    status = jobs["status"].astype(str).value_counts()
    assert int((events["kind"] == "arrive").sum()) == len(jobs)
    assert len(jobs) == sum(int(status.get(k, 0)) for k in
                            ("finished", "running", "queued", "rejected"))
    for name, row in result.summary["providers"].items():
        mine = jobs[jobs["owner"].astype(str) == name]["status"].astype(str)
        for k in ("finished", "running", "queued", "rejected"):
            assert row[f"jobs_{k}"] == int((mine == k).sum()), (name, k)
    # rejected jobs say why
    rejects = events[events["kind"] == "reject"]
    assert (rejects["detail"].str.len() > 0).all()
    check_capacity_from_events(result)
    check_serverless_from_events(result)


def check_serverless_from_events(result: Any) -> None:
    """Replay burst events: no pool ever runs more functions than its concurrency, and
    every job that went to a pool is marked so in the jobs table."""
    ev = result.events[result.events["kind"].isin(["burst_start", "burst_finish"])]
    limit = {p.name: p.serverless.concurrency for p in result.scenario.providers
             if p.serverless is not None}  # fmt: skip
    in_use: dict[str, float] = {}
    for owner, kind, units in zip(ev["owner"].astype(str), ev["kind"].astype(str),
                                  ev["units"].to_numpy(), strict=True):  # fmt: skip
        in_use[owner] = in_use.get(owner, 0.0) + (units if kind == "burst_start" else -units)
        assert -1e-9 <= in_use[owner] <= limit[owner] + 1e-9, (owner, in_use[owner])
    burst_jobs = set(ev.loc[ev["kind"] == "burst_start", "job"].tolist())
    assert burst_jobs == set(result.jobs.loc[result.jobs["serverless"], "job"].tolist())
    assert (result.ledger["serverless_usd"] >= 0).all()


def check_capacity_from_events(result: Any) -> None:
    """Replay start, preempt and finish events in log order: no GPU pool ever above its
    capacity or below zero."""
    ev = result.events[result.events["kind"].isin(["start", "preempt", "finish"])]
    capacity = {
        (p.name, key): units
        for p in result.scenario.providers for key, units in p.pools.items()
    }
    busy: dict[tuple[str, str], float] = {}
    sign = np.where(ev["kind"].to_numpy() == "start", 1.0, -1.0)
    for host, resource, units, s in zip(ev["host"].astype(str), ev["resource"].astype(str),
                                        ev["units"].to_numpy(), sign, strict=True):
        key = (host, resource)
        busy[key] = busy.get(key, 0.0) + s * units
        assert -1e-9 <= busy[key] <= capacity.get(key, 0) + 1e-9, (key, busy[key])


def tables_equal(a: Any, b: Any) -> None:
    """Two runs of the same scenario and seed produced identical tables."""
    for name in ("events", "jobs", "clearings", "prices", "epochs", "ledger"):
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_exact=True)
