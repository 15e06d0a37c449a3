"""``fedsim mechanisms``: list the registered mechanisms."""

from __future__ import annotations

import click


@click.command()
def mechanisms() -> None:
    """List registered mechanisms (built-in and plug-ins) with a one-line description."""
    from rich.console import Console
    from rich.table import Table

    from fedsim.errors import MechanismError
    from fedsim.mechanisms import available, describe
    from fedsim.mechanisms.registry import BUILTIN

    table = Table(title="fedsim mechanisms")
    table.add_column("name", no_wrap=True)
    table.add_column("description")
    table.add_column("source", no_wrap=True)
    for name, target in available().items():
        try:
            text = describe(name)
        except MechanismError as exc:
            text = f"(cannot load: {exc})"
        table.add_row(name, text, "built-in" if name in BUILTIN else target)
    Console().print(table)
