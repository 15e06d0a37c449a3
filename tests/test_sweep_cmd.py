"""``fedsim sweep``: expansion, one table, resume by content hash, and one-line errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from fedsim.sweeps.sweep import plan, run_sweep
from tests.helpers.scenarios import two_provider_dict, write


def _files(tmp_path: Path, sweep: dict[str, Any]) -> Path:
    write(two_provider_dict(horizon_s=4 * 3600.0), tmp_path / "base.yaml")
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"scenario": "base.yaml", **sweep}, sort_keys=False))
    return path


SWEEP = {
    "seeds": 2,
    "mechanisms": ["isolated", "lp_welfare"],
    "grid": {"federation.epoch_s": [600, 1200]},
    "zip": {"providers[0].dnn.rate_per_h": [2, 4], "providers[1].dnn.rate_per_h": [6, 8]},
}


def test_every_combination_is_one_row(tmp_path: Path) -> None:
    """2 epochs × 2 zipped rates × 2 mechanisms × 2 seeds = 16 runs, one row each, with
    every swept key a column and gains paired against isolated on the same point."""
    path = _files(tmp_path, SWEEP)
    table, report = run_sweep(path, tmp_path / "out", progress=False)
    assert len(table) == 16 and len(report.ran) == 16
    for key in ("federation.epoch_s", "providers[0].dnn.rate_per_h",
                "providers[1].dnn.rate_per_h", "mechanism", "seed", "welfare_usd"):
        assert key in table.columns
    assert sorted(set(zip(table["providers[0].dnn.rate_per_h"],
                          table["providers[1].dnn.rate_per_h"], strict=True))) == [(2, 6), (4, 8)]
    iso = table[table["mechanism"] == "isolated"]
    assert (iso["gain_gpu_rich_usd"] == 0).all()
    lp = table[table["mechanism"] == "lp_welfare"].set_index(
        ["federation.epoch_s", "providers[0].dnn.rate_per_h", "seed"])
    base = iso.set_index(["federation.epoch_s", "providers[0].dnn.rate_per_h", "seed"])
    gain = lp["profit_cpu_rich_usd"] - base.loc[lp.index, "profit_cpu_rich_usd"]
    assert (gain.to_numpy() == lp["gain_cpu_rich_usd"].to_numpy()).all()
    stored = pd.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert len(stored) == 16


def test_finished_runs_are_reused_and_changed_inputs_rerun(tmp_path: Path) -> None:
    path = _files(tmp_path, SWEEP)
    run_sweep(path, tmp_path / "out", progress=False)
    _, again = run_sweep(path, tmp_path / "out", progress=False)
    assert again.ran == () and len(again.skipped) == 16
    # one more epoch length: only its 8 runs are new
    grown = {**SWEEP, "grid": {"federation.epoch_s": [600, 1200, 1800]}}
    path.write_text(yaml.safe_dump({"scenario": "base.yaml", **grown}))
    _, more = run_sweep(path, tmp_path / "out", progress=False)
    assert len(more.ran) == 8 and len(more.skipped) == 16


def test_the_key_changes_iff_the_resolved_scenario_changes(tmp_path: Path) -> None:
    """Sweeping a key to the value the scenario already has is the same simulation; any
    other value is a different one."""
    path = _files(tmp_path, {"grid": {"federation.epoch_s": [600, 600.0, 900]}})
    _, runs = plan(path)
    keys = [r.spec.key for r in runs]
    _, unswept = plan(_files(tmp_path, {}))
    assert keys[0] == keys[1] == unswept[0].spec.key and keys[2] != keys[0]


def test_a_killed_sweep_resumes_without_recomputing(tmp_path: Path) -> None:
    path = _files(tmp_path, {**SWEEP, "seeds": 3})
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "fedsim.cli.main", "sweep", str(path), "--out", str(out),
           "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    runs = out / "runs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if runs.is_dir() and len([p for p in runs.iterdir() if len(p.name) == 20]) >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = len([p for p in runs.iterdir() if (p / "result.json").is_file()])
    assert 3 <= stored < 24
    table, report = run_sweep(path, out, progress=False)
    assert len(report.skipped) == stored and len(report.ran) == 24 - stored
    assert len(table) == 24


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        ({"grdi": {}}, r"sweep\.yaml: .*grdi"),
        ({"zip": {"seed": [1, 2], "horizon_s": [3600]}},
         r"sweep\.yaml: invalid sweep file: zip: .*equal lengths"),
        ({"grid": {"providers[7].name": ["x"]}}, r"sweep\.yaml: at providers\[7\]\.name='x'"),
        ({"grid": {"federation.epoch_s": [-5]}}, r"sweep\.yaml: at federation\.epoch_s=-5: "),
        ({"mechanisms": ["no_such_rule"]}, r"sweep\.yaml: .*no_such_rule"),
        ({"coalitions": [["gpu_rich", "nobody"]]}, r"sweep\.yaml: coalitions: .*'nobody'"),
        ({"seeds": 0}, r"sweep\.yaml: invalid sweep file: seeds"),
        ({"grid": {"seed": [1], "horizon_s": []}},
         r"sweep\.yaml: invalid sweep file: grid: .*at least one"),
    ],
)
def test_mistakes_are_one_line_naming_the_file(tmp_path: Path, sweep: dict[str, Any],
                                                message: str) -> None:
    path = _files(tmp_path, sweep)
    proc = subprocess.run([sys.executable, "-m", "fedsim.cli.main", "sweep", str(path),
                           "--out", str(tmp_path / "out"), "-q"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    import re

    assert re.search(message, proc.stderr), proc.stderr
    assert not (tmp_path / "out").exists()
