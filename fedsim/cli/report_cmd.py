"""``fedsim report``: one self-contained HTML page of a result."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("result", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The HTML file (default: RESULT-report.html beside RESULT); an existing "
              "file is replaced only if it is a fedsim report.")
def report(result: Path, out: Path | None) -> None:
    """Write one HTML page of RESULT (a `fedsim run`, `compare` or `coalitions` folder, or
    a `perfmodel evaluate --json` file): figures embedded, summary tables, the scenario
    and provenance. It needs no network and runs no script."""
    from fedsim.report import write_report

    path = write_report(result, out)
    size_kb = path.stat().st_size / 1024
    click.echo(f"report written to {path} ({size_kb:,.0f} KiB); open it in any browser")
