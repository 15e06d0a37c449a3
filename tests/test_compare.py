"""``fedsim compare``: paired gains with t-intervals, baselines added, files written,
user mistakes as one line with exit 2."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from fedsim.cli.main import main
from tests.helpers.scenarios import two_provider_dict, write

MEMBERS = ("gpu_rich", "cpu_rich")


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("compare")
    scenario = write(two_provider_dict(horizon_s=6 * 3600, seed=3), tmp / "two.yaml")
    out = tmp / "out"
    main(["compare", str(scenario), "--mechanisms", "shapley", "--seeds", "3",
          "--workers", "1", "--out", str(out), "-q"])
    return scenario, out


def test_table_has_baselines_gains_and_intervals(compared) -> None:
    _, out = compared
    table = pd.read_parquet(out / "compare.parquet")
    assert list(table["mechanism"]) == ["isolated", "lp_welfare", "shapley"]
    assert (table["n_seeds"] == 3).all()
    for m in MEMBERS:
        assert {f"gain_{m}_usd_mean", f"gain_{m}_usd_ci95"} <= set(table.columns)
    iso = table.set_index("mechanism").loc["isolated"]
    # efficiency: the share of lp_welfare's gain over isolated; isolated realises none
    assert iso[f"gain_{MEMBERS[0]}_usd_mean"] == 0 and iso["efficiency_mean"] == pytest.approx(0)
    assert table.set_index("mechanism").loc["lp_welfare", "efficiency_mean"] == pytest.approx(1)
    csv = pd.read_csv(out / "compare.csv")
    assert list(csv["mechanism"]) == list(table["mechanism"])


def test_interval_is_the_paired_t_interval(compared) -> None:
    _, out = compared
    seeds = pd.read_parquet(out / "compare_seeds.parquet")
    table = pd.read_parquet(out / "compare.parquet").set_index("mechanism")
    gains = seeds[seeds["mechanism"] == "shapley"].sort_values("seed")["gain_cpu_rich_usd"]
    assert len(gains) == 3
    half = stats.t.ppf(0.975, 2) * gains.std(ddof=1) / math.sqrt(3)
    assert table.loc["shapley", "gain_cpu_rich_usd_mean"] == pytest.approx(gains.mean())
    assert table.loc["shapley", "gain_cpu_rich_usd_ci95"] == pytest.approx(half)


def test_paired_gain_matches_an_independent_run(compared) -> None:
    # fedsim.run computes gain_vs_isolated_usd from its own paired isolated run
    from fedsim.api import run

    scenario, out = compared
    seeds = pd.read_parquet(out / "compare_seeds.parquet")
    result = run(scenario, overrides=["federation.mechanism.name=shapley", "seed=4"])
    row = seeds[(seeds["mechanism"] == "shapley") & (seeds["seed"] == 4)].iloc[0]
    for m in MEMBERS:
        expected = result.summary["providers"][m]["gain_vs_isolated_usd"]
        assert row[f"gain_{m}_usd"] == pytest.approx(expected, abs=1e-6)


def test_rerun_reuses_every_run(compared, capsys: pytest.CaptureFixture[str]) -> None:
    scenario, out = compared
    main(["compare", str(scenario), "--mechanisms", "shapley", "--seeds", "3",
          "--workers", "1", "--out", str(out), "-q"])
    text = capsys.readouterr().out
    assert "0 runs done, 9 reused" in text
    assert "gpu_rich" in text and "±" in text


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--mechanisms", "lp_welfare,no_such_rule"], "unknown mechanism 'no_such_rule'"),
        (["--mechanisms", "shapley", "--seeds", "0"], "--seeds must be >= 1, got 0"),
        (["--mechanisms", " , "], "--mechanisms: give at least one mechanism"),
        (["--mechanisms", "shapley", "--workers", "0"], "--workers must be >= 1"),
    ],
)
def test_user_mistakes_are_one_line_exit_2(
    compared, args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, out = compared
    with pytest.raises(SystemExit) as exc:
        main(["compare", str(scenario), "--out", str(out / "bad"), "-q", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("fedsim: error: ") and fragment in err and err.count("\n") == 1
    assert not (out / "bad").exists()
