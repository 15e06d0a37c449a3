"""Leave-one-out error of single-device step time at interpolated batch sizes.

    python benchmarks/perfmodel_loo.py [traces/calibration/cpu-2core.csv]

For every profiled model, each interior batch size is held out in turn and predicted
from the others by the compute curve the simulator uses (``fit_profile``: the measured
medians, with the chosen parametric form scaled by the interpolated measured/model ratio
in between). Also shown: the parametric form alone, log-log interpolation between the
measured neighbours, and the noise floor (median IQR/median) of the measurements.
"""

from __future__ import annotations

import sys

import numpy as np

from fedsim.calibration.profile import read_profile
from fedsim.perfmodel import fit_compute


def _loo_errors(b: np.ndarray, t: np.ndarray) -> dict[str, list[float]]:
    errors: dict[str, list[float]] = {"simulator": [], "parametric": [], "interp": []}
    for k in range(1, len(b) - 1):
        keep = np.arange(len(b)) != k
        fit = fit_compute(b[keep], t[keep], correct_measured=True)
        predicted = {
            "simulator": fit.model.step_time_s(b[k]),
            "parametric": fit.model.base.step_time_s(b[k]),  # type: ignore[attr-defined]
            "interp": np.exp(np.interp(np.log(b[k]), np.log(b[keep]), np.log(t[keep]))),
        }
        for name, value in predicted.items():
            errors[name].append(abs(float(value) / t[k] - 1.0))
    return errors


def main(path: str = "traces/calibration/cpu-2core.csv") -> None:
    df = read_profile(path)
    compute = df[df["kind"] == "compute"]
    print(f"{'model':<22}{'simulator':>10}{'max':>8}{'parametric':>12}{'interp':>9}{'noise':>8}")
    pooled: dict[str, list[float]] = {"simulator": [], "parametric": [], "interp": []}
    for model, g in compute.groupby("model"):
        g = g.sort_values("batch_size")
        errors = _loo_errors(g["batch_size"].to_numpy(float), g["time_s"].to_numpy(float))
        for name, values in errors.items():
            pooled[name] += values
        noise = float(g["iqr_over_median"].median())
        print(
            f"{model:<22}{100 * np.mean(errors['simulator']):>9.1f}%"
            f"{100 * max(errors['simulator']):>7.1f}%{100 * np.mean(errors['parametric']):>11.1f}%"
            f"{100 * np.mean(errors['interp']):>8.1f}%{100 * noise:>7.1f}%"
        )
    print(
        f"{'all':<22}{100 * np.mean(pooled['simulator']):>9.1f}%{'':>8}"
        f"{100 * np.mean(pooled['parametric']):>11.1f}%{100 * np.mean(pooled['interp']):>8.1f}%"
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
