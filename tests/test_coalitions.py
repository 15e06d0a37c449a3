"""``fedsim coalitions``: v(S) from whole runs, checked against independent runs and
hand formulas; and the claims of the two demonstration scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fedsim.cli.main import main
from tests.helpers.scenarios import two_provider_dict, write

A, B = "gpu_rich", "cpu_rich"


@pytest.fixture(scope="module")
def game(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("coalitions")
    scenario = write(two_provider_dict(horizon_s=8 * 3600, seed=5), tmp / "two.yaml")
    out = tmp / "out"
    main(["coalitions", str(scenario), "--workers", "1", "--out", str(out), "-q"])
    return scenario, out


def _values(out: Path) -> dict[str, float]:
    table = pd.read_parquet(out / "coalitions.parquet")
    return dict(zip(table["coalition"], table["value_usd"], strict=True))


def test_singletons_are_isolated_profits_and_grand_is_the_federation(game) -> None:
    from fedsim.api import run

    scenario, out = game
    v = _values(out)
    assert set(v) == {A, B, f"{A}+{B}"}
    isolated = run(scenario, overrides=["federation.mechanism.name=isolated"], baseline=False)
    for m in (A, B):
        assert v[m] == pytest.approx(isolated.summary["providers"][m]["profit_usd"], abs=1e-6)
    grand = run(scenario, baseline=False)  # lp_welfare, both members
    assert v[f"{A}+{B}"] == pytest.approx(grand.summary["federation"]["welfare_usd"], abs=1e-6)


def test_two_player_solution_concepts_by_hand(game) -> None:
    _, out = game
    v = _values(out)
    sol = json.loads((out / "solution.json").read_text())
    surplus = v[f"{A}+{B}"] - v[A] - v[B]
    assert surplus > 0  # federating pays on this workload
    for m in (A, B):
        # two players: Shapley = nucleolus = normalised Banzhaf = v({i}) + surplus / 2
        half = v[m] + surplus / 2
        assert sol["shapley_usd"][m] == pytest.approx(half, abs=1e-6)
        assert sol["nucleolus_usd"][m] == pytest.approx(half, abs=1e-4)
        assert sol["banzhaf_normalised_usd"][m] == pytest.approx(half, abs=1e-6)
        assert sol["marginal_to_grand_usd"][m] == pytest.approx(v[f"{A}+{B}"] - v[
            B if m == A else A])
    # least core of a superadditive 2-player game: ε = −surplus / 2
    assert sol["least_core"]["epsilon_usd"] == pytest.approx(-surplus / 2, abs=1e-4)
    assert sol["core_nonempty"] and sol["shapley_in_core"]["in_core"]
    assert sol["stable_structure"] == [[A, B]]
    assert sol["harmful_members"] == []
    assert (out / "members.parquet").is_file()


def test_rerun_is_resumed(game, capsys: pytest.CaptureFixture[str]) -> None:
    scenario, out = game
    main(["coalitions", str(scenario), "--workers", "1", "--out", str(out), "-q"])
    text = capsys.readouterr().out
    assert "0 runs done, 2 reused" in text and "least-core" in text


def test_harmful_member_scenario(repo_root: Path, tmp_path: Path) -> None:
    # the claim in scenarios/harmful_member.yaml: hog adds less than it earns alone
    main(["coalitions", str(repo_root / "scenarios" / "harmful_member.yaml"),
          "--workers", "1", "--out", str(tmp_path), "-q"])
    sol = json.loads((tmp_path / "solution.json").read_text())
    v = _values(tmp_path)
    assert v["day+night+hog"] - v["day+night"] < v["hog"]
    assert sol["harmful_members"] == ["hog"]
    assert sol["stable_structure"] == [["day", "night"], ["hog"]]
    assert not sol["core_nonempty"]


def test_dual_vs_shapley_scenario(repo_root: Path, tmp_path: Path) -> None:
    # the claim in scenarios/dual_vs_shapley.yaml: under dual prices the startup gains
    # (almost) nothing and the GPU owner everything; Shapley pays both
    main(["compare", str(repo_root / "scenarios" / "dual_vs_shapley.yaml"),
          "--mechanisms", "shapley", "--seeds", "1", "--workers", "1", "--out", str(tmp_path),
          "-q"])
    t = pd.read_parquet(tmp_path / "compare.parquet").set_index("mechanism")
    owner, startup = "gain_gpu_owner_usd_mean", "gain_startup_usd_mean"
    assert t.loc["lp_welfare", owner] > 1000
    assert abs(t.loc["lp_welfare", startup]) < 0.01 * t.loc["lp_welfare", owner]
    assert t.loc["shapley", owner] > 300 and t.loc["shapley", startup] > 300


def test_banzhaf_sign_flip_and_superadditivity_are_warned() -> None:
    """Symmetric 3-player game: v(i) = 0, v(pair) = −3, v(ABC) = 1. Raw Banzhaf of each:
    the mean marginal over {}, {j}, {k}, {j,k} = (0 − 3 − 3 + 4)/4 = −0.5, summing to
    −1.5 against v(N) = +1, so normalising (× 1/−1.5) turns each into +1/3: every sign
    flips. v(A) + v(B) − v(AB) = 3 > 0: not superadditive, by 3 (the largest shortfall)."""
    from fedsim.analysis.coalition_report import solve_game
    from fedsim.analysis.economics import superadditivity_shortfall

    members = ["A", "B", "C"]
    values = {frozenset(c): (0.0 if len(c) == 1 else -3.0 if len(c) == 2 else 1.0)
              for r in (1, 2, 3) for c in __import__("itertools").combinations(members, r)}
    sol = solve_game(values, members)
    for m in members:
        assert sol["banzhaf_raw_usd"][m] == pytest.approx(-0.5)
        assert sol["banzhaf_normalised_usd"][m] == pytest.approx(1 / 3)
    assert superadditivity_shortfall(values, members)[0] == pytest.approx(3.0)
    text = " ".join(sol["warnings"])
    assert "flips the sign of A" in text and "not superadditive" in text
    # a superadditive game without flips: no warning
    fine = {k: (v if len(k) != 2 else 0.5) for k, v in values.items()}
    assert solve_game(fine, members)["warnings"] == []
