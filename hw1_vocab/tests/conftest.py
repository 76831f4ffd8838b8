"""hw1 test fixtures: the real SST data (skipped when absent) and tiny hand-made tree files.
(The task markers, e.g. ``pytest hw1_vocab -m task_zipf``, are listed in manifest.yaml.)"""
from __future__ import annotations

from pathlib import Path

import pytest

from common.resources import DatasetNotFoundError, find_dataset


def _real_dataset(name: str) -> Path:
    try:
        return find_dataset(name, download=False)
    except DatasetNotFoundError:
        pytest.skip(f"{name} data not found (set COURSE_DATA or run `make data`); skipping checks on the real data")


@pytest.fixture(scope="session")
def sst_folder() -> Path:
    """The real SST folder (holding trees/), or skip when it is in none of the usual places."""
    return _real_dataset("sst")


@pytest.fixture(scope="session")
def sst2_folder() -> Path:
    """The real GLUE-style SST-2 folder, or skip."""
    return _real_dataset("sst2")


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
