"""sum and mean, over everything or along axes, with and without keepdims."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from common.testing import assert_close
from hw3_edugrad.edugrad import Tensor, ops

from .edugrad_helpers import FAST, check_with_finite_differences, compare_with_torch

pytestmark = pytest.mark.task_ops_reductions

REDUCTIONS = {"sum": (ops.sum, torch.sum), "mean": (ops.mean, torch.mean)}


def _torch_reduce(torch_fn, axis, keepdims):
    if axis is None:
        if keepdims:
            return lambda t: torch_fn(t, dim=tuple(range(t.ndim)), keepdim=True)
        return torch_fn
    return lambda t: torch_fn(t, dim=axis, keepdim=keepdims)


@pytest.mark.points(3)
@pytest.mark.parametrize("name", list(REDUCTIONS))
@FAST
@given(data=st.data())
def test_reductions_match_torch(name, data):
    shapes = hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)
    x = data.draw(hnp.arrays(np.float64, shapes, elements=st.floats(-3, 3)))
    axis = data.draw(
        st.one_of(
            st.none(),
            st.integers(-x.ndim, x.ndim - 1),
            st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim, unique=True).map(tuple),
        )
    )
    keepdims = data.draw(st.booleans())
    edugrad_fn, torch_fn = REDUCTIONS[name]
    compare_with_torch(
        lambda t: edugrad_fn(t, axis=axis, keepdims=keepdims),
        _torch_reduce(torch_fn, axis, keepdims),
        [x],
        f"{name}(shape {x.shape}, axis={axis}, keepdims={keepdims})",
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("name", list(REDUCTIONS))
@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, False), (-1, True), ((0, 2), False), ((0, 2), True)])
def test_reductions_finite_differences(name, axis, keepdims):
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    check_with_finite_differences(lambda t: REDUCTIONS[name][0](t, axis=axis, keepdims=keepdims), [x], name)


@pytest.mark.points(1)
def test_reduction_hand_values_and_methods():
    x = Tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), requires_grad=True)
    assert_close(ops.sum(x).value, 21.0, "sum of [[1, 2, 3], [4, 5, 6]]")
    assert_close(ops.mean(x, axis=0).value, [2.5, 3.5, 4.5], "mean over axis 0")
    assert_close(x.sum(axis=1, keepdims=True).value, [[6.0], [15.0]], "x.sum(axis=1, keepdims=True)")
    x.mean().backward()
    assert_close(x.grad, np.full((2, 3), 1 / 6), "gradient of the mean of 6 numbers")
