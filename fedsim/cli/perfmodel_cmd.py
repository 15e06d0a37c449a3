"""``fedsim perfmodel``: fit and check the throughput model."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group()
def perfmodel() -> None:
    """Throughput model: fitted step times of distributed training."""


@perfmodel.command()
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the figures to this JSON file.",
)
def evaluate(data_dir: Path, json_path: Path | None) -> None:
    """Fit on DATA_DIR/placements.csv, predict every row of DATA_DIR/scalability.csv.

    Prints fedsim's model and the baselines (plain Pollux fit, Optimus) side by side:
    mean and 90th-percentile absolute percentage error, the worst error, and Spearman's ρ
    between predicted and measured step times.
    """
    # imported here so that `fedsim perfmodel --help` does not pay for scipy's import
    from fedsim.perfmodel.evaluate import evaluate_folder

    report = evaluate_folder(data_dir)
    click.echo(
        f"{data_dir}: fit on {report.n_fit} placements, predicted {report.n_test} scalability rows"
    )
    for line in report.lines():
        click.echo(line)
    if json_path is not None:
        from fedsim.results.owned import check_owned_file, write_text_atomic

        check_owned_file(json_path, _written_by_fedsim, "perfmodel report")
        write_text_atomic(json_path, json.dumps(report.to_dict(), indent=2) + "\n")


def _written_by_fedsim(path: Path) -> bool:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and str(data.get("written_by", "")).startswith("fedsim")
