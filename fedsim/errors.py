"""Errors fedsim raises for user mistakes; the CLI prints them as one line, never a traceback."""

from __future__ import annotations


class FedsimError(Exception):
    """A user-facing error: bad input, missing file, unknown name. Its message is complete."""


class ScenarioError(FedsimError):
    """A scenario file (or an override) is invalid; the message names the file and the YAML path."""


class TraceError(FedsimError):
    """A trace file is missing or has a bad row; the message names the file and the line."""


class MechanismError(FedsimError):
    """A mechanism name is unknown, or its parameters are invalid."""


class AccountingError(FedsimError):
    """An accounting identity failed at the end of a run (a bug, reported loudly)."""
