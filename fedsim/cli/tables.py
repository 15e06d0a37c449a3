"""Readable end-of-run tables (rich)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from fedsim.analysis.run_table import federation_lines, notices, summary_rows


def print_summary(summary: Mapping[str, Any], console: Console | None = None) -> None:
    """Per-provider figures as rows of metrics, one column per provider (fits 80 columns)."""
    console = console or Console()
    heads, rows = summary_rows(summary)
    table = Table(title=f"{summary.get('scenario', '')} under {summary.get('mechanism', '')}")
    table.add_column(heads[0])
    for head in heads[1:]:
        table.add_column(head, justify="right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if not all(row.get("member", True) for row in summary["providers"].values()):
        console.print("* not a federation member")
    for line in [*federation_lines(summary), *notices(summary)]:
        console.print(line)
