"""Search policies: which trial a free worker trains next, and to which resource.

A policy is a plug-in with run-owned state: ``start(n_trials, rungs)`` returns its
state; ``next(state) -> Step | None`` gives a free worker its next step (train
``trial`` from ``from_r`` to ``to_r``) or nothing for now; ``done(state, step,
accuracy)`` reports a step's observed accuracy. Training continues from a checkpoint,
so promoting a trial from rung ``k`` to ``k+1`` costs ``r_{k+1} − r_k``.

- ``random``: every trial to ``r_max`` in one step (grid or random search);
- ``sha``: synchronous successive halving (Jamieson & Talwalkar 2016): all ``n`` at
  ``r_0``, the best ``⌊n_k/η⌋`` of rung ``k`` promoted once the rung is complete;
- ``hyperband``: Li et al. (JMLR 2018): brackets ``s = s_max … 0``, each a successive
  halving of ``⌈(s_max+1)·η^s/(s+1)⌉`` trials from ``r_max·η^{−s}``, run one after the
  other (a bracket starts when the previous one is complete);
- ``asha``: asynchronous successive halving (Li et al., MLSys 2020): a free worker
  promotes a trial in the top ``1/η`` of its rung that was not promoted yet (highest
  rung first), else starts a new trial at ``r_0``;
- ``hybrid``: accuracy- and efficiency-aware (the hybrid of seed 001): like ASHA, but
  among the promotable trials it picks the highest *predicted final accuracy gain per
  GPU-hour* (the curve fitted to the trial's observations, extrapolated to ``r_max``;
  the trial's cost per unit of resource from its throughput), and it stops a trial
  early when even its optimistic prediction cannot beat the best seen.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np


@dataclass(frozen=True)
class Rungs:
    """Resources ``r_k = r_min·η^k`` up to ``r_max``."""

    r_min: float
    r_max: float
    eta: int = 3

    def __post_init__(self) -> None:
        if not (0 < self.r_min <= self.r_max) or self.eta < 2:
            raise ValueError(f"need 0 < r_min <= r_max and eta >= 2, got {self}")

    @property
    def levels(self) -> tuple[float, ...]:
        k = math.floor(math.log(self.r_max / self.r_min, self.eta) + 1e-9)
        return tuple(self.r_min * self.eta**i for i in range(k + 1))


@dataclass(frozen=True)
class Step:
    trial: int
    rung: int  # the rung it reaches
    from_r: float
    to_r: float


@dataclass
class State:
    n_trials: int
    rungs: tuple[float, ...]
    eta: int
    started: int = 0  # trials started so far
    results: list[dict[int, float]] = field(default_factory=list)  # per rung: trial → acc
    promoted: list[set[int]] = field(default_factory=list)
    ranked: list[list[tuple[float, int]]] = field(default_factory=list)  # per rung, best first
    running: int = 0
    extra: dict = field(default_factory=dict)  # a policy's own


class SearchPolicy(Protocol):
    name: ClassVar[str]

    def start(self, n_trials: int, rungs: Rungs,
              cost_s_per_unit: np.ndarray | None = None) -> State: ...
    def next(self, state: State) -> Step | None: ...
    def done(self, state: State, step: Step, accuracy: float) -> None: ...


def _state(n: int, rungs: Rungs) -> State:
    levels = rungs.levels
    return State(n, levels, rungs.eta, results=[{} for _ in levels],
                 promoted=[set() for _ in levels], ranked=[[] for _ in levels])


def _record(state: State, step: Step, accuracy: float) -> None:
    state.results[step.rung][step.trial] = accuracy
    bisect.insort(state.ranked[step.rung], (-accuracy, step.trial))
    state.running -= 1


def _top(results: dict[int, float], k: int) -> list[int]:
    """The ``k`` best trials of a rung (ties: lower trial id first)."""
    return sorted(results, key=lambda t: (-results[t], t))[:k]


@dataclass(frozen=True)
class RandomSearch:
    name: ClassVar[str] = "random"

    def start(self, n_trials: int, rungs: Rungs, cost_s_per_unit: np.ndarray | None = None
              ) -> State:
        return _state(n_trials, rungs)

    def next(self, state: State) -> Step | None:
        if state.started >= state.n_trials:
            return None
        state.started += 1
        state.running += 1
        top = len(state.rungs) - 1
        return Step(state.started - 1, top, 0.0, state.rungs[top])

    def done(self, state: State, step: Step, accuracy: float) -> None:
        _record(state, step, accuracy)


@dataclass(frozen=True)
class SuccessiveHalving:
    """Synchronous; ``brackets`` > 1 makes it Hyperband."""

    name: ClassVar[str] = "sha"

    def start(self, n_trials: int, rungs: Rungs, cost_s_per_unit: np.ndarray | None = None
              ) -> State:
        s = _state(n_trials, rungs)
        s.extra["queue"] = [Step(t, 0, 0.0, s.rungs[0]) for t in range(n_trials)]
        s.extra["rung"] = 0
        s.extra["base"] = 0  # first trial id of this bracket
        return s

    def next(self, state: State) -> Step | None:
        queue = state.extra["queue"]
        if not queue:
            return None
        state.running += 1
        state.started = max(state.started, queue[0].trial + 1)
        return queue.pop(0)

    def done(self, state: State, step: Step, accuracy: float) -> None:
        _record(state, step, accuracy)
        k = state.extra["rung"]
        if state.running or state.extra["queue"] or k + 1 >= len(state.rungs):
            return
        here = state.results[k]
        for t in _top(here, len(here) // state.eta):  # the rung is complete: promote
            state.promoted[k].add(t)
            state.extra["queue"].append(Step(t, k + 1, state.rungs[k], state.rungs[k + 1]))
        state.extra["rung"] = k + 1


def hyperband_brackets(rungs: Rungs) -> list[tuple[int, int]]:
    """(trials, first rung) of each Hyperband bracket, s = s_max … 0."""
    s_max = len(rungs.levels) - 1
    return [(math.ceil((s_max + 1) * rungs.eta**s / (s + 1)), s_max - s)
            for s in range(s_max, -1, -1)]


@dataclass(frozen=True)
class Hyperband:
    """Brackets one after the other, each a synchronous successive halving. The number
    of trials is set by the brackets (``n_trials`` caps it)."""

    name: ClassVar[str] = "hyperband"

    def start(self, n_trials: int, rungs: Rungs, cost_s_per_unit: np.ndarray | None = None
              ) -> State:
        s = _state(n_trials, rungs)
        s.extra["brackets"] = hyperband_brackets(rungs)
        s.extra["queue"], s.extra["rung"] = [], 0
        self._open(s)
        return s

    def _open(self, s: State) -> None:
        while s.extra["brackets"] and not s.extra["queue"]:
            n, first = s.extra["brackets"].pop(0)
            n = min(n, s.n_trials - s.started)
            if n <= 0:
                s.extra["brackets"] = []
                return
            s.extra["queue"] = [Step(s.started + t, first, 0.0, s.rungs[first])
                                for t in range(n)]
            s.extra["rung"], s.extra["members"] = first, set(range(s.started, s.started + n))
            s.started += n

    def next(self, state: State) -> Step | None:
        if not state.extra["queue"]:
            return None
        state.running += 1
        return state.extra["queue"].pop(0)

    def done(self, state: State, step: Step, accuracy: float) -> None:
        _record(state, step, accuracy)
        k = state.extra["rung"]
        if state.running or state.extra["queue"]:
            return
        members = state.extra["members"]
        here = {t: a for t, a in state.results[k].items() if t in members}
        if k + 1 < len(state.rungs):
            for t in _top(here, len(here) // state.eta):
                state.promoted[k].add(t)
                state.extra["queue"].append(Step(t, k + 1, state.rungs[k], state.rungs[k + 1]))
            state.extra["rung"] = k + 1
        if not state.extra["queue"]:
            self._open(state)


def _promotable(state: State, k: int) -> list[int]:
    """ASHA's rule: trials of rung ``k`` in its top ``⌊n_k/η⌋``, not promoted yet."""
    ranked = state.ranked[k]
    done = state.promoted[k]
    return [t for _, t in ranked[: len(ranked) // state.eta] if t not in done]


def _new_trial(state: State) -> Step | None:
    if state.started >= state.n_trials:
        return None
    state.started += 1
    state.running += 1
    return Step(state.started - 1, 0, 0.0, state.rungs[0])


@dataclass(frozen=True)
class Asha:
    name: ClassVar[str] = "asha"

    def start(self, n_trials: int, rungs: Rungs, cost_s_per_unit: np.ndarray | None = None
              ) -> State:
        return _state(n_trials, rungs)

    def next(self, state: State) -> Step | None:
        for k in range(len(state.rungs) - 2, -1, -1):  # highest rung first
            ready = _promotable(state, k)
            if ready:
                t = ready[0]
                state.promoted[k].add(t)
                state.running += 1
                return Step(t, k + 1, state.rungs[k], state.rungs[k + 1])
        return _new_trial(state)

    def done(self, state: State, step: Step, accuracy: float) -> None:
        _record(state, step, accuracy)


def predict_final(obs: list[tuple[float, float]], r_max: float, c: float = 0.5) -> float:
    """Extrapolate ``acc(r) = a − b·r^(−c)`` through a trial's last two observations to
    ``r_max`` (one observation: its own value)."""
    if len(obs) < 2:
        return obs[-1][1]
    (r1, y1), (r2, y2) = obs[-2], obs[-1]
    u1, u2 = r1**-c, r2**-c
    b = (y2 - y1) / (u1 - u2)
    a = y2 + b * u2
    return float(min(max(a - max(b, 0.0) * r_max**-c, y2), 1.0))


@dataclass(frozen=True)
class Hybrid:
    """ASHA's promotion rule, ordered by predicted gain per GPU-hour, with pruning."""

    name: ClassVar[str] = "hybrid"
    margin: float = 0.02  # optimism added to a prediction before pruning on it

    def start(self, n_trials: int, rungs: Rungs, cost_s_per_unit: np.ndarray | None = None
              ) -> State:
        s = _state(n_trials, rungs)
        s.extra["obs"] = {}
        s.extra["cost"] = cost_s_per_unit
        s.extra["best_final"] = -math.inf
        return s

    def _cost(self, state: State, t: int) -> float:
        cost = state.extra["cost"]
        return 1.0 if cost is None else float(cost[t])

    def next(self, state: State) -> Step | None:
        r_max = state.rungs[-1]
        best, choice = -math.inf, None
        for k in range(len(state.rungs) - 1):
            for t in _promotable(state, k):
                obs = state.extra["obs"][t]
                pred = predict_final(obs, r_max)
                if pred + self.margin < state.extra["best_final"]:
                    state.promoted[k].add(t)  # pruned: it cannot win
                    continue
                gain = pred - obs[-1][1]
                score = (pred + gain) / (self._cost(state, t) * (r_max - state.rungs[k]))
                if score > best:
                    best, choice = score, (t, k)
        if choice is not None:
            t, k = choice
            state.promoted[k].add(t)
            state.running += 1
            return Step(t, k + 1, state.rungs[k], state.rungs[k + 1])
        return _new_trial(state)

    def done(self, state: State, step: Step, accuracy: float) -> None:
        _record(state, step, accuracy)
        state.extra["obs"].setdefault(step.trial, []).append((step.to_r, accuracy))
        if step.rung == len(state.rungs) - 1:
            state.extra["best_final"] = max(state.extra["best_final"], accuracy)


POLICIES: dict[str, type] = {p.name: p for p in
                             (RandomSearch, SuccessiveHalving, Hyperband, Asha, Hybrid)}


def make_policy(name: str) -> SearchPolicy:
    """A built-in search policy by name."""
    try:
        return POLICIES[name]()
    except KeyError:
        raise ValueError(f"unknown search policy {name!r}; built-ins: "
                         f"{', '.join(sorted(POLICIES))}") from None
