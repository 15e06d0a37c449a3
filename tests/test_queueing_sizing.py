"""Sizing a web service for an epoch's rate profile: the fewest cores meeting the SLA,
whatever the search starts from."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fedsim.queueing.erlang import p_response_exceeds, response_tail, response_tails
from fedsim.queueing.profile import LoadProfile, cores_for_sla, meets, slices, violations


def _random_profiles(seed: int, n: int) -> list[tuple[LoadProfile, float, float, float]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(rng.integers(1, 6))
        mean_rps = float(rng.uniform(5.0, 3000.0))
        rates = tuple((mean_rps * rng.uniform(0.5, 1.5, k)).tolist())
        service_s = float(rng.uniform(0.01, 0.08))
        threshold_s = service_s * float(rng.uniform(3.5, 10.0))  # attainable at p95
        out.append((LoadProfile((60.0,) * k, rates), service_s, threshold_s, 0.95))
    return out


def test_fewest_cores_by_linear_scan() -> None:
    # second method: walk up one core at a time from the stability bound of the busiest
    # slice (every size below it leaves a slice unstable, so it fails)
    for load, service_s, threshold_s, pct in _random_profiles(5, 40):
        c = math.floor(max(load.rate_per_s) * service_s)
        while not meets(c, load, service_s, threshold_s, pct):
            c += 1
        assert cores_for_sla(load, service_s, threshold_s, pct) == c


def test_any_hint_gives_the_same_answer() -> None:
    rng = np.random.default_rng(8)
    for load, service_s, threshold_s, pct in _random_profiles(6, 60):
        answer = cores_for_sla(load, service_s, threshold_s, pct)
        assert answer is not None
        hints = {0, 1, answer - 1, answer, answer + 1, 2 * answer, 10 * answer,
                 *rng.integers(0, 3 * answer + 2, 6).tolist()}
        for hint in hints:
            assert cores_for_sla(load, service_s, threshold_s, pct, hint=int(hint)) == answer


def test_batched_tails_and_violations_equal_the_one_slice_formula() -> None:
    # second method: p_response_exceeds slice by slice (Σ_k τ_k·λ_k·P(W + S > T), every
    # request late in an unstable slice); equal to the last bit, as the engine's runs
    # must not change with the batching
    for load, service_s, threshold_s, _ in _random_profiles(7, 40):
        peak_erl = max(load.rate_per_s) * service_s
        for c in (0, math.floor(peak_erl), math.ceil(peak_erl) + 1, 2 * math.ceil(peak_erl)):
            expected = 0.0
            for tau, lam in zip(load.duration_s, load.rate_per_s, strict=True):
                p = 1.0 if c == 0 or lam * service_s >= c else float(
                    p_response_exceeds(c, lam, service_s, threshold_s))
                expected += tau * lam * p
            assert violations(c, load, service_s, threshold_s) == expected
            stable = [lam for lam in load.rate_per_s if lam * service_s < c]
            if stable:
                assert response_tails(c, [lam * service_s for lam in stable], service_s,
                                      threshold_s) == [
                    float(p_response_exceeds(c, lam, service_s, threshold_s)) for lam in stable]
                for lam in (*stable, 0.0):
                    assert response_tail(c, lam * service_s, service_s, threshold_s) == float(
                        p_response_exceeds(c, lam, service_s, threshold_s))


@settings(max_examples=2000, deadline=None)
@given(
    t0_s=st.one_of(st.floats(-1e7, 1e9), st.integers(0, 10**6).map(lambda k: 300.0 * k)),
    span_s=st.one_of(st.floats(0.0, 1e5), st.just(0.0), st.just(5e-324), st.just(300.0)),
    slice_s=st.one_of(st.floats(1e-3, 1e6), st.just(0.0), st.just(60.0), st.just(7.0)),
)
def test_slices_are_numpy_linspace_to_the_bit(t0_s: float, span_s: float, slice_s: float
                                              ) -> None:
    """``slices`` builds its edges in Python (linspace's overhead was ~2% of a web run);
    they must be linspace's floats exactly, or web runs would change."""
    t1_s = t0_s + span_s
    k = max(1, math.ceil((t1_s - t0_s) / slice_s - 1e-9)) if slice_s > 0 else 1
    assume(k <= 10_000)
    assert slices(t0_s, t1_s, slice_s).tobytes() == np.linspace(t0_s, t1_s, k + 1).tobytes()
