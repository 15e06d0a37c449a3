"""Serverless costs and cold starts, computed by hand with a public price sheet's
structure (AWS Lambda: $0.0000166667 per GB-second, $0.20 per million requests, 1 ms
rounding)."""

from __future__ import annotations

import numpy as np
import pytest

from fedsim.serverless import PriceSheet, ServerlessPool, invoke

LAMBDA = PriceSheet(usd_per_gb_s=0.0000166667, usd_per_request=0.20 / 1e6, round_ms=1.0)


def test_cost_by_hand() -> None:
    # 3 warm-able invocations of 1.2345 s at 1.5 GB: billed 1.235 s each (rounded up)
    pool = ServerlessPool(LAMBDA, cold_start_s=0.0)
    out = invoke(pool, np.array([0.0, 10.0, 20.0]), np.full(3, 1.2345), 1.5)
    each = 1.235 * 1.5 * 0.0000166667 + 0.20 / 1e6
    assert out.cost_usd == pytest.approx(np.full(3, each), rel=1e-12)
    assert out.total_usd == pytest.approx(3 * each)


def test_rounding_minimum_and_gpu_price() -> None:
    sheet = PriceSheet(usd_per_gb_s=1e-5, usd_per_request=0.0, round_ms=100.0,
                       min_billed_ms=1000.0, usd_per_gpu_s=1e-3)
    pool = ServerlessPool(sheet, cold_start_s=0.0, gpus_per_function=1)
    out = invoke(pool, np.array([0.0, 5.0]), np.array([0.25, 2.01]), 2.0)
    # 0.25 s → 0.3 s → the 1 s minimum; 2.01 s → 2.1 s; each: s·2 GB·1e-5 + s·1·1e-3
    assert out.cost_usd == pytest.approx([1.0 * (2e-5 + 1e-3), 2.1 * (2e-5 + 1e-3)])


def test_cold_starts_counted() -> None:
    """Arrivals 0, 0.1, 5, 100 of 1 s, keep warm 60 s, cold start 0.5 s: 0 is cold
    (runs 0.5–1.5); 0.1 finds it busy: cold (0.6–1.6); 5 finds two idle: warm (5–6);
    100 finds none kept (last idle at 6, reclaimed at 66): cold (100.5–101.5)."""
    pool = ServerlessPool(LAMBDA, cold_start_s=0.5, keep_warm_s=60.0)
    out = invoke(pool, np.array([0.0, 0.1, 5.0, 100.0]), np.ones(4), 1.0)
    assert out.cold.tolist() == [True, True, False, True] and out.cold_starts == 3
    assert out.start_s.tolist() == pytest.approx([0.5, 0.6, 5.0, 100.5])


def test_concurrency_limit_queues() -> None:
    pool = ServerlessPool(LAMBDA, concurrency=2, cold_start_s=0.0)
    out = invoke(pool, np.zeros(3), np.full(3, 2.0), 1.0)
    assert out.start_s.tolist() == [0.0, 0.0, 2.0]  # the third waits for a free slot


def test_memory_cap() -> None:
    with pytest.raises(ValueError, match="memory cap"):
        invoke(ServerlessPool(LAMBDA, memory_cap_gb=10.0), np.zeros(1), np.ones(1), 12.0)
