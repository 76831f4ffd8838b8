"""common/gradcheck.py: catches wrong and all-zero gradients, restores the random state."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from common.gradcheck import GradientCheckError, check_gradient, numerical_gradient


def _x() -> np.ndarray:
    return np.array([[0.5, -1.0], [2.0, 0.3]])


def test_correct_gradient_passes_and_x_is_restored():
    x = _x()
    check_gradient(lambda v: float(np.sum(v ** 3)), x, lambda v: 3 * v ** 2, name="cube")
    np.testing.assert_array_equal(x, _x())
    np.testing.assert_allclose(numerical_gradient(lambda v: float(np.sum(np.sin(v))), _x()), np.cos(_x()), rtol=1e-6)


def test_wrong_gradient_is_caught_with_both_numbers():
    with pytest.raises(GradientCheckError, match=r"cube at index \(1, 0\): expected 12 .* but got 13"):
        check_gradient(lambda v: float(np.sum(v ** 3)), _x(), 3 * _x() ** 2 + np.array([[0, 0], [1.0, 0]]), name="cube")


def test_all_zero_and_wrong_shape_are_caught():
    with pytest.raises(GradientCheckError, match="analytic gradient is all zero"):
        check_gradient(lambda v: float(np.sum(v ** 2)), _x(), np.zeros((2, 2)))
    with pytest.raises(GradientCheckError, match="both gradients are all zero"):
        check_gradient(lambda v: 1.0, _x(), np.zeros((2, 2)))
    with pytest.raises(GradientCheckError, match=r"shape \(2, 2\) but got \(4,\)"):
        check_gradient(lambda v: float(np.sum(v)), _x(), np.ones(4))
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda v: float(np.sum(v)), _x().astype(np.float32))


def test_random_state_is_restored_for_every_evaluation():
    def noisy(v: np.ndarray) -> float:  # samples a mask like dropout: same draw at each evaluation
        mask = (np.random.rand(*v.shape) > 0.3) * (random.random() + 1) * (float(torch.rand(1)) + 1)
        return float(np.sum(mask * v ** 2))

    def noisy_grad(v: np.ndarray) -> np.ndarray:
        mask = (np.random.rand(*v.shape) > 0.3) * (random.random() + 1) * (float(torch.rand(1)) + 1)
        return 2 * mask * v

    np.random.seed(1)
    random.seed(1)
    torch.manual_seed(1)
    expected_next = np.random.rand()
    np.random.seed(1)
    random.seed(1)
    torch.manual_seed(1)
    check_gradient(noisy, _x(), noisy_grad, name="dropout-like")
    assert np.random.rand() == expected_next, "the global numpy state is the same after the check"
