"""hw9 contextual calibration: content-free inputs become uniform; a hand-computed example."""
from __future__ import annotations

import math

import pytest
import torch

from hw9_icl.calibration import calibrate


@pytest.mark.task_calibrate
@pytest.mark.points(2)
def test_content_free_inputs_become_uniform() -> None:
    content_free = torch.log(torch.tensor([[0.7, 0.1, 0.2]])) - 3.0  # unnormalised over the labels
    calibrated = calibrate(content_free, content_free)
    assert calibrated.shape == (1, 3)
    expected = torch.full((1, 3), -math.log(3))
    assert torch.allclose(calibrated, expected, atol=1e-6), (
        f"calibrating the content-free input itself divides its bias out (q ∝ p / p_cf = 1): expected uniform "
        f"log(1/3) = {expected.tolist()} but got {calibrated.tolist()}")
    several = torch.log(torch.tensor([[0.9, 0.1], [0.5, 0.5], [0.7, 0.3]]))
    mean = torch.softmax(several, -1).mean(0, keepdim=True).log()
    got = calibrate(mean, several).exp()
    assert torch.allclose(got, torch.full((1, 2), 0.5), atol=1e-6), f"the mean content-free input -> uniform, got {got}"


@pytest.mark.task_calibrate
@pytest.mark.points(2)
def test_calibration_by_hand() -> None:
    got = calibrate(torch.log(torch.tensor([[0.8, 0.2]])), torch.log(torch.tensor([[0.9, 0.1]]))).exp()
    expected = torch.tensor([[8 / 9, 2.0]]) / (8 / 9 + 2)
    assert torch.allclose(got, expected, atol=1e-6), (
        f"p = (0.8, 0.2), p_cf = (0.9, 0.1): expected q ∝ p / p_cf = (0.8/0.9, 0.2/0.1), renormalised "
        f"{expected.tolist()}, but got {got.tolist()} (the exp of calibrate's output)")
    shifted = calibrate(torch.log(torch.tensor([[0.8, 0.2]])) - 5, torch.log(torch.tensor([[0.9, 0.1]])) + 1).exp()
    assert torch.allclose(shifted, expected, atol=1e-6), "adding a constant to a row of scores must not matter"
