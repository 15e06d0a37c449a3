"""A provider's hyperparameter-search workload, resolved for one run."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fedsim.errors import ScenarioError
from fedsim.hpo.curves import CurveFamily
from fedsim.hpo.policies import Rungs


@dataclass(frozen=True)
class HpoSpec:
    """Searches of one provider: when they arrive, and how each runs."""

    arrival_s: np.ndarray  # sorted
    trials: int
    policy: str
    rungs: Rungs
    family: CurveFamily
    unit_s: float  # reference-GPU seconds per unit of resource (whole gang)
    cost_sigma: float
    workers: int
    gpus_per_trial: int
    job_type: int
    target_accuracy: float


def hpo_spec(k: int, p, job_types: tuple[str, ...], horizon_s: float,
             rng: np.random.Generator) -> HpoSpec | None:
    """Provider ``k``'s searches (``p``: its scenario entry), arrivals drawn from ``rng``."""
    h = p.hpo
    if h is None:
        return None
    if h.job_type not in job_types:
        raise ScenarioError(f"providers[{k}].hpo.job_type: unknown job type {h.job_type!r}; "
                            f"the affinity table knows: {', '.join(job_types)}")
    expected = h.rate_per_h * horizon_s / 3600.0
    if not math.isfinite(expected) or expected > 1e6:
        raise ScenarioError(f"providers[{k}].hpo.rate_per_h: {h.rate_per_h:g} searches/h over "
                            f"{horizon_s:g} s is {expected:.3g} searches; at most 1e6 run")
    n = int(rng.poisson(expected))
    c = h.curves
    return HpoSpec(
        arrival_s=np.sort(np.concatenate([rng.random(n) * horizon_s,
                                          np.asarray(h.start_s, dtype=float)])),
        trials=h.trials,
        policy=h.policy,
        rungs=Rungs(h.r_min, h.r_max, h.eta),
        family=CurveFamily(c.family, c.a_min, c.a_max, tuple(c.a_beta), c.b_median,
                           c.c_median, c.sigma, c.noise_sd),
        unit_s=h.unit_s,
        cost_sigma=h.cost_sigma,
        workers=h.workers,
        gpus_per_trial=h.gpus_per_trial,
        job_type=job_types.index(h.job_type),
        target_accuracy=h.target_accuracy,
    )
