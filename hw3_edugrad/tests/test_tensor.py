"""The graph engine (given code), exercised through your operations: backward, gradient accumulation,
shape checks, deep graphs, no_grad and zero_grad."""
import numpy as np
import pytest

from common.testing import assert_close
from hw3_edugrad import edugrad
from hw3_edugrad.edugrad import Operation, Tensor, no_grad, ops, tensor_op

pytestmark = pytest.mark.task_engine


@pytest.mark.points(1)
def test_tensor_dtypes_and_conversions():
    assert Tensor([1, 2]).dtype == np.float64, "expected lists of ints to become float64"
    assert Tensor(3.0).dtype == np.float64 and Tensor(3.0).shape == ()
    x32 = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    assert x32.dtype == np.float32, "expected a float32 array to stay float32"
    y = ops.sum(x32 * 2.0 + 1)
    assert y.dtype == np.float32, f"expected Python numbers to keep float32 but got {y.dtype}"
    y.backward()
    assert x32.grad.dtype == np.float32, f"expected a float32 gradient but got {x32.grad.dtype}"
    assert y.item() == pytest.approx(18.0), f"expected 18.0 but got {y.item()}"
    with pytest.raises(TypeError, match="ambiguous"):
        Tensor(x32)


@pytest.mark.points(1)
def test_backward_needs_a_scalar_or_an_explicit_gradient():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * x
    with pytest.raises(ValueError, match=r"single-number output.*\(3,\)"):
        y.backward()
    y.backward(np.array([1.0, 0.0, -1.0]))
    assert_close(x.grad, [2.0, 0.0, -6.0], "gradient with an explicit grad_output")
    with pytest.raises(ValueError, match="shape"):
        y.backward(np.ones(2))


@pytest.mark.points(1)
def test_backward_on_a_constant_is_an_error():
    y = ops.sum(Tensor(np.ones(3)) * 2.0)
    assert not y.requires_grad, "expected an output of constants not to require grad"
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


@tensor_op
class wrong_shape(Operation):
    """A deliberately broken operation: its backward returns the gradient of a, not of b, for input 1."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad_output):
        return [grad_output, grad_output]


@tensor_op
class too_few_gradients(Operation):
    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        return [grad_output]


@pytest.mark.points(1)
def test_gradient_shapes_are_checked():
    a, b = Tensor(np.ones((3, 4)), requires_grad=True), Tensor(np.ones(4), requires_grad=True)
    with pytest.raises(ValueError) as error:
        ops.sum(wrong_shape(a, b)).backward()
    message = str(error.value)
    expected = "wrong_shape.backward returned a gradient of shape (3, 4) for input 1 of shape (4,)"
    assert expected in message, f"expected the message to contain {expected!r} but got {message!r}"
    with pytest.raises(ValueError, match="too_few_gradients.backward returned 1 gradients for 2 inputs"):
        ops.sum(too_few_gradients(a, a)).backward()


@tensor_op
class scale(Operation):
    """A custom operation with a keyword argument, written with the lecture's API."""

    @staticmethod
    def forward(ctx, value, factor):
        ctx.append(value.shape)
        return value * factor

    @staticmethod
    def backward(ctx, grad_output, factor):
        assert ctx[-1] == grad_output.shape
        return [grad_output * factor]


@pytest.mark.points(1)
def test_custom_operation_with_keyword_arguments():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = ops.sum(scale(ops.relu(x), factor=3.0))
    y.backward()
    assert_close(y.value, 3.0, "sum(scale(relu([1, -2]), factor=3))")
    assert_close(x.grad, [3.0, 0.0], "gradient through a custom operation")
    assert scale.__name__ == "scale" and scale.operation.__name__ == "scale"


@pytest.mark.points(0)
def test_an_option_passed_positionally_is_named_in_the_error():
    # power's exponent and cross_entropy's labels are options (annotated in forward): passed by
    # position they would become constant tensors and fail far from the call
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(TypeError, match=r"power: expected 1 tensor input\(s\) \(a\) but got 2 .* exponent="):
        ops.power(x, 2)
    with pytest.raises(TypeError, match="labels="):
        ops.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(TypeError, match="axis=..., keepdims="):
        ops.sum(x, 1)


@pytest.mark.points(2)
def test_gradients_of_reused_tensors_add_up():
    x = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    ops.sum(x * x + x).backward()  # x used three times: d/dx = 2x + 1
    assert_close(x.grad, 2 * x.value + 1, "gradient of sum(x * x + x)")
    x.zero_grad()
    a, b = x * 2.0, x * 3.0  # a diamond: both branches lead back to x
    ops.sum(a * b).backward()  # 6 x^2 -> 12 x
    assert_close(x.grad, 12 * x.value, "gradient of sum((2x) * (3x))")


@pytest.mark.points(1)
def test_gradients_accumulate_over_backward_calls_until_zero_grad():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = ops.sum(x * x)
    y.backward()
    y.backward()  # the graph can be traversed again; gradients add up
    assert_close(x.grad, 4 * x.value, "gradient after two backward() calls")
    x.zero_grad()
    assert x.grad is None, f"expected zero_grad to clear the gradient but got {x.grad}"
    ops.sum(x * 3.0).backward()
    assert_close(x.grad, [3.0, 3.0], "gradient after zero_grad and a new backward")


@pytest.mark.points(1)
def test_only_leaves_that_require_grad_get_gradients():
    x, c = Tensor(np.array([1.0, 2.0]), requires_grad=True), Tensor(np.array([3.0, 4.0]))
    hidden = x * c
    y = ops.sum(ops.tanh(hidden))
    y.backward()
    assert c.grad is None, f"expected no gradient for a constant but got {c.grad}"
    assert hidden.grad is None and y.grad is None, "expected intermediate gradients to be freed"
    assert_close(x.grad, c.value * (1 - np.tanh(x.value * c.value) ** 2), "gradient of sum(tanh(x * c))")


@pytest.mark.points(1)
def test_leaf_gradients_are_separate_writable_arrays():
    a, b = Tensor(np.ones((2, 2)), requires_grad=True), Tensor(np.ones((2, 2)), requires_grad=True)
    ops.sum(ops.relu(a + b)).backward()  # add passes one array to both inputs; sum's is read-only
    assert a.grad is not b.grad, "expected each leaf to get its own gradient array"
    a.grad *= 2.0  # must neither fail nor change b.grad
    assert_close(b.grad, np.ones((2, 2)), "b.grad after modifying a.grad")


@pytest.mark.points(2)
def test_ten_thousand_node_chain_needs_no_recursion():
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0  # 20,000 operations deep
    ops.sum(y).backward()
    assert_close(x.grad, np.full(2, 1.0001**10_000), "gradient through a 10,000-step chain", rtol=1e-9)


@pytest.mark.points(2)
def test_no_grad_records_no_graph():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with no_grad():
        y = ops.exp(x * 2.0)
        assert not edugrad.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf, "expected no graph inside no_grad()"
    assert edugrad.is_grad_enabled(), "expected no_grad() to restore gradient recording"
    z = ops.sum(x * y)  # y is a constant here
    z.backward()
    assert_close(x.grad, y.value, "gradient with a constant computed under no_grad")

    @no_grad()
    def predict(t):
        return t * 2.0

    assert not predict(x).requires_grad, "expected @no_grad() to work as a decorator"
    with pytest.raises(KeyError), no_grad():
        raise KeyError("an error inside no_grad")
    assert edugrad.is_grad_enabled(), "expected no_grad() to restore recording after an error"


@pytest.mark.points(1)
def test_detach_item_and_repr():
    x = Tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert not d.requires_grad and d.value is y.value
    assert ops.sum(y).item() == pytest.approx(6.0)
    assert "requires_grad=True" in repr(y) and y.shape == (1, 2) and y.ndim == 2 and len(y) == 1
