"""``fedsim plot``: every applicable figure of a run or a comparison, written to files."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("result_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Figure folder (default: RESULT_DIR-figures beside it); new, empty, or "
              "earlier fedsim figures.")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png",
              show_default=True)
def plot(result_dir: Path, out: Path | None, fmt: str) -> None:
    """Draw the figures of RESULT_DIR: a `fedsim run`, `compare` or `coalitions` folder,
    or the JSON file of `fedsim perfmodel evaluate --json`."""
    from fedsim.errors import OutputError
    from fedsim.plots.files import figures_of, write_figures
    from fedsim.results.owned import OwnedDir

    if not result_dir.exists():
        raise OutputError(f"{result_dir}: no such folder or file (a fedsim run, compare or "
                          "coalitions folder, or a perfmodel evaluate JSON)")
    figures = figures_of(result_dir)
    folder = OwnedDir(out or result_dir.parent / f"{result_dir.stem}-figures", "figures")
    written = write_figures(folder, figures, fmt)
    click.echo(f"{len(written)} figure(s) written to {folder.path}: "
               + ", ".join(p.name for p in written))
