"""Small scenarios built in code for tests (as plain dicts, like parsed YAML)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml


def two_provider_dict(horizon_s: float = 86400.0, seed: int = 7) -> dict[str, Any]:
    """A GPU-rich and a CPU-rich provider, both with DNN and web load, one day."""
    return {
        "name": "two",
        "seed": seed,
        "horizon_s": horizon_s,
        "affinity": {
            "reference_gpu": "k80",
            "dataset_gb": 5,
            "table": {"cnn": {"k80": 1.0, "v100": 6.0}, "rec": {"k80": 10.0, "v100": 8.0}},
        },
        "network": {"bandwidth_gbps": 10, "rtt_ms": 30, "egress_usd_per_gb": 0.02},
        "federation": {"mechanism": {"name": "lp_welfare"}, "epoch_s": 600},
        "providers": [
            {
                "name": "gpu_rich",
                "pools": {"gpu:v100": 16, "cpu": 64},
                "cost": {
                    "idle_usd_per_unit_h": {"gpu:v100": 0.5, "cpu": 0.01},
                    "busy_usd_per_unit_h": {"gpu:v100": 1.0, "cpu": 0.03},
                },
                "prices": {"dnn_usd_per_gpu_h": 0.9},
                "dnn": {
                    "rate_per_h": 3,
                    "gpu_mix": {1: 0.8, 2: 0.2},
                    "duration": {"dist": "lognormal", "median_s": 3600, "sigma": 0.8},
                    "job_type_mix": {"cnn": 0.7, "rec": 0.3},
                },
                "web": {
                    "mean_rps": 1500,
                    "peak_to_trough": 2.0,
                    "service_ms": 40,
                    "sla": {"percentile": 0.95, "latency_ms": 200},
                    "revenue_usd_per_request": 2e-6,
                    "penalty_usd_per_violation": 4e-6,
                },
            },
            {
                "name": "cpu_rich",
                "pools": {"gpu:k80": 16, "cpu": 1024},
                "cost": {
                    "idle_usd_per_unit_h": {"gpu:k80": 0.1, "cpu": 0.005},
                    "busy_usd_per_unit_h": {"gpu:k80": 0.25, "cpu": 0.012},
                },
                "prices": {"dnn_usd_per_gpu_h": 0.9},
                "dnn": {
                    "rate_per_h": 8,
                    "gpu_mix": {1: 0.7, 2: 0.2, 4: 0.1},
                    "duration": {"dist": "lognormal", "median_s": 5400, "sigma": 1.0},
                    "job_type_mix": {"cnn": 0.6, "rec": 0.4},
                },
                "web": {
                    "mean_rps": 8000,
                    "peak_to_trough": 2.0,
                    "phase_s": 43200,
                    "service_ms": 40,
                    "sla": {"percentile": 0.95, "latency_ms": 200},
                    "revenue_usd_per_request": 2e-6,
                    "penalty_usd_per_violation": 4e-6,
                },
            },
        ],
    }


def round_based_dict() -> dict[str, Any]:
    """One provider, two GPU types, 3 days of jobs under heterogeneity-agnostic max-min."""
    # Heterogeneity-agnostic max-min in short rounds on two types, more jobs than GPUs:
    # types are visited in a new random order each round, so running jobs keep moving.
    return {
        "name": "moves", "seed": 3, "horizon_s": 3 * 86400.0,
        "affinity": {"reference_gpu": "k80", "dataset_gb": 0,
                     "table": {"m": {"k80": 1.0, "v100": 2.5}, "n": {"k80": 1.0, "v100": 1.5}}},
        "federation": {"mechanism": {"name": "isolated"}, "epoch_s": 3600},
        "local_scheduler": {"name": "max_min_fairness_agnostic", "round_s": 300,
                            "preemption_cost_s": 20},
        "providers": [{
            "name": "A", "pools": {"gpu:k80": 4, "gpu:v100": 4},
            "prices": {"dnn_usd_per_gpu_h": 1.0, "dnn_wait_penalty_usd_per_gpu_h": 0.3},
            "dnn": {"rate_per_h": 4, "gpu_mix": {1: 0.7, 2: 0.3},
                    "duration": {"dist": "lognormal", "median_s": 5400, "sigma": 0.7},
                    "job_type_mix": {"m": 0.5, "n": 0.5}},
        }],
    }


def write(data: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(copy.deepcopy(data), sort_keys=False))
    return path
