"""The masked average: padding never counts; value and gradient match torch and finite differences."""
import numpy as np
import pytest
import torch

from common.testing import assert_close
from hw4_dan.dan import masked_average

from .helpers import check_against_torch_and_finite_differences, leaf, torch_masked_average

pytestmark = pytest.mark.task_average
rng = np.random.default_rng(0)
MASK = np.array([[True, True, True, False], [True, False, False, False], [True, True, True, True]])


@pytest.mark.points(2)
def test_average_by_hand():
    embeddings = leaf(np.arange(24.0).reshape(3, 4, 2))
    # row 0: mean of positions 0-2 = (0+2+4)/3, (1+3+5)/3; row 1: position 0 only; row 2: all four
    expected = [[2.0, 3.0], [8.0, 9.0], [19.0, 20.0]]
    assert_close(masked_average(embeddings, MASK).value, expected, "masked average of np.arange(24).reshape(3, 4, 2)")


@pytest.mark.points(2)
def test_padding_values_never_change_the_average_or_get_a_gradient():
    values = rng.normal(size=(3, 4, 5))
    noisy = np.where(MASK[:, :, None], values, rng.normal(size=values.shape) * 1e3)  # huge numbers at padding
    clean, noisy_tensor = leaf(values), leaf(noisy)
    assert_close(masked_average(noisy_tensor, MASK).value, masked_average(clean, MASK).value,
                 "the average with other numbers at the padded positions")
    masked_average(noisy_tensor, MASK).sum().backward()
    assert_close(noisy_tensor.grad[~MASK], np.zeros(((~MASK).sum(), 5)), "the gradient at padded positions")


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", [(3, 4, 5), (1, 1, 3), (6, 2, 1)])
def test_average_and_gradient_match_torch_and_finite_differences(shape):
    mask = rng.random(shape[:2]) < 0.6
    mask[:, 0] = True
    embeddings = rng.normal(size=shape)
    check_against_torch_and_finite_differences(lambda e: masked_average(e, mask),
                                               lambda e: torch_masked_average(e, mask),
                                               embeddings, f"masked_average of {shape}")


@pytest.mark.points(1)
def test_average_keeps_float32():
    embeddings = leaf(rng.normal(size=(2, 3, 4)))
    embeddings.value = embeddings.value.astype(np.float32)
    out = masked_average(embeddings, np.ones((2, 3), dtype=bool))
    assert out.dtype == np.float32, f"expected a float32 average of float32 embeddings but got {out.dtype}"
    assert torch.allclose(torch.from_numpy(out.value), torch.from_numpy(embeddings.value).mean(dim=1))
