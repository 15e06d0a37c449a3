"""Fit a :class:`~fedsim.perfmodel.throughput.ThroughputModel` from a calibration profile.

The profile (written by ``fedsim calibrate``; see ``fedsim.calibration.profile``) is one
row per measurement with columns ``kind, model, device, batch_size, n_workers,
message_bytes, time_s`` (plus noise and provenance columns, which are not needed here):

- ``compute`` rows: one training step of ``model`` at ``batch_size``; ``message_bytes`` is
  the size of the model's gradients, i.e. what data parallelism all-reduces per step;
- ``allreduce`` rows: one collective of ``message_bytes`` among ``n_workers`` processes.

``web`` rows are ignored. Each (model, device) gets a compute curve that reproduces the
measured medians at the measured batch sizes and, between them, follows the parametric
form (linear or power law, whichever predicts held-out batch sizes better) scaled by the
interpolated measured/model ratio; each device gets a ring all-reduce fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedsim.calibration.profile import COLUMNS
from fedsim.errors import FedsimError
from fedsim.perfmodel.compute import ComputeModel, fit_compute
from fedsim.perfmodel.crossdevice import CrossDeviceScaler
from fedsim.perfmodel.sync import RingAllReduce, fit_ring_allreduce
from fedsim.perfmodel.throughput import DEFAULT_FORWARD_FRACTION, DEFAULT_GAMMA, ThroughputModel

# the measurement columns of the calibration profile (provenance is not needed to fit)
REQUIRED_COLUMNS: tuple[str, ...] = COLUMNS[: COLUMNS.index("time_s") + 1]
_NUMERIC = ("batch_size", "n_workers", "message_bytes", "time_s")


def _checked(df: pd.DataFrame, source: str) -> pd.DataFrame:
    missing = [col for col in REQUIRED_COLUMNS if col not in df.columns]
    if missing:
        raise FedsimError(f"profile {source}: missing column(s) {', '.join(missing)}")
    rows = df[df["kind"].isin(["compute", "allreduce"])].copy()
    if rows.empty:
        raise FedsimError(f"profile {source}: no compute or allreduce rows")
    for col in _NUMERIC:
        values = pd.to_numeric(rows[col], errors="coerce")
        bad = ~np.isfinite(values) | (values < 0)
        if col == "time_s":
            bad |= values <= 0
        if bad.any():
            index = rows.index[bad.to_numpy()][0]
            # the header is line 1, so row i of the frame is line i + 2 of the CSV
            raise FedsimError(
                f"profile {source}, line {int(index) + 2}, column {col}: "
                f"bad value {rows.at[index, col]!r}"
            )
        rows[col] = values.astype(float)
    return rows


def fit_profile(
    df: pd.DataFrame,
    *,
    network: RingAllReduce | None = None,
    scaler: CrossDeviceScaler | None = None,
    gamma: float = DEFAULT_GAMMA,
    forward_fraction: float = DEFAULT_FORWARD_FRACTION,
    source: str = "<frame>",
) -> ThroughputModel:
    """Fit compute per (model, device) and a ring all-reduce per device.

    ``network`` describes inter-node links (a profile times only local collectives);
    ``gamma`` and ``forward_fraction`` set the compute/communication overlap, which a
    single-node profile cannot measure.
    """
    rows = _checked(df, source)
    compute_rows = rows[rows["kind"] == "compute"]
    compute: dict[tuple[str, str], ComputeModel] = {}
    gradient_bytes: dict[str, float] = {}
    for (model, device), group in compute_rows.groupby(["model", "device"]):
        if (group["batch_size"] <= 0).any():
            raise FedsimError(f"profile {source}: compute rows of {model!r} need batch_size > 0")
        fit = fit_compute(
            group["batch_size"].to_numpy(), group["time_s"].to_numpy(), correct_measured=True
        )
        compute[(str(model), str(device))] = fit.model
        size = float(group["message_bytes"].max())
        if size > 0:
            gradient_bytes[str(model)] = size
    allreduce: dict[str, RingAllReduce] = {}
    collective_rows = rows[(rows["kind"] == "allreduce") & (rows["n_workers"] > 1)]
    for device, group in collective_rows.groupby("device"):
        if len(group) >= 2:
            allreduce[str(device)] = fit_ring_allreduce(
                group["n_workers"].to_numpy(),
                group["message_bytes"].to_numpy(),
                group["time_s"].to_numpy(),
            )
    return ThroughputModel(
        compute=compute,
        gradient_bytes=gradient_bytes,
        allreduce=allreduce,
        network=network,
        scaler=scaler,
        gamma=gamma,
        forward_fraction=forward_fraction,
    )
