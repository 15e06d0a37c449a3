"""A provider's model-parallel workload: each arrival is one gang job of
``pipeline × tensor`` GPUs training a chain of layers split into ``pipeline`` stages
(balanced by :func:`~fedsim.dag.pipeline.partition`), each stage on ``tensor`` GPUs;
its work (reference-GPU seconds of the whole gang) is ``steps`` times the schedule's
step time."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from fedsim.dag.graph import critical_path_s
from fedsim.dag.hybrid import StageFunctions, choose, evaluate, masks
from fedsim.dag.pipeline import PipelineResult, Stage, partition
from fedsim.errors import ScenarioError
from fedsim.perfmodel.sync import BITS_PER_BYTE, RingAllReduce

MAX_SCHEDULE_OPS = 5_000_000  # pipeline × micro-batches × 2, simulated per plan
MAX_PARTITION_OPS = 5e7  # the stage partition is a dynamic programme, layers² × stages


@dataclass(frozen=True)
class DagPlan:
    gpus: int  # of the gang (the stages not on functions)
    step: PipelineResult
    critical_path_s: float  # one micro-batch through every stage and back
    work_ref_s: float
    job_type: int
    functions: int = 0  # serverless functions held while the job runs (stages × tensor)
    function_stages: tuple[int, ...] = ()
    function_usd_per_s: float = 0.0  # the job's function bill per second it runs
    function_cold_s: float = 0.0  # delay of every stint's (cold) functions
    all_gpu_step_s: float = 0.0  # the step with every stage on the gang
    usd_per_step: float = 0.0  # owner's GPU cost + function bill per step


def plan(k: int, spec, job_types: tuple[str, ...], fn: StageFunctions | None = None,
         gpu_usd_per_s: float = 0.0) -> DagPlan:
    """Provider ``k``'s model-parallel job (``spec``: its scenario entry); ``fn``: its
    pool's terms for function stages over the spec's function link, ``gpu_usd_per_s``:
    its busy cost per GPU-second."""
    where = f"providers[{k}].dag"
    if spec.job_type not in job_types:
        raise ScenarioError(f"{where}.job_type: unknown job type {spec.job_type!r}; the "
                            f"affinity table knows: {', '.join(job_types)}")
    if spec.pipeline > spec.layers:
        raise ScenarioError(f"{where}.pipeline: {spec.pipeline} stages for {spec.layers} "
                            "layers; at most one stage per layer")
    if spec.layers**2 * spec.pipeline > MAX_PARTITION_OPS:
        raise ScenarioError(f"{where}.layers: {spec.layers} layers in {spec.pipeline} stages "
                            f"is too large a partition problem (layers² × stages at most "
                            f"{MAX_PARTITION_OPS:.0e})")
    if spec.pipeline * spec.micro_batches * 2 > MAX_SCHEDULE_OPS:
        raise ScenarioError(f"{where}.micro_batches: {spec.pipeline} stages × "
                            f"{spec.micro_batches} micro-batches is too large a schedule "
                            f"(at most {MAX_SCHEDULE_OPS:,} operations)")
    fwd = [spec.layer_fwd_ms[i % len(spec.layer_fwd_ms)] / 1000.0 for i in range(spec.layers)]
    starts = [*partition(fwd, spec.pipeline), spec.layers]
    act_bytes = spec.activation_mb * 1e6
    ring = RingAllReduce(spec.link_latency_s, spec.link_gbps)
    tensor_sync = float(ring.time_s(spec.tensor, act_bytes)) if spec.tensor > 1 else 0.0
    stages = []
    for a, b in itertools.pairwise(starts):
        f = sum(fwd[a:b]) / spec.tensor + 2 * (b - a) * tensor_sync  # Megatron: 2 per layer
        stages.append(Stage(f, f * spec.bwd_over_fwd))
    transfer = spec.link_latency_s + BITS_PER_BYTE * act_bytes / (spec.link_gbps * 1e9)
    p = len(stages)
    setting = spec.serverless_stages
    if setting != "none":
        if fn is None:
            raise ScenarioError(f"{where}.serverless_stages: needs a serverless pool "
                                f"(providers[{k}].serverless) whose functions run the stages")
        if setting != "auto" and not 1 <= int(setting) < p:
            raise ScenarioError(f"{where}.serverless_stages: {setting} of {p} stages; at least "
                                "one stays on GPUs (give 1 to pipeline - 1, auto or none)")
        if spec.tensor > fn.concurrency:
            raise ScenarioError(f"{where}.tensor: a stage of {spec.tensor} functions exceeds "
                                f"the pool's concurrency ({fn.concurrency})")
    args = (stages, spec.micro_batches, spec.schedule, spec.tensor, transfer, act_bytes, fn,
            gpu_usd_per_s)
    options = [evaluate(m, *args) for m in masks(p, setting)
               if spec.tensor * sum(m) <= (fn.concurrency if fn else 0) or not any(m)]
    if not options:
        raise ScenarioError(f"{where}.serverless_stages: {setting} stages of {spec.tensor} "
                            f"functions each exceed the pool's concurrency")
    split = choose(options)
    all_gpu = evaluate((False,) * p, *args)
    step, timed, links = split.step, split.stages, split.links
    nodes = [s.fwd_s for s in timed] + [s.bwd_s for s in reversed(timed)]
    edges = {(i, i + 1): links[i] if i < p - 1 else (links[2 * p - 2 - i] if i >= p else 0.0)
             for i in range(2 * p - 1)}
    path, _ = critical_path_s(nodes, edges)
    work = spec.steps * step.step_s
    if not math.isfinite(work):
        raise ScenarioError(f"{where}.steps: the job's work is not finite")
    on_fn = split.functions > 0 and fn is not None
    return DagPlan(split.gpus, step, path, work, job_types.index(spec.job_type),
                   functions=split.functions, function_stages=split.function_stages,
                   function_usd_per_s=split.functions * fn.usd_per_function_s if on_fn else 0.0,
                   function_cold_s=fn.cold_start_s if on_fn else 0.0,
                   all_gpu_step_s=all_gpu.step.step_s, usd_per_step=split.usd_per_step)
