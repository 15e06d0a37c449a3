"""Exact MVA against closed networks solved by hand, and the parameter-server model."""

from __future__ import annotations

import pytest

from fedsim.perfmodel.mva import ParameterServerModel, Station, solve_mva, solve_mva_all

# Network 1: a delay station (think time Z = 2 s) and one queue (demand D = 1 s).
# Hand derivation by the MVA recursion, Q(0) = 0:
#   N=1: R_q = D = 1, R_z = 2, X = 1/3, Q_q = 1/3
#   N=2: R_q = 1·(1 + 1/3) = 4/3, cycle = 10/3, X = 2/(10/3) = 3/5, Q_q = 3/5·4/3 = 4/5
#   N=3: R_q = 1·(1 + 4/5) = 9/5, cycle = 19/5, X = 15/19, Q_q = 15/19·9/5 = 27/19
# Cross-check with the machine-repairman chain (ρ = D/Z = 1/2): P(k at queue) ∝ N!/(N−k)!·ρ^k
#   N=2: weights 1, 1, 1/2 → P0 = 2/5, X = (1 − P0)/D = 3/5, Q = (1 + 2·1/2)/(5/2) = 4/5
#   N=3: weights 1, 3/2, 3/2, 3/4 → P0 = 4/19, X = 15/19, Q = (3/2 + 3 + 9/4)/(19/4) = 27/19
DELAY_AND_QUEUE = [Station("think", 2.0, delay=True), Station("cpu", 1.0)]
EXPECTED_1 = {1: (1 / 3, 1 / 3), 2: (3 / 5, 4 / 5), 3: (15 / 19, 27 / 19)}

# Network 2: two queues, D1 = 1 s, D2 = 2 s, no delay.
#   N=1: R = (1, 2), X = 1/3, Q = (1/3, 2/3)
#   N=2: R = (1·4/3, 2·5/3) = (4/3, 10/3), cycle = 14/3, X = 3/7, Q = (4/7, 10/7)
# Product form check: P(n1, n2) ∝ D1^n1·D2^n2 over (2,0), (1,1), (0,2) = 1, 2, 4 (sum 7):
#   X = P(n1 ≥ 1)/D1 = 3/7, Q1 = (2·1 + 1·2)/7 = 4/7
TWO_QUEUES = [Station("a", 1.0), Station("b", 2.0)]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_delay_plus_queue_by_hand(n: int) -> None:
    result = solve_mva(DELAY_AND_QUEUE, n)
    throughput, queue = EXPECTED_1[n]
    assert result.throughput_per_s == pytest.approx(throughput)
    assert result.queue_length[1] == pytest.approx(queue)
    # Little's law at the delay station: Q_z = X·Z
    assert result.queue_length[0] == pytest.approx(throughput * 2.0)
    assert result.cycle_time_s == pytest.approx(n / throughput)
    assert result.utilization[1] == pytest.approx(throughput * 1.0)


def test_two_queues_by_hand() -> None:
    first, second = solve_mva_all(TWO_QUEUES, 2)
    assert first.throughput_per_s == pytest.approx(1 / 3)
    assert first.queue_length == pytest.approx((1 / 3, 2 / 3))
    assert second.throughput_per_s == pytest.approx(3 / 7)
    assert second.queue_length == pytest.approx((4 / 7, 10 / 7))
    assert sum(second.queue_length) == pytest.approx(2.0)


def test_throughput_approaches_the_bottleneck_bound() -> None:
    # asymptotic bound: X(N) ≤ 1/D_max = 0.5 for the two-queue network
    assert solve_mva(TWO_QUEUES, 200).throughput_per_s == pytest.approx(0.5, rel=1e-2)


def test_parameter_server_one_worker_sees_no_queueing() -> None:
    # S = 1e8 bytes, B = 8 Gbit/s, p = 4: each server moves 2·1e8/4 bytes = 4e8 bits → 0.05 s
    ps = ParameterServerModel(model_bytes=1e8, bandwidth_gbps=8.0)
    assert ps.server_demand_s(4) == pytest.approx(0.05)
    assert ps.step_time_s(compute_s=0.3, n_workers=1, n_servers=4) == pytest.approx(0.3 + 4 * 0.05)


def test_parameter_server_saturates_at_the_server_nics() -> None:
    ps = ParameterServerModel(model_bytes=1e8, bandwidth_gbps=8.0)
    # p = 2, D = 0.1 s per server: at most 1/D = 10 worker steps per second in total; two
    # equal queues alone give X(N) = N/(D·(N + 1)) = 9.901 at N = 100, the think time a bit less
    many = ps.steps_per_s(compute_s=0.1, n_workers=100, n_servers=2)
    assert 9.8 < many < 100 / (0.1 * 101)
    # more servers relieve the bottleneck
    assert ps.steps_per_s(0.1, 100, 4) > many


def test_bad_networks_are_rejected() -> None:
    with pytest.raises(ValueError):
        solve_mva(DELAY_AND_QUEUE, 0)
    with pytest.raises(ValueError):
        solve_mva([], 1)
    with pytest.raises(ValueError):
        ParameterServerModel(1e8, 8.0).solve(0.1, n_workers=0, n_servers=1)
