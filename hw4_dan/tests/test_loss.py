"""The classifier's loss: cross-entropy plus l2 times the summed squares of the weight matrices."""
import numpy as np
import pytest
import torch

from common.testing import assert_close
from hw3_edugrad.edugrad import Tensor
from hw4_dan.dan import DAN, classification_loss

from .helpers import as_float64, leaf, random_batch

pytestmark = pytest.mark.task_loss
F = torch.nn.functional


@pytest.mark.points(2)
@pytest.mark.parametrize("l2", [0.0, 0.01, 0.5])
def test_loss_and_gradients_match_torch(l2):
    rng = np.random.default_rng(int(l2 * 100))
    logits_value, labels = rng.normal(size=(6, 5)), rng.integers(0, 5, size=6)
    weight_values = [rng.normal(size=(4, 3)), rng.normal(size=(3, 5))]
    logits, weights = leaf(logits_value), [leaf(w) for w in weight_values]
    loss = classification_loss(logits, labels, weights, l2)
    torch_logits = torch.tensor(logits_value, requires_grad=True)
    torch_weights = [torch.tensor(w, requires_grad=True) for w in weight_values]
    expected = F.cross_entropy(torch_logits, torch.from_numpy(labels)) + l2 * sum((w * w).sum() for w in torch_weights)
    assert_close(loss.value, expected.item(), f"loss with l2={l2}")
    loss.backward()
    expected.backward()
    assert_close(logits.grad, torch_logits.grad.numpy(), "gradient of the logits")
    for i, (w, tw) in enumerate(zip(weights, torch_weights, strict=True)):
        if l2 == 0:
            assert w.grad is None or not np.any(w.grad), f"with l2=0 weight {i} should get no gradient from the loss"
        else:
            assert_close(w.grad, tw.grad.numpy(), f"gradient of weight {i}")


@pytest.mark.points(2)
def test_loss_by_hand():
    # two classes, equal logits: cross-entropy log 2; one weight [[1, 2]]: penalty 0.1 * 5
    loss = classification_loss(Tensor(np.zeros((3, 2))), np.array([0, 1, 1]), [Tensor(np.array([[1.0, 2.0]]))], 0.1)
    expected = np.log(2) + 0.5
    assert abs(loss.item() - expected) < 1e-12, f"expected log 2 + 0.5 = {expected} but got {loss.item()}"


@pytest.mark.points(1)
def test_loss_of_a_dan_penalises_its_weight_matrices():
    rng = np.random.default_rng(0)
    model = as_float64(DAN(10, 4, 4, 2, 2, rng=rng))
    indices, mask = random_batch(rng, batch=3, max_len=3, vocab=10)
    labels = np.array([0, 1, 1])
    weights = model.weight_matrices()
    assert len(weights) == 3, f"expected 2 hidden and 1 output weight matrices but got {len(weights)}"
    plain = classification_loss(model(indices, mask), labels, weights, 0.0).item()
    penalised = classification_loss(model(indices, mask), labels, weights, 0.01).item()
    squares = sum(float(np.sum(w.value ** 2)) for w in weights)
    assert abs(penalised - plain - 0.01 * squares) < 1e-10, (
        f"expected the penalty 0.01 * {squares:.4f} but got {penalised - plain:.6f}")
    with pytest.raises(ValueError, match="l2"):
        classification_loss(model(indices, mask), labels, weights, -1.0)
