"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path:
    env = os.environ.get("FEDSIM_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only public data beside the checkout (``../shared/data``).

    Tests that need it fail loudly if it is missing: CI always has it.
    """
    path = _shared_data_dir()
    if not path.is_dir():
        pytest.fail(f"shared data not found at {path}; set FEDSIM_SHARED_DATA")
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
