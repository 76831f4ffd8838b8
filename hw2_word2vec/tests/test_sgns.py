"""hw2 SGNS: stable log-sigmoid, the loss (hand-computed and torch), gradients by finite differences,
scatter-add with repeated rows, one model step against torch and repeated steps that lower the loss."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from common.gradcheck import check_gradient
from common.testing import assert_close, fails_on_overflow
from hw2_word2vec.sgns import (
    SGNSModel,
    log_sigmoid,
    scatter_add,
    sgns_loss_and_gradients,
    sgns_score_gradients,
    sigmoid,
)

REPEATED_ROWS = ("a row that appears several times in rows must get the sum of all its updates; matrix[rows] += ... "
                 "keeps only one of them (build the sparse [V, B] matrix, or use np.add.at)")
STABLE_LOG_SIGMOID = ("let exp see only -|x|: log σ(x) = min(x, 0) - log1p(exp(-|x|)) and σ(x) = 1 / (1 + exp(-|x|)) "
                      "for x >= 0, exp(-|x|) / (1 + exp(-|x|)) for x < 0")


def assert_rows_close(table: np.ndarray, expected: np.ndarray, rows: np.ndarray, what: str, cause: str,
                      atol: float = 1e-6) -> None:
    """Compare two [V, d] tables after an update of `rows` (any shape); the failure names the entry that
    differs most, every row that differs with how often the update used it, and the likely cause."""
    if table.shape == expected.shape:
        differ = np.flatnonzero(~np.isclose(table, expected, rtol=0, atol=atol).all(axis=1))
        uses = np.bincount(np.asarray(rows).reshape(-1), minlength=len(table))
        cause = (f"the rows that differ, {differ.tolist()}, were used {uses[differ].tolist()} times by the update; "
                 f"{cause}")
    assert_close(table, expected, what, rtol=0, atol=atol, cause=cause)


def random_batch(batch: int = 4, k: int = 3, dim: int = 5, seed: int = 0, scale: float = 0.7):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(batch, dim)) * scale, rng.normal(size=(batch, dim)) * scale,
            rng.normal(size=(batch, k, dim)) * scale)


def torch_reference(e: np.ndarray, c: np.ndarray, n: np.ndarray):
    """Loss and gradients by torch autograd (float64)."""
    te, tc, tn = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (e, c, n))
    positive = (te * tc).sum(-1)
    negative = torch.einsum("bkd,bd->bk", tn, te)
    loss = -(torch.nn.functional.logsigmoid(positive).sum() + torch.nn.functional.logsigmoid(-negative).sum())
    loss.backward()
    return loss.item(), te.grad.numpy(), tc.grad.numpy(), tn.grad.numpy()


@pytest.mark.task_sigmoid
@pytest.mark.points(1)
def test_log_sigmoid_and_sigmoid_are_stable() -> None:
    x = np.array([-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0])
    with fails_on_overflow(f"log_sigmoid and sigmoid of {x.tolist()}", STABLE_LOG_SIGMOID):
        got_log, got = log_sigmoid(x), sigmoid(x)
    expected_log = -np.logaddexp(0.0, -x)
    assert_close(got_log, expected_log, f"log_sigmoid of {x.tolist()}", rtol=1e-12, atol=0)
    assert_close(got, np.exp(expected_log), f"sigmoid of {x.tolist()}", rtol=1e-12, atol=1e-300)
    assert log_sigmoid(np.float32([-200.0])).dtype == np.float32, "keep the input's dtype (float32 stays float32)"


@pytest.mark.task_sgns_loss
@pytest.mark.points(1)
def test_loss_hand_computed() -> None:
    # e = (1, 0), c = (2, 0): e.c = 2; negatives (0, 1) and (-1, 0): e.n = 0 and -1
    # loss = -log σ(2) - log σ(0) - log σ(1) = log(1 + e^-2) + log 2 + log(1 + e^-1)
    e, c = np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]])
    n = np.array([[[0.0, 1.0], [-1.0, 0.0]]])
    loss, *_ = sgns_loss_and_gradients(e, c, n)
    expected = np.log1p(np.exp(-2)) + np.log(2) + np.log1p(np.exp(-1))
    assert isinstance(loss, float), f"expected a Python float but got {type(loss).__name__}"
    assert loss == pytest.approx(expected, rel=1e-12), f"expected {expected} but got {loss}"


@pytest.mark.task_sgns_loss
@pytest.mark.points(1)
def test_loss_is_a_sum_and_stable_for_large_scores() -> None:
    e, c, n = random_batch(batch=6, k=4, dim=3, seed=1, scale=300.0)  # scores in the tens of thousands
    with fails_on_overflow("sgns_loss_and_gradients with scores in the tens of thousands", STABLE_LOG_SIGMOID):
        loss, grad_e, grad_c, grad_n = sgns_loss_and_gradients(e, c, n)
    expected = torch_reference(e, c, n)[0]
    assert np.isfinite(loss) and loss == pytest.approx(expected, rel=1e-9), f"expected {expected} but got {loss}"
    halves = [sgns_loss_and_gradients(e[s], c[s], n[s])[0] for s in (slice(0, 3), slice(3, 6))]
    assert loss == pytest.approx(sum(halves), rel=1e-12), "the batch loss must be the SUM over pairs"


@pytest.mark.task_gradients
@pytest.mark.points(3)
@pytest.mark.parametrize("which", ["target", "context", "negatives"])
def test_gradients_match_finite_differences(which: str) -> None:
    inputs = list(random_batch(batch=3, k=2, dim=4, seed=2))
    position = {"target": 0, "context": 1, "negatives": 2}[which]

    def loss_of(x: np.ndarray) -> float:
        args = list(inputs)
        args[position] = x
        return sgns_loss_and_gradients(*args)[0]

    analytic = sgns_loss_and_gradients(*inputs)[1 + position]
    check_gradient(loss_of, inputs[position].copy(), analytic, rtol=1e-5, atol=1e-8, name=f"grad_{which}")


@pytest.mark.task_gradients
@pytest.mark.points(1)
def test_gradients_match_torch_and_keep_dtype() -> None:
    e, c, n = random_batch(batch=8, k=5, dim=6, seed=3)
    got = sgns_loss_and_gradients(e, c, n)
    expected = torch_reference(e, c, n)
    for name, g, r in zip(["target", "context", "negatives"], got[1:], expected[1:], strict=True):
        assert_close(g, r, f"grad_{name} against torch autograd", rtol=1e-9, atol=1e-12)
    got32 = sgns_loss_and_gradients(*(x.astype(np.float32) for x in (e, c, n)))
    assert all(g.dtype == np.float32 for g in got32[1:]), "float32 inputs must give float32 gradients (speed)"


@pytest.mark.task_scatter
@pytest.mark.points(1)
def test_scatter_add_sums_repeated_rows() -> None:
    rng = np.random.default_rng(4)
    matrix = rng.normal(size=(6, 3)).astype(np.float32)
    rows = np.array([2, 0, 2, 5, 2, 0])
    updates = rng.normal(size=(6, 3)).astype(np.float32)
    expected = matrix.copy()
    for row, update in zip(rows, updates, strict=True):
        expected[row] += -0.5 * update
    scatter_add(matrix, rows, updates, scale=-0.5)
    assert_rows_close(matrix, expected, rows, "scatter_add(matrix, rows [2, 0, 2, 5, 2, 0], updates, scale=-0.5)",
                      REPEATED_ROWS)
    assert matrix.dtype == np.float32, f"expected the float32 matrix to stay float32 but got {matrix.dtype}"


@pytest.mark.task_scatter
@pytest.mark.points(1)
def test_weighted_scatter_add_matches_np_add_at() -> None:
    rng = np.random.default_rng(5)
    matrix = rng.normal(size=(7, 4)).astype(np.float32)
    rows = np.array([[3, 3, 0], [6, 3, 1]])                       # row 3 three times, twice in one pair
    weights = rng.normal(size=(2, 3)).astype(np.float32)
    vectors = rng.normal(size=(2, 4)).astype(np.float32)
    expected = matrix.copy()
    np.add.at(expected, rows.reshape(-1), 0.1 * (weights[:, :, None] * vectors[:, None, :]).reshape(-1, 4))
    scatter_add(matrix, rows, vectors, weights=weights, scale=0.1)
    assert_rows_close(matrix, expected, rows, "scatter_add(matrix, rows [[3, 3, 0], [6, 3, 1]], vectors, weights, "
                      "scale=0.1) against np.add.at", f"row rows[b, j] gets scale * weights[b, j] * vectors[b]; "
                      f"{REPEATED_ROWS}")


@pytest.mark.task_gradients
@pytest.mark.points(1)
def test_score_gradients_by_hand() -> None:
    scores = np.array([[0.0, 0.0, np.log(3.0)]])                 # σ(0) = 1/2, σ(log 3) = 3/4
    loss, d_scores = sgns_score_gradients(scores)
    expected_loss = np.log(2.0) + np.log(2.0) + np.log(4.0)      # -log σ(0) - log σ(-0) - log σ(-log 3)
    assert loss == pytest.approx(expected_loss), f"expected loss {expected_loss} but got {loss}"
    assert_close(d_scores, [[-0.5, 0.5, 0.75]], "dL/dscores of the scores [[0, 0, log 3]]", rtol=1e-5, atol=1e-8)


@pytest.mark.task_model
@pytest.mark.points(0)  # checks given code (the constructor), so it is worth no points
def test_model_initialisation() -> None:
    model = SGNSModel(50, 8, np.random.default_rng(0))
    E, C = model.target_embeddings, model.context_embeddings
    assert E.shape == C.shape == (50, 8) and E.dtype == C.dtype == np.float32
    assert np.all(np.abs(E) <= 0.5 / 8) and E.std() > 0.01, "E must be uniform in [-0.5/d, 0.5/d]"
    assert not np.any(C), "C starts at zero (word2vec)"


@pytest.mark.task_model
@pytest.mark.points(2)
def test_step_matches_torch_sgd_with_repeated_rows() -> None:
    rng = np.random.default_rng(5)
    model = SGNSModel(7, 4, rng)
    model.context_embeddings[:] = rng.normal(size=(7, 4)) * 0.3
    targets = np.array([1, 1, 3, 0])
    contexts = np.array([2, 1, 2, 6])
    negatives = np.array([[2, 5], [5, 5], [1, 2], [3, 2]])  # rows repeat within and across pairs
    E = torch.tensor(model.target_embeddings, dtype=torch.float64, requires_grad=True)
    C = torch.tensor(model.context_embeddings, dtype=torch.float64, requires_grad=True)
    t, c, n = (torch.tensor(a) for a in (targets, contexts, negatives))
    loss = -(torch.nn.functional.logsigmoid((E[t] * C[c]).sum(-1)).sum()
             + torch.nn.functional.logsigmoid(-torch.einsum("bkd,bd->bk", C[n], E[t])).sum())
    loss.backward()
    lr = 0.3
    expected_E = (E - lr * E.grad).detach().numpy()
    expected_C = (C - lr * C.grad).detach().numpy()
    got_loss = model.step(targets, contexts, negatives, lr)
    assert got_loss == pytest.approx(loss.item(), rel=1e-5), (
        f"expected the loss before the update {loss.item()} but got {got_loss}"
    )
    assert_rows_close(model.target_embeddings, expected_E, targets, "E after the step, against torch's SGD",
                      "E[targets[b]] -= lr * grad_target[b], a target used several times getting the sum "
                      "(scatter_add(E, targets, grad_target, scale=-lr))", atol=1e-5)
    output_rows = np.concatenate([contexts[:, None], negatives], axis=1)
    assert_rows_close(model.context_embeddings, expected_C, output_rows, "C after the step, against torch's SGD",
                      "row [contexts, negatives][b, j] of C gets -lr * dL/ds[b, j] * e_b: scatter_add(C, rows "
                      "[B, 1 + k], the targets' vectors e [B, d], weights=d_scores, scale=-lr)", atol=1e-5)


@pytest.mark.task_model
@pytest.mark.points(1)
def test_steps_reduce_the_loss() -> None:
    model = SGNSModel(20, 6, np.random.default_rng(0))
    rng = np.random.default_rng(1)
    targets, contexts = rng.integers(0, 20, 64), rng.integers(0, 20, 64)
    negatives = rng.integers(0, 20, (64, 3))
    first = model.step(targets, contexts, negatives, 0.05)
    for _ in range(30):
        last = model.step(targets, contexts, negatives, 0.05)
    assert last < 0.9 * first, f"expected the loss to fall by 10% on a repeated batch, got {first} -> {last}"
