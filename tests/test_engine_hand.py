"""A federation small enough to simulate by hand, end to end through the engine.

Provider A owns one K80 and four 1-GPU jobs that all arrive at t=0 (each 1 h of work
on the reference K80); provider B owns one idle V100 (2x a K80 on this model).
Epochs of 700 s, horizon 15000 s. No CPU pools, so no web load.

Derivation (lp_welfare):
* t=0: job 1 starts on A's K80 at once (FIFO). Market: class "A/m/x1" with 3 GPU-units
  queued; free capacity = B's V100 only.
  WAN cost per unit-hour = data / (g · fastest run time) = (10 GB · 0.02 $/GB) / (1 · 0.5 h)
  = 0.4 $/h. Gain on B = v·e − c − w = 1.0·2 − (0.5 − 0.2) − 0.4 = 1.3 $/h.
  LP: x = 1 on B. The demand row is slack (1 < 3), so its dual is 0 and B's capacity dual
  is y = 1.3 $/GPU-h (unique). The host is paid cost + rent: p = 0.3 + 1.3 = 1.6 $/GPU-h.
  Job 2 starts on B at 0: data transfer 10 GB·8/10 Gbps + 40 ms = 8.04 s, then
  3600 · 0.5 = 1800 s of work: finishes at 1808.04 s.
* t=700, 1400: B busy, no free capacity. t=2100: B free, 2 units queued: same LP,
  y = 1.3; job 3 runs on B from 2100 to 3908.04 s.
* t=3600: job 1 finishes on A; FIFO starts job 4 on A's K80, finishing at 7200 s.
Ledger, A: revenue 4 jobs · 1 GPU-h · 1.0 $ = 4.0; WAN 2 · 0.2 = 0.4;
  paid 2 · 1.6 · 1808.04/3600 = 1.6071467; operating 0.1 · 15000/3600 + 0.15 · 2 h = 0.7166667;
  profit 4 − 0.7166667 − 0.4 − 1.6071467 = 1.2761867.
B: received 1.6071467; operating 0.2 · 15000/3600 + 0.3 · 2 · 1808.04/3600 = 1.1346733;
  profit 0.4724733.
Isolated: A runs the four jobs back to back (finishing at 3600, 7200, 10800, 14400):
  profit 4 − (0.4166667 + 0.15 · 4) = 2.9833333; B only idles: −0.8333333.
So A *loses* 1.7071467 by federating: its customers pay per unit of work, not for speed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fedsim.api import run
from fedsim.config import scenario_from_dict


def _scenario(tmp_path: Path, mechanism: str) -> dict:
    trace = tmp_path / "trace.csv"
    trace.write_text(
        "timestamp,duration,num_gpus,gpu_time,cluster\n" + "2017-10-01 00:00:00,3600,1,3600,a\n" * 4
    )
    return {
        "name": "hand",
        "horizon_s": 15000,
        "affinity": {
            "reference_gpu": "k80",
            "dataset_gb": 10,
            "table": {"m": {"k80": 1.0, "v100": 2.0}},
        },
        "network": {"bandwidth_gbps": 10, "rtt_ms": 40, "egress_usd_per_gb": 0.02},
        "federation": {"mechanism": {"name": mechanism}, "epoch_s": 700},
        "dnn_trace": {
            "path": str(trace),
            "cluster_to_provider": {"a": "A"},
            "job_type_mix": {"m": 1},
        },
        "providers": [
            {
                "name": "A",
                "pools": {"gpu:k80": 1},
                "cost": {
                    "idle_usd_per_unit_h": {"gpu:k80": 0.1},
                    "busy_usd_per_unit_h": {"gpu:k80": 0.25},
                },
                "prices": {"dnn_usd_per_gpu_h": 1.0},
            },
            {
                "name": "B",
                "pools": {"gpu:v100": 1},
                "cost": {
                    "idle_usd_per_unit_h": {"gpu:v100": 0.2},
                    "busy_usd_per_unit_h": {"gpu:v100": 0.5},
                },
                "prices": {"dnn_usd_per_gpu_h": 1.0},
            },
        ],
    }


def test_lp_welfare_by_hand(tmp_path: Path) -> None:
    result = run(scenario_from_dict(_scenario(tmp_path, "lp_welfare")))
    jobs = result.jobs.sort_values("start_s").reset_index(drop=True)
    assert list(jobs["host"]) == ["A", "B", "B", "A"]
    assert jobs["start_s"].tolist() == pytest.approx([0, 0, 2100, 3600])
    assert jobs["finish_s"].tolist() == pytest.approx([3600, 1808.04, 3908.04, 7200])
    assert jobs["price_usd_per_gpu_h"].tolist() == pytest.approx([0, 1.6, 1.6, 0])

    by = result.ledger.groupby("provider", observed=True).sum(numeric_only=True)
    assert by.loc["A", "revenue_dnn_usd"] == pytest.approx(4.0)
    assert by.loc["A", "wan_cost_usd"] == pytest.approx(0.4)
    assert by.loc["A", "paid_usd"] == pytest.approx(1.6071467, abs=1e-6)
    assert by.loc["B", "received_usd"] == pytest.approx(1.6071467, abs=1e-6)
    assert by.loc["A", "operating_cost_usd"] == pytest.approx(0.7166667, abs=1e-6)
    assert by.loc["B", "operating_cost_usd"] == pytest.approx(1.1346733, abs=1e-6)
    assert by.loc["A", "profit_usd"] == pytest.approx(1.2761867, abs=1e-6)
    assert by.loc["B", "profit_usd"] == pytest.approx(0.4724733, abs=1e-6)

    providers = result.summary["providers"]
    assert providers["A"]["gain_vs_isolated_usd"] == pytest.approx(1.2761867 - 2.9833333, abs=1e-6)
    assert providers["B"]["gain_vs_isolated_usd"] == pytest.approx(0.4724733 + 0.8333333, abs=1e-6)
    assert providers["A"]["jct_mean_s"] == pytest.approx((3600 + 1808.04 + 3908.04 + 7200) / 4)
    assert result.summary["federation"]["individually_rational"] is False
    assert result.summary["federation"]["budget_residual_usd"] == pytest.approx(0.0, abs=1e-9)


def test_isolated_by_hand(tmp_path: Path) -> None:
    result = run(scenario_from_dict(_scenario(tmp_path, "isolated")))
    jobs = result.jobs.sort_values("start_s")
    assert set(jobs["host"]) == {"A"}
    assert jobs["finish_s"].tolist() == pytest.approx([3600, 7200, 10800, 14400])
    by = result.ledger.groupby("provider", observed=True)["profit_usd"].sum()
    assert by["A"] == pytest.approx(2.9833333, abs=1e-6)
    assert by["B"] == pytest.approx(-0.8333333, abs=1e-6)
    assert result.summary["providers"]["A"]["gain_vs_isolated_usd"] == 0.0
