"""Small web-only federations built in code: the hand-solved two-provider cases and
random ones for ex-post individual rationality."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

AFFINITY = {"reference_gpu": "k80", "table": {"cnn": {"k80": 1.0}}}


def web_provider(name: str, cores: int, rps: float, *, service_ms: float = 40.0,
                 latency_ms: float = 150.0, percentile: float = 0.95, **extra: Any
                 ) -> dict[str, Any]:
    p: dict[str, Any] = {
        "name": name,
        "pools": {"cpu": cores},
        "cost": {"idle_usd_per_unit_h": {"cpu": 0.0}, "busy_usd_per_unit_h": {"cpu": 0.01}},
        "prices": {"dnn_usd_per_gpu_h": 1.0},
    }
    if rps > 0:
        p["web"] = {
            "mean_rps": rps,
            "service_ms": service_ms,
            "sla": {"percentile": percentile, "latency_ms": latency_ms},
            "revenue_usd_per_request": 1e-5,
            "penalty_usd_per_violation": 1e-5,
        }
    for key, value in extra.items():
        if key not in ("peak_to_trough", "phase_s", "sizing"):
            p[key] = value
        elif "web" in p:
            p["web"][key] = value
    return p


def two_web_providers(own_cores: int, rps: float, peer_cores: int = 64, *,
                      mechanism: str = "lp_welfare", web_model: str = "fluid",
                      rtt_ms: float = 20.0, horizon_s: float = 3600.0) -> dict[str, Any]:
    """Provider ``a`` (``own_cores``, ``rps`` at 40 ms, p95 ≤ 150 ms) and an idle peer."""
    return {
        "name": "web_pair",
        "seed": 1,
        "horizon_s": horizon_s,
        "web_model": web_model,
        "affinity": AFFINITY,
        "network": {"rtt_ms": rtt_ms, "egress_usd_per_gb": 0.0},
        "federation": {"mechanism": {"name": mechanism}, "epoch_s": 600},
        "providers": [web_provider("a", own_cores, rps), web_provider("b", peer_cores, 0.0)],
    }


def random_web_federation(rng: np.random.Generator, mechanism: str) -> dict[str, Any]:
    """2-4 providers with random cores, diurnal loads, SLAs, CPU speeds and costs; some
    short of cores, some with room; RTTs that sometimes leave no time to serve."""
    providers = []
    for k in range(int(rng.integers(2, 5))):
        service_ms = float(rng.uniform(5.0, 80.0))
        percentile = float(rng.choice([0.9, 0.95, 0.99]))
        # attainable: e^{-L/s} < 1 - percentile needs L > s·ln(1/(1 - percentile))
        cpu_speed = float(rng.uniform(0.5, 2.0))
        floor_ms = service_ms / cpu_speed * math.log(1.0 / (1.0 - percentile))
        rps = float(rng.choice([0.0, rng.uniform(10.0, 3000.0)], p=[0.2, 0.8]))
        erlangs = rps * service_ms / 1000.0
        cores = int(rng.integers(0, int(2.0 * erlangs) + 40))
        p = web_provider(
            f"p{k}", cores, rps, service_ms=service_ms, percentile=percentile,
            latency_ms=float(floor_ms * rng.uniform(1.2, 4.0)),
            peak_to_trough=float(rng.uniform(1.0, 3.0)),
            phase_s=float(rng.uniform(0.0, 86400.0)),
            cpu_speed=cpu_speed,
        )
        idle = float(rng.uniform(0.0, 0.01))
        p["cost"] = {"idle_usd_per_unit_h": {"cpu": idle},
                     "busy_usd_per_unit_h": {"cpu": idle + float(rng.uniform(0.0, 0.05))}}
        if "web" in p:
            p["web"]["revenue_usd_per_request"] = float(rng.uniform(1e-7, 2e-5))
            p["web"]["penalty_usd_per_violation"] = float(rng.uniform(0.0, 2e-5))
        providers.append(p)
    return {
        "name": "random_web",
        "seed": int(rng.integers(0, 2**31)),
        "horizon_s": float(rng.choice([3600.0, 4 * 3600.0])),
        "affinity": AFFINITY,
        "network": {"rtt_ms": float(rng.uniform(0.0, 60.0)), "egress_usd_per_gb": 0.0},
        "federation": {"mechanism": {"name": mechanism},
                       "epoch_s": float(rng.choice([300.0, 600.0, 900.0]))},
        "providers": providers,
    }
