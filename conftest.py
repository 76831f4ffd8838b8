"""Repository-wide pytest setup: plots never need a screen, and every homework's task markers
(the ``tasks`` of its manifest.yaml) are registered, so ``pytest hw2_word2vec -m task_gradients`` runs
one task and a misspelt marker is an error (--strict-markers).

Failures are kept readable for students: short tracebacks (the failing line and the message, no
source of every frame, no whole arrays; ``--tb=long`` brings them back), numpy prints long arrays
shortened, and hypothesis prints the failing example without its reproduction blob."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_configure(config: pytest.Config) -> None:
    from common.homeworks import find_homeworks

    for homework in find_homeworks(Path(__file__).resolve().parent):
        for marker, description in homework.tasks:
            config.addinivalue_line("markers", f"{marker}: {homework.name} task: {description}")
    if config.option.tbstyle == "auto":
        config.option.tbstyle = "short"
    _quiet_failures()


def _quiet_failures() -> None:
    import numpy as np

    np.set_printoptions(threshold=60, edgeitems=3)
    try:
        from hypothesis import Phase, settings
    except ImportError:
        return
    # no "explain" phase: its "varied together" notes are noise next to the failing example itself
    settings.register_profile("course", print_blob=False, report_multiple_bugs=False,
                              phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink])
    settings.load_profile("course")
