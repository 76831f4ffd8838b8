"""common/seed.py: the same seed gives the same numbers from random, numpy and torch."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from common.seed import seed_everything


def _draw(seed: int) -> tuple:
    generator = seed_everything(seed)
    return (random.random(), float(np.random.rand()), float(torch.rand(1)), float(generator.random()),
            float(torch.nn.Linear(3, 1).weight.detach().sum()))


def test_same_seed_same_numbers():
    assert _draw(7) == _draw(7)
    different = _draw(8)
    assert all(a != b for a, b in zip(_draw(7), different, strict=True))


def test_bad_seed():
    with pytest.raises(ValueError, match="non-negative int"):
        seed_everything(-1)
    with pytest.raises(ValueError, match="non-negative int"):
        seed_everything("3")
