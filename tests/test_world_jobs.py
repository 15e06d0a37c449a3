"""JobBatch and generate_jobs: statistics within stated tolerances, determinism, errors.

Tolerances are 5 standard errors of the estimator (two-sided false-alarm odds ~6e-7 per
check for a fresh seed; the seeds here are fixed, so the tests are deterministic anyway):
- Poisson count N over horizon H at rate λ: sd = sqrt(λH);
- a category's share p among n draws: sd = sqrt(p(1-p)/n);
- sample median of a density f at its median m: sd = 1 / (2 f(m) sqrt(n)); for a
  log-normal median m, sigma σ, in log space f(log m) = 1/(σ sqrt(2π)), so the sd of the
  log of the sample median is σ sqrt(π/2) / sqrt(n); for an exponential with median m,
  f(m) = ln2 / (2m), so the sd is m / (ln2 sqrt(n)).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fedsim.errors import ScenarioError
from fedsim.world.jobs import DurationSpec, JobBatch, generate_jobs

TYPES = ("cnn", "lm", "rec")
Z = 5.0


def _gen(seed: int = 7, **kw: object) -> JobBatch:
    args: dict = {
        "horizon_s": 1000 * 3600.0,
        "rate_per_h": 100.0,
        "gpu_mix": {1: 0.7, 2: 0.1, 4: 0.15, 8: 0.05},
        "duration": DurationSpec("lognormal", median_s=1800.0, sigma=1.2),
        "job_type_mix": {"cnn": 2.0, "rec": 1.0},
        "job_types": TYPES,
    }
    args.update(kw)
    return generate_jobs(np.random.default_rng(seed), **args)


def test_rate_gang_mix_and_lognormal_median() -> None:
    b = _gen()
    expected_n = 100.0 * 1000
    assert abs(len(b) - expected_n) < Z * math.sqrt(expected_n)
    assert np.all(np.diff(b.arrival_s) >= 0)
    assert b.arrival_s.min() >= 0 and b.arrival_s.max() < 1000 * 3600.0
    n = len(b)
    for size, p in {1: 0.7, 2: 0.1, 4: 0.15, 8: 0.05}.items():
        share = np.mean(b.n_gpus == size)
        assert abs(share - p) < Z * math.sqrt(p * (1 - p) / n), size
    assert set(np.unique(b.job_type)) == {0, 2}  # "lm" has no weight
    p_cnn = 2 / 3
    assert abs(np.mean(b.job_type == 0) - p_cnn) < Z * math.sqrt(p_cnn * (1 - p_cnn) / n)
    log_median = math.log(np.median(b.ref_duration_s))
    assert abs(log_median - math.log(1800.0)) < Z * 1.2 * math.sqrt(math.pi / 2 / n)
    assert np.all(b.source_line == -1)


def test_exponential_fixed_and_cap() -> None:
    b = _gen(duration=DurationSpec("exponential", median_s=600.0, max_s=5_000.0))
    n = len(b)
    assert abs(np.median(b.ref_duration_s) - 600.0) < Z * 600.0 / (math.log(2) * math.sqrt(n))
    # capped: P(d > 5000 s) = 2^(-5000/600) ≈ 3e-3, so ~300 of 1e5 draws hit the cap
    assert b.ref_duration_s.max() == 5_000.0
    f = _gen(duration=DurationSpec("fixed", median_s=60.0), horizon_s=36_000.0)
    assert np.all(f.ref_duration_s == 60.0)


def test_diurnal_thinning() -> None:
    r, days = 3.0, 100
    b = _gen(horizon_s=days * 86_400.0, rate_per_h=50.0, diurnal_peak_to_trough=r,
             diurnal_phase_s=14 * 3600.0)  # fmt: skip
    expected_n = 50.0 * 24 * days  # whole days: the mean rate is rate_per_h
    assert abs(len(b) - expected_n) < Z * math.sqrt(expected_n)
    # share of arrivals within ±6 h of the 14:00 peak: 1/2 + A/π, A = (r-1)/(r+1)
    amp = (r - 1) / (r + 1)
    hour = (b.arrival_s % 86_400.0) / 3600.0
    share = np.mean(np.abs(hour - 14.0) < 6.0)
    p = 0.5 + amp / math.pi
    assert abs(share - p) < Z * math.sqrt(p * (1 - p) / len(b))


def test_determinism_and_mix_order() -> None:
    a, b = _gen(seed=3), _gen(seed=3)
    for col in ("arrival_s", "n_gpus", "job_type", "ref_duration_s"):
        np.testing.assert_array_equal(getattr(a, col), getattr(b, col))
    c = _gen(
        seed=3, job_type_mix={"rec": 1.0, "cnn": 2.0}, gpu_mix={8: 0.05, 4: 0.15, 2: 0.1, 1: 0.7}
    )
    np.testing.assert_array_equal(a.job_type, c.job_type)  # dict order does not matter
    np.testing.assert_array_equal(a.n_gpus, c.n_gpus)
    assert not np.array_equal(a.arrival_s[:10], _gen(seed=4).arrival_s[:10])


def test_million_jobs_vectorised() -> None:
    b = _gen(horizon_s=10_000 * 3600.0)  # 100/h for 10,000 h: 1e6 jobs
    assert abs(len(b) - 1e6) < Z * 1e3  # (timing: benchmarks/, never asserted here)


def test_window_concat_take() -> None:
    b = _gen(horizon_s=100 * 3600.0)
    w = b.window(3600.0, 7200.0)
    inside = (b.arrival_s >= 3600.0) & (b.arrival_s < 7200.0)
    assert len(w) == inside.sum()
    np.testing.assert_array_equal(w.arrival_s, b.arrival_s[inside])
    other = JobBatch([5.0, 3600.0], [1, 2], [0, 1], [10.0, 20.0], [7, 8], ("xl", "cnn"))
    c = w.concat(other, JobBatch.empty())
    assert len(c) == len(w) + 2
    assert c.job_types == (*TYPES, "xl")
    assert np.all(np.diff(c.arrival_s) >= 0)
    names = c.to_frame()
    assert names.loc[names.source_line == 7, "job_type"].item() == "xl"
    assert names.loc[names.source_line == 8, "job_type"].item() == "cnn"
    assert names.loc[names.source_line == 8, "arrival_s"].item() == 3600.0
    assert len(b.take(b.n_gpus == 8)) == int(np.sum(b.n_gpus == 8))


def test_jobbatch_validation() -> None:
    with pytest.raises(ValueError, match="sorted"):
        JobBatch([2.0, 1.0], [1, 1], [0, 0], [1.0, 1.0], [-1, -1], ("a",))
    with pytest.raises(ValueError, match="equal length"):
        JobBatch([1.0], [1, 1], [0], [1.0], [-1], ("a",))
    with pytest.raises(ValueError, match="index job_types"):
        JobBatch([1.0], [1], [1], [1.0], [-1], ("a",))
    b = JobBatch([1.0], [1], [0], [1.0], [-1], ("a",))
    with pytest.raises(ValueError):
        b.arrival_s[0] = 3.0


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"job_type_mix": {"vit": 1.0}}, r"unknown job type.*'vit'"),
        ({"job_type_mix": {"cnn": 0.0}}, "job_type_mix: weights"),
        ({"gpu_mix": {}}, "gpu_mix: must not be empty"),
        ({"gpu_mix": {0: 1.0}}, "gpu_mix: gang sizes"),
        ({"gpu_mix": {1: -1.0, 2: 2.0}}, "gpu_mix: weights"),
        ({"rate_per_h": -1.0}, "rate_per_h"),
        ({"diurnal_peak_to_trough": 0.5}, "diurnal_peak_to_trough"),
    ],
)
def test_generate_errors(kw: dict, match: str) -> None:
    with pytest.raises(ScenarioError, match=match):
        _gen(**kw)


def test_duration_spec_errors() -> None:
    with pytest.raises(ScenarioError, match=r"duration\.dist"):
        DurationSpec("weibull")  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match="median_s"):
        DurationSpec(median_s=0.0)
    with pytest.raises(ScenarioError, match="max_s"):
        DurationSpec(max_s=-1.0)
