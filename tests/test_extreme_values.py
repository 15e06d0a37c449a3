"""Fault injection on values: every number in a scenario, set in turn to an extreme
(huge, tiny, zero, negative, NaN, inf), is either refused with one clear error or runs
with every invariant intact. Never a crash, never a non-finite ledger."""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any

import pytest

from fedsim.api import prepare, run
from fedsim.config import scenario_from_dict
from fedsim.errors import FedsimError, FedsimWarning
from tests.helpers.scenarios import two_provider_dict
from tests.helpers.strategies import check_invariants

EXTREMES = (1e308, -1e308, 1e-300, 0, -1, 1e15, math.nan, math.inf)
BASE = two_provider_dict(horizon_s=3 * 3600)


def numeric_leaves(node: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in numeric_leaves(v, (*path, k))]
    if isinstance(node, list):
        return [leaf for i, v in enumerate(node) for leaf in numeric_leaves(v, (*path, i))]
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return [path]
    return []


LEAVES = numeric_leaves(BASE)


def test_every_number_is_covered() -> None:
    assert len(LEAVES) >= 50


@pytest.mark.parametrize("path", LEAVES, ids=[".".join(map(str, p)) for p in LEAVES])
def test_extreme_value_is_refused_or_runs_clean(path: tuple) -> None:
    for value in EXTREMES:
        data = copy.deepcopy(BASE)
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FedsimWarning)
            try:
                prepared = prepare(scenario_from_dict(data))
            except FedsimError as exc:
                text = str(exc)
                assert "\n" not in text and "Traceback" not in text
                continue
            result = run(prepared, baseline=False)
        check_invariants(result)
        assert result.ledger.select_dtypes("number").map(math.isfinite).all().all()
