"""vocab_cross_entropy against torch's cross-entropy and finite differences."""
import numpy as np
import pytest
import torch

from common.gradcheck import check_gradient
from hw3_edugrad.edugrad import Tensor
from hw5_fflm.losses import vocab_cross_entropy

pytestmark = pytest.mark.task_loss
rng = np.random.default_rng(0)


def torch_loss_and_grad(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    t = torch.tensor(logits, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(t, torch.from_numpy(targets))
    loss.backward()
    return loss.item(), t.grad.numpy()


@pytest.mark.points(3)
@pytest.mark.parametrize("batch, classes", [(1, 2), (5, 7), (16, 300)])
def test_value_and_gradient_match_torch(batch, classes):
    logits = rng.normal(scale=3.0, size=(batch, classes))
    targets = rng.integers(0, classes, batch)
    x = Tensor(logits, requires_grad=True)
    loss = vocab_cross_entropy(x, targets=targets)
    loss.backward()
    expected, expected_grad = torch_loss_and_grad(logits, targets)
    assert abs(loss.item() - expected) < 1e-10, f"expected loss {expected} but got {loss.item()}"
    assert np.allclose(x.grad, expected_grad, atol=1e-12), (
        f"expected gradient {expected_grad.ravel()[:4]} ... but got {x.grad.ravel()[:4]} ...")


@pytest.mark.points(2)
def test_gradient_matches_finite_differences_with_an_upstream_gradient():
    logits = rng.normal(size=(4, 6))
    targets = np.array([0, 5, 5, 2])

    def value(z):
        return 2.5 * vocab_cross_entropy(Tensor(z), targets=targets).item()

    def analytic(z):
        x = Tensor(z, requires_grad=True)
        (vocab_cross_entropy(x, targets=targets) * 2.5).backward()
        return x.grad

    check_gradient(value, logits, analytic, name="vocab_cross_entropy")


@pytest.mark.points(1)
def test_float32_in_float32_out_and_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    x = Tensor(logits, requires_grad=True)
    loss = vocab_cross_entropy(x, targets=np.array([0, 1]))
    loss.backward()
    assert loss.value.dtype == np.float32 and x.grad.dtype == np.float32, (
        f"expected float32 loss and gradient but got {loss.value.dtype} and {x.grad.dtype}")
    expected = np.log(3.0) / 2
    assert np.isfinite(loss.item()) and abs(loss.item() - expected) < 1e-6, f"expected {expected} but got {loss.item()}"
    assert np.all(np.isfinite(x.grad)), f"expected a finite gradient but got {x.grad}"


@pytest.mark.points(1)
def test_backward_leaves_the_saved_softmax_intact():
    logits = rng.normal(size=(3, 5))
    x = Tensor(logits, requires_grad=True)
    loss = vocab_cross_entropy(x, targets=np.array([1, 2, 3]))
    loss.backward()
    first = x.grad.copy()
    loss.backward()  # a second pass over the same graph must find the same gradient again
    assert np.allclose(x.grad, 2 * first), "expected the second backward to add the same gradient again"


@pytest.mark.points(0)  # the checks are given code
def test_bad_targets_are_rejected():
    x = Tensor(np.zeros((2, 4)), requires_grad=True)
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        vocab_cross_entropy(x, targets=np.array([0, 4]))
    with pytest.raises(ValueError, match="targets"):
        vocab_cross_entropy(x, targets=np.array([0, 1, 2]))
