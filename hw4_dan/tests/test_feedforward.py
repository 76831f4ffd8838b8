"""FeedForward and DAN.forward against the same network in torch: logits and every gradient."""
import numpy as np
import pytest
import torch

from common.testing import assert_close
from hw3_edugrad.edugrad import Tensor, ops
from hw4_dan.dan import DAN, FeedForward

from .helpers import (
    TORCH_ACTIVATIONS,
    as_float64,
    check_against_torch_and_finite_differences,
    random_batch,
    torch_dan_logits,
)

pytestmark = pytest.mark.task_feedforward


@pytest.mark.points(3)
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_feedforward_matches_torch(activation, depth):
    rng = np.random.default_rng(depth)
    layers = FeedForward(4, 5, depth, activation, rng=rng)
    for layer in layers.layers:
        layer.weight.value = layer.weight.value.astype(np.float64)
        layer.bias.value = layer.bias.value.astype(np.float64)
    assert layers.out_dim == (5 if depth else 4), f"expected out_dim {5 if depth else 4} but got {layers.out_dim}"

    def torch_stack(x: torch.Tensor) -> torch.Tensor:
        for layer in layers.layers:
            x = x @ torch.from_numpy(layer.weight.value) + torch.from_numpy(layer.bias.value)
            x = TORCH_ACTIVATIONS[activation](x)
        return x

    check_against_torch_and_finite_differences(layers, torch_stack, rng.normal(size=(3, 4)),
                                               f"FeedForward depth {depth} {activation}")


@pytest.mark.points(1)
def test_feedforward_dropout_only_in_training():
    layers = FeedForward(6, 50, 2, "relu", dropout=0.5, rng=np.random.default_rng(0))
    x = Tensor(np.random.default_rng(1).normal(size=(4, 6)).astype(np.float32))
    layers.eval()
    assert_close(layers(x).value, layers(x).value, "two evaluations (no dropout)")
    layers.train()
    a, b = layers(x).value, layers(x).value
    assert not np.allclose(a, b), "expected dropout to change the output between two training forwards"
    assert (a == 0).mean() > 0.4, f"expected about half of the units zeroed in training but got {(a == 0).mean():.0%}"


@pytest.mark.points(3)
@pytest.mark.parametrize("activation,depth", [("relu", 2), ("tanh", 1), ("relu", 0)])
def test_dan_logits_and_gradients_match_torch(activation, depth):
    rng = np.random.default_rng(depth)
    model = as_float64(DAN(20, 6, 7, depth, 3, activation, word_dropout=0.0, rng=rng))
    indices, mask = random_batch(rng, batch=5, max_len=4, vocab=20)
    labels = rng.integers(0, 3, size=5)
    logits = model(indices, mask)
    expected, params = torch_dan_logits(model, indices, mask)
    assert logits.shape == (5, 3), f"expected logits of shape (5, 3) but got {logits.shape}"
    assert_close(logits.value, expected.detach().numpy(), "DAN logits")
    ops.cross_entropy(logits, labels=labels).backward()
    torch.nn.functional.cross_entropy(expected, torch.from_numpy(labels)).backward()
    for name, parameter in model.named_parameters():
        if name != "embedding.weight":
            assert_close(parameter.grad, params[name].grad.numpy(), f"gradient of {name}")
    # the embedding's gradient covers only the rows the batch used (edugrad.sparse)
    (unique, rows), = model.embedding.used
    assert_close(rows.grad, params["embedding.weight"].grad.numpy()[unique], "gradient of the used embedding rows")


@pytest.mark.points(2)
def test_dan_applies_word_dropout_in_training_only():
    rng = np.random.default_rng(3)
    model = DAN(30, 8, 8, 1, 2, word_dropout=0.5, rng=rng)
    indices, mask = random_batch(rng, batch=64, max_len=10, vocab=30)
    model.eval()
    reference, _ = torch_dan_logits(model, indices, mask, dtype=torch.float32)
    assert_close(model(indices, mask).value, reference.detach().numpy(), "evaluation logits (no word dropout)",
                 rtol=1e-4, atol=1e-5)
    model.train()
    model.set_rng(np.random.default_rng(0))
    first = model(indices, mask).value
    model.set_rng(np.random.default_rng(0))
    assert_close(model(indices, mask).value, first, "training logits with the same generator")
    assert not np.allclose(first, reference.detach().numpy(), atol=1e-4), (
        "expected word dropout to change the training logits, but they equal the evaluation logits")
