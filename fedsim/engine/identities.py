"""The accounting identities every run must satisfy at its end (else AccountingError)."""

from __future__ import annotations

import numpy as np

from fedsim.engine.dnn import DnnCluster
from fedsim.engine.ledger import Ledger
from fedsim.engine.world import World
from fedsim.errors import AccountingError


def check_identities(ledger: Ledger, dnn: DnnCluster, world: World,
                     arrived_by_stop: int | None) -> None:
    """The ledger balances, no pool went above capacity or below zero, and every job that
    arrived is finished, running, queued or rejected. ``arrived_by_stop``: jobs arrived
    when a run that stops once everything is done stopped (else: all before the horizon)."""
    ledger.check()
    if dnn.occ.violations:
        raise AccountingError(f"pool above capacity or below zero: {dnn.occ.violations[0]}")
    counts = dnn.counts()
    if arrived_by_stop is None:
        arrived = int(np.sum(world.jobs.arrival_s < world.horizon_s))
    else:
        arrived = arrived_by_stop
    arrived += len(dnn.jobs) - len(world.jobs)  # created by searches
    total = counts["finished"] + counts["running"] + counts["queued"] + counts["rejected"]
    if not (counts["arrived"] == arrived == total):
        raise AccountingError(f"job identity failed: arrived {arrived}, counted {counts}")
