"""Entry point of the ``fedsim`` command: a click group whose sub-commands live in
their own modules and are imported only when invoked (so ``fedsim --help`` stays fast
and never imports torch or ray)."""

from __future__ import annotations

import importlib
import sys
import warnings

import click

from fedsim.errors import FedsimError, FedsimWarning, show_warning_line

# command name -> "module:attribute" of a click.Command
COMMANDS: dict[str, str] = {
    "run": "fedsim.cli.run_cmd:run",
    "validate": "fedsim.cli.run_cmd:validate",
    "mechanisms": "fedsim.cli.mechanisms_cmd:mechanisms",
    "schedulers": "fedsim.cli.schedulers_cmd:schedulers",
    "compare": "fedsim.cli.compare_cmd:compare",
    "coalitions": "fedsim.cli.coalitions_cmd:coalitions",
    "sweep": "fedsim.cli.sweep_cmd:sweep",
    "plot": "fedsim.cli.plot_cmd:plot",
    "report": "fedsim.cli.report_cmd:report",
    "perfmodel": "fedsim.cli.perfmodel_cmd:perfmodel",
    "calibrate": "fedsim.cli.calibrate_cmd:calibrate",
}


class LazyGroup(click.Group):
    """A group that imports a sub-command's module only when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        return getattr(importlib.import_module(module_name), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fedsim")
def cli() -> None:
    """fedsim: simulate the economics of cloud federations."""


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a user mistake is one line on stderr and exit code 2, never a traceback."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libraries' deprecation notes are not the user's
        warnings.simplefilter("always", FedsimWarning)
        warnings.showwarning = show_warning_line
        _main(argv)


def _main(argv: list[str] | None) -> None:
    try:
        cli.main(args=argv, prog_name="fedsim", standalone_mode=False)
    except FedsimError as exc:
        click.echo(f"fedsim: error: {_one_line(exc)}", err=True)
        sys.exit(2)
    except OSError as exc:  # the machine, not fedsim: a full or read-only disk, a lost file
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        click.echo(f"fedsim: error: {where}{_one_line(exc.strerror or exc)}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("fedsim: aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:  # one line, like every other mistake
        command = exc.ctx.command_path if exc.ctx is not None else "fedsim"
        click.echo(
            f"fedsim: error: {_one_line(exc.format_message())} (see '{command} --help')",
            err=True,
        )
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"fedsim: error: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
