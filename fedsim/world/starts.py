"""When the arrivals of a workload kind start: Poisson at ``rate_per_h`` over the
horizon, plus any listed times (given, or read from a trace)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fedsim.errors import ScenarioError

MAX_STARTS = 1e6  # expected Poisson arrivals of one workload kind in one run


def workload_starts(rate_per_h: float, start_s: Sequence[float], horizon_s: float,
                    rng: np.random.Generator, where: str, *more_s: np.ndarray) -> np.ndarray:
    """Sorted start times: ``Poisson(rate·horizon)`` uniform ones drawn from ``rng``, and
    ``start_s`` and every array of ``more_s`` as they are. A rate that would give more
    than :data:`MAX_STARTS` is refused, naming ``where`` (the scenario key)."""
    expected = rate_per_h * horizon_s / 3600.0
    if not math.isfinite(expected) or expected > MAX_STARTS:
        raise ScenarioError(f"{where}.rate_per_h: {rate_per_h:g}/h over {horizon_s:g} s is "
                            f"{expected:.3g} arrivals; at most {MAX_STARTS:.0e} run")
    n = int(rng.poisson(expected))
    return np.sort(np.concatenate([rng.random(n) * horizon_s,
                                   np.asarray(start_s, dtype=float), *more_s]))
