"""Hyperparameter searches inside a run: each search's policy turns trial steps into
jobs on its provider (queued, scheduled by the local scheduler, possibly placed at
another member by the market, billed like any job) and reads each finished step's
validation accuracy from the trial's learning curve.

Every search draws its trials (curves, cost factors) and every observation from named
streams of the run's seed, so the same seed gives the same trials under every
mechanism, scheduler and policy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fedsim.engine.clock import ARRIVAL
from fedsim.engine.dnn import DnnCluster
from fedsim.engine.streams import stream
from fedsim.engine.world import World
from fedsim.hpo.curves import Curves
from fedsim.hpo.policies import State, Step, make_policy
from fedsim.hpo.spec import HpoSpec

COLUMNS = ["provider", "search", "arrival_s", "finish_s", "trials_started", "steps",
           "best_accuracy", "best_by_deadline", "time_to_target_s", "gpu_h"]


@dataclass
class _Search:
    owner: int
    index: int  # within its provider
    spec: HpoSpec
    policy: Any
    state: State
    curves: Curves
    cost: np.ndarray
    arrival_s: float
    running: int = 0
    steps: int = 0
    gpu_s: float = 0.0
    best: float = 0.0
    best_by_deadline: float = 0.0
    time_to_target_s: float = math.inf
    finish_s: float = math.nan


class Searches:
    """Every provider's searches; call :meth:`start` once, before the run."""

    def __init__(self, world: World, dnn: DnnCluster,
                 arrived: Callable[[int, float], bool],
                 schedule: Callable[..., None], now: Callable[[], float]) -> None:
        self.world, self.dnn, self.arrived = world, dnn, arrived
        self.schedule, self.now = schedule, now
        self.by_job: dict[int, tuple[_Search, Step]] = {}
        self.searches: list[_Search] = []
        self.pending = sorted((float(t), i, k) for i, spec in enumerate(world.hpo)
                              if spec is not None for k, t in enumerate(spec.arrival_s)
                              if t < world.horizon_s)
        self._next = 0
        dnn.on_finished = self._on_finished

    def start(self) -> None:
        if self.pending:
            self.schedule(self.pending[0][0], ARRIVAL, self._on_arrival, None)

    def done(self) -> bool:
        """Every search arrived and complete."""
        return self._next >= len(self.pending) and all(s.running == 0 for s in self.searches)

    def _on_arrival(self, _event: Any) -> None:
        now = self.now()
        while self._next < len(self.pending) and self.pending[self._next][0] <= now:
            _, i, k = self.pending[self._next]
            self._next += 1
            self._begin(i, k, now)
        if self._next < len(self.pending):
            self.schedule(self.pending[self._next][0] - now, ARRIVAL, self._on_arrival, None)

    def _begin(self, i: int, k: int, t_s: float) -> None:
        spec: HpoSpec = self.world.hpo[i]
        name = f"hpo/{self.world.providers[i]}/{k}"
        seed = self.world.seed
        curves = spec.family.sample(stream(seed, name + "/curves"), spec.trials)
        rng = stream(seed, name + "/costs")
        cost = (np.exp(spec.cost_sigma * rng.standard_normal(spec.trials))
                if spec.cost_sigma > 0 else np.ones(spec.trials))
        policy = make_policy(spec.policy)
        state = policy.start(spec.trials, spec.rungs, cost)
        s = _Search(i, k, spec, policy, state, curves, cost, t_s)
        self.searches.append(s)
        self._launch(s, t_s)

    def _launch(self, s: _Search, t_s: float) -> None:
        spec = s.spec
        while s.running < spec.workers:
            step = s.policy.next(s.state)
            if step is None:
                break
            work = (step.to_r - step.from_r) * spec.unit_s * float(s.cost[step.trial])
            j = self.dnn.submit(s.owner, spec.gpus_per_trial, spec.job_type, work, t_s)
            s.running += 1
            s.steps += 1
            if self.arrived(j, t_s):
                self.by_job[j] = (s, step)
            else:  # it can run nowhere (the reject event says why): a failed trial
                s.running -= 1
                s.policy.done(s.state, step, 0.0)
        if s.running == 0 and math.isnan(s.finish_s):
            s.finish_s = t_s

    def _on_finished(self, j: int, t_s: float) -> None:
        hit = self.by_job.pop(j, None)
        if hit is None:
            return
        s, step = hit
        s.running -= 1
        s.gpu_s += self.dnn.jobs.attained_gpu_s[j]
        name = f"hpo/{self.world.providers[s.owner]}/{s.index}"
        rng = stream(self.world.seed, f"{name}/obs/{step.trial}/{step.rung}")
        acc = s.spec.family.observe(rng, s.curves, step.trial, step.to_r)
        s.policy.done(s.state, step, acc)
        s.best = max(s.best, acc)
        if t_s - s.arrival_s <= s.spec.deadline_s:
            s.best_by_deadline = max(s.best_by_deadline, acc)
        if acc >= s.spec.target_accuracy and math.isinf(s.time_to_target_s):
            s.time_to_target_s = t_s - s.arrival_s
        self._launch(s, t_s)

    def frame(self) -> pd.DataFrame:
        rows = [(self.world.providers[s.owner], s.index, s.arrival_s, s.finish_s,
                 s.state.started, s.steps, s.best, s.best_by_deadline, s.time_to_target_s,
                 s.gpu_s / 3600.0)
                for s in self.searches]
        frame = pd.DataFrame(rows, columns=COLUMNS)
        frame["provider"] = pd.Categorical(frame["provider"], categories=list(self.world.providers))
        return frame
