"""Local schedulers inside each datacenter (plug-ins), found by name in a lazy registry.

A scheduler is a pure function of one provider's :class:`ClusterSnapshot` returning a
:class:`Decision` (which job runs on which GPU type until the next decision)."""

from __future__ import annotations

from fedsim.lazy import lazy_getattr
from fedsim.schedulers.base import ClusterSnapshot, Decision, LocalScheduler

_LAZY = {
    "available": "fedsim.schedulers.registry",
    "make": "fedsim.schedulers.registry",
    "describe": "fedsim.schedulers.registry",
    "check": "fedsim.schedulers.conformance",
    "random_snapshot": "fedsim.schedulers.conformance",
}

__all__ = ["ClusterSnapshot", "Decision", "LocalScheduler", *_LAZY]


__getattr__ = lazy_getattr(__name__, _LAZY)
