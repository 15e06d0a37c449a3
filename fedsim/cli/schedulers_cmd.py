"""``fedsim schedulers``: list the registered local schedulers."""

from __future__ import annotations

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
def schedulers(as_json: bool) -> None:
    """List registered local schedulers (built-in and plug-ins): description, parameters,
    when they decide."""
    from fedsim.cli.plugin_list import show
    from fedsim.errors import PluginError
    from fedsim.schedulers.registry import BUILTIN, available, describe, make, parameters

    rows = []
    for name, target in available().items():
        try:
            text, params = describe(name), parameters(name)
            sched = make(name)
            rounds = f"{sched.default_round_s:g} s" if sched.default_round_s else "events"
            if sched.preemptive:
                rounds += ", preempts"
        except PluginError as exc:
            text, params, rounds = f"(cannot load: {exc})", [], "-"
        source = "built-in" if name in BUILTIN else target
        rows.append({"name": name, "description": text, "parameters": params,
                     "rounds": rounds, "source": source})  # fmt: skip
    show("fedsim local schedulers", rows, {"rounds": lambda r: r["rounds"]}, as_json)
