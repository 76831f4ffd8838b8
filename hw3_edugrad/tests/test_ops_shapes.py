"""reshape, transpose, concat, indexing and matmul."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from common.testing import assert_close
from hw3_edugrad.edugrad import Tensor, ops

from .edugrad_helpers import FAST, check_with_finite_differences, compare_with_torch

pytestmark = pytest.mark.task_ops_shapes

rng = np.random.default_rng(0)


@pytest.mark.points(2)
@pytest.mark.parametrize("shape, new_shape", [((2, 3, 4), (6, 4)), ((2, 3, 4), (-1,)), ((6,), (2, 1, 3)), ((1,), ())])
def test_reshape_matches_torch(shape, new_shape):
    x = rng.normal(size=shape)
    compare_with_torch(lambda t: ops.reshape(t, shape=new_shape), lambda t: t.reshape(new_shape), [x], "reshape")
    compare_with_torch(lambda t: t.reshape(*new_shape), lambda t: t.reshape(new_shape), [x], "Tensor.reshape")


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "shape, axes", [((2, 3), None), ((2, 3, 4), None), ((2, 3, 4), (1, 2, 0)), ((2, 3, 4), (0, 2, 1))]
)
def test_transpose_matches_torch(shape, axes):
    x = rng.normal(size=shape)

    def torch_fn(t):
        return t.permute(*(axes or reversed(range(t.ndim))))

    compare_with_torch(lambda t: ops.transpose(t, axes=axes), torch_fn, [x], f"transpose {axes}")
    check_with_finite_differences(lambda t: ops.transpose(t, axes=axes), [x], f"transpose {axes}")
    if axes is None and len(shape) == 2:
        compare_with_torch(lambda t: t.T, lambda t: t.T, [x], "Tensor.T")


@pytest.mark.points(2)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_matches_torch(axis):
    shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
    for i, shape in enumerate(shapes):
        shape[axis] = i + 1
    inputs = [rng.normal(size=shape) for shape in shapes]
    compare_with_torch(
        lambda *ts: ops.concat(*ts, axis=axis), lambda *ts: torch.cat(ts, dim=axis), inputs, f"concat axis {axis}"
    )
    check_with_finite_differences(lambda *ts: ops.concat(*ts, axis=axis), inputs, f"concat axis {axis}")


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "index",
    [(slice(1, 3),), (0,), (slice(None), 1), (np.array([0, 2, 0, 0]),), (slice(None), np.array([1, 1, 2]))],
    ids=["slice", "int", "column", "repeated rows", "repeated columns"],
)
def test_getitem_matches_torch(index):
    x = rng.normal(size=(3, 4))
    torch_index = tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in index)
    compare_with_torch(lambda t: t[index], lambda t: t[torch_index], [x], f"x[{index}]")


MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((1, 4), (4, 1)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (3, 4, 2)),
]


@pytest.mark.points(3)
@pytest.mark.parametrize("a_shape, b_shape", MATMUL_SHAPES)
def test_matmul_matches_torch(a_shape, b_shape):
    a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)
    compare_with_torch(ops.matmul, torch.matmul, [a, b], f"matmul {a_shape} @ {b_shape}")
    compare_with_torch(lambda x, y: x @ y, torch.matmul, [a, b], f"{a_shape} @ {b_shape}")
    compare_with_torch(lambda x: x @ b, lambda x: x @ torch.from_numpy(b), [a], f"Tensor {a_shape} @ array {b_shape}")
    compare_with_torch(lambda y: a @ y, lambda y: torch.from_numpy(a) @ y, [b], f"array {a_shape} @ Tensor {b_shape}")


@pytest.mark.points(1)
@pytest.mark.parametrize("a_shape, b_shape", MATMUL_SHAPES[:4])
def test_matmul_finite_differences(a_shape, b_shape):
    a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)
    check_with_finite_differences(ops.matmul, [a, b], f"matmul {a_shape} @ {b_shape}")


@pytest.mark.points(2)
@FAST
@given(data=st.data())
def test_matmul_property(data):
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    batch = data.draw(st.sampled_from([(), (2,), (1, 3)]))
    elements = st.floats(-3, 3)
    a = data.draw(hnp.arrays(np.float64, (*batch, n, k), elements=elements))
    b = data.draw(hnp.arrays(np.float64, (k, m), elements=elements))
    compare_with_torch(ops.matmul, torch.matmul, [a, b], f"matmul {a.shape} @ {b.shape}")


@pytest.mark.points(1)
def test_matmul_skips_gradients_of_constants():
    """Only the weight needs a gradient: the input's stays None (and backward need not compute it)."""
    x, w = Tensor(rng.normal(size=(4, 3))), Tensor(rng.normal(size=(3, 2)), requires_grad=True)
    ops.sum(x @ w).backward()
    assert x.grad is None, f"expected no gradient for a constant input but got {x.grad}"
    assert_close(w.grad, np.repeat(x.value.sum(axis=0)[:, None], 2, axis=1), "gradient of sum(x @ w) for w")


@pytest.mark.points(1)
def test_matmul_rejects_vectors_with_a_clear_error():
    product = ops.matmul(Tensor(np.ones((2, 3))), Tensor(np.ones((3, 1))))
    assert_close(product.value, np.full((2, 1), 3.0), "ones((2, 3)) @ ones((3, 1))")
    with pytest.raises(ValueError, match=r"at least 2 axes.*\(3,\)"):
        ops.matmul(Tensor(np.ones((2, 3))), Tensor(np.ones(3)))
