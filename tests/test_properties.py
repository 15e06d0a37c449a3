"""Property-based: random valid scenarios (2-5 providers, zero and missing pools, every
built-in mechanism, member subsets, both web models) run without a crash, keep every
accounting identity, never exceed a pool's capacity (re-derived from the event log),
and are deterministic. ``scripts/fuzz_scenarios.py`` runs the same check thousands of
times; the suite keeps a small budget."""

from __future__ import annotations

import warnings

from hypothesis import HealthCheck, given, settings

from fedsim.api import prepare, run
from fedsim.config import scenario_from_dict
from fedsim.errors import FedsimWarning, ScenarioError
from tests.helpers.strategies import check_invariants, scenarios, tables_equal

BUDGET = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the suite must not be flaky: the same examples every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


@BUDGET
@given(scenarios())
def test_random_valid_scenarios_keep_every_invariant(data: dict) -> None:
    sc = scenario_from_dict(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FedsimWarning)
        try:
            prepared = prepare(sc)
        except ScenarioError as exc:  # the one legitimate refusal of a valid schema
            assert "none can run" in str(exc), exc
            return
        result = run(prepared)
        check_invariants(result)
        again = run(prepared, baseline=False)
    tables_equal(result, again)
