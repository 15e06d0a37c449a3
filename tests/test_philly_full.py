"""``scenarios/philly_full.yaml``: the whole Philly trace, its seven largest virtual
clusters as seven providers, each with its cluster's mean GPU demand over the trace in
whole 8-GPU servers (what the file's comment says; recomputed here from the CSV)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fedsim.api import prepare
from fedsim.config import load_scenario
from fedsim.errors import FedsimWarning


def test_philly_full_maps_the_seven_largest_clusters_at_their_mean_demand(
    repo_root: Path, shared_data: Path,
) -> None:
    trace = shared_data / "philly_jobs.csv"
    sc = load_scenario(repo_root / "scenarios" / "philly_full.yaml",
                       [f"dnn_trace.path={trace}"])
    jobs = pd.read_csv(trace, parse_dates=["timestamp"])
    span_s = (jobs["timestamp"].max() - jobs["timestamp"].min()).total_seconds()
    assert sc.horizon_s == span_s + 1.0
    largest = jobs["cluster"].value_counts().index[:7]
    mapping = sc.dnn_trace.cluster_to_provider
    assert set(mapping) == {str(c) for c in largest}
    gpu_s = (jobs["num_gpus"] * jobs["duration"]).groupby(jobs["cluster"]).sum()
    by_name = {p.name: p for p in sc.providers}
    for cluster in largest:
        pools = by_name[mapping[str(cluster)]].pools
        (units,) = [v for k, v in pools.items() if k.startswith("gpu:")]
        assert units == max(8, round(gpu_s[cluster] / span_s / 8) * 8)
    with pytest.warns(FedsimWarning, match="of provider 'vc5' can never run"):
        world = prepare(sc, limits=None).world  # gangs of 128 GPUs: the largest pool has 96
    assert world.n_providers == 7
