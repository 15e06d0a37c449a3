"""Sync and overlap models, and the data-parallel fit on synthetic placements."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from fedsim.perfmodel.dataparallel import (
    DataParallelParams,
    expected_max_std_normal,
    fit_data_parallel,
    fit_data_parallel_params,
    sync_growth,
)
from fedsim.perfmodel.measurements import StepTimes
from fedsim.perfmodel.pollux import PolluxParams, fit_pollux
from fedsim.perfmodel.sync import (
    LinearSync,
    RingAllReduce,
    fit_ring_allreduce,
    overlapped_step_time_s,
)

TRUE = DataParallelParams(
    shape="ring",
    forward_fraction=0.3,
    gamma=3.0,
    contention_per_replica=0.05,
    straggler_cv=0.02,
    intra_alpha_s=0.02,
    intra_beta_s=0.005,
    inter_alpha_s=0.2,
    inter_beta_s=0.01,
)


def _placements(max_nodes: int, max_per_node: int, batches: list[int]) -> np.ndarray:
    """Every placement of up to max_nodes nodes, as rows (nodes, replicas, most, batch)."""
    rows = []
    for nodes in range(1, max_nodes + 1):
        for counts in itertools.product(range(1, max_per_node + 1), repeat=nodes):
            rows.extend((nodes, sum(counts), max(counts), b) for b in batches)
    return np.array(rows, dtype=float)


def test_linear_sync_matches_its_formula() -> None:
    sync = LinearSync(alpha_s=0.1, beta_s=0.02)
    np.testing.assert_allclose(sync.sync_time_s([1, 2, 3, 10]), [0.0, 0.1, 0.12, 0.26])


def test_ring_allreduce_time_by_hand() -> None:
    ring = RingAllReduce(latency_s=0.001, bandwidth_gbps=8.0)
    # 4 workers, 1e8 bytes: 2·3/4·8e8 bits = 1.2e9 bits over 8e9 bit/s = 0.15 s, + 1 ms
    assert float(ring.time_s(4, 1e8)) == pytest.approx(0.151)
    assert float(ring.time_s(1, 1e8)) == 0.0


def test_ring_allreduce_fit_recovers_latency_and_bandwidth() -> None:
    k, size = np.meshgrid([2, 3, 4, 8], [1e4, 1e5, 1e6, 1e7, 1e8])
    true = RingAllReduce(latency_s=5e-4, bandwidth_gbps=25.0)
    times = np.asarray(true.time_s(k.ravel(), size.ravel()))
    noisy = times * np.exp(np.random.default_rng(4).normal(0.0, 0.02, times.shape))
    fit = fit_ring_allreduce(k.ravel(), size.ravel(), noisy)
    assert fit.latency_s == pytest.approx(5e-4, rel=0.05)
    assert fit.bandwidth_gbps == pytest.approx(25.0, rel=0.05)


def test_overlap_by_hand() -> None:
    # γ = 1 adds, large γ takes the maximum
    assert float(overlapped_step_time_s(0.3, 0.4, gamma=1.0)) == pytest.approx(0.7)
    assert float(overlapped_step_time_s(0.3, 0.4, gamma=200.0)) == pytest.approx(0.4, rel=1e-2)
    # φ = 1/3 of 0.3 s cannot overlap: 0.1 + sqrt(0.2² + 0.4²) = 0.1 + sqrt(0.2)
    got = float(overlapped_step_time_s(0.3, 0.4, gamma=2.0, forward_fraction=1 / 3))
    assert got == pytest.approx(0.1 + math.sqrt(0.2))


def test_expected_maximum_of_normals_near_exact_values() -> None:
    # exact: E[max of 2] = 1/sqrt(π), E[max of 3] = 3/(2 sqrt(π)); Blom is within a few %
    got = expected_max_std_normal(np.array([1, 2, 3]))
    np.testing.assert_allclose(
        got, [0.0, 1 / math.sqrt(math.pi), 1.5 / math.sqrt(math.pi)], atol=0.03
    )


def test_sync_growth_shapes() -> None:
    np.testing.assert_allclose(sync_growth("ring", np.array([2, 4, 10])), [0, 2, 8])
    np.testing.assert_allclose(sync_growth("tree", np.array([2, 4, 16])), [0, 1, 3])
    with pytest.raises(ValueError):
        sync_growth("mesh", np.array([2]))


@pytest.mark.parametrize("noise", [0.0, 0.02])
def test_data_parallel_fit_recovers_known_parameters(noise: float) -> None:
    rows = _placements(4, 4, [8, 32, 128, 256])
    compute = 0.01 + 0.002 * rows[:, 3]
    step = TRUE.step_time_s(compute, rows[:, 0], rows[:, 1], rows[:, 2])
    step = step * np.exp(np.random.default_rng(5).normal(0.0, noise, step.shape))
    data = StepTimes.from_arrays(rows[:, 0], rows[:, 1], rows[:, 3], step, None, rows[:, 2])
    fit = fit_data_parallel_params(data, compute, "ring")
    tol = 1e-6 if noise == 0 else 0.15
    for name in ("forward_fraction", "gamma", "contention_per_replica", "inter_alpha_s"):
        assert getattr(fit, name) == pytest.approx(getattr(TRUE, name), rel=tol), name
    assert fit.inter_beta_s == pytest.approx(TRUE.inter_beta_s, rel=tol)
    assert fit.straggler_cv == pytest.approx(TRUE.straggler_cv, abs=0.01 if noise else 1e-6)


def test_data_parallel_model_extrapolates_to_larger_jobs() -> None:
    small = _placements(3, 4, [8, 32, 128, 256])
    compute = 0.01 + 0.002 * small[:, 3]
    step = TRUE.step_time_s(compute, small[:, 0], small[:, 1], small[:, 2])
    # the exposed sync is what the step adds to the single-replica compute
    data = StepTimes.from_arrays(
        small[:, 0], small[:, 1], small[:, 3], step, step - compute, small[:, 2]
    )
    model = fit_data_parallel(data, shapes=("ring",))
    nodes, replicas, batch = np.array([8, 16]), np.array([32, 64]), np.array([64, 64])
    truth = TRUE.step_time_s(0.01 + 0.002 * batch, nodes, replicas, replicas / nodes)
    np.testing.assert_allclose(model.step_time_s(batch, nodes, replicas), truth, rtol=1e-3)


def test_pollux_fit_recovers_its_parameters() -> None:
    true = PolluxParams(0.01, 0.002, 0.15, 0.01, 0.03, 0.004, 2.5)
    rows = _placements(3, 4, [8, 32, 128, 512])
    step = true.step_time_s(rows[:, 3], rows[:, 0], rows[:, 1])
    fit = fit_pollux(StepTimes.from_arrays(rows[:, 0], rows[:, 1], rows[:, 3], step))
    for got, want in zip(
        (fit.alpha_c_s, fit.beta_c_s_per_sample, fit.alpha_n_s, fit.beta_n_s, fit.gamma),
        (0.01, 0.002, 0.15, 0.01, 2.5),
        strict=True,
    ):
        assert got == pytest.approx(want, rel=1e-3)
