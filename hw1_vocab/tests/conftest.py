"""hw1 test setup: one marker per task (``pytest hw1_vocab -m task_zipf``) and data fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest

TASKS = {
    "task_counts": "count_tokens and type_token_counts (counting.py)",
    "task_coverage": "top_k_coverage and types_for_coverage (coverage.py)",
    "task_oov": "oov_rate (oov.py)",
    "task_zipf": "rank_frequency and fit_zipf_exponent (zipf.py)",
    "task_run": "the whole run and the data statement facts (uses every task)",
}


def pytest_configure(config: pytest.Config) -> None:
    for name, description in TASKS.items():
        config.addinivalue_line("markers", f"{name}: hw1 task: {description}")


@pytest.fixture(scope="session")
def sst_folder() -> Path:
    """The real SST folder (holding trees/), or skip when it is in none of the usual places."""
    from common.resources import DatasetNotFoundError, find_dataset

    try:
        return find_dataset("sst", download=False)
    except DatasetNotFoundError:
        pytest.skip("SST data not found (set COURSE_DATA or run `make data`); skipping checks on the real data")


@pytest.fixture(scope="session")
def sst2_folder() -> Path:
    """The real GLUE-style SST-2 folder, or skip."""
    from common.resources import DatasetNotFoundError, find_dataset

    try:
        return find_dataset("sst2", download=False)
    except DatasetNotFoundError:
        pytest.skip("SST-2 data not found (set COURSE_DATA or run `make data`); skipping checks on the real data")


TINY_TREES = {
    "train": ["(3 (2 the) (3 (3 good) (2 film)))", "(1 (2 the) (1 (1 bad) (2 film)))", "(2 (2 The) (2 film))"],
    "dev": ["(3 (2 the) (3 (3 great) (2 film)))", "(1 (2 a) (1 bad) (2 plot))"],
    "test": ["(2 (2 the) (2 end))"],
}


@pytest.fixture()
def tiny_sst(tmp_path: Path) -> Path:
    """A data folder with a hand-made three-sentence SST (sst/trees/{train,dev,test}.txt).

    train tokens: the good film / the bad film / The film -> 8 tokens; types the:2, film:3, good, bad,
    The (5 types). dev: the great film / a bad plot -> 6 tokens; unseen in train: great, a, plot.
    """
    folder = tmp_path / "data" / "sst" / "trees"
    folder.mkdir(parents=True)
    for split, trees in TINY_TREES.items():
        (folder / f"{split}.txt").write_text("\n".join(trees) + "\n", encoding="utf-8")
    return tmp_path / "data"
