"""Helpers shared by tests/test_release*.py and tests/test_autograde.py."""
from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOSTILE = Path(__file__).resolve().parent


def make_fake_course(dest: Path) -> Path:
    """A copy of tests/hostile/fake_course with the real grading/ and common/ packages beside it."""
    shutil.copytree(HOSTILE / "fake_course", dest)
    shutil.copytree(REPO / "grading", dest / "grading", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "common", dest / "common", ignore=shutil.ignore_patterns("__pycache__"))
    return dest
