"""The profile format: reading, validation errors, atomic writes, the shipped profile.

None of these tests needs torch: the simulator reads profiles on machines without it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fedsim.calibration.profile import COLUMNS, KINDS, read_profile, write_profile
from fedsim.errors import FedsimError

SHIPPED = Path(__file__).resolve().parents[1] / "traces" / "calibration" / "cpu-2core.csv"


def _row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "kind": "compute",
        "model": "resnet_cnn",
        "device": "cpu",
        "batch_size": 32,
        "n_workers": 1,
        "message_bytes": 1_089_896,
        "time_s": 0.125,
        "iqr_over_median": 0.02,
        "repeats": 12,
        "device_name": "AMD EPYC (2 cores)",
        "torch_version": "2.13.0+cpu",
        "threads": 2,
        "date": "2025-01-01T00:00:00+00:00",
        "fedsim_version": "0.1.0",
    }
    row.update(overrides)
    return row


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    df = pd.DataFrame([_row(), _row(kind="web", batch_size=1, message_bytes=0, threads=1)])
    path = write_profile(df, tmp_path / "sub" / "p.csv")
    back = read_profile(path)
    assert list(back.columns) == list(COLUMNS)
    assert back["batch_size"].dtype == "int64" and back["time_s"].dtype == "float64"
    assert back.loc[0, "torch_version"] == "2.13.0+cpu"
    # the atomic write leaves no temporary file behind
    assert [p.name for p in path.parent.iterdir()] == ["p.csv"]


def test_version_like_text_stays_text(tmp_path: Path) -> None:
    path = write_profile(
        pd.DataFrame([_row(torch_version="2.10", fedsim_version="1.0")]), tmp_path / "p.csv"
    )
    back = read_profile(path)
    assert back.loc[0, "torch_version"] == "2.10" and back.loc[0, "fedsim_version"] == "1.0"


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    pd.DataFrame([_row()]).drop(columns=["iqr_over_median"]).to_csv(path, index=False)
    with pytest.raises(FedsimError, match=r"p\.csv.*iqr_over_median"):
        read_profile(path)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"kind": "gpu"}, "kind 'gpu'"),
        ({"time_s": -1.0}, "time_s"),
        ({"time_s": "fast"}, "time_s"),
        ({"batch_size": 1.5}, "batch_size"),
        ({"device_name": ""}, "device_name is empty"),
        ({"repeats": 0}, "repeats"),
    ],
)
def test_bad_row_names_file_and_line(tmp_path: Path, override: dict, message: str) -> None:
    path = tmp_path / "p.csv"
    pd.DataFrame([_row(), _row(), _row(**override)]).to_csv(path, index=False)
    with pytest.raises(FedsimError, match=rf"p\.csv, line 4: .*{message}"):
        read_profile(path)


def test_missing_file_and_garbage(tmp_path: Path) -> None:
    with pytest.raises(FedsimError, match="no such file"):
        read_profile(tmp_path / "absent.csv")
    garbage = tmp_path / "g.csv"
    garbage.write_bytes(b"")
    with pytest.raises(FedsimError, match=r"g\.csv"):
        read_profile(garbage)


def test_invalid_frame_is_not_written(tmp_path: Path) -> None:
    target = tmp_path / "p.csv"
    with pytest.raises(FedsimError):
        write_profile(pd.DataFrame([_row(time_s=0.0)]), target)
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_shipped_profile_parses_and_covers_every_kind() -> None:
    df = read_profile(SHIPPED)
    assert set(df["kind"]) == set(KINDS)
    assert (df["device"] == "cpu").all()
    for col in ("device_name", "torch_version", "date", "fedsim_version"):
        assert df[col].str.len().gt(0).all(), col
    compute = df[df["kind"] == "compute"]
    assert compute["model"].nunique() == 4
    assert compute["batch_size"].min() == 1 and compute["batch_size"].max() == 256
    assert (df["repeats"] >= 5).all()
    allreduce = df[df["kind"] == "allreduce"]
    assert allreduce["message_bytes"].min() == 1024
    assert allreduce["message_bytes"].max() == 64 * 1024 * 1024


def test_readers_and_cli_module_do_not_import_torch() -> None:
    code = (
        "import sys, fedsim, fedsim.calibration.profile, fedsim.calibration.summary, "
        "fedsim.cli.calibrate_cmd; assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
