"""Shared checks for the edugrad tests: compare an operation with PyTorch and with finite differences."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from common.gradcheck import check_gradient
from common.testing import assert_close
from hw3_edugrad.edugrad import Tensor

# Property tests: few examples, no deadline (the first call imports things), the same examples on
# every run (derandomize) and no example database written to disk.
FAST = settings(max_examples=20, deadline=None, derandomize=True, database=None)

finite_floats = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False, width=64)


def float_arrays(shape_strategy=None, elements=finite_floats):
    """Hypothesis strategy: float64 arrays of 1 to 3 axes with sides 1 to 4."""
    shapes = shape_strategy or hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
    return hnp.arrays(np.float64, shapes, elements=elements)


def upstream_gradient(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """A fixed random d loss / d output, so that every output entry matters with its own weight."""
    rng = np.random.default_rng(seed)
    return np.asarray(rng.uniform(0.5, 1.5, shape) * np.where(rng.random(shape) < 0.5, -1.0, 1.0))


def compare_with_torch(
    edugrad_fn: Callable[..., Tensor],
    torch_fn: Callable[..., torch.Tensor],
    inputs: Sequence[np.ndarray],
    what: str,
    rtol: float = 1e-7,
    atol: float = 1e-9,
) -> None:
    """Check the output and every input gradient of edugrad_fn against torch autograd, in float64.

    Both functions get one tensor per array of `inputs`; the gradient flowing back from the output is
    a fixed random array (not all ones), passed to backward as grad_output.
    """
    tensors = [Tensor(np.array(x, dtype=np.float64), requires_grad=True) for x in inputs]
    torch_tensors = [torch.tensor(np.array(x, dtype=np.float64), requires_grad=True) for x in inputs]
    out = edugrad_fn(*tensors)
    expected = torch_fn(*torch_tensors)
    assert isinstance(out, Tensor), f"{what}: expected a Tensor but got {type(out).__name__}"
    assert_close(out.value, expected.detach().numpy(), f"{what} value", rtol=rtol, atol=atol)
    grad_output = upstream_gradient(out.shape)
    expected.backward(torch.from_numpy(grad_output.copy()))  # torch gets its own copy, before edugrad runs
    out.backward(grad_output)
    assert np.array_equal(grad_output, upstream_gradient(out.shape)), (
        f"{what}: backward changed grad_output in place; compute a new array instead (x = x * g, not x *= g)"
    )
    for i, (tensor, torch_tensor) in enumerate(zip(tensors, torch_tensors, strict=True)):
        expected_grad = torch_tensor.grad.numpy() if torch_tensor.grad is not None else np.zeros(tensor.shape)
        assert tensor.grad is not None, f"{what}: expected a gradient for input {i} but got None"
        assert_close(tensor.grad, expected_grad, f"{what} gradient of input {i}", rtol=rtol, atol=atol)


def check_with_finite_differences(
    edugrad_fn: Callable[..., Tensor], inputs: Sequence[np.ndarray], what: str, rtol=1e-5, atol=1e-7
) -> None:
    """Check the gradient of every input of edugrad_fn by central differences (common/gradcheck.py).

    The scalar checked is sum(output * G) for a fixed random G of the output's shape.
    """
    arrays = [np.array(x, dtype=np.float64) for x in inputs]
    for position in range(len(arrays)):

        def weighted_output(x: np.ndarray, position=position) -> float:
            values = [x if i == position else a for i, a in enumerate(arrays)]
            out = edugrad_fn(*[Tensor(v) for v in values]).value
            return float(np.sum(out * upstream_gradient(out.shape)))

        def analytic(x: np.ndarray, position=position) -> np.ndarray:
            tensors = [Tensor(x if i == position else a, requires_grad=i == position) for i, a in enumerate(arrays)]
            out = edugrad_fn(*tensors)
            out.backward(upstream_gradient(out.shape))
            return tensors[position].grad

        name = f"{what} input {position}"
        check_gradient(weighted_output, arrays[position], analytic, rtol=rtol, atol=atol, name=name)
