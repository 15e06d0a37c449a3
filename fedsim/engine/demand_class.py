"""What a row of the epoch's market stands for in the run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fedsim.engine.web_plan import Bundle


@dataclass(frozen=True)
class DemandClass:
    """What a market demand row stands for: queued jobs of one kind, or a bundle of
    cores at one host for a web service's overflow."""

    owner: int  # world provider index
    kind: str  # "dnn" | "web"
    n_gpus: int = 1
    # the class's waiting jobs in arrival order: a live view of the cluster's queue at
    # snapshot time (starting a job removes it), so copy what you keep
    jobs: Sequence[int] = ()
    bundle: Bundle | None = None
