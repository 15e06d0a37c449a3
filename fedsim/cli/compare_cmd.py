"""``fedsim compare``: every mechanism on the same workloads (paired seeds), one table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from fedsim.cli.options import backend_options, run_limits, scenario_options

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console


def parse_mechanisms(text: str) -> list[str]:
    """Comma-separated names, baselines first (:func:`fedsim.studies.order_mechanisms`)."""
    from fedsim.studies import order_mechanisms

    return order_mechanisms(text)


def parse_param(text: str) -> tuple[str, str, object]:
    """``posted_price.markup=0.5`` → (``posted_price``, ``markup``, 0.5); the value is YAML.
    The key follows the last dot: a ``module.path:Class`` mechanism has dots of its own."""
    from pathlib import Path

    from fedsim.config.yaml_safe import load_yaml_text
    from fedsim.errors import FedsimError

    target, sep, raw = text.partition("=")
    name, dot, key = target.strip().rpartition(".")
    if not (sep and dot and name and key):
        raise FedsimError(f"--param {text}: expected MECHANISM.KEY=VALUE, e.g. "
                          "posted_price.markup=0.5")
    try:
        return name, key, load_yaml_text(raw, Path("--param"))
    except FedsimError as exc:
        raise FedsimError(f"--param {text}: value is not valid YAML ({exc})") from None


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--mechanisms", "mechanisms_text", required=True, metavar="A,B,C",
              help="Mechanisms to compare (isolated and lp_welfare are always added).")
@click.option("--seeds", "n_seeds", type=int, default=3, show_default=True,
              help="Number of paired seeds (the scenario's seed, seed+1, ...).")
@click.option("--workers", type=int, default=None, help="Parallel runs (default: CPU count).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory (default: results/<scenario name>-compare).")
@click.option("--param", "param_texts", multiple=True, metavar="MECH.KEY=VALUE",
              help="A mechanism's parameter, e.g. --param posted_price.markup=0.5 (repeatable).")
@click.option("--core", is_flag=True,
              help="Also measure the core violation (2^n coalition LPs per epoch).")
@scenario_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@backend_options
def compare(
    scenario: Path, mechanisms_text: str, n_seeds: int, workers: int | None, out: Path | None,
    param_texts: tuple[str, ...], core: bool, overrides: tuple[str, ...],
    trust_code: tuple[str, ...],
    max_memory_gb: float | None, max_cpu_h: float, quiet: bool, backend: str,
    address: str | None,
) -> None:
    """Run each mechanism on SCENARIO with paired seeds; print and save the comparison
    (means with 95% t-intervals across seeds; gains are paired against 'isolated')."""
    from fedsim.sweeps.backend import start_early

    start_early(backend, workers)
    from fedsim.api import prepare
    from fedsim.studies import check_seeds
    from fedsim.studies import compare as run_compare

    check_seeds(n_seeds)
    prepared = prepare(scenario, overrides, trust_code=trust_code,
                       limits=run_limits(max_memory_gb, max_cpu_h))
    names = parse_mechanisms(mechanisms_text)
    params = parse_params(param_texts, names)
    folder = out or Path("results") / f"{prepared.scenario.name}-compare"
    result = run_compare(prepared, names, n_seeds, params=params, core=core, out=folder,
                         workers=workers, backend=backend, address=address,
                         progress=not quiet)
    print_compare(result.table, f"{prepared.scenario.name}: {n_seeds} paired seed(s), "
                  "mean ± 95% CI")
    click.echo(f"{result.runs_ran} runs done, {result.runs_reused} reused; "
               f"table written to {folder / 'compare.parquet'} and .csv")


def parse_params(texts: tuple[str, ...], names: list[str]) -> dict[str, dict[str, object]]:
    """``--param`` options as mechanism -> {key: value}, each for a mechanism that runs."""
    from fedsim.errors import FedsimError

    params: dict[str, dict[str, object]] = {}
    for text in texts:
        name, key, value = parse_param(text)
        if name not in names:
            raise FedsimError(f"--param {text}: {name!r} is not among the mechanisms run "
                              f"({', '.join(names)})")
        params.setdefault(name, {})[key] = value
    return params


def wide_console() -> Console:
    """A rich console; when output is piped (a file, a CI log) no terminal wraps it, so
    tables are printed whole instead of being squeezed into 80 columns."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=max(console.width, 160))


def print_compare(table: pd.DataFrame, title: str) -> None:
    """The comparison as one rich table: rows mechanisms, columns metrics."""
    from rich import box
    from rich.table import Table

    from fedsim.analysis.compare_report import FOOTNOTE, compare_rows

    heads, rows = compare_rows(table, sep="\n±")
    # compact (two-line cells, light borders) so a few members fit in 100 columns
    out = Table(title=title, box=box.SIMPLE_HEAD, padding=(0, 1), collapse_padding=True)
    out.add_column(heads[0], no_wrap=True)
    for head in heads[1:]:
        out.add_column(head, justify="right", no_wrap=True)
    for row in rows:
        out.add_row(*row)
    console = wide_console()
    console.print(out)
    console.print(FOOTNOTE)
