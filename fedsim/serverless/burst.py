"""A provider's serverless GPU pool as the engine sees it: prices per unit of work and
the chain of invocations a job becomes (see :mod:`fedsim.engine.serverless` for how jobs
are sent there)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fedsim.config.schema import Scenario
from fedsim.errors import ScenarioError
from fedsim.serverless.pool import PriceSheet, ServerlessPool

if TYPE_CHECKING:
    from fedsim.engine.world import World
    from fedsim.world.affinity import AffinityTable


@dataclass(frozen=True)
class BurstPool:
    """One provider's serverless pool, resolved."""

    gpu_type: str
    pool: ServerlessPool
    memory_gb: float
    max_invocation_s: float
    restore_s: float
    burst: bool
    burst_after_s: float

    @property
    def usd_per_function_s(self) -> float:
        p = self.pool.prices
        return p.usd_per_gpu_s + p.usd_per_gb_s * self.memory_gb

    @property
    def useful_share(self) -> float:
        """The share of an invocation doing work (the rest restores the checkpoint)."""
        return 1.0 - self.restore_s / self.max_invocation_s

    @property
    def usd_per_held_function_s(self) -> float:
        """A function held for a second, its share of the invocation's request included."""
        return self.usd_per_function_s + self.pool.prices.usd_per_request / self.max_invocation_s

    def usd_per_useful_gpu_h(self, slowdown: float) -> float:
        """Cost of one reference GPU-hour of work (``slowdown``: seconds per ref second)."""
        useful = self.useful_share
        if not (math.isfinite(slowdown) and useful > 0):
            return math.inf
        per_h = 3600.0 * self.usd_per_function_s
        per_h += self.pool.prices.usd_per_request * 3600.0 / self.max_invocation_s
        return per_h * slowdown / useful

    def chain(self, run_s: float, restore_first: bool) -> list[float]:
        """Durations of the invocations that do ``run_s`` seconds of work."""
        first_restore = self.restore_s if restore_first else 0.0
        durations, left = [], run_s
        budget = self.max_invocation_s - first_restore
        durations.append(first_restore + min(left, budget))
        left -= min(left, budget)
        per = self.max_invocation_s - self.restore_s
        while left > 1e-9:
            step = min(left, per)
            durations.append(self.restore_s + step)
            left -= step
        return durations


def burst_pools(
    scenario: Scenario, gpu_types: tuple[str, ...], preemption_cost_s: tuple[float, ...]
) -> tuple[BurstPool | None, ...]:
    after_default_s = scenario.federation.epoch_s
    """``BurstPool`` per provider of a validated scenario (None where it has no pool)."""
    pools: list[BurstPool | None] = []
    for k, p in enumerate(scenario.providers):
        s = p.serverless
        if s is None:
            pools.append(None)
            continue
        where = f"providers[{k}].serverless"
        if s.gpu_type not in gpu_types:
            raise ScenarioError(
                f"{where}.gpu_type: the affinity table has no throughput for GPU type "
                f"{s.gpu_type!r}; its GPU types: {', '.join(gpu_types)}"
            )
        if s.max_invocation_s <= preemption_cost_s[k]:
            raise ScenarioError(
                f"{where}.max_invocation_s: {s.max_invocation_s:g} s leaves no time for work "
                f"after restoring a checkpoint ({preemption_cost_s[k]:g} s, the scheduler's "
                "preemption_cost_s); it must be longer"
            )
        sheet = PriceSheet(s.usd_per_gb_s, s.usd_per_request, s.round_ms, 0.0, s.usd_per_gpu_s)
        pool = ServerlessPool(sheet, s.memory_cap_gb, s.concurrency, s.cold_start_s,
                              s.keep_warm_s, gpus_per_function=1)  # fmt: skip
        after_s = after_default_s if s.burst_after_s is None else s.burst_after_s
        pools.append(BurstPool(s.gpu_type, pool, s.memory_gb, s.max_invocation_s,
                               preemption_cost_s[k], s.burst, after_s))  # fmt: skip
    return tuple(pools)


def pool_of(world: World, owner: int) -> BurstPool | None:
    """``owner``'s pool (None: it has none, or the world was built without pools)."""
    return world.serverless[owner] if world.serverless else None


def pool_slowdown(world: World, owner: int, job_type: int, n_gpus: int) -> float:
    """Seconds per reference second of a gang on ``owner``'s pool (inf: cannot run)."""
    bp = pool_of(world, owner)
    if bp is None or n_gpus > bp.pool.concurrency:
        return math.inf
    return slowdown_on(world.affinity, world.affinity.job_types[job_type], world.reference_gpu,
                       bp.gpu_type, n_gpus)


def slowdown_on(table: AffinityTable, job_type: str, reference_gpu: str, gpu_type: str,
                n_gpus: int) -> float:
    """Seconds per reference second of ``job_type`` on ``gpu_type`` (inf: cannot run)."""
    ref = table.steps_per_s(job_type, reference_gpu, n_gpus)
    speed = table.steps_per_s(job_type, gpu_type, n_gpus)
    return ref / speed if speed > 0 and ref > 0 else math.inf


def outside_usd_per_gpu_h(world: World, owner: int, job_type: int, n_gpus: int) -> float:
    """What a reference GPU-hour of this work costs ``owner`` on its pool (inf: none)."""
    bp = pool_of(world, owner)
    if bp is None:
        return math.inf
    return bp.usd_per_useful_gpu_h(pool_slowdown(world, owner, job_type, n_gpus))


def worth_at(
    world: World, owner: int, n_gpus: int, work_ref_s: float, outside_usd_per_gpu_h: float
) -> bool:
    """Whether ``owner`` sends ``work_ref_s`` of work to its pool rather than let it wait:
    the pool's cost (per reference GPU-hour) plus the data transfer amortised over the
    work is at most what the owner values the work at (price + wait penalty)."""
    value = world.dnn_price_usd_per_gpu_h[owner] + world.dnn_wait_penalty_usd_per_gpu_h[owner]
    moved = world.dataset_gb * world.egress_usd_per_gb / (n_gpus * max(work_ref_s, 1.0) / 3600.0)
    return bool(outside_usd_per_gpu_h + moved <= value)
