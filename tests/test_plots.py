"""fedsim.plots: figures from result tables, checked against the data they should show."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fedsim.plots import (
    gains_with_ci,
    jct_cdf,
    prices_over_time,
    print_style,
    profit_decomposition,
    utilisation_over_time,
)


def _ledger() -> pd.DataFrame:
    rows = []
    for e in range(3):
        for p, cap in (("a", 8.0), ("b", 0.0)):
            rows.append({"epoch": e, "t_s": 3600.0 * e, "provider": p,
                         "gpu_busy_h": [2.0, 4.0, 8.0][e] if cap else 0.0, "gpu_capacity_h": cap,
                         "revenue_dnn_usd": 10.0, "revenue_web_usd": 0.0, "received_usd": 0.0,
                         "transfer_usd": 0.0, "sla_penalty_usd": 1.0, "operating_cost_usd": 3.0,
                         "wan_cost_usd": 0.0, "serverless_usd": 0.0, "paid_usd": 0.0,
                         "profit_usd": 6.0})  # fmt: skip
    frame = pd.DataFrame(rows)
    frame["provider"] = pd.Categorical(frame["provider"], categories=["a", "b"])
    return frame


def test_utilisation_is_busy_over_capacity_and_skips_gpu_less_providers() -> None:
    ax = utilisation_over_time(_ledger())
    [line] = ax.get_lines()  # b has no GPUs
    assert line.get_label() == "a"
    np.testing.assert_allclose(line.get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(line.get_ydata(), [2 / 8, 4 / 8, 8 / 8])


def test_prices_are_one_line_per_member_and_resource() -> None:
    prices = pd.DataFrame({"epoch": [0, 1, 0, 1], "provider": ["a", "a", "a", "a"],
                           "resource": ["gpu:v100", "gpu:v100", "cpu", "cpu"],
                           "price_usd_per_unit_h": [1.0, 2.0, 0.01, 0.02]})  # fmt: skip
    ax = prices_over_time(prices, epoch_s=1800.0)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"a gpu:v100", "a cpu"}  # never one averaged line
    np.testing.assert_allclose(lines["a gpu:v100"].get_xdata(), [0.0, 0.5])
    np.testing.assert_allclose(lines["a cpu"].get_ydata(), [0.01, 0.02])
    assert ax.get_legend() is not None
    # a member without a pool has a price of 0 throughout: left out, and the title says so
    zero = pd.DataFrame({"epoch": [0, 1], "provider": ["b", "b"], "resource": ["cpu", "cpu"],
                         "price_usd_per_unit_h": [0.0, 0.0]})  # fmt: skip
    ax = prices_over_time(pd.concat([prices, zero]), epoch_s=1800.0)
    assert len(ax.get_lines()) == 2 and "1 series at 0 throughout not drawn" in ax.get_title()


def test_jct_cdf_steps_through_every_finished_job() -> None:
    jobs = pd.DataFrame({"owner": ["a", "a", "a", "b"], "status": ["finished"] * 3 + ["queued"],
                         "jct_s": [7200.0, 3600.0, 10800.0, np.nan]})  # fmt: skip
    ax = jct_cdf(jobs)
    [line] = ax.get_lines()
    assert line.get_label() == "a (3 jobs)"
    np.testing.assert_allclose(line.get_xdata(), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(line.get_ydata(), [1 / 3, 2 / 3, 1.0])


def test_profit_decomposition_adds_up_to_the_profit() -> None:
    """Over 3 epochs: revenue 30 up; SLA 3 and operating 9 down; profit 18 (the tick)."""
    ax = profit_decomposition(_ledger())
    bars = {c.get_label(): [p.get_height() for p in c.patches] for c in ax.containers}
    assert bars["DNN revenue"] == pytest.approx([30.0, 30.0])
    assert bars["SLA penalties"] == pytest.approx([-3.0, -3.0])
    assert bars["operating cost"] == pytest.approx([-9.0, -9.0])
    profit = ax.collections[0].get_offsets()
    assert np.asarray(profit)[:, 1] == pytest.approx([18.0, 18.0])
    assert sum(b[0] for b in bars.values()) == pytest.approx(18.0)


def test_gains_with_ci_bars_and_error_bars() -> None:
    table = pd.DataFrame({"mechanism": ["isolated", "shapley"],
                          "gain_a_usd_mean": [0.0, 5.0], "gain_a_usd_ci95": [0.0, 1.0],
                          "gain_b_usd_mean": [0.0, 3.0],
                          "gain_b_usd_ci95": [np.nan, 0.5]})  # fmt: skip
    with print_style():
        ax = gains_with_ci(table)
    heights = {c.get_label(): [p.get_height() for p in c.patches] for c in ax.containers
               if hasattr(c, "patches")}  # fmt: skip
    assert heights["a"] == pytest.approx([0.0, 5.0]) and heights["b"] == pytest.approx([0.0, 3.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["isolated", "shapley"]


def test_a_real_run_draws_every_figure(tmp_path) -> None:
    from fedsim.api import run

    res = run("scenarios/serverless_burst.yaml", overrides=["horizon_s=21600"], baseline=False)
    for ax in (utilisation_over_time(res.ledger), prices_over_time(res.prices, 600.0),
               jct_cdf(res.jobs), profit_decomposition(res.ledger)):  # fmt: skip
        path = tmp_path / f"{ax.get_title().replace(' ', '_')}.png"
        ax.figure.savefig(path)
        assert path.stat().st_size > 1000


def test_fedsim_plot_writes_every_figure_of_a_run(tmp_path) -> None:
    from click.testing import CliRunner

    from fedsim.cli.main import cli
    from tests.helpers.scenarios import two_provider_dict, write

    scenario = write(two_provider_dict(horizon_s=3 * 3600.0), tmp_path / "s.yaml")
    runner = CliRunner()
    assert runner.invoke(cli, ["run", str(scenario), "-q", "--no-baseline",
                               "--out", str(tmp_path / "r")]).exit_code == 0
    out = runner.invoke(cli, ["plot", str(tmp_path / "r"), "--format", "svg"])
    assert out.exit_code == 0, out.output
    figures = tmp_path / "r-figures"
    names = {"utilisation.svg", "prices.svg", "jct_cdf.svg", "profit_decomposition.svg"}
    assert names <= {p.name for p in figures.iterdir()}
    assert all((figures / n).stat().st_size > 1000 for n in names)
    # a folder that is not a fedsim output: one line, nothing written
    (tmp_path / "mine").mkdir()
    bad = runner.invoke(cli, ["plot", str(tmp_path / "mine")])
    assert bad.exit_code != 0 and not (tmp_path / "mine-figures").exists()


def test_moved_work_sums_each_remote_stint_from_the_event_log() -> None:
    """Job 1 (a's) runs 2 GPUs at b from t = 0 to its preemption at 3,600 s (2 GPU-h),
    restarts at home (not moved), then again at b with 2 GPUs from 7,200 s to its finish
    at 9,000 s (1 GPU-h): 3 GPU-h a→b. Job 2 (b's) runs 1 GPU at a from 1,800 s and is
    still running at the end, 9,000 s (2 GPU-h b→a). A CPU row is not GPU work."""
    from fedsim.plots import moved_cores, moved_work

    rows = [(0.0, "start", 1, "a", "b", "gpu:v100", 2.0), (3600.0, "preempt", 1, "a", "b",
            "gpu:v100", 2.0), (3600.0, "start", 1, "a", "a", "gpu:k80", 2.0),
            (5400.0, "preempt", 1, "a", "a", "gpu:k80", 2.0),
            (7200.0, "start", 1, "a", "b", "gpu:v100", 2.0),
            (9000.0, "finish", 1, "a", "b", "gpu:v100", 2.0),
            (1800.0, "arrive", 2, "b", None, None, 1.0),
            (1800.0, "start", 2, "b", "a", "gpu:k80", 1.0),
            (600.0, "start", 3, "a", "b", "cpu", 4.0)]  # fmt: skip
    events = pd.DataFrame(rows, columns=["t_s", "kind", "job", "owner", "host", "resource",
                                         "units"])  # fmt: skip
    ax = moved_work(events, end_s=9000.0)
    np.testing.assert_allclose(ax.get_images()[0].get_array(), [[0.0, 3.0], [2.0, 0.0]])
    assert ax.get_title() == "GPU-hours run at another provider"
    # web overflow: epochs of 1,800 s, a→b 2 + 4 cores = 3 core-hours, b→a 1 core = 0.5
    clearings = pd.DataFrame({"owner": ["a", "a", "b", "a", "a"],
                              "host": ["b", "b", "a", "a", "b"],
                              "resource": ["cpu", "cpu", "cpu", "cpu", "gpu:v100"],
                              "placed_units": [2.0, 4.0, 1.0, 9.0, 8.0]})  # fmt: skip
    ax = moved_cores(clearings, epoch_s=1800.0)
    np.testing.assert_allclose(ax.get_images()[0].get_array(), [[0.0, 3.0], [0.5, 0.0]])


def test_coalition_values_by_size_then_name() -> None:
    from fedsim.plots import coalition_values

    table = pd.DataFrame({"coalition": ["a+b", "b", "a"], "size": [2, 1, 1],
                          "value_usd": [5.0, -1.0, 2.0]})  # fmt: skip
    ax = coalition_values(table)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "a+b"]
    assert [p.get_height() for p in ax.patches] == [2.0, -1.0, 5.0]


def test_sla_share_per_epoch_and_predicted_vs_measured() -> None:
    from fedsim.plots import predicted_vs_measured, sla_vs_load

    ledger = pd.DataFrame({"provider": ["a", "a", "b"], "web_requests": [100.0, 200.0, 0.0],
                           "web_violations": [5.0, 50.0, 0.0]})  # fmt: skip
    ax = sla_vs_load(ledger)
    [points] = ax.collections  # b served no web requests
    np.testing.assert_allclose(points.get_offsets(), [[100.0, 0.05], [200.0, 0.25]])
    rows = pd.DataFrame({"measured_s": [1.0, 2.0], "predicted_x_s": [1.1, 1.8]})
    ax = predicted_vs_measured(rows)
    assert [c.get_label() for c in ax.collections] == ["x"]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), [[1.0, 1.1], [2.0, 1.8]])


def test_perfmodel_evaluate_gives_every_row_and_plots_it(shared_data, tmp_path) -> None:
    from click.testing import CliRunner

    from fedsim.cli.main import cli
    from fedsim.perfmodel.evaluate import evaluate_folder

    folder = shared_data / "pollux_scalability" / "yolov3"
    report = evaluate_folder(folder)
    assert len(report.rows) == report.n_test
    row = report.rows[0]
    assert {"measured_s", "predicted_fedsim-model_s", "predicted_pollux_s"} <= set(row)
    out = tmp_path / "e.json"
    runner = CliRunner()
    assert runner.invoke(cli, ["perfmodel", "evaluate", str(folder), "--json", str(out)]
                         ).exit_code == 0  # fmt: skip
    result = runner.invoke(cli, ["plot", str(out)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "e-figures" / "predicted_vs_measured.png").stat().st_size > 1000


def test_coalition_lattice_edges_colours_and_rings() -> None:
    """Three members: 9 edges S → S ∪ {i} (6 from singletons, 3 into the grand coalition).
    By hand from the values: adding c lowers a (2 → 1) and adding b lowers c (1 → 0);
    adding c lowers a+b (5 → 4): 3 dashed edges, 6 plain. Rings: {a, b} and {c}."""
    from matplotlib.collections import LineCollection

    from fedsim.plots import coalition_lattice

    names = ["a", "b", "c", "a+b", "a+c", "b+c", "a+b+c"]
    table = pd.DataFrame({"coalition": names, "size": [1, 1, 1, 2, 2, 2, 3],
                          "a": ["a" in n for n in names], "b": ["b" in n for n in names],
                          "c": ["c" in n for n in names],
                          "value_usd": [2.0, -1.0, 1.0, 5.0, 1.0, 0.0, 4.0]})  # fmt: skip
    ax = coalition_lattice(table, [["a", "b"], ["c"]])
    plain, dashed = (c for c in ax.collections if isinstance(c, LineCollection))
    assert (len(plain.get_segments()), len(dashed.get_segments())) == (6, 3)
    nodes, rings = (c for c in ax.collections if not isinstance(c, LineCollection))
    np.testing.assert_allclose(nodes.get_array(), [2.0, -1.0, 1.0, 5.0, 1.0, 0.0, 4.0])
    # each level spread over [-1, 1] in name order: a+b leftmost of 3, c rightmost of 3
    assert sorted(map(tuple, rings.get_offsets().tolist())) == [(-1.0, 2.0), (1.0, 1.0)]
    assert nodes.norm.vmin == -5.0 and nodes.norm.vmax == 5.0  # 0 is the white midpoint
    assert ax.get_ylabel() == "coalition size |S|"
    assert len(ax.texts) == 7 and "{a, b}\n5 $" in [t.get_text() for t in ax.texts]
