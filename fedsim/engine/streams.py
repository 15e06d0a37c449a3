"""Named random streams for one run (common random numbers).

Each stochastic input draws from its own ``numpy.random.Generator`` derived from
the scenario seed and a stable stream name, so the workload realised for a seed is
identical whatever the mechanism, the membership, or the order streams are used in.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """A generator for ``name`` under ``seed``: stable across runs, processes and platforms."""
    # the whole seed (no 32-bit mask): seeds 1 and 2**32 + 1 are different workloads
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])
