"""The simulation's inputs: affinity (throughput) tables, DNN job batches, trace readers.

Pure numpy/pandas; no simpy here.
"""

from fedsim.world.affinity import AffinityTable
from fedsim.world.jobs import DurationSpec, JobBatch, draw_job_types, generate_jobs
from fedsim.world.traces import (
    philly_cluster_sizes,
    read_azure_llm,
    read_azure_llm_arrivals,
    read_philly,
)

__all__ = [
    "AffinityTable",
    "DurationSpec",
    "JobBatch",
    "draw_job_types",
    "generate_jobs",
    "philly_cluster_sizes",
    "read_azure_llm",
    "read_azure_llm_arrivals",
    "read_philly",
]
