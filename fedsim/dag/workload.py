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
from fedsim.dag.pipeline import PipelineResult, Stage, partition, simulate_pipeline
from fedsim.errors import ScenarioError
from fedsim.perfmodel.sync import BITS_PER_BYTE, RingAllReduce

MAX_SCHEDULE_OPS = 5_000_000  # pipeline × micro-batches × 2, simulated per plan
MAX_PARTITION_OPS = 5e7  # the stage partition is a dynamic programme, layers² × stages


@dataclass(frozen=True)
class DagPlan:
    gpus: int
    step: PipelineResult
    critical_path_s: float  # one micro-batch through every stage and back
    work_ref_s: float
    job_type: int


def plan(k: int, spec, job_types: tuple[str, ...]) -> DagPlan:
    """Provider ``k``'s model-parallel job (``spec``: its scenario entry)."""
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
    step = simulate_pipeline(tuple(stages), spec.micro_batches, spec.schedule, transfer)
    p = len(stages)
    nodes = [s.fwd_s for s in stages] + [s.bwd_s for s in reversed(stages)]
    path, _ = critical_path_s(nodes, {(i, i + 1): transfer if i != p - 1 else 0.0
                                      for i in range(2 * p - 1)})
    work = spec.steps * step.step_s
    if not math.isfinite(work):
        raise ScenarioError(f"{where}.steps: the job's work is not finite")
    return DagPlan(spec.pipeline * spec.tensor, step, path, work, job_types.index(spec.job_type))

