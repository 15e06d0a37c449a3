"""Pipeline parallelism over a chain of ``p`` stages with ``m`` micro-batches per step.

Each stage ``s`` takes ``fwd_s[s]`` and ``bwd_s[s]`` per micro-batch (already divided by
its tensor-parallel degree, plus that degree's all-reduces), and sends ``act_bytes`` of
activations forward (and gradients back) to the next stage over a link. Schedules:

- ``gpipe``: every forward (fill), then every backward (drain), then the optimiser
  step; a stage holds the activations of all ``m`` micro-batches;
- ``1f1b`` (PipeDream-flush): stage ``s`` runs ``p − s − 1`` warm-up forwards, then
  alternates one forward and one backward, then drains; it holds at most ``p − s``
  micro-batches' activations (the 1F1B memory bound), for the same bubble.

The step time comes from simulating the schedule's dependencies (a micro-batch's
forward on ``s`` needs its forward on ``s − 1`` and the transfer; its backward on ``s``
needs its backward on ``s + 1``; each stage runs one thing at a time, in the schedule's
order). For balanced stages and free transfers the bubble fraction is the closed form
``(p − 1)/(m + p − 1)`` for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    fwd_s: float
    bwd_s: float


@dataclass(frozen=True)
class PipelineResult:
    step_s: float
    bubble: float  # idle share of the stages' time within a step
    peak_activations: tuple[int, ...]  # per stage, micro-batches held at once


def _order(schedule: str, p: int, m: int, s: int) -> list[tuple[str, int]]:
    if schedule == "gpipe":
        return [("f", i) for i in range(m)] + [("b", i) for i in range(m)]
    if schedule == "1f1b":
        warm = min(p - s - 1, m)
        out = [("f", i) for i in range(warm)]
        f, b = warm, 0
        while f < m:
            out.append(("f", f))
            f += 1
            out.append(("b", b))
            b += 1
        out += [("b", i) for i in range(b, m)]
        return out
    raise ValueError(f"schedule must be 'gpipe' or '1f1b', got {schedule!r}")


def simulate_pipeline(stages: tuple[Stage, ...], micro_batches: int, schedule: str = "1f1b",
                      transfer_s: float | Sequence[float] = 0.0) -> PipelineResult:
    """One training step's time, bubble and activation memory (see the module).
    ``transfer_s``: one time for every stage boundary, or one per boundary (``p − 1``:
    boundary ``s`` lies between stages ``s`` and ``s + 1``, both directions)."""
    p, m = len(stages), micro_batches
    if p < 1 or m < 1:
        raise ValueError(f"need at least one stage and one micro-batch, got {p}, {m}")
    if isinstance(transfer_s, int | float):
        link = [float(transfer_s)] * max(p - 1, 0)
    else:
        link = [float(x) for x in transfer_s]
        if len(link) != p - 1:
            raise ValueError(f"{p} stages have {p - 1} boundaries, got {len(link)} transfers")
    orders = [_order(schedule, p, m, s) for s in range(p)]
    done: dict[tuple[str, int, int], float] = {}  # (kind, stage, micro-batch) → end time
    pos = [0] * p
    free_at = [0.0] * p
    held, peak = [0] * p, [0] * p
    remaining = sum(len(o) for o in orders)
    while remaining:
        progressed = False
        for s in range(p):
            while pos[s] < len(orders[s]):
                kind, i = orders[s][pos[s]]
                if kind == "f":
                    dep = 0.0 if s == 0 else done.get(("f", s - 1, i))
                    dep = None if dep is None else dep + (link[s - 1] if s > 0 else 0.0)
                else:
                    dep = done.get(("f", s, i)) if s == p - 1 else done.get(("b", s + 1, i))
                    dep = None if dep is None else dep + (link[s] if s < p - 1 else 0.0)
                if dep is None:
                    break  # waits for another stage
                start = max(free_at[s], dep)
                end = start + (stages[s].fwd_s if kind == "f" else stages[s].bwd_s)
                done[(kind, s, i)] = free_at[s] = end
                held[s] += 1 if kind == "f" else -1
                peak[s] = max(peak[s], held[s])
                pos[s] += 1
                remaining -= 1
                progressed = True
        if not progressed:
            raise RuntimeError("pipeline schedule deadlocked")  # a bug, not an input
    step = max(free_at)
    busy = sum(m * (st.fwd_s + st.bwd_s) for st in stages)
    return PipelineResult(step, 1.0 - busy / (p * step), tuple(peak))


def partition(layer_s: list[float], p: int) -> list[int]:
    """Split a chain of layers (cost each) into ``p`` contiguous stages minimising the
    slowest stage (dynamic programme); returns the first layer of each stage."""
    n = len(layer_s)
    if not 1 <= p <= n:
        raise ValueError(f"cannot split {n} layers into {p} stages")
    prefix = [0.0]
    for x in layer_s:
        prefix.append(prefix[-1] + x)
    inf = float("inf")
    best = [[inf] * (n + 1) for _ in range(p + 1)]
    cut = [[0] * (n + 1) for _ in range(p + 1)]
    best[0][0] = 0.0
    for k in range(1, p + 1):
        for j in range(k, n + 1):
            for i in range(k - 1, j):
                v = max(best[k - 1][i], prefix[j] - prefix[i])
                if v < best[k][j]:
                    best[k][j], cut[k][j] = v, i
    starts, j = [], n
    for k in range(p, 0, -1):
        i = cut[k][j]
        starts.append(i)
        j = i
    return starts[::-1]
