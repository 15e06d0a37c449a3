"""Model selection as multi-query optimisation (Cerebro, VLDB 2020): K configurations
trained for E epochs over data in P partitions on W workers, by task parallelism, data
parallelism (all-reduce or a parameter server) or model hopper parallelism (MOP)."""

from fedsim.modelsel.strategies import (
    Config,
    Outcome,
    Task,
    data_parallel,
    model_hopper,
    task_parallel,
)

__all__ = ["Config", "Outcome", "Task", "data_parallel", "model_hopper", "task_parallel"]
