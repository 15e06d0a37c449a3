"""Serverless CPU functions serving a web service's overflow.

A request the service's own and bought cores cannot take (it would be shed: lost
revenue and a violation) runs as one invocation of ``service_ms`` at the reference core
speed, costing ``c = billed(service)·memory·usd_per_gb_s + usd_per_request``. The owner
uses the functions when ``c`` is below what a shed request loses (revenue + penalty), so
``c`` per request is also its outside option: a bundle of a peer's cores is worth no
more to it than the functions would cost for the same requests.

Per epoch, the functions serve at most ``concurrency / service`` requests a second (the
rest are still shed); the instances needed are ``⌈rate·service⌉`` (Little's law), those
beyond the ones kept warm from the epoch before start cold, and a request that meets a
cold start violates when ``cold_start + service`` exceeds the SLA latency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fedsim.serverless.pool import PriceSheet, ServerlessPool


@dataclass(frozen=True)
class WebFunctions:
    """One web service's overflow functions, resolved."""

    pool: ServerlessPool
    memory_gb: float
    service_s: float
    latency_s: float

    @property
    def usd_per_request(self) -> float:
        return self.pool.cost_usd(self.service_s, self.memory_gb)

    def worth_it(self, loss_usd_per_shed: float) -> bool:
        """Whether a function is cheaper than shedding the request."""
        return self.usd_per_request < loss_usd_per_shed

    def serve(self, shed: float, epoch_s: float, warm: int) -> tuple[float, float, int]:
        """(served, violations, instances running) of ``shed`` overflow requests in an
        epoch of ``epoch_s``, with ``warm`` instances kept from the epoch before."""
        if shed <= 0.0 or epoch_s <= 0.0:
            return 0.0, 0.0, 0
        served = min(shed, self.pool.concurrency * epoch_s / self.service_s)
        instances = min(math.ceil(served / epoch_s * self.service_s - 1e-9),
                        self.pool.concurrency)  # fmt: skip
        cold = max(instances - warm, 0)
        late = cold if self.pool.cold_start_s + self.service_s > self.latency_s else 0
        return served, float(min(late, served)), instances


def web_functions(web: Any) -> WebFunctions | None:
    """From a validated ``providers[i].web`` (None when it has no functions)."""
    spec = web.serverless
    if spec is None:
        return None
    sheet = PriceSheet(spec.usd_per_gb_s, spec.usd_per_request, spec.round_ms)
    pool = ServerlessPool(sheet, spec.memory_gb, spec.concurrency, spec.cold_start_s,
                          spec.keep_warm_s)  # fmt: skip
    return WebFunctions(pool, spec.memory_gb, web.service_ms / 1000.0,
                        web.sla.latency_ms / 1000.0)  # fmt: skip
