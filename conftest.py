"""Repository-wide pytest setup: plots never need a screen, and every homework's task markers
(the ``tasks`` of its manifest.yaml) are registered, so ``pytest hw2_word2vec -m task_gradients`` runs
one task and a misspelt marker is an error (--strict-markers)."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_configure(config: pytest.Config) -> None:
    from grading.course import find_homeworks

    for homework in find_homeworks(Path(__file__).resolve().parent):
        for marker, description in homework.tasks:
            config.addinivalue_line("markers", f"{marker}: {homework.name} task: {description}")
