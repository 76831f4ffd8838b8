"""edugrad.nn: Linear against torch.nn.Linear, and the Module machinery."""
import numpy as np
import pytest
import torch

from common.testing import assert_close
from hw3_edugrad.edugrad import Tensor, nn, ops

from .edugrad_helpers import compare_with_torch

pytestmark = pytest.mark.task_nn


class TwoLayer(nn.Module):
    def __init__(self, rng=None, dtype=np.float32):
        self.hidden = nn.Linear(4, 3, rng=rng, dtype=dtype)
        self.dropout = nn.Dropout(0.5, rng=rng)
        self.out = nn.Linear(3, 2, rng=rng, dtype=dtype)

    def forward(self, x):  # x: [batch, 4]
        return self.out(self.dropout(ops.relu(self.hidden(x))))  # [batch, 2]


@pytest.mark.points(2)
@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4)])
def test_linear_matches_torch(x_shape):
    rng = np.random.default_rng(0)
    layer = nn.Linear(4, 3, rng=rng, dtype=np.float64)
    x = rng.normal(size=x_shape)
    weight, bias = layer.weight.value, layer.bias.value

    def edugrad_fn(x, w, b):
        layer.weight, layer.bias = w, b
        return layer(x)

    def torch_fn(x, w, b):
        return torch.nn.functional.linear(x, w.T, b)  # torch stores the weight as [out, in]

    compare_with_torch(edugrad_fn, torch_fn, [x, weight, bias], f"Linear on input {x_shape}")


@pytest.mark.points(1)
def test_linear_shapes_initialisation_and_seed():
    layer = nn.Linear(300, 200, rng=np.random.default_rng(1))
    assert layer.weight.shape == (300, 200) and layer.bias.shape == (200,), "expected weight [in, out], bias [out]"
    assert layer.weight.dtype == np.float32, f"expected float32 parameters by default but got {layer.weight.dtype}"
    bound = 1 / np.sqrt(300)
    assert np.abs(layer.weight.value).max() <= bound, f"expected weights within ±{bound:.4f}"
    same = nn.Linear(300, 200, rng=np.random.default_rng(1))
    assert_close(same.weight.value, layer.weight.value, "weights drawn with the same seed")
    x = Tensor(np.ones((2, 300), dtype=np.float32))
    assert layer(x).shape == (2, 200) and layer(x).dtype == np.float32
    assert nn.Linear(3, 2, bias=False).parameters()[0].shape == (3, 2)


@pytest.mark.points(2)
def test_module_finds_parameters_and_switches_modes():
    model = TwoLayer(rng=np.random.default_rng(0))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"], f"got {names}"
    stack = nn.Sequential(model, nn.ReLU(), nn.Linear(2, 2))
    assert len(stack.parameters()) == 6, f"expected 6 parameters but got {len(stack.parameters())}"
    tied = nn.Sequential(model, model)
    assert len(tied.parameters()) == 4, "expected a shared module's parameters to be listed once"

    x = Tensor(np.ones((50, 4), dtype=np.float32))
    stack.eval()
    assert not model.dropout.training, "expected eval() to reach nested modules"
    assert_close(stack(x).value, stack(x).value, "two evaluations in eval mode")
    stack.train()
    assert model.dropout.training, "expected train() to reach nested modules"
    assert not np.allclose(model(x).value, model(x).value), "expected dropout to differ between calls in training"


@pytest.mark.points(1)
def test_module_zero_grad_and_embedding():
    embedding = nn.Embedding(10, 4, rng=np.random.default_rng(0))
    indices = np.array([[1, 2], [2, 9]])
    vectors = embedding(indices)  # [2, 2, 4]
    assert_close(vectors.value, embedding.weight.value[indices], "embedding rows")
    ops.sum(vectors).backward()
    assert embedding.weight.grad[2].sum() == pytest.approx(8.0), "expected row 2 (used twice) to get gradient 2"
    embedding.zero_grad()
    assert all(p.grad is None for p in embedding.parameters()), "expected zero_grad to clear every gradient"
