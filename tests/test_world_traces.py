"""Trace readers against the real shared files (counted independently with csv), and errors."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from fedsim.errors import FedsimWarning, ScenarioError, TraceError
from fedsim.world.traces import (
    philly_cluster_sizes,
    read_azure_llm,
    read_azure_llm_arrivals,
    read_philly,
)

TYPES = ("cnn", "lm", "rec")
MIX = {"cnn": 0.5, "lm": 0.3, "rec": 0.2}
MAPPING = {"6214e9": "gpu_rich", "11cb48": "cpu_rich", "6c71a0": "cpu_rich"}


@pytest.fixture(scope="module")
def philly_path(shared_data: Path) -> Path:
    return shared_data / "philly_jobs.csv"


@pytest.fixture(scope="module")
def raw_philly(philly_path: Path) -> list[dict]:
    """Rows read with the csv module, each with its 1-based line number and seconds."""
    rows = []
    with philly_path.open(newline="") as f:
        reader = csv.DictReader(f)
        for row in reader:
            if not any(row.values()):
                continue
            row["line"] = reader.line_num
            row["t"] = datetime.fromisoformat(row["timestamp"])
            rows.append(row)
    t0 = min(r["t"] for r in rows)
    for r in rows:
        r["t_s"] = (r["t"] - t0).total_seconds()
    return rows


@pytest.fixture(scope="module")
def philly_read(philly_path: Path) -> tuple[dict, float]:
    """The real trace read with MAPPING and seed 0, and the seconds it took."""
    t = time.perf_counter()
    out = _read(philly_path)
    return out, time.perf_counter() - t


def _read(path: Path, mapping: dict = MAPPING, t0: float = 0.0, t1: float | None = None, seed=0):
    return read_philly(path, mapping, t0, t1, np.random.default_rng(seed), TYPES, MIX)


def test_philly_counts_times_and_gpu_hours(philly_read: tuple, raw_philly: list[dict]) -> None:
    out, _ = philly_read
    assert list(out) == ["gpu_rich", "cpu_rich"]
    for provider in out:
        mine = [r for r in raw_philly if MAPPING.get(r["cluster"]) == provider]
        batch = out[provider]
        assert len(batch) == len(mine)
        gpu_h = sum(float(r["gpu_time"]) for r in mine) / 3600.0
        assert np.sum(batch.ref_duration_s * batch.n_gpus) / 3600.0 == pytest.approx(gpu_h, 1e-12)
        np.testing.assert_array_equal(batch.arrival_s, sorted(r["t_s"] for r in mine))
        by_line = {r["line"]: r for r in mine}
        for k in range(0, len(batch), 97):
            row = by_line[int(batch.source_line[k])]
            assert batch.arrival_s[k] == row["t_s"]
            assert batch.n_gpus[k] == int(row["num_gpus"])
            assert batch.ref_duration_s[k] == float(row["duration"])
    # the data README says 82,248 jobs; the file has 82,247 rows and a trailing blank line
    assert len(raw_philly) == 82_247


def test_philly_window_and_stable_types(
    philly_path: Path, philly_read: tuple, raw_philly: list[dict]
) -> None:
    day = 86_400.0
    full = philly_read[0]["gpu_rich"]
    win = _read(philly_path, {"6214e9": "gpu_rich"}, 10 * day, 20 * day)["gpu_rich"]
    expected = [
        r for r in raw_philly if r["cluster"] == "6214e9" and 10 * day <= r["t_s"] < 20 * day
    ]
    assert len(win) == len(expected) > 0
    assert win.arrival_s.min() >= 0.0 and win.arrival_s.max() < 10 * day  # shifted by t_start
    # a row's job type depends on the rng, not on the window or the mapping
    type_of = dict(zip(full.source_line.tolist(), full.job_type.tolist(), strict=True))
    assert all(type_of[ln] == jt for ln, jt in zip(win.source_line, win.job_type, strict=True))
    again = _read(philly_path, {"6214e9": "gpu_rich"})["gpu_rich"]
    np.testing.assert_array_equal(full.job_type, again.job_type)  # same seed, same types
    assert not np.array_equal(
        full.job_type[:50], _read(philly_path, seed=1)["gpu_rich"].job_type[:50]
    )
    n = len(full)
    share = np.mean(full.job_type == TYPES.index("cnn"))
    assert abs(share - 0.5) < 5 * np.sqrt(0.25 / n)  # 5 binomial standard errors


def test_philly_unmapped_provider_and_arguments(philly_path: Path) -> None:
    with pytest.warns(FedsimWarning, match=r"cluster\(s\) no-such-cluster have no jobs"):
        out = _read(philly_path, {"6214e9": "a", "no-such-cluster": "b"})
    assert len(out["b"]) == 0 and out["b"].job_types == TYPES
    with pytest.raises(ScenarioError, match="t_end_s"):
        _read(philly_path, t0=10.0, t1=5.0)
    with pytest.raises(ScenarioError, match="unknown job type"):
        read_philly(philly_path, MAPPING, 0, None, np.random.default_rng(0), TYPES, {"vit": 1})


def test_philly_cluster_sizes(philly_path: Path, raw_philly: list[dict]) -> None:
    sizes = philly_cluster_sizes(philly_path)
    counts = Counter(r["cluster"] for r in raw_philly)
    assert sizes.to_dict() == dict(counts)
    assert list(sizes.values) == sorted(counts.values(), reverse=True)
    assert list(sizes.index[:3]) == ["6214e9", "11cb48", "6c71a0"]


def test_azure_arrivals(shared_data: Path) -> None:
    path = shared_data / "azure_llm_conv.csv"
    with path.open(newline="") as f:
        stamps = [datetime.fromisoformat(r["TIMESTAMP"][:26]) for r in csv.DictReader(f)]
    arrivals = read_azure_llm_arrivals(path)
    assert len(arrivals) == len(stamps) == 19_366
    assert arrivals[0] == 0.0 and np.all(np.diff(arrivals) >= 0)
    span_s = (max(stamps) - min(stamps)).total_seconds()  # µs resolution in the check
    assert arrivals[-1] == pytest.approx(span_s, abs=1e-5)
    frame = read_azure_llm(path)
    assert frame["context_tokens"].iloc[0] == 374 and frame["source_line"].iloc[0] == 2


def test_synthetic_trace_is_reproducible(repo_root: Path, tmp_path: Path) -> None:
    shipped = repo_root / "traces" / "synthetic_philly_small.csv"
    fresh = tmp_path / "fresh.csv"
    script = repo_root / "traces" / "make_synthetic.py"
    subprocess.run([sys.executable, str(script), "--out", str(fresh)], check=True)
    assert fresh.read_bytes() == shipped.read_bytes()
    sizes = philly_cluster_sizes(shipped)
    assert len(sizes) == 3 and 200 <= sizes.sum() <= 1000
    out = _read(shipped, {c: "p" for c in sizes.index})
    assert len(out["p"]) == sizes.sum()


PHILLY_HEADER = "timestamp,duration,num_gpus,gpu_time,cluster\n"
GOOD = "2017-10-09 07:01:55,66.0,1,66.0,c1\n"


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        (GOOD + "2017-13-09 07:01:55,66.0,1,66.0,c1\n", 3, "timestamp '2017-13-09 07:01:55'"),
        (GOOD + GOOD + "yesterday,66.0,1,66.0,c1\n", 4, "timestamp 'yesterday'"),
        (GOOD + "2017-10-09 07:01:56,long,1,66.0,c1\n", 3, "duration 'long'"),
        (GOOD + "\n2017-10-09 07:01:56,-3,1,66.0,c1\n", 4, "duration '-3'"),
        (GOOD + "2017-10-09 07:01:56,,1,66.0,c1\n", 3, "duration ''"),
        (GOOD + "2017-10-09 07:01:56,5,0,66.0,c1\n", 3, "num_gpus '0'"),
        (GOOD + "2017-10-09 07:01:56,5,1.5,66.0,c1\n", 3, "num_gpus '1.5'"),
        (GOOD + "\n2017-10-09 07:01:56,5,1,66.0,c1,x\n", 4, "expected 5 fields, saw 6: '2017"),
    ],
)
def test_philly_bad_rows(tmp_path: Path, body: str, line: int, fragment: str) -> None:
    path = tmp_path / "bad_philly.csv"
    path.write_text(PHILLY_HEADER + body)
    with pytest.raises(TraceError, match=rf"bad_philly\.csv.*line {line}.*{fragment}") as err:
        _read(path, {"c1": "p"})
    assert "\n" not in str(err.value)


def test_philly_missing_file_and_columns(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match=r"absent\.csv: file not found"):
        _read(tmp_path / "absent.csv")
    with pytest.raises(TraceError, match=r"absent\.csv: file not found"):
        philly_cluster_sizes(tmp_path / "absent.csv")
    path = tmp_path / "nocol.csv"
    path.write_text("timestamp,duration,gpu_time,cluster\n2017-10-09 07:01:55,6,6,c\n")
    with pytest.raises(TraceError, match=r"nocol\.csv: line 1: missing column.*num_gpus"):
        _read(path, {"c": "p"})
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(TraceError, match=r"empty\.csv: line 1"):
        _read(empty)


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("2023-11-16 18:15:46.68,374,44\nnot a time,1,1\n", 3, "TIMESTAMP 'not a time'"),
        ("2023-11-16 18:15:46.68,374,44\n2023-11-16 18:15:47,-1,1\n", 3, "ContextTokens '-1'"),
        ("2023-11-16 18:15:46.68,374,x\n", 2, "GeneratedTokens 'x'"),
    ],
)
def test_azure_bad_rows(tmp_path: Path, body: str, line: int, fragment: str) -> None:
    path = tmp_path / "bad_llm.csv"
    path.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n" + body)
    with pytest.raises(TraceError, match=rf"bad_llm\.csv: line {line}: {fragment}"):
        read_azure_llm_arrivals(path)
    missing = tmp_path / "nots.csv"
    missing.write_text("ContextTokens,GeneratedTokens\n1,2\n")
    with pytest.raises(TraceError, match=r"nots\.csv: line 1: missing column.*TIMESTAMP"):
        read_azure_llm_arrivals(missing)
