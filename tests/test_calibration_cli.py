"""``fedsim calibrate`` from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fedsim.calibration.config import CalibrationConfig, TimingConfig


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


@pytest.mark.skipif(_cuda_available(), reason="this machine has a GPU")
def test_device_cuda_without_gpu_is_a_one_line_error(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fedsim.cli.main",
            "calibrate",
            "--device",
            "cuda",
            "--quick",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.startswith("fedsim: error:") and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_out_must_not_be_a_directory(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fedsim.cli.main", "calibrate", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0 and "Traceback" not in proc.stderr


def test_cli_writes_profile_and_prints_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")
    from fedsim.calibration.profile import read_profile
    from fedsim.cli.calibrate_cmd import calibrate

    def tiny_preset(device: str, threads: int, quick: bool = False) -> CalibrationConfig:
        # the real grid takes ~20 s even in quick mode; the CLI wiring is what is tested here
        return CalibrationConfig(
            device=device,
            threads=1,
            size="tiny",
            models=("lstm_lm",),
            batch_sizes=(1, 4),
            message_bytes=(),
            web_models=("transformer_encoder",),
            timing=TimingConfig(warmup=1, min_repeats=5, max_repeats=5, target_s=0.0),
        )

    monkeypatch.setattr(CalibrationConfig, "preset", staticmethod(tiny_preset))
    out = tmp_path / "cal" / "tiny.csv"
    result = CliRunner().invoke(calibrate, ["--device", "auto", "--quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "lstm_lm-tiny" in result.output and "wrote 3 rows" in result.output
    df = read_profile(out)
    assert sorted(df["kind"]) == ["compute", "compute", "web"]
