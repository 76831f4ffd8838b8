"""Extra checks of the operations, run by the autograder only."""
import numpy as np
import pytest
import torch

from common.testing import assert_close
from hw3_edugrad.edugrad import Tensor, nn, ops, optim

from .edugrad_helpers import check_with_finite_differences, compare_with_torch

pytestmark = pytest.mark.hidden
F = torch.nn.functional
rng = np.random.default_rng(7)


@pytest.mark.task_ops_nn
@pytest.mark.points(1)
def test_softmax_and_log_softmax_along_another_axis():
    x = rng.normal(size=(3, 4, 2)) * 5
    for name in ("softmax", "log_softmax"):
        compare_with_torch(
            lambda t, name=name: getattr(ops, name)(t, axis=1),
            lambda t, name=name: getattr(torch, name)(t, dim=1),
            [x],
            f"{name} along axis 1",
        )


@pytest.mark.task_ops_nn
@pytest.mark.points(1)
def test_cross_entropy_composes_with_other_operations():
    logits, labels = rng.normal(size=(5, 4)), np.array([3, 0, 1, 1, 2])
    compare_with_torch(
        lambda t: ops.cross_entropy(ops.tanh(t) * 3.0, labels=labels) * 2.0,
        lambda t: F.cross_entropy(torch.tanh(t) * 3.0, torch.from_numpy(labels)) * 2.0,
        [logits],
        "2 * cross_entropy(3 tanh(x))",
    )


@pytest.mark.task_ops_nn
@pytest.mark.points(1)
def test_lookup_rows_with_3d_indices_in_a_word2vec_like_score():
    table, indices = rng.normal(size=(6, 3)), rng.integers(0, 6, size=(2, 3, 4))
    contexts = rng.normal(size=(2, 3, 1, 3))

    def edugrad_fn(t):
        return ops.log_sigmoid(ops.sum(ops.lookup_rows(t, indices=indices) * contexts, axis=-1))

    def torch_fn(t):
        return F.logsigmoid((F.embedding(torch.from_numpy(indices), t) * torch.from_numpy(contexts)).sum(-1))

    compare_with_torch(edugrad_fn, torch_fn, [table], "log_sigmoid of embedding dot products")
    check_with_finite_differences(edugrad_fn, [table], "log_sigmoid of embedding dot products")


@pytest.mark.task_ops_shapes
@pytest.mark.points(1)
def test_concat_with_a_constant_and_getitem_of_a_batch():
    a, c = Tensor(rng.normal(size=(2, 3)), requires_grad=True), Tensor(rng.normal(size=(2, 2)))
    joined = ops.concat(a, c, axis=1)  # [2, 5]
    ops.sum(joined[:, 1:4] * 2.0).backward()
    assert_close(a.grad, [[0.0, 2.0, 2.0], [0.0, 2.0, 2.0]], "gradient of sum(2 concat(a, c)[:, 1:4]) for a")
    assert c.grad is None, "expected no gradient for the constant input"


@pytest.mark.task_ops_shapes
@pytest.mark.points(1)
def test_batched_matmul_broadcasting_both_ways():
    a, b = rng.normal(size=(3, 1, 2, 4)), rng.normal(size=(1, 5, 4, 3))
    compare_with_torch(ops.matmul, torch.matmul, [a, b], "matmul [3, 1, 2, 4] @ [1, 5, 4, 3]")


@pytest.mark.task_ops_reductions
@pytest.mark.points(1)
def test_mean_of_a_float32_batch_keeps_float32():
    x = Tensor(rng.normal(size=(4, 3)).astype(np.float32), requires_grad=True)
    out = ops.mean(ops.sum(x, axis=1, keepdims=True) ** 2)
    out.backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32, f"expected float32 but got {out.dtype}"
    expected = 2 * x.value.sum(axis=1, keepdims=True) / 4 * np.ones((4, 3))
    assert_close(x.grad, expected, "gradient of mean(sum(x, 1)^2)", rtol=1e-5, atol=1e-6)


@pytest.mark.task_ops_elementwise
@pytest.mark.points(1)
def test_broadcast_against_a_scalar_tensor():
    x, s = rng.normal(size=(2, 3)), np.array(1.5)
    for name, torch_fn in [("add", torch.add), ("multiply", torch.mul), ("divide", torch.div), ("subtract", torch.sub)]:
        compare_with_torch(getattr(ops, name), torch_fn, [x, s], f"{name} with a 0-d tensor")
        compare_with_torch(getattr(ops, name), torch_fn, [s, x], f"{name} of a 0-d tensor")


@pytest.mark.task_optim
@pytest.mark.points(1)
def test_adam_learns_a_small_classification_problem():
    data_rng = np.random.default_rng(3)
    x = data_rng.normal(size=(64, 2))
    labels = (x[:, 0] * x[:, 1] > 0).astype(np.int64)  # XOR of the signs: not linearly separable
    model = nn.Sequential(
        nn.Linear(2, 16, rng=data_rng, dtype=np.float64), nn.Tanh(), nn.Linear(16, 2, rng=data_rng, dtype=np.float64)
    )
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        optimizer.zero_grad()
        loss = ops.cross_entropy(model(Tensor(x)), labels=labels)
        loss.backward()
        optimizer.step()
    accuracy = np.mean(model(Tensor(x)).value.argmax(axis=1) == labels)
    assert accuracy >= 0.95, f"expected the MLP to fit XOR-like data (accuracy >= 0.95) but got {accuracy:.2f}"
