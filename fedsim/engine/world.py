"""Build the static world of a run from a validated scenario: pools, costs, network,
affinity, and the realised workload (jobs per provider, from their named streams)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fedsim.config.schema import Scenario
from fedsim.engine.streams import stream
from fedsim.errors import FedsimError, ScenarioError, TraceError
from fedsim.world.affinity import AffinityTable
from fedsim.world.jobs import DurationSpec, JobBatch, generate_jobs
from fedsim.world.profile_affinity import affinity_from_profile
from fedsim.world.traces import read_philly

CPU = "cpu"


@dataclass(frozen=True)
class JobArrays:
    """Every provider's DNN jobs merged and sorted by arrival (index ``j``)."""

    job_types: tuple[str, ...]
    arrival_s: np.ndarray
    n_gpus: np.ndarray
    job_type: np.ndarray
    ref_duration_s: np.ndarray
    owner: np.ndarray

    def __len__(self) -> int:
        return len(self.arrival_s)


@dataclass(frozen=True)
class World:
    """Everything static about a run; index ``i`` over providers, ``r`` over resources."""

    scenario: Scenario
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

    @property
    def n_providers(self) -> int:
        return len(self.providers)

    @property
    def cpu_index(self) -> int:
        return len(self.resources) - 1


def _affinity(scenario: Scenario) -> AffinityTable:
    spec = scenario.affinity
    if spec.profile is not None:
        try:
            table = affinity_from_profile(spec.profile)
        except ScenarioError:
            raise
        except FedsimError as exc:
            raise ScenarioError(f"affinity.profile: {exc}") from None
    elif spec.gavel_csv is not None:
        try:
            table = AffinityTable.from_gavel_csv(spec.gavel_csv)
        except FedsimError as exc:
            raise ScenarioError(f"affinity.gavel_csv: {exc}") from None
    else:
        table = AffinityTable.from_mapping(spec.table or {})
    if spec.reference_gpu not in table.gpu_types:
        raise ScenarioError(
            f"affinity.reference_gpu: {spec.reference_gpu!r} has no throughput entries; "
            f"known GPU types: {', '.join(table.gpu_types)}"
        )
    return table


def _check_job_types(mix: dict[str, float], table: AffinityTable, where: str) -> None:
    unknown = sorted(set(mix) - set(table.job_types))
    if unknown:
        raise ScenarioError(
            f"{where}: unknown job type(s) {', '.join(unknown)}; the affinity table knows: "
            f"{', '.join(table.job_types)}"
        )


def _network(scenario: Scenario, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    n = len(names)
    net = scenario.network
    rtt_s = np.full((n, n), net.rtt_ms / 1000.0)
    bw = np.full((n, n), net.bandwidth_gbps)
    index = {name: k for k, name in enumerate(names)}
    for link in net.links:
        a, b = index[link.between[0]], index[link.between[1]]
        rtt_s[a, b] = rtt_s[b, a] = link.rtt_ms / 1000.0
        bw[a, b] = bw[b, a] = link.bandwidth_gbps
    np.fill_diagonal(rtt_s, 0.0)
    np.fill_diagonal(bw, np.inf)
    return rtt_s, bw


def _generated_jobs(
    scenario: Scenario, k: int, job_types: tuple[str, ...], table: AffinityTable
) -> JobBatch | None:
    p = scenario.providers[k]
    if p.dnn is None:
        return None
    _check_job_types(p.dnn.job_type_mix, table, f"providers[{k}].dnn.job_type_mix")
    d = p.dnn
    return generate_jobs(
        stream(scenario.seed, f"dnn/{p.name}"),
        horizon_s=scenario.horizon_s,
        rate_per_h=d.rate_per_h,
        gpu_mix=d.gpu_mix,
        duration=DurationSpec(
            dist=d.duration.dist,
            median_s=d.duration.median_s,
            sigma=d.duration.sigma,
            max_s=d.duration.max_s,
        ),
        job_type_mix=d.job_type_mix,
        job_types=job_types,
        diurnal_peak_to_trough=d.diurnal_peak_to_trough,
        diurnal_phase_s=d.diurnal_phase_s,
    )


def _trace_jobs(
    scenario: Scenario, job_types: tuple[str, ...], table: AffinityTable
) -> dict[str, JobBatch]:
    tr = scenario.dnn_trace
    if tr is None:
        return {}
    _check_job_types(tr.job_type_mix, table, "dnn_trace.job_type_mix")
    if not Path(tr.path).is_file():
        raise ScenarioError(f"dnn_trace.path: trace file not found: {tr.path}")
    try:
        return read_philly(
            tr.path,
            cluster_to_provider=tr.cluster_to_provider,
            t_start_s=tr.start_s,
            t_end_s=tr.start_s + scenario.horizon_s,
            rng=stream(scenario.seed, "trace/job_types"),
            job_types=job_types,
            job_type_mix=tr.job_type_mix,
        )
    except TraceError as exc:
        raise ScenarioError(f"dnn_trace.path: {exc}") from None


def build_world(scenario: Scenario) -> World:
    """Resolve a scenario into arrays and realise its workload (deterministic in the seed)."""
    table = _affinity(scenario)
    names = tuple(p.name for p in scenario.providers)
    gpu_types = tuple(sorted({g for p in scenario.providers for g in p.gpu_pools}))
    for k, p in enumerate(scenario.providers):
        for g in p.gpu_pools:
            if g not in table.gpu_types:
                raise ScenarioError(
                    f"providers[{k}].pools.gpu:{g}: the affinity table has no throughput for "
                    f"GPU type {g!r}; its GPU types: {', '.join(table.gpu_types)}"
                )
    resources = (*(f"gpu:{g}" for g in gpu_types), CPU)
    n_i, n_r = len(names), len(resources)
    cap = np.zeros((n_i, n_r))
    idle = np.zeros((n_i, n_r))
    busy = np.zeros((n_i, n_r))
    for i, p in enumerate(scenario.providers):
        for r, key in enumerate(resources):
            cap[i, r] = p.pools.get(key, 0)
            idle[i, r] = p.cost.idle_usd_per_unit_h.get(key, 0.0)
            busy[i, r] = p.cost.busy_usd_per_unit_h.get(key, idle[i, r])
    rtt_s, bw = _network(scenario, names)

    job_types = table.job_types
    batches: dict[str, JobBatch] = {}
    for k, p in enumerate(scenario.providers):
        gen = _generated_jobs(scenario, k, job_types, table)
        if gen is not None:
            batches[p.name] = gen
    for name, batch in _trace_jobs(scenario, job_types, table).items():
        batches[name] = batches[name].concat(batch) if name in batches else batch
    parts = [(names.index(n), b) for n, b in batches.items() if len(b)]
    cols = {
        "arrival_s": (float, [b.arrival_s for _, b in parts]),
        "n_gpus": (np.int64, [b.n_gpus for _, b in parts]),
        "job_type": (np.int64, [b.job_type for _, b in parts]),
        "ref_duration_s": (float, [b.ref_duration_s for _, b in parts]),
        "owner": (np.int64, [np.full(len(b), i) for i, b in parts]),
    }
    merged = {k: np.concatenate(v).astype(t) if v else np.zeros(0, t) for k, (t, v) in cols.items()}
    order = np.argsort(merged["arrival_s"], kind="stable")
    jobs = JobArrays(job_types=job_types, **{k: v[order] for k, v in merged.items()})

    members = tuple(names.index(m) for m in scenario.member_names)
    return World(
        scenario=scenario,
        providers=names,
        members=members,
        resources=resources,
        gpu_types=gpu_types,
        capacity_units=cap,
        idle_cost_usd_per_unit_h=idle,
        busy_cost_usd_per_unit_h=busy,
        dnn_price_usd_per_gpu_h=np.array([p.prices.dnn_usd_per_gpu_h for p in scenario.providers]),
        dnn_wait_penalty_usd_per_gpu_h=np.array(
            [p.prices.dnn_wait_penalty_usd_per_gpu_h for p in scenario.providers]
        ),
        cpu_speed=np.array([p.cpu_speed for p in scenario.providers]),
        rtt_s=rtt_s,
        bandwidth_gbps=bw,
        egress_usd_per_gb=scenario.network.egress_usd_per_gb,
        dataset_gb=scenario.affinity.dataset_gb,
        affinity=table,
        reference_gpu=scenario.affinity.reference_gpu,
        jobs=jobs,
    )
