"""Web answers shared by the runs of one process: a run and its paired baseline, or the
runs a sweep's worker does one after another (and, for fluid sites, the sites of one run
with the same parameters).

A web service's plan for an epoch is a function of the loads of that epoch and of the
world's static web side (pools, CPU speeds, round trips, SLAs, prices); runs of one
scenario under other mechanisms or seeds have the same static side, so the second run
finds its plans already made. Answers are keyed by everything they depend on, so a
run's results never depend on which runs came before it in the process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from typing import TYPE_CHECKING

from fedsim.queueing.memo import BoundedMemo
from fedsim.queueing.transient import SiteMemos

if TYPE_CHECKING:
    from fedsim.engine.web_plan import WebPlan
    from fedsim.engine.world import World

MAX_PLANS = 2048  # memoised epoch plans per static web side (a day of 5-minute epochs: 288)
MAX_WORLDS = 4  # static web sides kept at once
MAX_SITES = 64  # fluid sites' parameters kept at once (a run has owners x hosts sites)


def static_key(world: World) -> Hashable | None:
    """What an epoch's web plan reads of ``world`` besides the loads; None when some part
    cannot be compared by value (then a run keeps its plans to itself)."""
    cpu = world.cpu_index
    key = (
        world.members,
        tuple(world.capacity_units[:, cpu].tolist()),
        tuple(world.cpu_speed.tolist()),
        tuple(map(tuple, world.rtt_s.tolist())),
        tuple(None if w is None else dataclasses.replace(w, load=None) for w in world.web),
    )
    try:
        hash(key)
    except TypeError:
        return None
    return key


class WebMemos:
    """Epoch plans by static web side, then by loads (:meth:`WebPlanner.plan`); fluid
    sites' answers by the site's parameters (``queueing.transient.SiteMemos``)."""

    def __init__(self) -> None:
        self._plans: BoundedMemo[BoundedMemo[WebPlan]] = BoundedMemo(MAX_WORLDS)
        self._sites: BoundedMemo[SiteMemos] = BoundedMemo(MAX_SITES)

    def site(self, service_s: float, threshold_s: float, max_wait_s: float) -> SiteMemos:
        """The answers of fluid sites with these parameters."""
        return self._sites.get((service_s, threshold_s, max_wait_s), SiteMemos.fresh)

    def plans(self, world: World) -> BoundedMemo[WebPlan]:
        """The plans memo for ``world``'s static web side (a fresh one if it has none)."""
        key = static_key(world)
        if key is None:
            return BoundedMemo(MAX_PLANS)
        return self._plans.get(key, lambda: BoundedMemo(MAX_PLANS))
