"""``fedsim.compare`` and ``fedsim.coalitions``: the tables the CLI writes, a temporary
run store that leaves nothing behind, and mistakes refused before any run."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest

import fedsim
from fedsim.analysis.coalition_report import game_lines
from fedsim.cli.main import main
from fedsim.errors import FedsimError, OutputError
from tests.helpers.scenarios import two_provider_dict, write


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("studies")
    return write(two_provider_dict(horizon_s=4 * 3600), tmp / "two.yaml")


@pytest.fixture(scope="module")
def cli_compare(scenario: Path) -> Path:
    out = scenario.parent / "cmp"
    main(["compare", str(scenario), "--mechanisms", "posted_price", "--seeds", "2",
          "--workers", "1", "--out", str(out), "-q"])
    return out


@pytest.fixture
def temp_dirs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The folders ``tempfile.mkdtemp`` makes during the test."""
    made: list[Path] = []
    real = tempfile.mkdtemp

    def spy(*args, **kwargs):
        path = real(*args, **kwargs)
        made.append(Path(path))
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", spy)
    return made


@pytest.fixture
def no_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any run is started."""
    import fedsim.sweeps

    def refuse(*args, **kwargs):
        raise AssertionError("a run was started")

    monkeypatch.setattr(fedsim.sweeps, "run_specs", refuse)


def test_lazy_exports() -> None:
    import fedsim.studies

    assert fedsim.compare is fedsim.studies.compare
    assert fedsim.coalitions is fedsim.studies.coalitions


def test_compare_is_what_the_cli_writes_and_leaves_no_folder(
    scenario: Path, cli_compare: Path, temp_dirs: list[Path]
) -> None:
    result = fedsim.compare(scenario, ["posted_price"], 2, workers=1)
    assert result.mechanisms == ["isolated", "lp_welfare", "posted_price"]
    assert result.seeds == [7, 8] and result.scenario.name == "two"
    assert (result.runs_ran, result.runs_reused, result.out) == (6, 0, None)
    assert result.table.equals(pd.read_parquet(cli_compare / "compare.parquet"))
    assert result.per_seed.equals(pd.read_parquet(cli_compare / "compare_seeds.parquet"))
    assert len(temp_dirs) == 1 and not temp_dirs[0].exists()


def test_out_is_the_cli_folder_and_is_resumed(
    scenario: Path, cli_compare: Path, temp_dirs: list[Path]
) -> None:
    result = fedsim.compare(scenario, "posted_price", 2, workers=1, out=cli_compare)
    assert (result.runs_ran, result.runs_reused, result.out) == (0, 6, cli_compare)
    assert result.table.equals(pd.read_parquet(cli_compare / "compare.parquet"))
    assert temp_dirs == [] and (cli_compare / "scenario.yaml").is_file()


def test_a_foreign_folder_is_refused(scenario: Path, tmp_path: Path, no_runs: None) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    with pytest.raises(OutputError, match="not written by fedsim"):
        fedsim.compare(scenario, ["shapley"], 1, workers=1, out=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"mechanisms": ["shapley", "no_such_rule"]}, "unknown mechanism 'no_such_rule'"),
        ({"mechanisms": []}, "give at least one mechanism name"),
        ({"mechanisms": ["shapley"], "seeds": 0}, "--seeds must be >= 1, got 0"),
        ({"mechanisms": ["posted_price"], "params": {"posted_price": {"markupp": 1}}},
         "unknown parameter(s) markupp"),
        ({"mechanisms": ["shapley"], "params": {"posted_price": {"markup": 1}}},
         "'posted_price' is not among the mechanisms run"),
        ({"mechanisms": ["shapley"], "workers": 0}, "--workers must be >= 1"),
    ],
)
def test_mistakes_fail_before_any_run(
    scenario: Path, tmp_path: Path, temp_dirs: list[Path], no_runs: None,
    kwargs: dict, fragment: str,
) -> None:
    with pytest.raises(FedsimError) as exc:
        fedsim.compare(scenario, out=tmp_path / "out", **kwargs)
    assert fragment in str(exc.value)
    assert not (tmp_path / "out").exists() and temp_dirs == []


def test_coalitions_is_what_the_cli_writes(
    scenario: Path, tmp_path: Path, temp_dirs: list[Path]
) -> None:
    out = tmp_path / "game"
    main(["coalitions", str(scenario), "--workers", "1", "--out", str(out), "-q"])
    game = fedsim.coalitions(scenario, workers=1)
    members = list(game.scenario.member_names)
    assert len(game.values) == 2 ** len(members) - 1 == 3
    assert game.lines == game_lines(game.solution)
    assert game.solution == json.loads((out / "solution.json").read_text())
    assert game.values.equals(pd.read_parquet(out / "coalitions.parquet"))
    assert game.members.equals(pd.read_parquet(out / "members.parquet"))
    assert (game.runs_ran, game.runs_reused) == (2, 0)  # isolated + the grand federation
    assert len(temp_dirs) == 1 and not temp_dirs[0].exists()


def test_coalitions_unknown_mechanism_fails_before_any_run(
    scenario: Path, temp_dirs: list[Path], no_runs: None
) -> None:
    with pytest.raises(FedsimError, match="unknown mechanism 'no_such_rule'"):
        fedsim.coalitions(scenario, "no_such_rule", workers=1)
    assert temp_dirs == []


def test_coalitions_take_the_mechanisms_parameters(scenario: Path, tmp_path: Path) -> None:
    # at a thousandfold markup no remote placement is worth its price, so the grand
    # federation trades nothing: v(N) = v({gpu_rich}) + v({cpu_rich}) (without the
    # markup it trades and is worth more); the CLI's --param gives the same game
    game = fedsim.coalitions(scenario, "posted_price", workers=1,
                             params={"posted_price": {"markup": 1000.0}})
    value = dict(zip(game.values["coalition"], game.values["value_usd"], strict=True))
    assert value["gpu_rich+cpu_rich"] == pytest.approx(value["gpu_rich"] + value["cpu_rich"],
                                                       rel=1e-12)
    free = fedsim.coalitions(scenario, "posted_price", workers=1,
                             params={"posted_price": {"markup": 0.0}})
    traded = dict(zip(free.values["coalition"], free.values["value_usd"], strict=True))
    assert traded["gpu_rich+cpu_rich"] > value["gpu_rich+cpu_rich"] + 1.0
    out = tmp_path / "game"
    main(["coalitions", str(scenario), "--mechanism", "posted_price", "--param",
          "posted_price.markup=1000", "--workers", "1", "--out", str(out), "-q"])
    assert json.loads((out / "solution.json").read_text()) == game.solution


@pytest.mark.parametrize(
    ("params", "fragment"),
    [({"posted_price": {"markupp": 1}}, "unknown parameter(s) markupp"),
     ({"lp_welfare": {"solver": "cbc"}}, "'lp_welfare' is not among the mechanisms run")],
)
def test_coalitions_parameter_mistakes_fail_before_any_run(
    scenario: Path, temp_dirs: list[Path], no_runs: None, params: dict, fragment: str
) -> None:
    with pytest.raises(FedsimError) as exc:
        fedsim.coalitions(scenario, "posted_price", params=params, workers=1)
    assert fragment in str(exc.value)
    assert temp_dirs == []
