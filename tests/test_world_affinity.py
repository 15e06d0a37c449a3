"""AffinityTable: lookups against the raw Gavel CSV, interpolation rules, errors."""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from fedsim.errors import ScenarioError, TraceError
from fedsim.world.affinity import AffinityTable


@pytest.fixture(scope="module")
def gavel_path(shared_data: Path) -> Path:
    return shared_data / "gavel_throughputs.csv"


@pytest.fixture(scope="module")
def raw(gavel_path: Path) -> dict[tuple[str, str, int], float]:
    """The CSV read with the csv module: (job key, gpu, n_workers) -> steps/s."""
    out = {}
    with gavel_path.open(newline="") as f:
        for row in csv.DictReader(f):
            key = f"{row['job_type']}/{row['batch_size']}" if row["batch_size"] else row["job_type"]
            out[(key, row["gpu_type"], int(row["scale_factor"]))] = float(row["steps_per_s"])
    return out


@pytest.fixture(scope="module")
def table(gavel_path: Path) -> AffinityTable:
    return AffinityTable.from_gavel_csv(gavel_path)


def test_lookups_equal_raw_rows(table: AffinityTable, raw: dict) -> None:
    assert raw[("ResNet-18/32", "v100", 1)] == 29.947157  # spot values, as in the file
    assert raw[("A3C", "k80", 1)] == 3.438768
    for (job, gpu, n), value in raw.items():
        assert table.steps_per_s(job, gpu, n) == value, (job, gpu, n)
    assert set(table.gpu_types) == {"k80", "p100", "v100"}
    assert set(table.job_types) == {k[0] for k in raw}
    assert len(table.job_types) == 26  # the data README: 26 job types


def test_log_linear_interpolation_by_hand(table: AffinityTable, raw: dict) -> None:
    job, gpu = "ResNet-18/32", "v100"
    pw2, pw4, pw8 = (raw[(job, gpu, n)] / n for n in (2, 4, 8))
    # log(per-worker) linear in n: n=3 is halfway between 2 and 4 -> geometric mean
    assert table.steps_per_s(job, gpu, 3) == pytest.approx(3 * math.sqrt(pw2 * pw4), rel=1e-12)
    # n=5 is a quarter of the way from 4 to 8
    expected5 = 5 * math.exp(0.75 * math.log(pw4) + 0.25 * math.log(pw8))
    assert table.steps_per_s(job, gpu, 5) == pytest.approx(expected5, rel=1e-12)
    # beyond the largest measured count: per-worker throughput of n=8 kept
    assert table.steps_per_s(job, gpu, 20) == pytest.approx(20 * pw8, rel=1e-12)


def test_single_worker_entries_scale_linearly(table: AffinityTable, raw: dict) -> None:
    one = raw[("Recommendation/2048", "p100", 1)]
    assert table.steps_per_s("Recommendation/2048", "p100", 4) == pytest.approx(4 * one)


def test_zero_means_cannot_run(table: AffinityTable, raw: dict) -> None:
    # Gavel records 0.0 for ResNet-50/128 on 2, 4 and 8 K80s (cannot run); 1 K80 works
    assert raw[("ResNet-50/128", "k80", 2)] == 0.0
    assert table.steps_per_s("ResNet-50/128", "k80", 1) == raw[("ResNet-50/128", "k80", 1)]
    for n in (2, 3, 7, 8, 64):
        assert table.steps_per_s("ResNet-50/128", "k80", n) == 0.0


def test_speedup_v100_over_k80_resnet18(table: AffinityTable, raw: dict) -> None:
    ratio = raw[("ResNet-18/128", "v100", 1)] / raw[("ResNet-18/128", "k80", 1)]
    assert table.speedup("ResNet-18/128", "v100", 1, "k80") == pytest.approx(ratio, rel=1e-12)
    assert 9.5 < ratio < 10.5  # the "~10x" of the data README and DESIGN §1
    # ... while the recommendation model is slower on a V100 than on a K80
    assert table.speedup("Recommendation/1024", "v100", 1, "k80") < 1.0


def test_unknown_names(table: AffinityTable) -> None:
    with pytest.raises(ValueError, match=r"unknown job type.*'nope'.*known:.*ResNet-18/32"):
        table.steps_per_s("nope", "v100", 1)
    assert table.steps_per_s("ResNet-18/32", "a100", 2) == 0.0  # no entry: cannot run
    with pytest.raises(ValueError, match="n_workers"):
        table.steps_per_s("ResNet-18/32", "v100", 0)


def test_matrix_and_lookup_match_scalar(table: AffinityTable) -> None:
    jobs, gpus, ns = ["LM/5", "A3C", "ResNet-50/128"], ["v100", "k80", "tpu"], [1, 2, 3, 8, 9]
    m = table.matrix(jobs, gpus, ns)
    assert m.shape == (3, 3, 5)
    for a, j in enumerate(jobs):
        for b, g in enumerate(gpus):
            for c, n in enumerate(ns):
                assert m[a, b, c] == table.steps_per_s(j, g, n)
    rng = np.random.default_rng(1)
    j = rng.integers(0, len(table.job_types), 1000)
    n = rng.integers(1, 20, 1000)
    per_job = table.lookup(j[:, None], np.arange(3)[None, :], n[:, None])
    assert per_job.shape == (1000, 3)
    k = 17
    expected = table.steps_per_s(table.job_types[j[k]], table.gpu_types[2], int(n[k]))
    assert per_job[k, 2] == expected


def test_frozen(table: AffinityTable) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.job_types = ()  # type: ignore[misc]
    with pytest.raises(ValueError):
        table.dense_steps_per_s[0, 0, 1] = 1.0


def test_from_mapping() -> None:
    t = AffinityTable.from_mapping(
        {"cnn": {"v100": 10.0, "k80": {1: 2.0, "4": 6.0}}, "rec": {"k80": 3.0}}
    )
    assert t.steps_per_s("cnn", "v100", 3) == pytest.approx(30.0)  # bare number: linear
    # per-worker 2.0 at n=1, 1.5 at n=4; n=2 is 1/3 of the way
    assert t.steps_per_s("cnn", "k80", 2) == pytest.approx(2 * 2.0 ** (2 / 3) * 1.5 ** (1 / 3))
    assert t.steps_per_s("rec", "v100", 1) == 0.0
    assert t.speedup("rec", "v100", 1, "k80") == 0.0
    with pytest.raises(ValueError, match="cannot run on reference"):
        t.speedup("rec", "k80", 1, "v100")
    for bad, where in [
        ({"cnn": {"v100": -1.0}}, "affinity.table.cnn.v100"),
        ({"cnn": {"v100": "fast"}}, "affinity.table.cnn.v100"),
        ({"cnn": {"v100": {0: 1.0}}}, "worker count"),
        ({"cnn": {}}, "affinity.table.cnn"),
    ]:
        with pytest.raises(ScenarioError, match=where):
            AffinityTable.from_mapping(bad)


HEADER = "job_type,batch_size,scale_factor,gpu_type,steps_per_s\n"


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("ResNet-18,32,1,k80,7.1\nResNet-18,32,1,v100,fast\n", 3, "'fast'"),
        ("ResNet-18,32,1,k80,-7.1\n", 2, "'-7.1'"),
        ("ResNet-18,32,1,k80,nan\n", 2, "'nan'"),
        ("ResNet-18,32,1,k80,7.1\n\nResNet-18,32,zero,k80,1\n", 4, "'zero'"),
        ("ResNet-18,32,1,k80,7.1\nResNet-18,32,1,k80,7.2\n", 3, "duplicate"),
        ("ResNet-18,32,1,k80,7.1,9\n", 2, "fields"),
    ],
)
def test_gavel_bad_rows(tmp_path: Path, body: str, line: int, fragment: str) -> None:
    path = tmp_path / "bad_gavel.csv"
    path.write_text(HEADER + body)
    with pytest.raises(TraceError, match=rf"bad_gavel\.csv: line {line}: .*{fragment}"):
        AffinityTable.from_gavel_csv(path)


def test_gavel_missing_file_and_column(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match=r"absent\.csv: file not found"):
        AffinityTable.from_gavel_csv(tmp_path / "absent.csv")
    path = tmp_path / "nocol.csv"
    path.write_text("job_type,batch_size,gpu_type,steps_per_s\nA3C,,k80,1.0\n")
    with pytest.raises(TraceError, match=r"nocol\.csv: line 1: missing column.*scale_factor"):
        AffinityTable.from_gavel_csv(path)
