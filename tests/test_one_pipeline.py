"""One summary pipeline: ``fedsim run`` and the sweeps behind ``compare``/``coalitions``
report the same welfare, budget residual and profits for the same run, including a
mechanism that is not budget balanced (vcg) and a provider outside the federation."""

from __future__ import annotations

import pytest

from fedsim.api import run
from fedsim.config import scenario_from_dict
from fedsim.sweeps.spec import RunSpec
from fedsim.sweeps.task import execute
from tests.helpers.scenarios import two_provider_dict


@pytest.mark.parametrize("mechanism", ["vcg", "lp_welfare", "shapley"])
def test_run_and_sweep_report_the_same_welfare(mechanism: str) -> None:
    data = two_provider_dict(horizon_s=12 * 3600)
    outsider = {**data["providers"][0], "name": "outsider"}  # not a member
    data["providers"].append(outsider)
    data["federation"]["members"] = ["gpu_rich", "cpu_rich"]
    data["federation"]["mechanism"] = {"name": mechanism}
    sc = scenario_from_dict(data)
    summary = run(sc).summary
    record = execute(RunSpec.make(sc, mechanism))
    fed = summary["federation"]
    assert fed["welfare_usd"] == pytest.approx(record.result["welfare_usd"], rel=1e-12)
    assert fed["budget_residual_usd"] == pytest.approx(
        record.result["budget_residual_usd"], abs=1e-9)
    for name, row in summary["providers"].items():
        assert row["profit_usd"] == pytest.approx(record.result["profits_usd"][name], rel=1e-12)
    # welfare is the members' profit less money injected from outside (a deficit)
    members = sum(summary["providers"][m]["profit_usd"] for m in ("gpu_rich", "cpu_rich"))
    assert fed["welfare_usd"] == pytest.approx(members - fed["budget_residual_usd"])
    if mechanism == "vcg":
        assert abs(fed["budget_residual_usd"]) > 1e-6  # the case where the two used to differ
