"""Per-epoch web outcome: fluid (Erlang-C) against request-level runs, heap against simpy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fedsim.queueing import (
    DiurnalRate,
    batch_means_ci95,
    erlang_c,
    fcfs_response_s,
    fcfs_response_s_simpy,
    fluid_epoch,
    p_response_exceeds,
    simulate_epoch_requests,
    simulate_requests,
    violation_fraction_ci95,
)

SERVICE_S = 0.1  # μ = 10 requests/s per core


def test_fluid_single_site_by_hand() -> None:
    # c = 1, λ = 7/s, S = 0.1 s: sojourn ~ Exp(3/s), P(R > 0.5) = e^{-1.5} = 0.22313.
    ep = fluid_epoch(7.0, SERVICE_S, 300.0, 0.5, cores_own=1)
    assert ep.requests == pytest.approx(2100.0)
    assert ep.violations == pytest.approx(2100.0 * math.exp(-1.5))
    assert ep.busy_core_s == pytest.approx(7.0 * 0.1 * 300.0)  # ρ·epoch = 210 core-s
    assert ep.requests_remote == 0.0 and ep.busy_core_s_remote == 0.0


def test_fluid_split_in_proportion_to_cores() -> None:
    # 12 own + 4 remote cores, λ = 136/s: own site gets 3/4 (102/s on M/M/12), remote 34/s on M/M/4.
    lam, sla, rtt = 136.0, 0.3, 0.05
    ep = fluid_epoch(lam, SERVICE_S, 600.0, sla, 12, 4, rtt)
    own = p_response_exceeds(12, 102.0, SERVICE_S, sla)
    rem = p_response_exceeds(4, 34.0, SERVICE_S, sla - rtt)
    assert ep.requests_remote == pytest.approx(34.0 * 600.0)
    assert ep.violations_own == pytest.approx(own * 102.0 * 600.0)
    assert ep.violations_remote == pytest.approx(rem * 34.0 * 600.0)
    assert ep.busy_core_s_own == pytest.approx(10.2 * 600.0)
    assert ep.busy_core_s_remote == pytest.approx(3.4 * 600.0)


def test_fluid_degenerate_cases() -> None:
    # Zero cores with load: every request violates, no work done.
    ep = fluid_epoch(5.0, SERVICE_S, 100.0, 0.5, 0, 0)
    assert ep.violations == ep.requests == 500.0 and ep.busy_core_s == 0.0
    # RTT >= SLA: every remote request violates.
    ep = fluid_epoch(20.0, SERVICE_S, 100.0, 0.2, 4, 4, rtt_s=0.2)
    assert ep.violations_remote == ep.requests_remote == pytest.approx(1000.0)
    # Unstable own site (λ = 50/s on 4 cores of 10/s): all violate, busy capped at 4·epoch.
    ep = fluid_epoch(50.0, SERVICE_S, 100.0, 1.0, 4)
    assert ep.violation_fraction == 1.0 and ep.busy_core_s == pytest.approx(400.0)
    # No load.
    assert fluid_epoch(0.0, SERVICE_S, 100.0, 0.2, 4).violations == 0.0


# (cores_own, cores_remote, ρ per core, rtt_s, sla_s): all with S = 0.1 s.
AGREEMENT_CASES = [
    (4, 0, 0.70, 0.0, 0.3),
    (16, 0, 0.85, 0.0, 0.2),
    (8, 8, 0.85, 0.05, 0.25),
    (4, 12, 0.70, 0.10, 0.3),
]


@pytest.mark.parametrize(("own", "remote", "rho", "rtt_s", "sla_s"), AGREEMENT_CASES)
def test_fluid_inside_request_level_ci(
    own: int, remote: int, rho: float, rtt_s: float, sla_s: float
) -> None:
    # ~300k requests (one long epoch, fixed seed); the fluid value must lie inside the 95%
    # batch-means CI of the request-level violation fraction. Over 40 seeds per case the
    # fluid value fell inside the CI in 152/160 runs (95%), so the CI holds its level.
    cores = own + remote
    lam = rho * cores / SERVICE_S
    epoch_s = 300_000 / lam
    trace = simulate_requests(
        np.random.default_rng(2024), lam, 0.0, epoch_s, SERVICE_S, sla_s, own, remote, rtt_s
    )
    fluid = fluid_epoch(lam, SERVICE_S, epoch_s, sla_s, own, remote, rtt_s)
    frac, lo, hi = violation_fraction_ci95(trace)
    assert lo <= fluid.violation_fraction <= hi, (fluid.violation_fraction, frac, lo, hi)
    assert hi - lo < 0.03
    sim = trace.to_epoch()
    # Counts and work: Poisson count within 4σ; busy core-s within 1% of λ·S·epoch.
    assert abs(sim.requests - fluid.requests) < 4 * math.sqrt(fluid.requests)
    assert sim.busy_core_s == pytest.approx(fluid.busy_core_s, rel=0.01)
    if remote:
        assert sim.requests_remote / sim.requests == pytest.approx(remote / cores, abs=0.005)


def test_request_level_waiting_probability_is_erlang_c() -> None:
    # A second observable: the fraction of requests that wait (response > service) is C(c, a).
    # Over seeds 0..39 the CI covered C in 39/40 runs (mean error +0.0002 ± 0.0005).
    lam, c = 13.6, 2  # ρ = 13.6·0.1/2 = 0.68; C(2, 1.36) = 2ρ²/(1+ρ) = 0.5505
    trace = simulate_requests(
        np.random.default_rng(2024), lam, 0.0, 200_000 / lam, SERVICE_S, 1.0, c
    )
    waited = trace.response_s > trace.service_time_s + 1e-9  # float slack at t ~ 1e4 s
    _, lo, hi = batch_means_ci95(waited)
    assert erlang_c(c, lam * SERVICE_S) == pytest.approx(2 * 0.68**2 / 1.68)
    assert lo <= erlang_c(c, lam * SERVICE_S) <= hi


def test_simpy_reference_equals_heap_on_the_same_draws() -> None:
    kwargs = dict(t0_s=86_400.0, epoch_s=600.0, service_s=SERVICE_S, sla_latency_s=0.25,
                  cores_own=6, cores_remote=3, rtt_s=0.04)  # fmt: skip
    rate = DiurnalRate(mean_per_s=80.0, peak_to_trough=3.0)
    heap = simulate_requests(np.random.default_rng(9), rate, queue="heap", **kwargs)
    ref = simulate_requests(np.random.default_rng(9), rate, queue="simpy", **kwargs)
    assert heap.arrival_s.size > 40_000
    np.testing.assert_array_equal(heap.arrival_s, ref.arrival_s)
    np.testing.assert_allclose(heap.response_s, ref.response_s, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(heap.violated, ref.violated)
    assert heap.to_epoch() == ref.to_epoch()
    # And directly on a hand case: 2 servers, arrivals 0, 0, 0, 1 with service 2, 3, 1, 1:
    # r0 = 2, r1 = 3; r2 waits for the first free server (t=2), ends 3: r = 3;
    # r3 (t=1) waits for the next one (t=3), ends 4: r = 3.
    arr, svc = [0.0, 0.0, 0.0, 1.0], [2.0, 3.0, 1.0, 1.0]
    np.testing.assert_allclose(fcfs_response_s(arr, svc, 2), [2.0, 3.0, 3.0, 3.0])
    np.testing.assert_allclose(fcfs_response_s_simpy(arr, svc, 2), [2.0, 3.0, 3.0, 3.0])


def test_request_level_degenerate_cases_and_common_random_numbers() -> None:
    rng = np.random.default_rng(1)
    ep = simulate_epoch_requests(rng, 10.0, 0.0, 100.0, SERVICE_S, 0.5, 0, 0)
    assert ep.requests > 0 and ep.violations == ep.requests and ep.busy_core_s == 0.0
    ep = simulate_epoch_requests(
        np.random.default_rng(1), 10.0, 0.0, 100.0, SERVICE_S, 0.2, 2, 2, 0.3
    )
    assert ep.violations_remote == ep.requests_remote > 0
    # Same seed, different split: identical arrivals and service times (paired comparisons).
    a = simulate_requests(np.random.default_rng(4), 30.0, 0.0, 100.0, SERVICE_S, 0.3, 6, 0)
    b = simulate_requests(np.random.default_rng(4), 30.0, 0.0, 100.0, SERVICE_S, 0.3, 3, 3, 0.02)
    np.testing.assert_array_equal(a.arrival_s, b.arrival_s)
    np.testing.assert_array_equal(a.service_time_s, b.service_time_s)
