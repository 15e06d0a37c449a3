"""The fluid site in time: the settled fast path is Erlang-C, the lattice carries
overload and ramps, and both agree with the request-level site within intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fedsim.queueing.site import Arrivals, Draws, Site
from fedsim.queueing.transient import FluidSite, admission_limit, late_probability
from tests.helpers.erlang_hand import mmck_distribution, response_tail


def test_settled_slice_is_the_m_m_1_answer() -> None:
    # M/M/1: the response is Exp(μ − λ), P(R > T) = e^{−(μ−λ)T} = e^{−5·0.15} = 0.4724
    site = FluidSite(0.04, 0.15)
    late, busy = site.serve(1, 20.0, 60.0, 60.0)
    assert late / (20.0 * 60.0) == pytest.approx(math.exp(-0.75), rel=1e-12)
    assert busy == pytest.approx(20.0 * 0.04 * 60.0)


@pytest.mark.parametrize(("n", "c"), [(0, 4), (3, 4), (4, 4), (9, 4), (30, 1), (60, 20)])
def test_late_probability_by_sampling(n: int, c: int) -> None:
    """An arrival finding n requests on c cores waits for n − c + 1 departures at rate
    cμ (a Gamma), then its own Exp(μ) service; sampled directly."""
    s, t = 0.04, 0.15
    rng = np.random.default_rng(n * 100 + c)
    k = n - c + 1
    wait = rng.gamma(k, s / c, 400_000) if k > 0 else 0.0
    p = float(((wait + rng.exponential(s, 400_000)) > t).mean())
    assert float(late_probability(np.array([n]), c, s, t)[0]) == pytest.approx(p, abs=0.003)


def test_long_overload_settles_on_mmck() -> None:
    """λ = 1.6·cμ for an hour with admission limit K: turned away at the M/M/c/K blocking
    rate p_K (threshold huge: nothing else is late)."""
    c, lam, s, wait_s = 2, 80.0, 0.04, 0.2
    k = admission_limit(c, s, wait_s)
    site = FluidSite(s, 1e6, wait_s)
    late = sum(site.serve(c, lam, 60.0, 60.0)[0] for _ in range(60))
    assert late / (lam * 3600.0) == pytest.approx(mmck_distribution(c, k, lam, s)[-1], rel=0.01)


def test_a_ramp_through_saturation_agrees_with_requests() -> None:
    """10 cores of 40 ms at 200 → 270 → 200 requests/s for a minute each (the middle
    minute overloaded): the backlog it builds makes the third minute late too, which a
    per-slice Erlang-C cannot see. Fluid against 40 request-level replications."""
    c, s, t = 10, 0.04, 0.15
    rates = [200.0, 270.0, 200.0]
    fluid = FluidSite(s, t)
    per_slice = [fluid.serve(c, lam, 60.0, 60.0)[0] / (lam * 60.0) for lam in rates]
    assert per_slice[2] > 5 * response_tail(c, 200.0, s, t)  # the carried backlog
    reps = []
    for seed in range(40):
        site, ss = Site(s, t, c), np.random.SeedSequence(seed).spawn(2)
        d = Draws(np.random.default_rng(ss[0]), np.random.default_rng(ss[1]))
        late = n = 0
        for k, lam in enumerate(rates):
            got = site.serve(d, 60.0 * k, 60.0 * (k + 1), Arrivals(mean_per_s=lam), 0.0)
            late, n = late + got.late, n + got.requests
        drained = site.drain(d, 180.0)
        reps.append((late + drained.late + drained.late_earlier) / n)
    r = np.array(reps)
    total_fluid = sum(f * lam for f, lam in zip(per_slice, rates, strict=True)) / sum(rates)
    half = 2.02 * r.std(ddof=1) / math.sqrt(len(r))
    assert abs(r.mean() - total_fluid) <= half + 0.003


def test_settled_answers_are_remembered_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    # a site remembers its settled slices' answers (loads repeat daily); a fresh site,
    # which has nothing to remember, is the second method, slice by slice
    import fedsim.queueing.transient as transient

    monkeypatch.setattr(transient, "MAX_MEMO", 7)  # the bound clears it too
    rng = np.random.default_rng(3)
    slices = [(int(rng.integers(50, 60)), float(rng.choice([300.0, 350.0, 400.0])))
              for _ in range(12)]  # ≥ 10 cores above the load: settled within seconds
    site = transient.FluidSite(0.1, 0.5)
    for _ in range(3):  # every answer computed, then remembered, then after clearing
        for c, lam in slices:
            fresh = transient.FluidSite(0.1, 0.5).serve(c, lam, 60.0, 60.0)
            assert site.serve(c, lam, 60.0, 60.0) == fresh
            assert site.p is None  # still on the settled (stationary) path
