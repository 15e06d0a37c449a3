"""Options shared by the commands that run scenarios: ``--set``, ``--trust-code`` and the
run limits, declared once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from fedsim.config.budget import RunLimits

SET_HELP = "Override a scenario key, e.g. --set federation.epoch_s=600 (repeatable)."
TRUST_HELP = (
    "Let the scenario name this mechanism class, e.g. my_rules:CostPlus (repeatable). "
    "A scenario file alone can only name built-in and installed plug-ins: a "
    "'module:Class' runs code, so only you can allow it."
)


def scenario_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--set``, ``--trust-code``, ``--max-memory-gb`` and ``--max-cpu-h``."""
    from fedsim.config.budget import DEFAULT_MAX_CPU_H

    options = [
        click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP),
        click.option("--trust-code", "trust_code", multiple=True, metavar="MODULE:CLASS",
                     help=TRUST_HELP),
        click.option("--max-memory-gb", type=float, default=None,
                     help="Refuse a run estimated to need more (default: half of RAM)."),
        click.option("--max-cpu-h", type=float, default=DEFAULT_MAX_CPU_H, show_default=True,
                     help="Refuse a run estimated to take more CPU hours."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def run_limits(max_memory_gb: float | None, max_cpu_h: float) -> RunLimits:
    from fedsim.config.budget import RunLimits
    from fedsim.errors import FedsimError

    if max_memory_gb is not None and not max_memory_gb > 0:
        raise FedsimError(f"--max-memory-gb must be > 0, got {max_memory_gb}")
    if not max_cpu_h > 0:
        raise FedsimError(f"--max-cpu-h must be > 0, got {max_cpu_h}")
    return RunLimits(
        max_memory_bytes=None if max_memory_gb is None else max_memory_gb * 2**30,
        max_cpu_s=max_cpu_h * 3600.0,
    )


def backend_options(fn):
    """``--backend local|ray`` and ``--address`` (Ray only)."""
    fn = click.option("--address", default=None, metavar="auto|HOST:PORT",
                      help="Ray: join this cluster (default: a private local Ray on "
                      "127.0.0.1).")(fn)
    return click.option("--backend", type=click.Choice(["local", "ray"]), default="local",
                        show_default=True, help="Where the runs execute.")(fn)
