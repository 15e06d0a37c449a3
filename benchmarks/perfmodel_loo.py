"""Leave-one-out error of single-device step time at interpolated batch sizes.

    python benchmarks/perfmodel_loo.py [traces/calibration/cpu-2core.csv]

For every profiled model, each interior batch size is held out in turn, the compute
model is fitted on the others (``fit_compute``: linear or power law by held-out error)
and the held-out median is predicted; also shown: log-log interpolation between the
measured neighbours, and the noise floor (median IQR/median) of the measurements.
"""

from __future__ import annotations

import sys

import numpy as np

from fedsim.calibration.profile import read_profile
from fedsim.perfmodel import fit_compute


def main(path: str = "traces/calibration/cpu-2core.csv") -> None:
    df = read_profile(path)
    compute = df[df["kind"] == "compute"]
    print(f"{'model':<22}{'fit LOO mean':>14}{'max':>8}{'interp LOO':>12}{'noise floor':>13}")
    fit_all, interp_all = [], []
    for model, g in compute.groupby("model"):
        b, t = g["batch_size"].to_numpy(float), g["time_s"].to_numpy(float)
        fit_err, interp_err = [], []
        for k in range(1, len(b) - 1):
            keep = np.arange(len(b)) != k
            predicted = fit_compute(b[keep], t[keep]).model.step_time_s(b[k])
            fit_err.append(abs(predicted / t[k] - 1))
            interp = np.exp(np.interp(np.log(b[k]), np.log(b[keep]), np.log(t[keep])))
            interp_err.append(abs(interp / t[k] - 1))
        fit_all += fit_err
        interp_all += interp_err
        noise = float(g["iqr_over_median"].median())
        print(
            f"{model:<22}{100 * np.mean(fit_err):>13.1f}%{100 * max(fit_err):>7.1f}%"
            f"{100 * np.mean(interp_err):>11.1f}%{100 * noise:>12.1f}%"
        )
    print(f"{'all':<22}{100 * np.mean(fit_all):>13.1f}%{'':>8}{100 * np.mean(interp_all):>11.1f}%")


if __name__ == "__main__":
    main(*sys.argv[1:])
