"""The static world of a run, fully resolved from its scenario (``build.build_world``):
pools, costs, network, affinity, web services, local schedulers and the realised
workload. The engine reads only this, never the raw configuration."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from fedsim.world.affinity import AffinityTable

CPU = "cpu"


@dataclass(frozen=True)
class WebSpec:
    """One provider's web service."""

    name: str  # the provider's name (it keys the service's random stream)
    load: Any  # world.web_load.DiurnalLoad | TraceLoad | CountLoad
    service_ms: float
    latency_s: float
    percentile: float
    revenue_usd_per_request: float
    penalty_usd_per_violation: float
    sizing: str = "oracle"  # oracle | last_epoch | ewma
    ewma_alpha: float = 0.5
    headroom: float = 0.0  # sized for (1 + headroom) times the expected load
    max_wait_s: float = math.inf  # admission control: longer expected waits turned away
    serverless: Any = None  # fedsim.serverless.web.WebFunctions | None: overflow functions


JOB_KINDS = ("dnn", "model_selection", "hpo_trial", "dag")


@dataclass(frozen=True)
class JobArrays:
    """Every provider's DNN jobs merged and sorted by arrival (index ``j``)."""

    job_types: tuple[str, ...]
    arrival_s: np.ndarray
    n_gpus: np.ndarray
    job_type: np.ndarray
    ref_duration_s: np.ndarray
    owner: np.ndarray
    kind: np.ndarray | None = None  # JOB_KINDS index per job (None: all "dnn")

    def __len__(self) -> int:
        return len(self.arrival_s)


@dataclass(frozen=True)
class World:
    """Everything static about a run; index ``i`` over providers, ``r`` over resources."""

    seed: int
    horizon_s: float
    epoch_s: float
    web_model: str  # "fluid" | "requests"
    web_slice_s: float
    providers: tuple[str, ...]
    members: tuple[int, ...]
    resources: tuple[str, ...]  # "gpu:<type>"..., then "cpu"
    gpu_types: tuple[str, ...]  # resource r < len(gpu_types) is gpu_types[r]
    capacity_units: np.ndarray  # [i, r]
    idle_cost_usd_per_unit_h: np.ndarray  # [i, r]
    busy_cost_usd_per_unit_h: np.ndarray  # [i, r]
    dnn_price_usd_per_gpu_h: np.ndarray  # [i]
    dnn_wait_penalty_usd_per_gpu_h: np.ndarray  # [i]
    cpu_speed: np.ndarray  # [i]
    rtt_s: np.ndarray  # [i, j]
    bandwidth_gbps: np.ndarray  # [i, j]
    egress_usd_per_gb: float
    dataset_gb: float
    affinity: AffinityTable
    reference_gpu: str
    jobs: JobArrays
    web: tuple[WebSpec | None, ...]  # [i]
    schedulers: tuple[Any, ...]  # [i] LocalScheduler instances
    round_s: tuple[float, ...]  # [i] 0: decide at every arrival and completion
    preemption_cost_s: tuple[float, ...]  # [i] checkpoint + restore, per resumed stint
    hpo: tuple[Any, ...] = ()  # [i] fedsim.hpo.spec.HpoSpec | None: hyperparameter searches
    model_selection: tuple[Any, ...] = ()  # [i] fedsim.modelsel.workload.SelectionPlan | None
    dag: tuple[Any, ...] = ()  # [i] fedsim.dag.workload.DagPlan | None
    serverless: tuple[Any, ...] = ()  # [i] engine.serverless.BurstPool | None

    @property
    def n_providers(self) -> int:
        return len(self.providers)

    @property
    def cpu_index(self) -> int:
        return len(self.resources) - 1

    @property
    def n_epochs(self) -> int:
        return max(1, math.ceil(self.horizon_s / self.epoch_s - 1e-9))

    def ref_steps_per_s(self, job_type: int, n_gpus: int) -> float:
        """Whole-gang throughput on the reference GPU type."""
        name = self.affinity.job_types[job_type]
        return self.affinity.steps_per_s(name, self.reference_gpu, n_gpus)

    def slowdown(self, job_type: int, n_gpus: int) -> tuple[float, ...]:
        """Seconds per reference second of work on each GPU type (inf: cannot run)."""
        name = self.affinity.job_types[job_type]
        ref = self.affinity.steps_per_s(name, self.reference_gpu, n_gpus)
        speeds = [self.affinity.steps_per_s(name, g, n_gpus) for g in self.gpu_types]
        return tuple(ref / s if s > 0 and ref > 0 else math.inf for s in speeds)
