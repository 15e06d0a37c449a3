"""Sharing and pricing mechanisms (plug-ins), found by name in a lazy registry.

The LP helpers, coalition values and the conformance checker are exported lazily
(``from fedsim.mechanisms import SolveError``) so that importing the registry does
not load the solvers.
"""

from __future__ import annotations

from fedsim.lazy import lazy_getattr
from fedsim.mechanisms.base import Mechanism
from fedsim.mechanisms.registry import available, describe, make, resolve

_LAZY = {
    "SolveError": "fedsim.mechanisms.lp",
    "solve_welfare": "fedsim.mechanisms.market_lp",
    "WelfareSolution": "fedsim.mechanisms.market_lp",
    "CoalitionValues": "fedsim.mechanisms.coalitions",
    "coalition_value": "fedsim.mechanisms.coalitions",
    "check": "fedsim.mechanisms.conformance",
    "check_clearing": "fedsim.mechanisms.conformance",
    "ConformanceError": "fedsim.mechanisms.conformance",
    "random_market": "fedsim.mechanisms.conformance",
}

__all__ = ["Mechanism", "available", "describe", "make", "resolve", *_LAZY]


__getattr__ = lazy_getattr(__name__, _LAZY)
