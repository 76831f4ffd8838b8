"""Extra checks of the DAN, run by the autograder only."""
import numpy as np
import pytest
import torch

from common.testing import assert_close
from hw3_edugrad.edugrad import Tensor
from hw4_dan.dan import DAN, classification_loss, masked_average, word_dropout

from .helpers import as_float64, check_against_torch_and_finite_differences, leaf, random_batch

pytestmark = pytest.mark.hidden


@pytest.mark.task_average
@pytest.mark.points(1)
def test_average_of_one_token_is_that_token_and_mask_can_be_int():
    embeddings = leaf(np.random.default_rng(0).normal(size=(2, 5, 3)))
    mask = np.zeros((2, 5), dtype=np.int64)
    mask[0, 3] = mask[1, 0] = 1  # 0/1 integers instead of booleans
    out = masked_average(embeddings, mask.astype(bool))
    assert_close(out.value, embeddings.value[[0, 1], [3, 0]], "the average of a single kept token")


@pytest.mark.task_word_dropout
@pytest.mark.points(1)
def test_word_dropout_never_resurrects_a_padding_position_in_single_token_rows():
    mask = np.zeros((500, 6), dtype=bool)
    mask[:, 0] = True
    kept = word_dropout(mask, 0.9, np.random.default_rng(1))
    assert (kept == mask).all(), "a one-token row must keep exactly its token, whatever p"


@pytest.mark.task_word_dropout
@pytest.mark.points(1)
def test_word_dropout_draws_depend_only_on_the_generator():
    mask = np.ones((40, 7), dtype=bool)
    a = word_dropout(mask, 0.4, np.random.default_rng(3))
    np.random.seed(0)
    b = word_dropout(mask, 0.4, np.random.default_rng(3))
    np.random.seed(1)
    c = word_dropout(mask, 0.4, np.random.default_rng(3))
    assert (a == b).all() and (b == c).all(), "word_dropout must draw from the rng it is given, not np.random"


@pytest.mark.task_feedforward
@pytest.mark.points(2)
def test_whole_dan_gradient_by_finite_differences():
    rng = np.random.default_rng(4)
    model = as_float64(DAN(12, 3, 4, 2, 3, "tanh", rng=rng))
    indices, mask = random_batch(rng, batch=4, max_len=3, vocab=12)
    labels = np.array([0, 2, 1, 2])
    weight = model.feedforward.layers[0].weight

    check_against_torch_and_finite_differences(lambda t: _with_weight(model, weight, t, indices, mask, labels),
                                               lambda w: _torch_reference(model, w, indices, mask, labels),
                                               weight.value.copy(),
                                               "loss as a function of the first hidden layer's weight")


def _with_weight(model, weight, tensor: Tensor, indices, mask, labels):
    saved = weight.value
    model.feedforward.layers[0].weight = tensor
    try:
        return classification_loss(model(indices, mask), labels, model.weight_matrices(), 0.01)
    finally:
        model.feedforward.layers[0].weight = weight
        weight.value = saved


def _torch_reference(model, w: torch.Tensor, indices, mask, labels) -> torch.Tensor:
    table = torch.from_numpy(model.embedding.weight.value)
    weights = torch.from_numpy(mask.astype(np.float64))[:, :, None]
    x = (table[torch.from_numpy(indices)] * weights).sum(1) / weights.sum(1)
    layers = model.feedforward.layers
    x = torch.tanh(x @ w + torch.from_numpy(layers[0].bias.value))
    x = torch.tanh(x @ torch.from_numpy(layers[1].weight.value) + torch.from_numpy(layers[1].bias.value))
    logits = x @ torch.from_numpy(model.output.weight.value) + torch.from_numpy(model.output.bias.value)
    penalty = (w * w).sum() + sum(float(np.sum(m.value ** 2)) for m in model.weight_matrices()[1:])
    return torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels)) + 0.01 * penalty


@pytest.mark.task_loss
@pytest.mark.points(1)
def test_loss_with_no_weights_is_the_cross_entropy():
    logits = Tensor(np.array([[2.0, 0.0, -1.0]]))
    loss = classification_loss(logits, np.array([0]), [], 0.5)
    logits64 = torch.tensor([[2.0, 0.0, -1.0]], dtype=torch.float64)
    expected = torch.nn.functional.cross_entropy(logits64, torch.tensor([0]))
    assert abs(loss.item() - expected.item()) < 1e-12, f"expected {expected.item()} but got {loss.item()}"
