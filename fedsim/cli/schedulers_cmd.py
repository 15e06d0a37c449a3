"""``fedsim schedulers``: list the registered local schedulers."""

from __future__ import annotations

import click


@click.command()
def schedulers() -> None:
    """List registered local schedulers (built-in and plug-ins) with a one-line description."""
    from rich.console import Console
    from rich.table import Table

    from fedsim.errors import PluginError
    from fedsim.schedulers.registry import BUILTIN, available, describe, make

    table = Table(title="fedsim local schedulers")
    table.add_column("name", no_wrap=True)
    table.add_column("description")
    table.add_column("rounds", justify="right", no_wrap=True)
    table.add_column("source", no_wrap=True)
    for name, target in available().items():
        try:
            text = describe(name)
            sched = make(name)
            rounds = f"{sched.default_round_s:g} s" if sched.default_round_s else "events"
            if sched.preemptive:
                rounds += ", preempts"
        except PluginError as exc:
            text, rounds = f"(cannot load: {exc})", "-"
        table.add_row(name, text, rounds, "built-in" if name in BUILTIN else target)
    Console().print(table)
