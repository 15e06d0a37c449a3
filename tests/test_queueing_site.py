"""The request-level site (numba kernel): exact against textbook M/M/c answers within
confidence intervals, invariant to how an interval is cut into calls, coupling, the
admission limit, and cores changing with requests in the system."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from fedsim.queueing.fcfs import fcfs_response_s
from fedsim.queueing.site import Arrivals, Draws, Site
from fedsim.queueing.transient import admission_limit
from tests.helpers.erlang_hand import mmck_distribution, response_tail


def draws(seed: int) -> Draws:
    ss = np.random.SeedSequence(seed).spawn(2)
    return Draws(np.random.default_rng(ss[0]), np.random.default_rng(ss[1]))


def late_fraction(c: int, lam: float, s: float, t: float, horizon_s: float, seed: int,
                  max_wait_s: float = math.inf) -> tuple[float, int]:
    site = Site(s, t, c, max_wait_s)
    d = draws(seed)
    served = site.serve(d, 0.0, horizon_s, Arrivals(mean_per_s=lam))
    drained = site.drain(d, horizon_s)
    late = served.late + drained.late_earlier + drained.late
    return late / served.requests, served.requests


@pytest.mark.parametrize(("c", "lam", "t"), [(1, 20.0, 0.15), (8, 170.0, 0.15),
                                              (50, 1180.0, 0.06)])
def test_response_tail_is_the_textbook_m_m_c_one(c: int, lam: float, t: float) -> None:
    s = 0.040
    # 20 replications of 600 s; each starts empty (a burn-in of a few relaxation times,
    # (λ + cμ)/(cμ − λ)² ≤ 4 s here, biases the mean by < 1%: inside the interval)
    fr = np.array([late_fraction(c, lam, s, t, 600.0, seed)[0] for seed in range(20)])
    half = 2.09 * fr.std(ddof=1) / math.sqrt(len(fr))  # t(0.975, 19)
    assert abs(fr.mean() - response_tail(c, lam, s, t)) <= half + 0.002


def test_agrees_with_the_heap_fcfs_reference() -> None:
    """A plain FCFS simulation (a heap of server-free times) on its own Poisson draws:
    the two estimates of P(R > T) agree within their joint interval."""
    c, lam, s, t = 4, 90.0, 0.040, 0.1
    rng = np.random.default_rng(5)
    heap = []
    for _ in range(20):
        n = rng.poisson(lam * 600.0)
        arr = np.sort(rng.random(n) * 600.0)
        heap.append(float((fcfs_response_s(arr, rng.exponential(s, n), c) > t).mean()))
    ours = [late_fraction(c, lam, s, t, 600.0, 100 + k)[0] for k in range(20)]
    a, b = np.array(heap), np.array(ours)
    half = 2.02 * math.sqrt(a.var(ddof=1) / 20 + b.var(ddof=1) / 20)
    assert abs(a.mean() - b.mean()) <= half


def test_cutting_an_interval_into_calls_changes_nothing() -> None:
    load = Arrivals(mean_per_s=300.0, amplitude=0.5, omega_per_s=2 * math.pi / 900.0)
    one, many = Site(0.04, 0.1, 12), Site(0.04, 0.1, 12)
    whole = one.serve(draws(3), 0.0, 900.0, load)
    d = draws(3)
    edges = np.concatenate([[0.0], np.sort(np.random.default_rng(1).random(40)) * 900, [900.0]])
    parts = [many.serve(d, a, b, load, 0.0) for a, b in itertools.pairwise(edges)]
    assert whole.requests == sum(p.requests for p in parts)
    assert whole.late == sum(p.late for p in parts)
    assert whole.busy_core_s == pytest.approx(sum(p.busy_core_s for p in parts), rel=1e-12)
    assert one.same_queue(many)


def test_two_queues_on_the_same_draws_meet_and_stay_together() -> None:
    """Coupling (what the parallel fix-up relies on): a site holding a backlog and an
    empty one, driven by one seed, become identical and then never differ."""
    load = Arrivals(mean_per_s=200.0)
    full, empty = Site(0.04, 0.1, 10), Site(0.04, 0.1, 10)
    full.serve(draws(9), -60.0, 0.0, Arrivals(mean_per_s=400.0))  # a backlog of overload
    assert full.in_system > 50
    df, de = draws(4), draws(4)
    met = None
    for k in range(600):
        full.serve(df, k * 0.5, (k + 1) * 0.5, load, 0.0)
        empty.serve(de, k * 0.5, (k + 1) * 0.5, load, 0.0)
        same = full.same_queue(empty)
        if met is not None:
            assert same
        elif same:
            met = k
    assert met is not None


def test_admission_limit_turns_away_what_mmck_blocks() -> None:
    """Overload λ = 1.6·cμ with an admission limit: the share turned away is the M/M/c/K
    blocking probability p_K (no other request is late: the threshold is huge)."""
    c, lam, s, wait_s = 2, 80.0, 0.04, 0.2
    k = admission_limit(c, s, wait_s)
    assert k == 2 + 10  # c + W·c/s = 2 + 0.2·50
    p_k = mmck_distribution(c, k, lam, s)[-1]  # ≈ 0.378
    fr = np.array([late_fraction(c, lam, s, 1e6, 300.0, seed, wait_s)[0]
                   for seed in range(10)])
    half = 2.26 * fr.std(ddof=1) / math.sqrt(len(fr))
    assert abs(fr.mean() - p_k) <= half + 0.003


def test_fewer_cores_hand_their_requests_back() -> None:
    site = Site(0.04, 0.1, 20)
    site.serve(draws(2), 0.0, 5.0, Arrivals(mean_per_s=480.0))
    before = site.in_system
    assert before > 5
    site.set_cores(3)
    assert site.in_system == before and site.cores == 3
    site.set_cores(40)  # new cores take waiting requests at once
    assert site.in_system == before
    served = site.drain(draws(2), 5.0)
    assert site.in_system == 0 and served.late_earlier <= before
