"""One hyperparameter search on a pool of identical workers (GPUs), event by event.

A step trains one trial from resource ``from_r`` to ``to_r`` on one worker and takes
``(to_r − from_r)·cost_s_per_unit[trial]`` seconds (trials differ in cost: model size,
batch size; in the federation engine this comes from the throughput model). When a
step ends the policy sees the trial's observed accuracy and every idle worker asks it
for work. Observations are drawn from a stream per (trial, rung), so a trial observed
at a resource shows the same value under every policy (common random numbers).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fedsim.hpo.curves import CurveFamily
from fedsim.hpo.policies import Rungs, SearchPolicy, Step


@dataclass(frozen=True)
class SearchResult:
    steps: pd.DataFrame  # trial, rung, from_r, to_r, worker, start_s, end_s, accuracy
    makespan_s: float
    gpu_h: float
    time_to_target_s: float  # inf when never reached
    best_accuracy: float

    def best_by(self, deadline_s: float) -> float:
        """The best accuracy observed by ``deadline_s`` (0 when none)."""
        done = self.steps[self.steps["end_s"] <= deadline_s]
        return float(done["accuracy"].max()) if len(done) else 0.0


def trial_costs(seed: int, n: int, unit_s: float, sigma: float) -> np.ndarray:
    """Seconds per unit of resource of each trial (log-normal around ``unit_s``)."""
    rng = np.random.default_rng((seed, 1))
    return unit_s * np.exp(sigma * rng.standard_normal(n)) if sigma > 0 else np.full(n, unit_s)


def run_search(policy: SearchPolicy, family: CurveFamily, n_trials: int, rungs: Rungs,
               workers: int, seed: int = 0, unit_s: float = 3600.0, cost_sigma: float = 0.0,
               target: float = math.inf) -> SearchResult:
    """Run ``policy`` over ``n_trials`` trials of ``family`` on ``workers`` workers."""
    curves = family.sample(np.random.default_rng((seed, 0)), n_trials)
    cost = trial_costs(seed, n_trials, unit_s, cost_sigma)
    state = policy.start(n_trials, rungs, cost)
    heap: list[tuple[float, int, int, Step]] = []
    idle = list(range(workers))
    seq = 0
    rows: list[tuple] = []
    t = 0.0
    time_to_target = math.inf
    while True:
        still_idle = []
        for w in idle:
            step = policy.next(state)
            if step is None:
                still_idle.append(w)
                continue
            seq += 1
            heapq.heappush(heap, (t + (step.to_r - step.from_r) * float(cost[step.trial]),
                                  seq, w, step))
        idle = still_idle
        if not heap:
            break
        end, _, w, step = heapq.heappop(heap)
        start = end - (step.to_r - step.from_r) * float(cost[step.trial])
        t = end
        rng = np.random.default_rng((seed, 2, step.trial, step.rung))
        acc = family.observe(rng, curves, step.trial, step.to_r)
        policy.done(state, step, acc)
        rows.append((step.trial, step.rung, step.from_r, step.to_r, w, start, end, acc))
        if acc >= target and end < time_to_target:
            time_to_target = end
        idle.append(w)
    steps = pd.DataFrame(rows, columns=["trial", "rung", "from_r", "to_r", "worker",
                                        "start_s", "end_s", "accuracy"])
    busy_s = float((steps["end_s"] - steps["start_s"]).sum())
    return SearchResult(steps, float(t), busy_s / 3600.0, time_to_target,
                        float(steps["accuracy"].max()) if len(steps) else 0.0)
