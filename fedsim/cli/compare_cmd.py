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
    """Comma-separated names, baselines first (``isolated`` for gains, ``lp_welfare``
    for efficiency), duplicates dropped, order otherwise kept."""
    from fedsim.errors import FedsimError
    from fedsim.mechanisms.registry import BASELINE, REFERENCE

    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise FedsimError("--mechanisms: give at least one mechanism name, e.g. lp_welfare,shapley")
    return list(dict.fromkeys([BASELINE, REFERENCE, *names]))


def parse_param(text: str) -> tuple[str, str, object]:
    """``posted_price.markup=0.5`` → (``posted_price``, ``markup``, 0.5); the value is YAML."""
    from pathlib import Path

    from fedsim.config.yaml_safe import load_yaml_text
    from fedsim.errors import FedsimError

    target, sep, raw = text.partition("=")
    name, dot, key = target.strip().partition(".")
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
    from fedsim.analysis.compare_report import per_seed_table, summary_table
    from fedsim.api import prepare
    from fedsim.config.loader import scenario_to_yaml
    from fedsim.errors import FedsimError
    from fedsim.mechanisms import make
    from fedsim.results.owned import OwnedDir
    from fedsim.sweeps import RunSpec, make_backend, run_specs

    if n_seeds < 1:
        raise FedsimError(f"--seeds must be >= 1, got {n_seeds}")
    prepared = prepare(scenario, overrides, trust_code=trust_code,
                       limits=run_limits(max_memory_gb, max_cpu_h))
    sc = prepared.scenario
    names = parse_mechanisms(mechanisms_text)
    own = sc.federation.mechanism
    params = {n: (dict(own.params) if n == own.name else {}) for n in names}
    given: set[str] = set()
    for text in param_texts:
        name, key, value = parse_param(text)
        given.add(name)
        if name not in params:
            raise FedsimError(f"--param {text}: {name!r} is not among the mechanisms compared "
                              f"({', '.join(names)})")
        params[name][key] = value
    for name in names:  # unknown names and bad parameters fail before any run
        where = f"--param {name}" if name in given else "--mechanisms"
        make(name, params[name], prepared.trust_code, where=where)
    runner = make_backend(backend, workers, address)
    folder = OwnedDir(out or Path("results") / f"{sc.name}-compare", "compare")
    folder.write_text("scenario.yaml", scenario_to_yaml(sc))  # for the report
    seeds = [sc.seed + k for k in range(n_seeds)]
    specs = [
        RunSpec.make(sc, name, seed=seed, params=params[name], coalition_values=core,
                     trust_code=prepared.trust_code)
        for name in names for seed in seeds
    ]
    report = run_specs(specs, folder.claim("runs"), backend=runner, progress=not quiet,
                       label=f"{len(names)} mechanisms × {n_seeds} seeds")
    records = report.by_key()
    runs = [{"mechanism": s.mechanism, "seed": s.seed, "result": records[s.key].result}
            for s in specs]
    per_seed = per_seed_table(runs)
    table = summary_table(per_seed, order=names)
    for frame, stem in ((table, "compare"), (per_seed, "compare_seeds")):
        folder.write_frame(f"{stem}.parquet", frame)
        folder.write_frame(f"{stem}.csv", frame)
    print_compare(table, f"{sc.name}: {n_seeds} paired seed(s), mean ± 95% CI")
    click.echo(f"{len(report.ran)} runs done, {len(report.skipped)} reused; "
               f"table written to {folder.path / 'compare.parquet'} and .csv")


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
