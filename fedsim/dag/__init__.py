"""Model-parallel jobs: a DAG of stages (critical path), and pipeline schedules over a
chain of stages (GPipe fill/drain, 1F1B) with their step time, bubble and memory."""

from fedsim.dag.graph import critical_path_s
from fedsim.dag.pipeline import PipelineResult, Stage, partition, simulate_pipeline

__all__ = ["PipelineResult", "Stage", "critical_path_s", "partition", "simulate_pipeline"]
