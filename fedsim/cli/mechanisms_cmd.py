"""``fedsim mechanisms``: list the registered mechanisms."""

from __future__ import annotations

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
def mechanisms(as_json: bool) -> None:
    """List registered mechanisms (built-in and plug-ins): description and parameters."""
    from fedsim.cli.plugin_list import show
    from fedsim.errors import MechanismError
    from fedsim.mechanisms import available, describe
    from fedsim.mechanisms.registry import BUILTIN, parameters

    rows = []
    for name, target in available().items():
        try:
            text, params = describe(name), parameters(name)
        except MechanismError as exc:
            text, params = f"(cannot load: {exc})", []
        rows.append({"name": name, "description": text, "parameters": params,
                     "source": "built-in" if name in BUILTIN else target})  # fmt: skip
    show("fedsim mechanisms", rows, {}, as_json)
