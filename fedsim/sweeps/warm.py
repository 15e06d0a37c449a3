"""Imported once by the local pool's fork server (:mod:`fedsim.sweeps.pool`), so that
every worker it forks already has what a run needs in memory."""

from __future__ import annotations

import warnings

from fedsim import api
from fedsim.analysis import run_metrics
from fedsim.errors import show_warning_line
from fedsim.mechanisms import compiled
from fedsim.sweeps import task

__all__ = ["api", "compiled", "run_metrics", "task"]

# this server's warnings (a kernel that cannot load) as one line each, like the CLI's
warnings.showwarning = show_warning_line
compiled.warm()
