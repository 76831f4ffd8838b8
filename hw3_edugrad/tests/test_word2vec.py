"""word2vec in edugrad: the SGNS loss and its gradients against torch autograd, fixed values (computed
once with hw2's hand-written gradients) and a hand computation; the sparse training step against the
same step in torch; and the lecture's two small graphs (the backpropagation example
f(x; a, b) = (ax + b)^2 and the XOR network) run through edugrad. Nothing here imports hw2: these
tests grade the same with or without your hw2 code."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from common.testing import assert_close
from hw3_edugrad.edugrad import Tensor, ops
from hw3_edugrad.word2vec import EdugradSGNS, scatter_add_rows, sgns_loss, sgns_loss_of_vectors, used_rows

# Named in the loss's failures: the formula, with the sign a negative's score takes.
SGNS_LOSS = "SGNS loss -log σ(e·c) - Σ_j log σ(-e·n_j) (a negative's score enters log_sigmoid negated)"


def random_batch(vocab_size: int = 12, dim: int = 6, batch: int = 9, k: int = 4, seed: int = 0):
    """float64 tables E, C [V, d] and a batch whose indices repeat (rows used several times)."""
    rng = np.random.default_rng(seed)
    E = rng.normal(0, 0.5, (vocab_size, dim))
    C = rng.normal(0, 0.5, (vocab_size, dim))
    targets = rng.integers(0, vocab_size, batch)
    targets[1] = targets[0]                                   # a repeated target
    contexts = rng.integers(0, vocab_size, batch)
    negatives = rng.integers(0, vocab_size, (batch, k))
    negatives[0, 1] = contexts[0]                             # a context word also drawn as a negative
    return E, C, targets, contexts, negatives


def edugrad_loss_and_table_grads(E, C, targets, contexts, negatives):
    E_t, C_t = Tensor(E.copy(), requires_grad=True), Tensor(C.copy(), requires_grad=True)
    loss = sgns_loss(E_t, C_t, targets, contexts, negatives)
    assert loss.size == 1, f"sgns_loss must return a single number, got shape {loss.shape}"
    loss.backward()
    return loss.item(), E_t.grad, C_t.grad


@pytest.mark.points(2)
@pytest.mark.task_word2vec
def test_sgns_loss_and_gradients_match_torch_autograd():
    E, C, targets, contexts, negatives = random_batch()
    loss, grad_E, grad_C = edugrad_loss_and_table_grads(E, C, targets, contexts, negatives)

    E_ref, C_ref = torch.tensor(E, requires_grad=True), torch.tensor(C, requires_grad=True)
    e = E_ref[torch.from_numpy(targets)]                                     # [B, d]
    positive = (e * C_ref[torch.from_numpy(contexts)]).sum(1)                # [B]
    negative = (e[:, None, :] * C_ref[torch.from_numpy(negatives)]).sum(2)   # [B, k]
    ref_loss = -(torch.nn.functional.logsigmoid(positive).sum() + torch.nn.functional.logsigmoid(-negative).sum())
    ref_loss.backward()

    assert_close(loss, ref_loss.item(), f"{SGNS_LOSS}, summed over the batch", rtol=0, atol=1e-9)
    assert_close(grad_E, E_ref.grad.numpy(), "d loss / d E", rtol=0, atol=1e-9)
    assert_close(grad_C, C_ref.grad.numpy(), "d loss / d C", rtol=0, atol=1e-9)


# random_batch(vocab_size=6, dim=3, batch=5, k=2, seed=1): targets [4 4 5 2 2], contexts [0 2 3 4 5],
# negatives [[1 0] [4 1] [2 5] [3 3] [4 3]]. The loss and the gradients of the tables, computed once
# with hw2's closed-form gradients (float64) and scattered into E and C with np.add.at.
FIXED_LOSS = 10.169859464100007
FIXED_GRAD_E = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [-1.1244075897, 0.1284945504, 0.0405452233],
                         [0.0, 0.0, 0.0], [0.7728266074, 0.6959043374, 0.4233149094],
                         [0.1471163602, -0.2489408934, 0.0962613360]])
FIXED_GRAD_C = np.array([[-0.0281975235, -0.0062375336, -0.0184594952], [-0.3455541861, -0.0764395439, -0.2262168812],
                         [0.2500272056, 0.0368298693, 0.0273079547], [-0.5798146391, 0.4489340624, 0.3640414032],
                         [-0.0935222629, -0.1031430814, -0.1455870259], [0.3116142317, -0.1427410121, -0.1792988022]])


@pytest.mark.points(2)
@pytest.mark.task_word2vec
def test_sgns_loss_and_gradients_match_hw2_closed_form_values():
    E, C, targets, contexts, negatives = random_batch(vocab_size=6, dim=3, batch=5, k=2, seed=1)
    loss, grad_E, grad_C = edugrad_loss_and_table_grads(E, C, targets, contexts, negatives)
    assert_close(loss, FIXED_LOSS, f"{SGNS_LOSS} vs hw2's closed form", rtol=0, atol=1e-9)
    assert_close(grad_E, FIXED_GRAD_E, "d loss / d E vs hw2's grad_target scattered into E", rtol=0, atol=1e-9)
    assert_close(grad_C, FIXED_GRAD_C, "d loss / d C vs hw2's grad_context + grad_negatives", rtol=0, atol=1e-9)


def torch_loss_of_vectors(target_vectors: torch.Tensor, context_vectors: torch.Tensor) -> torch.Tensor:
    """The reference SGNS loss in torch: target_vectors [B, d], context_vectors [B, 1 + k, d]."""
    scores = (context_vectors * target_vectors[:, None, :]).sum(2)                         # [B, 1 + k]
    return -(torch.nn.functional.logsigmoid(scores[:, 0]).sum() + torch.nn.functional.logsigmoid(-scores[:, 1:]).sum())


@pytest.mark.points(2)
@pytest.mark.task_word2vec
def test_loss_of_looked_up_vectors_matches_torch_autograd():
    E, C, targets, contexts, negatives = random_batch(vocab_size=15, dim=7, batch=10, k=3, seed=4)
    rows = np.concatenate([contexts[:, None], negatives], 1)                                   # [B, 1 + k]
    target_vectors, context_vectors = Tensor(E[targets], requires_grad=True), Tensor(C[rows], requires_grad=True)
    loss = sgns_loss_of_vectors(target_vectors, context_vectors)
    loss.backward()
    ref_targets, ref_contexts = torch.tensor(E[targets], requires_grad=True), torch.tensor(C[rows], requires_grad=True)
    ref_loss = torch_loss_of_vectors(ref_targets, ref_contexts)
    ref_loss.backward()
    assert_close(loss.item(), ref_loss.item(), f"{SGNS_LOSS} of the looked-up vectors", rtol=0, atol=1e-9)
    assert_close(target_vectors.grad, ref_targets.grad.numpy(), "d loss / d target_vectors", rtol=0, atol=1e-9)
    assert_close(context_vectors.grad[:, 0], ref_contexts.grad[:, 0].numpy(), "d loss / d context_vectors[:, 0]",
                 rtol=0, atol=1e-9)
    assert_close(context_vectors.grad[:, 1:], ref_contexts.grad[:, 1:].numpy(), "d loss / d context_vectors[:, 1:]",
                 rtol=0, atol=1e-9)


@pytest.mark.task_word2vec
def test_sgns_loss_of_one_pair_by_hand():
    # e = E[0] = (1, 2), c = C[1] = (0.5, 0), one negative n = C[2] = (0, -1):
    # e.c = 0.5 and e.n = -2, so L = -log σ(0.5) - log σ(2);
    # dL/de = (σ(0.5) - 1) c + σ(-2) n, dL/dc = (σ(0.5) - 1) e, dL/dn = σ(-2) e
    E = np.array([[1.0, 2.0], [0.0, 0.0], [0.0, 0.0]])
    C = np.array([[0.0, 0.0], [0.5, 0.0], [0.0, -1.0]])
    loss, grad_E, grad_C = edugrad_loss_and_table_grads(E, C, np.array([0]), np.array([1]), np.array([[2]]))
    sig = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    assert_close(loss, -math.log(sig(0.5)) - math.log(sig(2.0)),
                 "loss of one pair, -log σ(e·c) - log σ(-e·n) = -log σ(0.5) - log σ(2): the negative's score "
                 "e·n = -2 enters log_sigmoid negated")
    assert_close(grad_E[0], (sig(0.5) - 1) * C[1] + sig(-2.0) * C[2], "d loss / d E[target]")
    assert_close(grad_C[1], (sig(0.5) - 1) * E[0], "d loss / d C[context]")
    assert_close(grad_C[2], sig(-2.0) * E[0], "d loss / d C[negative] = σ(e·n) e")
    assert not grad_E[1:].any() and not grad_C[0].any(), "rows the batch does not use must get zero gradient"


@pytest.mark.task_word2vec
def test_sgns_loss_stays_finite_for_large_scores():
    E = np.array([[40.0, 0.0]])
    C = np.array([[40.0, 0.0], [-40.0, 0.0]])
    loss, grad_E, _ = edugrad_loss_and_table_grads(E, C, np.array([0]), np.array([1]), np.array([[0]]))
    # scores: e.c = -1600 (σ ~ 0, so -log σ ~ 1600) and e.n = 1600 (-log σ(-1600) ~ 1600)
    assert_close(loss, 3200.0, "loss with scores of ±1600 (log_sigmoid must not overflow)", rtol=1e-9)
    assert np.all(np.isfinite(grad_E)), f"expected finite gradients but got {grad_E}"


def torch_sparse_step(E: torch.Tensor, C: torch.Tensor, targets, contexts, negatives, lr: float) -> float:
    """The reference step: gather the rows, torch autograd on them, index_add_ -lr x gradient back."""
    rows = torch.from_numpy(np.concatenate([contexts[:, None], negatives], 1))               # [B, 1 + k]
    target_vectors = E[torch.from_numpy(targets)].clone().requires_grad_()                   # [B, d]
    context_vectors = C[rows].clone().requires_grad_()                                       # [B, 1 + k, d]
    loss = torch_loss_of_vectors(target_vectors, context_vectors)
    loss.backward()
    E.index_add_(0, torch.from_numpy(targets), -lr * target_vectors.grad)
    C.index_add_(0, rows.reshape(-1), -lr * context_vectors.grad.reshape(-1, C.shape[1]))
    return loss.item()


@pytest.mark.points(2)
@pytest.mark.task_word2vec
def test_step_matches_torch_and_touches_only_used_rows():
    E, C, targets, contexts, negatives = random_batch(vocab_size=30, dim=5, batch=12, k=3, seed=2)
    edugrad_model = EdugradSGNS(30, 5, np.random.default_rng(0))
    edugrad_model.target_embeddings, edugrad_model.context_embeddings = E.copy(), C.copy()
    ref_E, ref_C = torch.tensor(E), torch.tensor(C)
    # Three steps on the same batch: the second and third see updated rows. The tables are compared
    # after every step, so a wrong update fails here and not as a wrong loss of the next step.
    for step in (1, 2, 3):
        got = edugrad_model.step(targets, contexts, negatives, lr=0.1)  # first: a stub fails with its own message
        assert_close(got, torch_sparse_step(ref_E, ref_C, targets, contexts, negatives, lr=0.1),
                     f"loss returned by step {step} (before its update: sgns_loss_of_vectors)", rtol=0, atol=1e-9)
        for name, table, expected in (("E", edugrad_model.target_embeddings, ref_E),
                                      ("C", edugrad_model.context_embeddings, ref_C)):
            assert_close(table, expected.numpy(), f"{name} after step {step} (scatter_add_rows adds -lr x each "
                         "gradient row to its table row; a row used several times gets the sum of its updates)",
                         rtol=0, atol=1e-9)
    unused = np.setdiff1d(np.arange(30), targets)
    assert np.array_equal(edugrad_model.target_embeddings[unused], E[unused]), "rows of E no target uses changed"
    rows, positions = used_rows(targets, num_rows=30)
    expected_rows, expected_positions = np.unique(targets, return_inverse=True)
    assert rows.tolist() == expected_rows.tolist(), f"used_rows: expected rows {expected_rows} but got {rows}"
    assert positions.tolist() == expected_positions.tolist(), (
        f"used_rows: expected {expected_positions} but got {positions}"
    )


@pytest.mark.points(2)
@pytest.mark.task_word2vec
@pytest.mark.parametrize("rows_shape", [(6,), (2, 3)])
def test_scatter_add_rows_sums_repeated_rows_by_hand(rows_shape):
    rows = np.array([2, 0, 2, 5, 2, 0]).reshape(rows_shape)          # row 2 three times, row 0 twice
    updates = np.arange(18, dtype=np.float64).reshape(*rows_shape, 3)  # update i is (3i, 3i + 1, 3i + 2)
    table = np.ones((7, 3))
    scatter_add_rows(table, rows, updates, scale=-0.5)
    # row 0 gets updates 1 and 5: 1 - 0.5 * (3 + 15, 4 + 16, 5 + 17) = (-8, -9, -10)
    # row 2 gets updates 0, 2 and 4: 1 - 0.5 * (0 + 6 + 12, 1 + 7 + 13, 2 + 8 + 14) = (-8, -9.5, -11)
    # row 5 gets update 3: 1 - 0.5 * (9, 10, 11) = (-3.5, -4, -4.5); rows 1, 3, 4 and 6 are untouched
    expected = np.ones((7, 3))
    expected[0], expected[2], expected[5] = (-8, -9, -10), (-8, -9.5, -11), (-3.5, -4, -4.5)
    assert_close(table, expected, f"scatter_add_rows with rows of shape {rows_shape} (repeated rows summed)")


@pytest.mark.task_word2vec
def test_model_starts_like_hw2_and_stays_float32():
    edugrad_model = EdugradSGNS(50, 8, np.random.default_rng(3))
    # hw2's SGNSModel (and word2vec): E uniform in [-0.5/d, 0.5/d] from the generator, C zero
    expected_E = ((np.random.default_rng(3).random((50, 8)) - 0.5) / 8).astype(np.float32)
    assert np.array_equal(edugrad_model.target_embeddings, expected_E), "E must start as hw2's"
    assert not edugrad_model.context_embeddings.any(), "C must start at zero, as hw2's"
    edugrad_model.context_embeddings[:] = 0.1
    edugrad_model.step(np.array([1, 2]), np.array([3, 4]), np.array([[5], [6]]), lr=0.05)
    for table in (edugrad_model.target_embeddings, edugrad_model.context_embeddings):
        assert table.dtype == np.float32, f"expected float32 tables after a step but got {table.dtype}"


# ---- the lecture's examples, run through edugrad ---------------------------------------------------


@pytest.mark.task_engine
@pytest.mark.parametrize(("x", "a", "b"), [(3.0, 2.0, 1.0), (-1.5, 0.5, 4.0)])
def test_backprop_example_matches_the_hand_derived_gradients(x, a, b):
    # f(x; a, b) = (ax + b)^2. With u = ax + b: df/du = 2u, so df/da = 2(ax + b)x, df/db = 2(ax + b),
    # df/dx = 2(ax + b)a. For x = 3, a = 2, b = 1: u = 7, f = 49, df/da = 42, df/db = 14, df/dx = 28.
    xt, at, bt = (Tensor(np.array(v), requires_grad=True) for v in (x, a, b))
    f = ops.power(ops.add(ops.multiply(at, xt), bt), exponent=2)
    f.backward()
    u = a * x + b
    assert_close(f.item(), u**2, "f(x; a, b)")
    assert_close(at.grad, 2 * u * x, "df/da = 2(ax + b)x")
    assert_close(bt.grad, 2 * u, "df/db = 2(ax + b)")
    assert_close(xt.grad, 2 * u * a, "df/dx = 2(ax + b)a")
    if (x, a, b) == (3.0, 2.0, 1.0):
        assert (f.item(), at.grad, bt.grad, xt.grad) == (49.0, 42.0, 14.0, 28.0), "the handout's worked numbers"


# The XOR network: hidden units OR and NAND, output AND of the two. The lecture leaves the weights
# open; these are the usual hand-picked ones (large, so each sigmoid is nearly 0 or 1).
XOR_HIDDEN_W = np.array([[20.0, -20.0], [20.0, -20.0]])  # columns: OR, NAND; rows: p, q
XOR_HIDDEN_B = np.array([-10.0, 30.0])
XOR_OUT_W = np.array([[20.0], [20.0]])                     # AND of (OR, NAND)
XOR_OUT_B = np.array([-30.0])


@pytest.mark.task_engine
def test_xor_network_forward_values_by_hand():
    inputs = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # rows: (a_p, a_q)
    hidden = ops.sigmoid(ops.add(ops.matmul(Tensor(inputs), Tensor(XOR_HIDDEN_W)), Tensor(XOR_HIDDEN_B)))  # [4, 2]
    output = ops.sigmoid(ops.add(ops.matmul(hidden, Tensor(XOR_OUT_W)), Tensor(XOR_OUT_B)))              # [4, 1]
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    for row, (p, q) in enumerate(inputs):
        a_or, a_nand = sig(20 * p + 20 * q - 10), sig(-20 * p - 20 * q + 30)
        a_and = sig(20 * a_or + 20 * a_nand - 30)
        assert_close(hidden.value[row], [a_or, a_nand], f"(a_or, a_nand) for input ({p:g}, {q:g})")
        assert_close(output.value[row, 0], a_and, f"a_and for input ({p:g}, {q:g})")
    # e.g. input (1, 0): a_or = σ(10) = 0.99995, a_nand = σ(10) = 0.99995, a_and = σ(9.998) = 0.99995
    assert_close(output.value[2, 0], 0.9999545, "a_and for (1, 0)", rtol=0, atol=1e-6)
    assert np.round(output.value[:, 0]).tolist() == [0.0, 1.0, 1.0, 0.0], (
        f"expected XOR outputs [0, 1, 1, 0] but got {output.value[:, 0]}"
    )
