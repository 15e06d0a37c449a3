"""The listing shared by ``fedsim mechanisms`` and ``fedsim schedulers``: a table, or
JSON for scripts, with each plug-in's parameters (type and default)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import click


def signature(params: list[dict[str, Any]]) -> str:
    """``markup: float = 0.2, solver: str = 'highs'`` (parameters without a default: bare)."""
    return ", ".join(
        f"{p['name']}: {p['type']}" + ("" if p["default"] is None else f" = {p['default']!r}")
        for p in params
    )


def show(
    title: str,
    rows: list[dict[str, Any]],
    extra: Mapping[str, Callable[[dict[str, Any]], str]],
    as_json: bool,
) -> None:
    """Print ``rows`` (name, description, source, parameters, ...) as a table or JSON."""
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("name", no_wrap=True)
    table.add_column("description")
    table.add_column("parameters")
    for head in extra:
        table.add_column(head, no_wrap=True)
    table.add_column("source", no_wrap=True)
    for row in rows:
        table.add_row(row["name"], row["description"], signature(row["parameters"]),
                      *(fn(row) for fn in extra.values()), row["source"])  # fmt: skip
    Console().print(table)
