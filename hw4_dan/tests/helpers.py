"""Shared pieces of hw4's tests: a torch DAN to compare against, and copying weights across."""
from __future__ import annotations

import numpy as np
import torch

from common.gradcheck import check_gradient
from hw3_edugrad.edugrad import Tensor
from hw4_dan.dan import DAN

TORCH_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh}


def torch_masked_average(embeddings: torch.Tensor, mask: np.ndarray) -> torch.Tensor:
    """[B, T, d] and a [B, T] bool mask -> [B, d], the mean over the True positions (the reference):
    one sentence at a time, the mean of the rows its mask selects."""
    rows = [sentence[torch.from_numpy(keep)].mean(dim=0) for sentence, keep in zip(embeddings, mask, strict=True)]
    return torch.stack(rows)


def torch_dan_logits(model: DAN, indices: np.ndarray, mask: np.ndarray, dtype=torch.float64):
    """The logits of `model` (its current weights, no dropout) computed in torch, and the torch
    parameters as {name: tensor requiring grad} (embedding.weight, feedforward.layers.i.weight, ...)."""
    params = {name: torch.tensor(p.value, dtype=dtype, requires_grad=True) for name, p in model.named_parameters()}
    table = params.get("embedding.weight", torch.tensor(model.embedding.weight.value, dtype=dtype))
    x = torch_masked_average(table[torch.from_numpy(indices)], mask)  # (B, d)
    g = TORCH_ACTIVATIONS[model.feedforward.activation]
    for i in range(len(model.feedforward.layers)):
        x = g(x @ params[f"feedforward.layers.{i}.weight"] + params[f"feedforward.layers.{i}.bias"])
    return x @ params["output.weight"] + params["output.bias"], params


def as_float64(model: DAN) -> DAN:
    """The same model with float64 parameters (for tight comparisons and finite differences)."""
    for _, parameter in model.named_parameters():
        parameter.value = parameter.value.astype(np.float64)
    model.embedding.weight.value = model.embedding.weight.value.astype(np.float64)
    return model


def random_batch(rng: np.random.Generator, batch: int, max_len: int, vocab: int) -> tuple[np.ndarray, np.ndarray]:
    """Padded indices [batch, max_len] (pad index 0) and mask, lengths 1..max_len with one full row."""
    lengths = rng.integers(1, max_len + 1, size=batch)
    lengths[0] = max_len
    mask = np.arange(max_len)[None, :] < lengths[:, None]
    indices = np.where(mask, rng.integers(1, vocab, size=(batch, max_len)), 0)
    return indices, mask


def leaf(array: np.ndarray) -> Tensor:
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


def assert_close(actual, expected, what: str, rtol: float = 1e-7, atol: float = 1e-9) -> None:
    """Arrays agree within tolerance; otherwise 'expected … but got …' at the worst entry."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: expected shape {expected.shape} but got {actual.shape}"
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        worst = np.unravel_index(np.argmax(np.abs(actual - expected)), actual.shape) if actual.ndim else ()
        raise AssertionError(f"{what}: expected {expected[worst]!r} but got {actual[worst]!r} at index "
                             f"{tuple(int(i) for i in worst)}")


def check_against_torch_and_finite_differences(edugrad_fn, torch_fn, x: np.ndarray, what: str) -> None:
    """edugrad_fn(Tensor) and torch_fn(torch tensor) agree in value and in the gradient of sum(out * G)
    (G a fixed random array), and that gradient agrees with central differences (float64)."""
    weights = np.random.default_rng(99).uniform(-1.5, 1.5, size=edugrad_fn(Tensor(x)).shape)
    tensor = leaf(x)
    out = edugrad_fn(tensor)
    torch_x = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    expected = torch_fn(torch_x)
    assert_close(out.value, expected.detach().numpy(), f"{what}: value")
    out.backward(weights)
    (expected * torch.from_numpy(weights)).sum().backward()
    assert_close(tensor.grad, torch_x.grad.numpy(), f"{what}: gradient")

    def analytic(point: np.ndarray) -> np.ndarray:
        variable = leaf(point)
        edugrad_fn(variable).backward(weights)
        return variable.grad

    def weighted_output(point: np.ndarray) -> float:
        return float(np.sum(edugrad_fn(Tensor(point)).value * weights))

    check_gradient(weighted_output, np.array(x, dtype=np.float64), analytic, name=what)
