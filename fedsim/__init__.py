"""fedsim: a cloud-federation economic simulator.

``fedsim.run(scenario)`` simulates a YAML scenario (or a ``Scenario``) and returns a
``Result`` of DataFrames; ``Result.load(dir)`` reads a saved run back.
``fedsim.compare(scenario, mechanisms)`` and ``fedsim.coalitions(scenario)`` are what
``fedsim compare`` and ``fedsim coalitions`` compute, as DataFrames. Heavy modules
are imported on first use, so ``import fedsim`` stays light (never torch or ray).
"""

from __future__ import annotations

from fedsim.lazy import lazy_getattr

__version__ = "0.1.0"

_LAZY = {
    "run": "fedsim.api",
    "prepare": "fedsim.api",
    "compare": "fedsim.studies",
    "coalitions": "fedsim.studies",
    "Result": "fedsim.results.result",
    "Scenario": "fedsim.config.schema",
    "load_scenario": "fedsim.config.loader",
    "Market": "fedsim.market.types",
    "Clearing": "fedsim.market.types",
}

__all__ = ["__version__", *_LAZY]


__getattr__ = lazy_getattr(__name__, _LAZY)
