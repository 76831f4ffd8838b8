"""The autograd engine: `Tensor`, `Operation`, `tensor_op` and `no_grad` (given code).

A `Tensor` wraps a numpy array (`.value`, no copy). Applying an operation made by `@tensor_op` to
tensors computes the output value with the operation's `forward` and, when some input requires a
gradient, records a graph node: the operation, its saved context `ctx` and its input tensors.
`output.backward()` then visits the graph from the output back to the leaves in reverse topological
order, calls each operation's `backward(ctx, grad_output)` and adds up the gradients of tensors used
more than once. Only leaf tensors created with `requires_grad=True` keep a `.grad`.

    x = Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    y = ops.sum(ops.relu(x) * 3.0)
    y.backward()          # x.grad == [0., 3.]
"""
from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator, Sequence

import numpy as np

_grad_enabled = True


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside this context (or a function decorated with it) operations record no graph."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    """False inside `no_grad()`."""
    return _grad_enabled


class Tensor:
    """A numpy array with an optional gradient and the graph node that produced it.

    `value`: the array. Float arrays keep their dtype (use float32 for speed, float64 for gradient
    checks); Python numbers, lists and integer or boolean arrays become float64.
    `requires_grad`: whether `backward()` should compute a gradient for this tensor.
    `grad`: after `backward()`, d output / d self with `value`'s shape (leaf tensors only; None until
    then). Gradients add up over `backward()` calls, so call `zero_grad()` between steps.
    """

    __slots__ = ("value", "grad", "requires_grad", "_node")
    __array_ufunc__ = None  # numpy_array * tensor calls Tensor.__rmul__ instead of numpy's multiply

    def __init__(self, value, requires_grad: bool = False):
        if isinstance(value, Tensor):
            raise TypeError("Tensor(tensor) is ambiguous: use the tensor itself, or Tensor(tensor.value)")
        if type(value) is not np.ndarray:
            value = np.asarray(value)
        if value.dtype.kind != "f":
            value = value.astype(np.float64)
        self.value: np.ndarray = value
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        # (operation class, ctx, input tensors, keyword arguments); None for leaves and constants
        self._node: tuple | None = None

    # ---- array-like properties -------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    @property
    def size(self) -> int:
        return self.value.size

    def __len__(self) -> int:
        return len(self.value)

    def __repr__(self) -> str:
        flag = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.value, precision=4, threshold=20)}{flag})"

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        return float(self.value.item())

    def numpy(self) -> np.ndarray:
        """The underlying array (not a copy)."""
        return self.value

    def detach(self) -> Tensor:
        """A constant tensor sharing this value, cut from the graph."""
        return Tensor(self.value)

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets `grad` to None)."""
        self.grad = None

    # ---- backpropagation -------------------------------------------------------------------
    def backward(self, grad_output: np.ndarray | None = None) -> None:
        """Compute d self / d t for every tensor t in self's graph that requires a gradient.

        Without `grad_output`, self must hold a single number (a loss); otherwise `grad_output`
        (self's shape) is the gradient of some scalar with respect to self.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of its graph was created "
                "with requires_grad=True, or it was computed inside no_grad()"
            )
        if grad_output is None:
            if self.value.size != 1:
                raise ValueError(
                    f"backward() without grad_output needs a single-number output (a loss) but got shape "
                    f"{self.shape}: reduce it first (e.g. ops.sum or ops.mean) or pass grad_output"
                )
            grad_output = np.ones_like(self.value)
        else:
            grad_output = np.asarray(grad_output, dtype=self.value.dtype)
            if grad_output.shape != self.shape:
                raise ValueError(f"grad_output must have the output's shape {self.shape} but got {grad_output.shape}")

        grads = {id(self): grad_output}  # gradients not yet passed on; freed once used
        stored: set[int] = set()  # arrays already stored as some leaf's .grad in this pass
        for tensor in reversed(_topological_order(self)):
            grad = grads.pop(id(tensor))
            if tensor._node is None:
                if tensor.grad is not None:
                    tensor.grad = tensor.grad + grad
                else:  # own the array: not a read-only view (broadcast_to), not shared with another leaf
                    if id(grad) in stored or not grad.flags.writeable or grad.base is not None:
                        grad = grad.copy()
                    tensor.grad = grad
                    stored.add(id(grad))
                continue
            operation, ctx, inputs, kwargs = tensor._node
            input_grads = operation.backward(ctx, grad, **kwargs)
            if len(input_grads) != len(inputs):
                raise ValueError(
                    f"{operation.__name__}.backward returned {len(input_grads)} gradients for "
                    f"{len(inputs)} inputs: return a list with one gradient per input"
                )
            for position, (parent, parent_grad) in enumerate(zip(inputs, input_grads, strict=True)):
                if parent_grad is None or not parent.requires_grad:
                    continue
                parent_grad = _checked_gradient(operation, position, parent, parent_grad)
                key = id(parent)
                grads[key] = parent_grad if key not in grads else grads[key] + parent_grad

    # ---- operators (the operations themselves live in ops.py) ------------------------------
    def __add__(self, other) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other) -> Tensor:
        return ops.subtract(self, other)

    def __rsub__(self, other) -> Tensor:
        return ops.subtract(other, self)

    def __mul__(self, other) -> Tensor:
        return ops.multiply(self, other)

    def __rmul__(self, other) -> Tensor:
        return ops.multiply(other, self)

    def __truediv__(self, other) -> Tensor:
        return ops.divide(self, other)

    def __rtruediv__(self, other) -> Tensor:
        return ops.divide(other, self)

    def __matmul__(self, other) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other) -> Tensor:
        return ops.matmul(other, self)

    def __pow__(self, exponent: float) -> Tensor:
        if isinstance(exponent, Tensor):
            raise TypeError("tensor ** tensor is not supported: the exponent must be a number")
        return ops.power(self, exponent=exponent)

    def __neg__(self) -> Tensor:
        return ops.negate(self)

    def __getitem__(self, index) -> Tensor:
        return ops.getitem(self, index=index)

    # ---- method forms of common operations ---------------------------------------------------
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.mean(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], Sequence):
            shape = tuple(shape[0])
        return ops.reshape(self, shape=shape)

    def transpose(self, *axes) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], Sequence):
            axes = tuple(axes[0])
        return ops.transpose(self, axes=axes or None)

    @property
    def T(self) -> Tensor:
        return ops.transpose(self, axes=None)

    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def tanh(self) -> Tensor:
        return ops.tanh(self)


def _topological_order(root: Tensor) -> list[Tensor]:
    """Tensors of root's graph that require grad, every tensor after all of its inputs.

    Iterative depth-first search (an explicit stack instead of recursion, so a graph 100,000
    operations deep is fine): a tensor is appended once all of its inputs have been appended.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor._node is not None:
            for parent in tensor._node[2]:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def _checked_gradient(operation: type, position: int, parent: Tensor, grad) -> np.ndarray:
    """grad as an array of parent's shape and dtype; a clear error naming the operation otherwise."""
    if type(grad) is not np.ndarray:
        grad = np.asarray(grad)
    if grad.shape != parent.value.shape:
        raise ValueError(
            f"{operation.__name__}.backward returned a gradient of shape {grad.shape} for input {position} "
            f"of shape {parent.value.shape}: each gradient must have its input's shape"
        )
    if grad.dtype != parent.value.dtype:
        grad = grad.astype(parent.value.dtype)
    return grad


class Context(list):
    """The list an operation's forward saves values in, for its backward.

    `needs_input_grad[i]` (set before backward is called) tells whether input i needs a gradient:
    backward may return None for an input that does not, and skip computing it.
    """

    __slots__ = ("needs_input_grad",)


class Operation:
    """A differentiable function: subclass it with two static methods and decorate with @tensor_op.

    forward(ctx, *values, **kwargs) -> np.ndarray
        values: the input tensors' arrays; kwargs: the non-tensor arguments (axis=..., shape=...).
        Append to the list `ctx` whatever backward will need.
    backward(ctx, grad_output, **kwargs) -> list of np.ndarray
        grad_output: d loss / d output (the output's shape). Returns one gradient per input, each of
        that input's shape. An entry may be None where ctx.needs_input_grad[i] is False (a constant
        input): that saves computing a gradient nobody uses.
    """

    @staticmethod
    def forward(ctx: Context, *values: np.ndarray, **kwargs) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad_output: np.ndarray, **kwargs) -> list[np.ndarray | None]:
        raise NotImplementedError


def tensor_op(operation: type[Operation]) -> Callable[..., Tensor]:
    """Turn an Operation class into a function on tensors: `op(*tensors, **kwargs) -> Tensor`.

    Positional arguments are the differentiable inputs: Tensors, or numpy arrays / numbers, which
    become constant tensors (numbers and integer arrays take the dtype of the first Tensor input).
    Keyword arguments are passed unchanged to forward and backward. forward's parameters with a
    default or a type annotation are options and must be passed as keywords; a call that passes one
    positionally is an error that names it.
    """
    forward = operation.forward
    tensor_inputs, options = _inputs_and_options(forward)

    @functools.wraps(operation, updated=())
    def apply(*inputs, **kwargs) -> Tensor:
        if tensor_inputs is not None and len(inputs) > len(tensor_inputs):
            raise TypeError(
                f"{operation.__name__}: expected {len(tensor_inputs)} tensor input(s) ({', '.join(tensor_inputs)}) "
                f"but got {len(inputs)} positional arguments; pass the options as keywords: "
                + ", ".join(f"{name}=..." for name in options)
            )
        if not all(type(x) is Tensor for x in inputs):
            inputs = _as_tensors(inputs)
        for name, option in kwargs.items():
            if isinstance(option, Tensor):
                raise TypeError(
                    f"{operation.__name__}: keyword argument {name}= got a Tensor; keyword arguments are "
                    f"non-differentiable options: pass {name}=tensor.value, or pass tensors positionally"
                )
        ctx = Context()
        out = Tensor(forward(ctx, *[x.value for x in inputs], **kwargs))
        if _grad_enabled:
            needs_input_grad = tuple([x.requires_grad for x in inputs])
            if True in needs_input_grad:
                ctx.needs_input_grad = needs_input_grad
                out.requires_grad = True
                out._node = (operation, ctx, inputs, kwargs)
        return out

    apply.operation = operation
    return apply


def _inputs_and_options(forward: Callable) -> tuple[list[str] | None, list[str]]:
    """forward's tensor inputs (None: any number, `*values`) and its options, by name."""
    parameters = list(inspect.signature(forward).parameters.values())[1:]  # ctx first
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return None, [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]
    plain = [p.name for p in parameters if p.default is p.empty and p.annotation is p.empty]
    return plain, [p.name for p in parameters if p.name not in plain]


def _as_tensors(inputs: tuple) -> tuple[Tensor, ...]:
    """Wrap non-Tensor inputs as constants; numbers and non-float arrays get the tensors' dtype."""
    dtype = next((x.value.dtype for x in inputs if isinstance(x, Tensor)), np.float64)
    tensors = []
    for x in inputs:
        if not isinstance(x, Tensor):
            array = np.asarray(x)
            if array.dtype.kind != "f" or array.ndim == 0:
                array = array.astype(dtype)
            x = Tensor(array)
        tensors.append(x)
    return tuple(tensors)


# ops.py builds on the classes above, and Tensor's operators call into ops; import it last.
from . import ops  # noqa: E402
