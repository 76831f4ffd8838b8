"""hw2 test setup: one marker per task, e.g. ``pytest hw2_word2vec -m task_gradients``."""
from __future__ import annotations

import pytest

TASKS = {
    "task_sigmoid": "log_sigmoid and sigmoid, numerically stable (sgns.py)",
    "task_sgns_loss": "the value of sgns_loss_and_gradients' loss (sgns.py)",
    "task_gradients": "the gradients of sgns_loss_and_gradients (sgns.py)",
    "task_scatter": "scatter_add with repeated rows (sgns.py)",
    "task_model": "SGNSModel.step, the whole update (sgns.py)",
    "task_run": "an end-to-end training run (uses every task)",
}


def pytest_configure(config: pytest.Config) -> None:
    for name, description in TASKS.items():
        config.addinivalue_line("markers", f"{name}: hw2 task: {description}")
