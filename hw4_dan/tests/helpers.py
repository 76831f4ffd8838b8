"""Shared pieces of hw4's tests: a torch DAN to compare against, copying weights across, and the quick
check of the tasks that the tests of the given training loop need."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from common.gradcheck import check_gradient
from common.testing import assert_close
from hw3_edugrad.edugrad import Tensor
from hw4_dan.dan import DAN, classification_loss, masked_average, word_dropout

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


def _average_problem() -> str | None:
    x = np.random.default_rng(0).normal(size=(3, 4, 2))
    mask = np.arange(4)[None, :] < np.array([[1], [4], [2]])
    expected = np.stack([sentence[keep].mean(axis=0) for sentence, keep in zip(x, mask, strict=True)])
    got = np.asarray(masked_average(Tensor(x), mask).value)
    if got.shape != expected.shape or not np.allclose(got, expected):
        return f"masked_average: expected {np.round(expected, 4).tolist()} but got {np.round(got, 4).tolist()}"
    return None


def _word_dropout_problem() -> str | None:
    mask = np.arange(6)[None, :] < np.random.default_rng(1).integers(1, 7, size=(50, 1))
    copy, global_state = mask.copy(), np.random.get_state()[1].copy()
    if not np.array_equal(word_dropout(mask, 0.5, np.random.default_rng(0), training=False), mask):
        return "word_dropout: expected the mask unchanged with training=False"
    first = word_dropout(mask, 0.5, np.random.default_rng(2))
    if not np.array_equal(mask, copy):
        return "word_dropout modified the mask it was given"
    if not np.array_equal(first, word_dropout(mask, 0.5, np.random.default_rng(2))):
        return "word_dropout: expected the same mask from two generators with the same seed"
    if not np.array_equal(np.random.get_state()[1], global_state):
        return "word_dropout drew from np.random; draw only from the rng it is given"
    if first.shape != mask.shape or (first & ~mask).any() or not first.any(axis=1).all():
        return "word_dropout: expected a mask of the input's shape, no padding kept, at least one token a row"
    return None


def _forward_problem() -> str | None:
    model = as_float64(DAN(20, 6, 7, 1, 3, "tanh", word_dropout=0.5, rng=np.random.default_rng(3)))
    indices, mask = random_batch(np.random.default_rng(4), batch=5, max_len=4, vocab=20)
    model.eval()
    expected = torch_dan_logits(model, indices, mask)[0].detach().numpy()
    got = np.asarray(model(indices, mask).value)
    if got.shape != expected.shape or not np.allclose(got, expected):
        return (f"DAN.forward in evaluation mode: expected the logits {np.round(expected[0], 4).tolist()} "
                f"but got {np.round(got[0], 4).tolist()} (first sentence)")
    model.train()
    model.set_rng(np.random.default_rng(5))
    first = model(indices, mask).value
    model.set_rng(np.random.default_rng(5))
    if not np.array_equal(first, model(indices, mask).value):
        return "DAN.forward in training mode: expected the same logits from the same generator (use self.rng)"
    return None


def _loss_problem() -> str | None:
    rng = np.random.default_rng(6)
    logits, labels, weights = rng.normal(size=(4, 3)), rng.integers(0, 3, size=4), [rng.normal(size=(2, 3))]
    expected = float(torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(labels))
                     + 0.1 * (weights[0] ** 2).sum())
    got = float(np.asarray(classification_loss(Tensor(logits), labels, [Tensor(weights[0])], 0.1).value))
    if not np.isclose(got, expected):
        return f"classification_loss: expected {expected:.6f} but got {got:.6f}"
    return None


TASK_CHECKS: dict[str, Callable[[], str | None]] = {
    "task_average": _average_problem,
    "task_word_dropout": _word_dropout_problem,
    "task_feedforward": _forward_problem,
    "task_loss": _loss_problem,
}


def unfinished_tasks() -> dict[str, str]:
    """{task marker: what is wrong} for each task of dan.py whose quick check fails (not implemented yet,
    an error, or a wrong result); empty when all work. The given training loop needs them all.
    DAN.forward is checked only once masked_average and word_dropout pass (it calls both)."""
    problems = {}
    for task, check in TASK_CHECKS.items():
        if task == "task_feedforward" and problems:  # DAN.forward calls masked_average and word_dropout
            continue
        try:
            problem = check()
        except NotImplementedError as err:
            problem = f"not implemented yet (NotImplementedError: {err})"
        except Exception as err:  # a student's bug, reported as the task's problem
            problem = f"{type(err).__name__}: {err}"
        if problem is not None:
            problems[task] = problem
    return problems
