"""The end-of-run identities: the job counts the engine checks are the jobs table's own,
and a job lost from them is an AccountingError, not a silent table."""

from __future__ import annotations

import pytest

from fedsim.api import prepare
from fedsim.config import scenario_from_dict
from fedsim.engine.identities import check_identities
from fedsim.engine.jobs import JobStatus
from fedsim.engine.simulation import Simulation
from fedsim.errors import AccountingError
from fedsim.mechanisms import make
from tests.helpers.scenarios import two_provider_dict


def test_job_counts_match_the_jobs_table_and_a_lost_job_is_caught() -> None:
    world = prepare(scenario_from_dict(two_provider_dict(horizon_s=12 * 3600)),
                    limits=None).world
    sim = Simulation(world, make("lp_welfare"))
    tables = sim.run()
    status = tables.jobs["status"].astype(str).value_counts()
    counts = sim.dnn.counts()
    for name in ("queued", "running", "finished", "rejected"):
        assert counts[name] == status.get(name, 0)
    assert counts["arrived"] == int((tables.jobs["status"].astype(str) != "not_arrived").sum())
    assert counts["finished"] > 0
    # a finished job that (wrongly) reads as never arrived breaks the identity
    j = sim.dnn.jobs.status.index(JobStatus.FINISHED)
    sim.dnn.jobs.status[j] = JobStatus.NOT_ARRIVED
    with pytest.raises(AccountingError, match="job identity failed"):
        check_identities(sim.ledger, sim.dnn, world, None)
