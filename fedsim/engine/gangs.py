"""Gang workloads resolved for a run: model selections and model-parallel (DAG) jobs,
each arrival one gang job whose work is its plan's makespan on the reference GPU."""

from __future__ import annotations

import numpy as np

from fedsim.config.schema import Scenario
from fedsim.dag.hybrid import StageFunctions
from fedsim.dag.workload import plan as dag_plan
from fedsim.engine.streams import stream
from fedsim.engine.world import JOB_KINDS
from fedsim.modelsel.workload import plan
from fedsim.serverless.burst import slowdown_on
from fedsim.world.affinity import AffinityTable
from fedsim.world.starts import workload_starts


def dag_plans(scenario: Scenario, job_types: tuple[str, ...], table: AffinityTable,
              pools: tuple, busy_usd_per_gpu_h: np.ndarray, gpu_types: tuple[str, ...]) -> list:
    """Each provider's model-parallel plan; its stages may run on its serverless pool."""
    ref = scenario.affinity.reference_gpu
    out = []
    for k, p in enumerate(scenario.providers):
        if p.dag is None:
            out.append(None)
            continue
        bp = pools[k] if pools else None
        fn = None
        if bp is not None and p.dag.job_type in job_types:
            fn = StageFunctions(  # a stage function is one GPU of the pool
                slowdown=slowdown_on(table, p.dag.job_type, ref, bp.gpu_type, 1),
                usd_per_function_s=bp.usd_per_held_function_s,
                useful=bp.useful_share,
                cold_start_s=bp.pool.cold_start_s, concurrency=bp.pool.concurrency,
                link_latency_s=p.dag.function_link_latency_s,
                link_gbps=p.dag.function_link_gbps)
        out.append(dag_plan(k, p.dag, job_types, fn, _gpu_usd_per_s(
            busy_usd_per_gpu_h[k], gpu_types, ref)))
    return out


def _gpu_usd_per_s(busy_usd_per_gpu_h: np.ndarray, gpu_types: tuple[str, ...], ref: str) -> float:
    """The owner's busy cost of a GPU-second: of the reference type when it has that
    type's price, else the mean over its priced GPU types."""
    prices = dict(zip(gpu_types, busy_usd_per_gpu_h[:len(gpu_types)].tolist(), strict=True))
    if prices.get(ref, 0.0) > 0:
        return prices[ref] / 3600.0
    priced = [x for x in prices.values() if x > 0]
    return float(np.mean(priced)) / 3600.0 if priced else 0.0


def selection_plans(scenario: Scenario, job_types: tuple[str, ...], table: AffinityTable) -> list:
    ref = scenario.affinity.reference_gpu
    return [None if p.model_selection is None else
            plan(k, p.model_selection, job_types,
                 lambda jt: table.steps_per_s(job_types[jt], ref, 1))
            for k, p in enumerate(scenario.providers)]


def gang_jobs(scenario: Scenario, plans: list, dags: list) -> list[tuple]:
    """(owner, kind, gpus, job type, work, arrival times) of the model-selection and
    model-parallel workloads, one gang job per arrival."""
    out = []
    for k, p in enumerate(scenario.providers):
        if p.model_selection is not None:
            ms = plans[k]
            out.append((k, JOB_KINDS.index("model_selection"), ms.task.workers, ms.job_type,
                        ms.outcome.makespan_s,
                        _starts(p.model_selection, scenario, "model_selection", k)))
        if p.dag is not None:
            d = dags[k]
            out.append((k, JOB_KINDS.index("dag"), d.gpus, d.job_type, d.work_ref_s,
                        _starts(p.dag, scenario, "dag", k)))
    return out


def _starts(spec, scenario: Scenario, kind: str, k: int):
    name = scenario.providers[k].name
    return workload_starts(spec.rate_per_h, spec.start_s, scenario.horizon_s,
                           stream(scenario.seed, f"{kind}/{name}"), f"providers[{k}].{kind}")
