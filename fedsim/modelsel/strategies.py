"""Three ways to train K configurations over partitioned data, and what each costs.

The data (``n_examples`` of ``bytes_per_example``) sits in ``W`` partitions, one per
worker (Cerebro's setting). A configuration ``k`` takes ``step_s`` per mini-batch of
``batch`` examples on one worker (from the throughput model) and has a model of
``model_bytes``.

- :func:`task_parallel`: each configuration trains on one worker over all the data:
  every worker first receives the partitions it lacks (``(W−1)/W`` of the data each:
  memory and copy cost); configurations go to workers longest first (LPT);
- :func:`data_parallel`: one configuration at a time on all ``W`` workers, each step
  on ``W`` mini-batches followed by a gradient synchronisation: a ring all-reduce
  (Horovod) or a parameter server whose link carries every worker's push and pull;
- :func:`model_hopper`: each worker trains one configuration on its own partition for
  a *sub-epoch*, then the model hops to another worker (``model_bytes`` over the link;
  no data moves). A free worker takes, among the configurations at rest that still
  need its partition this epoch, the one with the fewest partitions done and then the
  smallest rotation offset ``(k − w) mod W`` (which gives Cerebro's rotation when costs
  are equal); event by event.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from fedsim.perfmodel.sync import BITS_PER_BYTE, RingAllReduce


@dataclass(frozen=True)
class Config:
    step_s: float  # one mini-batch of ``batch`` examples on one worker
    model_bytes: float


@dataclass(frozen=True)
class Task:
    configs: tuple[Config, ...]
    epochs: int
    workers: int
    n_examples: int
    batch: int
    bytes_per_example: float
    link: RingAllReduce  # between workers (latency, bandwidth)

    @property
    def data_bytes(self) -> float:
        return self.n_examples * self.bytes_per_example

    def steps_per_epoch(self, workers: int = 1) -> float:
        return math.ceil(self.n_examples / (self.batch * workers))

    def transfer_s(self, n_bytes: float) -> float:
        return self.link.latency_s + BITS_PER_BYTE * n_bytes / (self.link.bandwidth_gbps * 1e9)


@dataclass(frozen=True)
class Outcome:
    makespan_s: float
    bytes_moved: float
    gpu_utilisation: float  # busy worker-seconds / (workers · makespan)
    data_bytes_per_worker: float


def task_parallel(task: Task) -> Outcome:
    w = task.workers
    copy_bytes = task.data_bytes * (w - 1) / w  # per worker, all at once
    copy_s = task.transfer_s(copy_bytes) if w > 1 else 0.0
    jobs = sorted((task.epochs * task.steps_per_epoch() * c.step_s for c in task.configs),
                  reverse=True)
    loads = [0.0] * w
    for j in jobs:  # LPT
        i = min(range(w), key=lambda k: (loads[k], k))
        loads[i] += j
    makespan = copy_s + max(loads)
    return Outcome(makespan, copy_bytes * w, sum(jobs) / (w * makespan), task.data_bytes)


def data_parallel(task: Task, sync: str = "allreduce", overlap: bool = False,
                  ps_shards: int = 1) -> Outcome:
    """``sync``: ``allreduce`` (ring, Horovod) or ``ps`` (a parameter server in
    ``ps_shards`` shards whose links carry a push and a pull of the model per worker per
    step). ``overlap``: the sync hides behind compute (step = max) instead of following
    it (step = sum)."""
    w = task.workers
    steps = task.steps_per_epoch(w)
    total = busy = moved = 0.0
    for c in task.configs:
        if w == 1:
            sync_s, traffic = 0.0, 0.0
        elif sync == "allreduce":
            sync_s = float(task.link.time_s(w, c.model_bytes))
            traffic = 2.0 * (w - 1) * c.model_bytes  # the ring's total
        elif sync == "ps":
            sync_s = task.transfer_s(2.0 * w * c.model_bytes / ps_shards)
            traffic = 2.0 * w * c.model_bytes
        else:
            raise ValueError(f"sync must be 'allreduce' or 'ps', got {sync!r}")
        step = max(c.step_s, sync_s) if overlap else c.step_s + sync_s
        total += task.epochs * steps * step
        busy += task.epochs * steps * c.step_s * w
        moved += task.epochs * steps * traffic
    return Outcome(total, moved, busy / (w * total), task.data_bytes / w)


def model_hopper(task: Task) -> Outcome:
    w, k_n = task.workers, len(task.configs)
    sub_steps = task.steps_per_epoch(w)  # one partition
    done = [[False] * w for _ in range(k_n)]  # this epoch: partition visited
    visits = [0] * k_n
    epoch = [0] * k_n
    ready_at = [0.0] * k_n  # at rest (arrived) from this time
    busy_cfg = [False] * k_n
    events: list[tuple[float, int, int]] = []  # (time, worker, config) of a sub-epoch's end
    t, moved, busy = 0.0, 0.0, 0.0
    remaining = k_n * w * task.epochs
    idle = set(range(w))
    while remaining:
        for worker in sorted(idle):
            pick, key = -1, None
            for k in range(k_n):
                if busy_cfg[k] or epoch[k] >= task.epochs or done[k][worker] or ready_at[k] > t:
                    continue
                cand = (visits[k], (k - worker) % w, k)
                if key is None or cand < key:
                    pick, key = k, cand
            if pick < 0:
                continue
            run = sub_steps * task.configs[pick].step_s
            busy_cfg[pick] = True
            idle.discard(worker)
            busy += run
            heapq.heappush(events, (t + run, worker, pick))
        pending = [r for r in ready_at if r > t]
        if not events and not pending:
            raise RuntimeError("model hopper schedule stalled")  # cannot happen: a bug
        t = min(events[0][0] if events else math.inf, min(pending, default=math.inf))
        while events and events[0][0] <= t:
            _, worker, k = heapq.heappop(events)
            busy_cfg[k] = False
            done[k][worker] = True
            visits[k] += 1
            remaining -= 1
            idle.add(worker)
            if visits[k] == w:  # an epoch over every partition
                epoch[k] += 1
                visits[k] = 0
                done[k] = [False] * w
            if epoch[k] < task.epochs:  # hop to its next worker
                ready_at[k] = t + task.transfer_s(task.configs[k].model_bytes)
                moved += task.configs[k].model_bytes
    return Outcome(t, moved, busy / (w * t), task.data_bytes / w)
