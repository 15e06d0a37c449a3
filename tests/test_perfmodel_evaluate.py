"""`fedsim perfmodel evaluate` on the real Pollux measurements, and its error handling.

Fitted on placements.csv only (≤ 4 nodes), predicting every row of scalability.csv
(6–16 nodes); the targets are stated beside the tests below.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fedsim.cli.main import cli, main
from fedsim.errors import FedsimError
from fedsim.perfmodel.evaluate import EvaluationReport, evaluate_folder

MODELS = ("cifar10", "bert", "yolov3")


@pytest.fixture(scope="module")
def reports(shared_data: Path) -> dict[str, EvaluationReport]:
    return {name: evaluate_folder(shared_data / "pollux_scalability" / name) for name in MODELS}


@pytest.mark.parametrize("name", MODELS)
def test_fits_placements_and_predicts_every_scalability_row(
    reports: dict[str, EvaluationReport], shared_data: Path, name: str
) -> None:
    folder = shared_data / "pollux_scalability" / name
    rows = len((folder / "scalability.csv").read_text().strip().splitlines()) - 1
    fit_rows = len((folder / "placements.csv").read_text().strip().splitlines()) - 1
    assert reports[name].n_test == rows
    assert reports[name].n_fit == fit_rows
    assert reports[name].summary("fedsim-model").n == rows


# Targets (issue 15), against the plain Pollux fit on the same split, so that a model that
# is worse than the simple reference can never pass: MAPE no worse than the plain fit's,
# ≤ 10% wherever the plain fit is ≤ 10%, and Spearman ρ no worse than the plain fit's
# minus 0.02. (The former ρ ≥ 0.9 target was withdrawn for bert and yolov3:
# benchmarks/perfmodel_ceiling.py measured in-sample ceilings of 0.893 and 0.899.)


@pytest.mark.parametrize("name", MODELS)
def test_mape_no_worse_than_the_plain_fit(reports: dict[str, EvaluationReport], name: str) -> None:
    ours, plain = reports[name].summary("fedsim-model"), reports[name].summary("pollux")
    assert ours.mape_pct <= plain.mape_pct + 1e-9
    if plain.mape_pct <= 10.0:
        assert ours.mape_pct <= 10.0


@pytest.mark.parametrize("name", MODELS)
def test_ranking_no_worse_than_the_plain_fit(
    reports: dict[str, EvaluationReport], name: str
) -> None:
    ours, plain = reports[name].summary("fedsim-model"), reports[name].summary("pollux")
    assert ours.spearman >= plain.spearman - 0.02


@pytest.mark.parametrize("name", MODELS)
def test_beats_optimus(reports: dict[str, EvaluationReport], name: str) -> None:
    ours, optimus = reports[name].summary("fedsim-model"), reports[name].summary("optimus")
    assert ours.mape_pct < optimus.mape_pct


def test_report_says_which_model_and_why(reports: dict[str, EvaluationReport]) -> None:
    for report in reports.values():
        chosen = report.selected.name
        assert chosen in {"pollux-plain", "fedsim-ring", "fedsim-tree", "fedsim-ring+tree"}
        assert report.lines()[-1].startswith(f"fedsim-model = {chosen}: ")
        selection = report.to_dict()["selection"]
        assert selection["chosen"] == chosen and selection["reason"]
        names = {c["name"] for c in selection["candidates"]}
        assert {"fedsim-ring", "fedsim-tree", "fedsim-ring+tree"} <= names
        # a richer model is only ever used when its held-out evidence earned it
        earned = {c["name"] for c in selection["candidates"] if c["earned"]}
        assert chosen == "pollux-plain" or chosen in earned


def test_cli_prints_both_models_and_writes_json(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "pollux_scalability" / "bert"
    out = tmp_path / "figures.json"
    result = CliRunner().invoke(cli, ["perfmodel", "evaluate", str(folder), "--json", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("fedsim-model MAPE ") for line in lines)
    assert any(line.startswith("optimus      MAPE ") for line in lines)
    figures = json.loads(out.read_text())
    assert set(figures["models"]) >= {"fedsim-model", "optimus"}
    assert figures["n_test"] == 180
    assert figures["models"]["fedsim-model"]["mape_pct"] <= 10.0
    assert figures["selection"]["chosen"] in lines[-1]


def test_missing_folder_is_a_one_line_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fedsim.cli.main", "perfmodel", "evaluate", "/nonexistent"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "/nonexistent" in proc.stderr


def _folder(tmp_path: Path, placements: str, scalability: str | None) -> Path:
    (tmp_path / "placements.csv").write_text(placements)
    if scalability is not None:
        (tmp_path / "scalability.csv").write_text(scalability)
    return tmp_path


GOOD_PLACEMENTS = "placement,local_bsz,step_time,sync_time\n1,32,0.1,0.0\n12,32,0.3,0.1\n"
GOOD_SCALABILITY = "num_nodes,num_replicas,local_bsz,step_time,sync_time\n6,6,32,0.4,0.2\n"


@pytest.mark.parametrize(
    ("placements", "scalability", "expected"),
    [
        (GOOD_PLACEMENTS, None, r"scalability\.csv: no such file"),
        (
            "placement,local_bsz,step_time\n1,32,0.1\n",
            GOOD_SCALABILITY,
            r"placements\.csv, line 1: missing column\(s\) sync_time",
        ),
        (
            GOOD_PLACEMENTS + "13,32,slow,0.1\n",
            GOOD_SCALABILITY,
            r"placements\.csv, line 4, column step_time",
        ),
        (
            GOOD_PLACEMENTS + "1a,32,0.2,0.1\n",
            GOOD_SCALABILITY,
            r"placements\.csv, line 4, column placement",
        ),
        (
            GOOD_PLACEMENTS,
            GOOD_SCALABILITY + "8,4,32,0.5,0.2\n",
            r"scalability\.csv, line 3, column num_replicas",
        ),
        (GOOD_PLACEMENTS, GOOD_SCALABILITY, r"placements\.csv: .*too few"),
    ],
)
def test_bad_files_name_file_line_and_column(
    tmp_path: Path, placements: str, scalability: str | None, expected: str
) -> None:
    folder = _folder(tmp_path, placements, scalability)
    with pytest.raises(FedsimError, match=expected):
        evaluate_folder(folder)


def test_bad_row_through_the_cli_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = _folder(tmp_path, GOOD_PLACEMENTS + "13,32,-1,0.1\n", GOOD_SCALABILITY)
    with pytest.raises(SystemExit) as exit_info:
        main(["perfmodel", "evaluate", str(folder)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "line 4, column step_time" in err


def test_compute_terms_the_plain_fit_cannot_use_are_reported_unused(shared_data) -> None:
    """cifar10 earns the contention term on its compute column, yet the plain Pollux fit is
    chosen, which has no contention: the report must not present κ as part of the model."""
    from fedsim.perfmodel.evaluate import evaluate_folder, selection_dict
    from fedsim.perfmodel.selection import PLAIN

    report = evaluate_folder(shared_data / "pollux_scalability" / "cifar10")
    sel = selection_dict(report.selected)
    assert sel["chosen"] == PLAIN and sel["compute_terms"] == ["contention"]
    assert sel["compute_terms_applied"] is False
    assert "not applied" in report.lines()[-1]
