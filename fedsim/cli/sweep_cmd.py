"""``fedsim sweep``: a grid of runs from a sweep file, resumable, one results table."""

from __future__ import annotations

from pathlib import Path

import click

from fedsim.cli.options import TRUST_HELP, backend_options


@click.command()
@click.argument("sweep_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory (default: results/<sweep file name>-sweep).")
@click.option("--workers", type=int, default=None, help="Parallel runs (default: CPU count).")
@click.option("--trust-code", "trust_code", multiple=True, metavar="MODULE:CLASS",
              help=TRUST_HELP)
@click.option("--dry-run", is_flag=True, help="Only list how many runs the sweep makes.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@backend_options
def sweep(sweep_file: Path, out: Path | None, workers: int | None, trust_code: tuple[str, ...],
          dry_run: bool, quiet: bool, backend: str, address: str | None) -> None:
    """Run every combination in SWEEP_FILE (grid and zipped scenario keys × mechanisms ×
    seeds × coalitions); finished runs are reused, so an interrupted sweep resumes."""
    from fedsim.sweeps.backend import make_backend, start_early

    if not dry_run:
        start_early(backend, workers)
    from fedsim.sweeps.sweep import plan, run_sweep

    sweep_spec, runs = plan(sweep_file, trust_code)
    unique = len({r.spec.key for r in runs})
    if dry_run:
        click.echo(f"{sweep_file}: {len(runs)} runs ({unique} distinct simulations)")
        return
    name = sweep_spec.name or sweep_file.stem
    folder = out or Path("results") / f"{name}-sweep"
    table, report = run_sweep(sweep_file, folder, backend=make_backend(backend, workers, address),
                              progress=not quiet, trust_code=trust_code)  # fmt: skip
    click.echo(f"{len(report.ran)} runs done, {len(report.skipped)} reused; "
               f"{len(table)} rows written to {folder / 'sweep.parquet'} and .csv")
