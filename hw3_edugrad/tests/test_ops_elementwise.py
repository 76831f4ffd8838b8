"""Element-wise operations: values and gradients against torch autograd and finite differences."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from common.testing import assert_close, fails_on_overflow
from hw3_edugrad.edugrad import Tensor, ops
from hw3_edugrad.edugrad.tensor import Context

from .edugrad_helpers import FAST, check_with_finite_differences, compare_with_torch

pytestmark = pytest.mark.task_ops_elementwise

BINARY = {
    "add": (ops.add, torch.add),
    "subtract": (ops.subtract, torch.sub),
    "multiply": (ops.multiply, torch.mul),
    "divide": (ops.divide, torch.div),
}

UNARY = {
    "negate": (ops.negate, torch.neg),
    "exp": (ops.exp, torch.exp),
    "log": (ops.log, torch.log),
    "sigmoid": (ops.sigmoid, torch.sigmoid),
    "tanh": (ops.tanh, torch.tanh),
    "relu": (ops.relu, torch.relu),
    "log_sigmoid": (ops.log_sigmoid, torch.nn.functional.logsigmoid),
}

# relu is given (the handout's worked example), so its checks are worth no points.
UNARY_PARAMS = [pytest.param(name, marks=pytest.mark.points(0)) if name == "relu" else name for name in UNARY]


def _domain(name: str, x: np.ndarray) -> np.ndarray:
    """Move inputs into the operation's domain: log needs x > 0; relu's kink at 0 is avoided."""
    if name == "log":
        return np.abs(x) + 0.1
    if name == "relu":
        return np.where(np.abs(x) < 1e-3, 0.5, x)
    return x


def _away_from_zero(x: np.ndarray) -> np.ndarray:
    return np.where(x < 0, x - 0.5, x + 0.5)


@pytest.mark.points(1)
def test_unbroadcast_sums_over_broadcast_axes():
    grad = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    cases = [
        ((2, 3, 4), grad),
        ((4,), grad.sum(axis=(0, 1))),
        ((3, 1), grad.sum(axis=(0, 2)).reshape(3, 1)),
        ((1, 3, 1), grad.sum(axis=(0, 2)).reshape(1, 3, 1)),
        ((), grad.sum()),
    ]
    for shape, expected in cases:
        assert_close(ops.unbroadcast(grad, shape), expected, f"unbroadcast to {shape}")
    assert_close(ops.unbroadcast(np.ones((3, 4)), (4,)), np.full(4, 3.0), "unbroadcast(ones((3, 4)), (4,))")


@pytest.mark.points(4)
@pytest.mark.parametrize("name", list(BINARY))
@FAST
@given(data=st.data())
def test_binary_ops_match_torch_with_broadcasting(name, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4))
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=st.floats(-3, 3)))
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=st.floats(-3, 3)))
    if name == "divide":
        b = _away_from_zero(b)
    edugrad_fn, torch_fn = BINARY[name]
    compare_with_torch(edugrad_fn, torch_fn, [a, b], f"{name}{shapes.input_shapes}")


@pytest.mark.points(2)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_ops_finite_differences(name):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 1, 4)), _away_from_zero(rng.normal(size=(2, 4)))
    check_with_finite_differences(BINARY[name][0], [a, b], name)


@pytest.mark.points(4)
@pytest.mark.parametrize("name", UNARY_PARAMS)
@FAST
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), elements=st.floats(-5, 5)))
def test_unary_ops_match_torch(name, x):
    edugrad_fn, torch_fn = UNARY[name]
    compare_with_torch(edugrad_fn, torch_fn, [_domain(name, x)], name)


@pytest.mark.points(2)
@pytest.mark.parametrize("name", UNARY_PARAMS)
def test_unary_ops_finite_differences(name):
    x = _domain(name, np.random.default_rng(2).normal(size=(3, 4)) * 2)
    check_with_finite_differences(UNARY[name][0], [x], name)


@pytest.mark.points(2)
@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5, 1])
def test_power_matches_torch(exponent):
    x = np.random.default_rng(3).uniform(0.2, 2.0, size=(2, 3))
    compare_with_torch(lambda t: ops.power(t, exponent=exponent), lambda t: t**exponent, [x], f"power {exponent}")
    check_with_finite_differences(lambda t: ops.power(t, exponent=exponent), [x], f"power {exponent}")


STABLE_FORMULA = {
    "sigmoid": "let exp see only -|a|: sigmoid(a) = 1 / (1 + exp(-|a|)) for a >= 0 and exp(-|a|) / (1 + exp(-|a|)) "
               "for a < 0; backward from the saved output, out * (1 - out)",
    "log_sigmoid": "let exp see only -|a|: log_sigmoid(a) = min(a, 0) - log1p(exp(-|a|)); backward "
                   "d/da log_sigmoid(a) = sigmoid(-a), computed the same way",
}


@pytest.mark.points(2)
def test_sigmoid_and_log_sigmoid_are_stable_at_large_inputs():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    for name in ("sigmoid", "log_sigmoid"):
        with fails_on_overflow(f"{name} of {x.tolist()}", STABLE_FORMULA[name]):
            edugrad_fn, torch_fn = UNARY[name]
            t = Tensor(x.copy(), requires_grad=True)
            out = edugrad_fn(t)
            out.backward(np.ones_like(x))
            assert np.all(np.isfinite(out.value)), f"{name}: expected finite values but got {out.value}"
            assert np.all(np.isfinite(t.grad)), f"{name}: expected finite gradients but got {t.grad}"
            compare_with_torch(edugrad_fn, torch_fn, [x], f"{name} at large inputs")
    out = ops.log_sigmoid(Tensor(np.array([-1000.0, 1000.0])))
    assert_close(out.value, [-1000.0, 0.0], "log_sigmoid([-1000, 1000])")


@pytest.mark.points(2)
def test_backprop_example_from_the_lecture():
    """f(x; a, b) = (a x + b)^2 at a=2, x=3, b=1: f = 49, df/da = 2(ax+b)x = 42, df/db = 14, df/dx = 28."""
    a, x, b = (Tensor(np.array(v), requires_grad=True) for v in (2.0, 3.0, 1.0))
    f = (a * x + b) ** 2
    f.backward()
    assert f.item() == pytest.approx(49.0), f"expected f = 49 but got {f.item()}"
    for name, tensor, expected in [("a", a, 42.0), ("b", b, 14.0), ("x", x, 28.0)]:
        assert tensor.grad == pytest.approx(expected), f"expected df/d{name} = {expected} but got {tensor.grad}"


@pytest.mark.points(2)
def test_operators_and_constants():
    rng = np.random.default_rng(4)
    x_value, c = rng.uniform(0.5, 2.0, size=(2, 3)), rng.uniform(0.5, 2.0, size=3)

    def edugrad_fn(x):
        return (2.0 - x) * 3.0 + c / x - x**2 + (np.ones((2, 1)) - x) + c * x / 4.0

    def torch_fn(x):
        tc = torch.from_numpy(c)
        return (2.0 - x) * 3.0 + tc / x - x**2 + (torch.ones(2, 1, dtype=torch.float64) - x) + tc * x / 4.0

    compare_with_torch(edugrad_fn, torch_fn, [x_value], "expression with operators")
    assert isinstance(np.ones(3) + Tensor(np.ones(3)), Tensor), "expected ndarray + Tensor to give a Tensor"


@pytest.mark.points(1)
def test_float32_stays_float32():
    x = Tensor(np.random.default_rng(5).uniform(0.5, 1.5, size=(2, 3)).astype(np.float32), requires_grad=True)
    for name, (edugrad_fn, _) in {**UNARY, **BINARY}.items():
        out = edugrad_fn(x, 2.0) if name in BINARY else edugrad_fn(x)
        assert out.dtype == np.float32, f"{name}: expected a float32 output for float32 input but got {out.dtype}"
        operation = edugrad_fn.operation
        ctx = Context()
        args = (x.value, np.float32(2.0)) if name in BINARY else (x.value,)
        operation.forward(ctx, *args)
        ctx.needs_input_grad = (True,) * len(args)
        for grad in operation.backward(ctx, np.ones((2, 3), np.float32)):
            assert grad.dtype == np.float32, f"{name}.backward: expected float32 gradients but got {grad.dtype}"
