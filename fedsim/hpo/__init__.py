"""Hyperparameter searches: learning curves (:mod:`~fedsim.hpo.curves`), search policies
as plug-ins (:mod:`~fedsim.hpo.policies`: random to completion, successive halving,
Hyperband, ASHA, an accuracy- and efficiency-aware hybrid) and a search on a pool of
workers (:mod:`~fedsim.hpo.search`)."""

from fedsim.hpo.curves import CurveFamily, Curves
from fedsim.hpo.policies import POLICIES, Rungs, make_policy
from fedsim.hpo.search import SearchResult, run_search

__all__ = ["POLICIES", "CurveFamily", "Curves", "Rungs", "SearchResult", "make_policy",
           "run_search"]
