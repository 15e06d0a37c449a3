"""Build the world of a run from a validated scenario: pools, costs, network, affinity,
web services, local schedulers, and the realised workload (jobs per provider, from their
named random streams)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from fedsim.config.schema import MAX_WAIT_LATENCIES, Provider, Scenario
from fedsim.engine.build_affinity import RunAffinity, check_job_types, run_affinity
from fedsim.engine.gangs import dag_plans, gang_jobs, selection_plans
from fedsim.engine.streams import stream
from fedsim.engine.world import CPU, JobArrays, WebSpec, World
from fedsim.errors import FedsimError, ScenarioError, TraceError
from fedsim.hpo.spec import hpo_spec
from fedsim.queueing.diurnal import DiurnalRate
from fedsim.serverless.burst import burst_pools
from fedsim.serverless.web import web_functions
from fedsim.world.affinity import AffinityTable
from fedsim.world.configuration import choose_configurations
from fedsim.world.gavel_trace import read_gavel
from fedsim.world.jobs import ALL_TYPES, DurationSpec, JobBatch, generate_jobs
from fedsim.world.traces import read_philly
from fedsim.world.web_load import DiurnalLoad, read_count_trace, read_request_trace


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


def _generated_jobs(scenario: Scenario, k: int, aff: RunAffinity,
                    busy_usd_per_gpu_h: dict[str, float]) -> JobBatch | None:
    p, table = scenario.providers[k], aff.table
    if p.dnn is None:
        return None
    if p.dnn.job_type_mix != ALL_TYPES:
        check_job_types(p.dnn.job_type_mix, table, f"providers[{k}].dnn.job_type_mix")
    d = p.dnn
    batch = generate_jobs(
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
        # "all" draws the scenario's own types; named ones index the whole table
        job_types=aff.drawable if d.job_type_mix == ALL_TYPES else table.job_types,
        measured=table.measured_at,
        diurnal_peak_to_trough=d.diurnal_peak_to_trough,
        diurnal_phase_s=d.diurnal_phase_s,
    )
    if d.configuration is None:
        return batch
    federation: dict[str, int] = {}
    if p.name in scenario.member_names:
        for q in scenario.providers:
            if q.name in scenario.member_names:
                for g, units in q.gpu_pools.items():
                    federation[g] = max(federation.get(g, 0), units)
    return choose_configurations(batch, table, d.configuration, p.gpu_pools, busy_usd_per_gpu_h,
                                 scenario.affinity.reference_gpu,
                                 f"providers[{k}].dnn.configuration", federation,
                                 aff.stated_batch)  # fmt: skip


def _trace_jobs(
    scenario: Scenario, job_types: tuple[str, ...], table: AffinityTable
) -> dict[str, JobBatch]:
    tr = scenario.dnn_trace
    if tr is None:
        return {}
    if not Path(tr.path).is_file():
        raise ScenarioError(f"dnn_trace.path: trace file not found: {tr.path}")
    end_s = tr.start_s + scenario.horizon_s
    try:
        if tr.format == "gavel":
            batch = read_gavel(tr.path, table, scenario.affinity.reference_gpu, tr.start_s, end_s)
            return {str(tr.provider): batch}
        check_job_types(tr.job_type_mix, table, "dnn_trace.job_type_mix")
        return read_philly(
            tr.path,
            cluster_to_provider=tr.cluster_to_provider,
            t_start_s=tr.start_s,
            t_end_s=end_s,
            rng=stream(scenario.seed, "trace/job_types"),
            job_types=job_types,
            job_type_mix=tr.job_type_mix,
        )
    except TraceError as exc:
        raise ScenarioError(f"dnn_trace.path: {exc}") from None


def _web(k: int, p: Provider, seed: int) -> WebSpec | None:
    if p.web is None:
        return None
    w = p.web
    if w.trace is None:
        load = DiurnalLoad(DiurnalRate(float(w.mean_rps or 0.0), w.peak_to_trough, w.phase_s))
    else:
        tr = w.trace
        try:
            if tr.format == "requests":
                load = read_request_trace(tr.path, tr.time_column or "TIMESTAMP",
                                          start_s=tr.start_s, time_scale=tr.time_scale,
                                          loop=tr.loop)
            else:
                load = read_count_trace(tr.path, tr.time_column or "t_s", tr.count_column,
                                        start_s=tr.start_s, time_scale=tr.time_scale,
                                        loop=tr.loop, seed=seed)
        except FedsimError as exc:
            raise ScenarioError(f"providers[{k}].web.trace: {exc}") from None
    return WebSpec(
        name=p.name,
        load=load,
        service_ms=w.service_ms,
        latency_s=w.sla.latency_ms / 1000.0,
        percentile=w.sla.percentile,
        revenue_usd_per_request=w.revenue_usd_per_request,
        penalty_usd_per_violation=w.penalty_usd_per_violation,
        sizing=w.sizing,
        ewma_alpha=w.ewma_alpha,
        headroom=w.headroom,
        max_wait_s=(w.max_wait_ms if w.max_wait_ms is not None
                    else MAX_WAIT_LATENCIES * w.sla.latency_ms) / 1000.0,
        serverless=web_functions(w),
    )


def _schedulers(
    scenario: Scenario, trusted: tuple[str, ...]
) -> tuple[tuple, tuple[float, ...], tuple[float, ...]]:
    """Each provider's local scheduler (its own, or the scenario's default), its round
    length and its preemption cost."""
    from fedsim.schedulers.registry import make

    made, rounds, costs = [], [], []
    for k, p in enumerate(scenario.providers):
        spec = p.scheduler or scenario.local_scheduler
        where = f"providers[{k}].scheduler" if p.scheduler else "local_scheduler"
        sched = make(spec.name, spec.params, trusted, where=where)
        made.append(sched)
        rounds.append(float(spec.round_s if spec.round_s is not None else sched.default_round_s))
        costs.append(float(spec.preemption_cost_s))
    return tuple(made), tuple(rounds), tuple(costs)


def build_world(scenario: Scenario, trust_code: Iterable[str] = ()) -> World:
    """Resolve a scenario into arrays and realise its workload (deterministic in the seed).

    ``trust_code`` lists the ``module:Class`` plug-ins (schedulers) the user trusts."""
    aff = run_affinity(scenario)
    table = aff.table
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
        busy_gpu = {g: float(busy[k, resources.index(f"gpu:{g}")]) for g in p.gpu_pools}
        gen = _generated_jobs(scenario, k, aff, busy_gpu)
        if gen is not None:
            batches[p.name] = gen
    for name, batch in _trace_jobs(scenario, aff.drawable, table).items():
        batches[name] = batches[name].concat(batch) if name in batches else batch
    parts = [(names.index(n), b) for n, b in batches.items() if len(b)]
    plans = selection_plans(scenario, job_types, table)
    schedulers, round_s, preemption_cost_s = _schedulers(scenario, tuple(trust_code))
    serverless = burst_pools(scenario, table.gpu_types, preemption_cost_s)
    dags = dag_plans(scenario, job_types, table, serverless, busy, gpu_types)
    gangs = gang_jobs(scenario, plans, dags)  # (owner, kind, gpus, type, work, arrivals)
    cols = {
        "arrival_s": (float, [b.arrival_s for _, b in parts] + [g[5] for g in gangs]),
        "n_gpus": (np.int64, [b.n_gpus for _, b in parts]
                   + [np.full(len(g[5]), g[2]) for g in gangs]),
        "job_type": (np.int64, [b.job_type for _, b in parts]
                     + [np.full(len(g[5]), g[3]) for g in gangs]),
        "ref_duration_s": (float, [b.ref_duration_s for _, b in parts]
                           + [np.full(len(g[5]), g[4]) for g in gangs]),
        "owner": (np.int64, [np.full(len(b), i) for i, b in parts]
                  + [np.full(len(g[5]), g[0]) for g in gangs]),
        "kind": (np.int64, [np.zeros(len(b)) for _, b in parts]
                 + [np.full(len(g[5]), g[1]) for g in gangs]),
    }
    merged = {k: np.concatenate(v).astype(t) if v else np.zeros(0, t) for k, (t, v) in cols.items()}
    order = np.argsort(merged["arrival_s"], kind="stable")
    jobs = JobArrays(job_types=job_types, **{k: v[order] for k, v in merged.items()})

    members = tuple(names.index(m) for m in scenario.member_names)
    return World(
        seed=scenario.seed,
        horizon_s=scenario.horizon_s,
        epoch_s=scenario.federation.epoch_s,
        web_model=scenario.web_model,
        web_slice_s=scenario.web_slice_s,
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
        web=tuple(_web(k, p, scenario.seed) for k, p in enumerate(scenario.providers)),
        schedulers=schedulers,
        round_s=round_s,
        preemption_cost_s=preemption_cost_s,
        model_selection=tuple(plans),
        dag=tuple(dags),
        serverless=serverless,
        hpo=tuple(hpo_spec(k, p, job_types, scenario.horizon_s,
                           stream(scenario.seed, f"hpo/{p.name}"))
                  for k, p in enumerate(scenario.providers)),
    )
