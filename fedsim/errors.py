"""Errors and warnings fedsim raises for user mistakes; the CLI prints each as one line,
never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class FedsimError(Exception):
    """A user-facing error: bad input, missing file, unknown name. Its message is complete."""


class ScenarioError(FedsimError):
    """A scenario file (or an override) is invalid; the message names the file and the YAML path."""


class TraceError(FedsimError):
    """A trace file is missing or has a bad row; the message names the file and the line."""


class PluginError(FedsimError):
    """A plug-in (mechanism, scheduler, ...) is unknown, untrusted or badly configured."""


class MechanismError(PluginError):
    """A mechanism name is unknown, untrusted, or its parameters are invalid."""


class OutputError(FedsimError):
    """An output path cannot be written, or holds something fedsim did not write."""


class AccountingError(FedsimError):
    """An accounting identity failed at the end of a run (a bug, reported loudly)."""


class FedsimWarning(UserWarning):
    """Something legitimate but probably unintended (the CLI prints it as one line)."""


def show_warning_line(message: Warning | str, category: type[Warning], filename: str,
                      lineno: int, file: TextIO | None = None, line: str | None = None
                      ) -> None:
    """A ``warnings.showwarning`` that prints one line on stderr (``fedsim: warning:
    ...``), never a source excerpt: the CLI's, and its sweep workers'."""
    text = " ".join(str(message).split())
    if not issubclass(category, FedsimWarning):
        text = f"{category.__name__}: {text}"
    print(f"fedsim: warning: {text}", file=sys.stderr if file is None else file, flush=True)


SCENARIO_PREFIX = "invalid scenario: "


@contextmanager
def in_scenario(source: str) -> Iterator[None]:
    """Name the scenario file in every user error raised inside the block.

    Errors raised while building a run carry the YAML path (``providers[1].dnn...``);
    this adds ``<file>: invalid scenario:`` in front, once, so the message reads like a
    schema error. Errors that already name the file are passed on unchanged.
    """
    try:
        yield
    except (ScenarioError, TraceError, PluginError) as exc:
        text = str(exc)
        if text.startswith(f"{source}:"):
            raise
        raise type(exc)(f"{source}: {SCENARIO_PREFIX}{text}") from None
