"""Every scenario that validates, runs: the corners random scenarios reach only rarely,
each checked against the same invariants as the property tests."""

from __future__ import annotations

import warnings

import pytest

from fedsim.api import run
from fedsim.config import scenario_from_dict
from fedsim.errors import FedsimWarning
from tests.helpers.scenarios import two_provider_dict
from tests.helpers.strategies import check_invariants


def _no_gpus(d: dict) -> None:
    for p in d["providers"]:
        p["pools"] = {"cpu": p["pools"]["cpu"]}
        p["cost"] = {"idle_usd_per_unit_h": {"cpu": 0.01}}
        p.pop("dnn")


def _zero_pools(d: dict) -> None:
    d["providers"][0]["pools"] = {"gpu:v100": 0, "cpu": 0}
    d["providers"][0]["cost"] = {}


def _idle(d: dict) -> None:
    for p in d["providers"]:
        p.pop("dnn")
        p.pop("web")


def _one_member(d: dict) -> None:
    d["federation"]["members"] = ["cpu_rich"]


def _requests_no_load(d: dict) -> None:
    d["web_model"] = "requests"
    for p in d["providers"]:
        p["web"]["mean_rps"] = 0.0


def _requests_overloaded(d: dict) -> None:
    # 2 cores of 40 ms serve 50/s; 200/s arrive: the queue drains long after each epoch
    d["web_model"] = "requests"
    d["horizon_s"] = 1800.0
    d["federation"]["members"] = ["gpu_rich"]
    d["providers"][0]["pools"]["cpu"] = 2
    d["providers"][0]["web"]["mean_rps"] = 200.0
    d["providers"][1]["web"]["mean_rps"] = 10.0


def _epoch_longer_than_horizon(d: dict) -> None:
    d["federation"]["epoch_s"] = 10 * d["horizon_s"]


CORNERS = {
    "no GPU pool anywhere": _no_gpus,
    "a provider with empty pools": _zero_pools,
    "no workload at all": _idle,
    "a one-member federation": _one_member,
    "request-level web with zero load": _requests_no_load,
    "request-level web far beyond its cores": _requests_overloaded,
    "an epoch longer than the horizon": _epoch_longer_than_horizon,
}


@pytest.mark.parametrize("mechanism", ["lp_welfare", "shapley", "double_auction"])
@pytest.mark.parametrize("corner", list(CORNERS))
def test_corner_runs_and_keeps_the_invariants(corner: str, mechanism: str) -> None:
    data = two_provider_dict(horizon_s=4 * 3600)
    data["federation"]["mechanism"] = {"name": mechanism}
    CORNERS[corner](data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FedsimWarning)
        result = run(scenario_from_dict(data))
    check_invariants(result)
    assert result.summary["federation"]["solve_failures"] == 0
