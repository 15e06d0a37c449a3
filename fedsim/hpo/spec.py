"""A provider's hyperparameter-search workload, resolved for one run."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fedsim.errors import FedsimError, ScenarioError
from fedsim.hpo.curves import CurveFamily
from fedsim.hpo.policies import Rungs
from fedsim.world.starts import workload_starts

MAX_TRIALS = 5_000_000  # per run: each is a job, a few rungs long


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
    deadline_s: float


def hpo_spec(k: int, p, job_types: tuple[str, ...], horizon_s: float,
             rng: np.random.Generator) -> HpoSpec | None:
    """Provider ``k``'s searches (``p``: its scenario entry), arrivals drawn from ``rng``."""
    h = p.hpo
    if h is None:
        return None
    if h.job_type not in job_types:
        raise ScenarioError(f"providers[{k}].hpo.job_type: unknown job type {h.job_type!r}; "
                            f"the affinity table knows: {', '.join(job_types)}")
    traced = np.zeros(0)
    if h.trace is not None:
        from fedsim.world.web_load import read_request_trace  # one timestamp per row

        try:
            traced = read_request_trace(h.trace, "t_s", loop=False).times_s
        except FedsimError as exc:
            raise ScenarioError(f"providers[{k}].hpo.trace: {exc}") from None
    arrival_s = workload_starts(h.rate_per_h, h.start_s, horizon_s, rng,
                                f"providers[{k}].hpo", traced)
    searches = len(arrival_s)
    if searches * h.trials > MAX_TRIALS:
        raise ScenarioError(f"providers[{k}].hpo.trials: {searches:,} searches of {h.trials:,} "
                            f"trials is more than {MAX_TRIALS:,} trials in one run; use fewer "
                            "trials, searches or a shorter horizon_s")
    c = h.curves
    return HpoSpec(
        arrival_s=arrival_s,
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
        deadline_s=h.deadline_s,
    )
