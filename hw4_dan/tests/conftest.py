"""hw4 test fixtures: the real SST trees (tests that need them are skipped when they are absent).
(The task markers, e.g. ``pytest hw4_dan -m task_average``, are listed in manifest.yaml.)"""
from __future__ import annotations

from pathlib import Path

import pytest

from common.resources import DatasetNotFoundError, find_dataset


@pytest.fixture(scope="session")
def sst_folder() -> Path:
    """The real SST folder (holding trees/), or skip when it is in none of the usual places."""
    try:
        return find_dataset("sst", download=False)
    except DatasetNotFoundError:
        pytest.skip("SST data not found (set COURSE_DATA or run `make data`); skipping the training checks")
