"""Response times of a FCFS multi-server queue, given arrival and service times.

Two implementations that agree on the same inputs (up to float rounding):

- :func:`fcfs_response_s` (fast, the one the engine uses): with FCFS and c identical
  servers, request i starts at max(arrival_i, earliest server-free time) on that
  server; a heap of the c server-free times gives every response exactly, with no
  event loop (~2M requests/s).
- :func:`fcfs_response_s_simpy` (reference): the same queue in a ``simpy.Environment``
  with a ``simpy.Resource(capacity=c)``; one generator process per queue issues the
  requests and event callbacks start and end the services (no process per request).

Both start from an empty, idle queue and run until the last request departs.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import simpy

FloatArray = npt.NDArray[np.float64]


def _check(
    arrival_s: npt.ArrayLike, service_s: npt.ArrayLike, servers: int
) -> tuple[FloatArray, FloatArray]:
    arr = np.asarray(arrival_s, dtype=float)
    svc = np.asarray(service_s, dtype=float)
    if arr.shape != svc.shape or arr.ndim != 1:
        raise ValueError("arrival_s and service_s must be 1-d arrays of the same length")
    if isinstance(servers, bool) or not isinstance(servers, int | np.integer) or servers < 1:
        raise ValueError(f"servers must be an int >= 1, got {servers!r}")
    if arr.size > 1 and np.any(np.diff(arr) < 0.0):
        raise ValueError("arrival_s must be sorted (FCFS order)")
    return arr, svc


def fcfs_response_s(arrival_s: npt.ArrayLike, service_s: npt.ArrayLike, servers: int) -> FloatArray:
    """Response (sojourn) times of FCFS requests on ``servers`` identical servers."""
    arr, svc = _check(arrival_s, service_s, servers)
    free = [-np.inf] * int(min(servers, max(arr.size, 1)))  # a valid heap; extra servers never used
    out: list[float] = []
    push_out = out.append
    replace = heapq.heapreplace
    for a, s in zip(arr.tolist(), svc.tolist(), strict=True):
        f = free[0]
        end = (a if a > f else f) + s
        replace(free, end)
        push_out(end - a)
    return np.asarray(out, dtype=float)


def fcfs_response_s_simpy(
    arrival_s: npt.ArrayLike, service_s: npt.ArrayLike, servers: int
) -> FloatArray:
    """Reference: the same FCFS queue simulated with simpy Resource request/release events."""
    arr, svc = _check(arrival_s, service_s, servers)
    env = simpy.Environment(initial_time=float(arr[0]) if arr.size else 0.0)
    res = simpy.Resource(env, capacity=int(servers))
    end = np.empty(arr.size)

    def on_start(i: int, req: simpy.resources.resource.Request) -> Callable[[simpy.Event], None]:
        def start(_: simpy.Event) -> None:
            env.timeout(svc[i]).callbacks.append(on_end(i, req))

        return start

    def on_end(i: int, req: simpy.resources.resource.Request) -> Callable[[simpy.Event], None]:
        def finish(_: simpy.Event) -> None:
            end[i] = env.now
            res.release(req)

        return finish

    def source() -> simpy.events.ProcessGenerator:
        for i, a in enumerate(arr.tolist()):
            if a > env.now:
                yield env.timeout(a - env.now)
            req = res.request()
            req.callbacks.append(on_start(i, req))

    env.process(source())
    env.run()
    return end - arr
