"""The operations of edugrad: forward and backward of every differentiable function (your task).

Each operation is an `Operation` subclass turned into a function on tensors by `@tensor_op`:

    forward(ctx, *values, **kwargs) -> np.ndarray     # values: the inputs' arrays
    backward(ctx, grad_output, **kwargs) -> list      # one gradient per input, of that input's shape

`ctx` is a list in which forward saves what backward needs. Tensor inputs are positional; other
arguments (axis=..., shape=..., labels=...) are keyword arguments, passed to forward and backward
alike. Keep the dtype of the inputs (float32 in training, float64 in gradient checks), and never
modify grad_output or a saved array in place. Inside this module `sum` is the operation below:
use np.sum for arrays.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse

from .tensor import Operation, tensor_op

Axis = int | tuple[int, ...] | None


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` over the axes numpy broadcasting added or stretched, so that it has `shape`.

    If a of shape `shape` was broadcast to grad.shape in the forward pass (a + b with
    a: [4], b: [3, 4] -> [3, 4]), each entry of a was used several times; its gradient is the sum
    of the gradients of all its copies. unbroadcast(np.ones((3, 4)), (4,)) -> [3., 3., 3., 3.].
    """
    # TODO (about 9 lines): sum over the leading axes grad has in excess, then (keepdims) over axes where shape has 1.
    # BEGIN SOLUTION
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
    # END SOLUTION


# ---- element-wise arithmetic (with numpy broadcasting) ----------------------------------------


@tensor_op
class add(Operation):
    """a + b."""

    @staticmethod
    def forward(ctx, a, b):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        ctx.append((a.shape, b.shape))
        return a + b
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        a_shape, b_shape = ctx[-1]
        return [unbroadcast(grad_output, a_shape), unbroadcast(grad_output, b_shape)]
        # END SOLUTION


@tensor_op
class subtract(Operation):
    """a - b."""

    @staticmethod
    def forward(ctx, a, b):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        ctx.append((a.shape, b.shape))
        return a - b
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        a_shape, b_shape = ctx[-1]
        return [unbroadcast(grad_output, a_shape), unbroadcast(-grad_output, b_shape)]
        # END SOLUTION


@tensor_op
class multiply(Operation):
    """a * b (element-wise)."""

    @staticmethod
    def forward(ctx, a, b):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        ctx.append((a, b))
        return a * b
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        a, b = ctx[-1]
        return [unbroadcast(grad_output * b, a.shape), unbroadcast(grad_output * a, b.shape)]
        # END SOLUTION


@tensor_op
class divide(Operation):
    """a / b (element-wise)."""

    @staticmethod
    def forward(ctx, a, b):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        ctx.append((a, b))
        return a / b
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        # TODO (about 3 lines)
        # BEGIN SOLUTION
        a, b = ctx[-1]
        grad_a = grad_output / b
        return [unbroadcast(grad_a, a.shape), unbroadcast(-grad_a * a / b, b.shape)]
        # END SOLUTION


@tensor_op
class power(Operation):
    """a ** exponent, for a number `exponent` (a keyword argument: power(a, exponent=2))."""

    @staticmethod
    def forward(ctx, a, exponent: float):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        ctx.append(a)
        return a**exponent
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output, exponent: float):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        a = ctx[-1]
        return [grad_output * exponent * a ** (exponent - 1)]
        # END SOLUTION


@tensor_op
class negate(Operation):
    """-a."""

    @staticmethod
    def forward(ctx, a):
        # TODO (about 1 line)
        # BEGIN SOLUTION
        return -a
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        # TODO (about 1 line)
        # BEGIN SOLUTION
        return [-grad_output]
        # END SOLUTION


# ---- element-wise functions -------------------------------------------------------------------


@tensor_op
class exp(Operation):
    """e ** a."""

    @staticmethod
    def forward(ctx, a):
        # TODO (about 3 lines)
        # BEGIN SOLUTION
        out = np.exp(a)
        ctx.append(out)
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        # TODO (about 1 line)
        # BEGIN SOLUTION
        return [grad_output * ctx[-1]]
        # END SOLUTION


@tensor_op
class log(Operation):
    """Natural logarithm of a (a > 0)."""

    @staticmethod
    def forward(ctx, a):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        ctx.append(a)
        return np.log(a)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        # TODO (about 1 line)
        # BEGIN SOLUTION
        return [grad_output / ctx[-1]]
        # END SOLUTION


@tensor_op
class sigmoid(Operation):
    """1 / (1 + e ** -a), without overflow for large |a|."""

    @staticmethod
    def forward(ctx, a):
        # TODO (about 4 lines): e ** -a overflows for a << 0; write the formula so that exp only sees -|a|.
        # BEGIN SOLUTION
        e = np.exp(-np.abs(a))
        out = np.where(a >= 0, 1.0, e) / (1.0 + e)
        ctx.append(out)
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        out = ctx[-1]
        return [grad_output * out * (1.0 - out)]
        # END SOLUTION


@tensor_op
class tanh(Operation):
    """Hyperbolic tangent."""

    @staticmethod
    def forward(ctx, a):
        # TODO (about 3 lines)
        # BEGIN SOLUTION
        out = np.tanh(a)
        ctx.append(out)
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        out = ctx[-1]
        return [grad_output * (1.0 - out * out)]
        # END SOLUTION


@tensor_op
class relu(Operation):
    """max(0, a). Given: the worked example of the handout, a pattern for the other operations."""

    @staticmethod
    def forward(ctx, value):
        new_val = np.maximum(0, value)
        ctx.append(new_val)          # save what backward needs
        return new_val

    @staticmethod
    def backward(ctx, grad_output):
        value = ctx[-1]
        return [(value > 0) * grad_output]   # one gradient per input


@tensor_op
class log_sigmoid(Operation):
    """log(sigmoid(a)) = -log(1 + e ** -a), finite for every finite a (word2vec's loss)."""

    @staticmethod
    def forward(ctx, a):
        # TODO (about 3 lines): log(sigmoid(a)) = min(a, 0) - log(1 + e ** -|a|); np.log1p is accurate near 0.
        # BEGIN SOLUTION
        e = np.exp(-np.abs(a))
        ctx.append((a, e))
        return np.minimum(a, 0) - np.log1p(e)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        # TODO (about 3 lines)
        # BEGIN SOLUTION
        a, e = ctx[-1]
        sigmoid_of_minus_a = np.where(a >= 0, e, 1.0) / (1.0 + e)  # d/da log sigmoid(a) = sigmoid(-a)
        return [grad_output * sigmoid_of_minus_a]
        # END SOLUTION


# ---- reductions and shape changes ---------------------------------------------------------------


def _axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """axis (None, an int or a tuple, possibly negative) as a tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(ax % ndim for ax in axis) if ndim else ()


@tensor_op
class sum(Operation):
    """Sum of a over `axis` (None: all entries); keepdims keeps the summed axes with size 1."""

    @staticmethod
    def forward(ctx, a, axis: Axis = None, keepdims: bool = False):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        ctx.append(a.shape)
        return np.sum(a, axis=axis, keepdims=keepdims)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output, axis: Axis = None, keepdims: bool = False):
        # TODO (about 4 lines): every entry of a gets the gradient of the sum it went into
        # (np.expand_dims, np.broadcast_to).
        # BEGIN SOLUTION
        shape = ctx[-1]
        if not keepdims:
            grad_output = np.expand_dims(grad_output, _axes(axis, len(shape)))
        return [np.broadcast_to(grad_output, shape)]
        # END SOLUTION


@tensor_op
class mean(Operation):
    """Mean of a over `axis` (None: all entries); keepdims keeps the averaged axes with size 1."""

    @staticmethod
    def forward(ctx, a, axis: Axis = None, keepdims: bool = False):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        ctx.append(a.shape)
        return np.mean(a, axis=axis, keepdims=keepdims)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output, axis: Axis = None, keepdims: bool = False):
        # TODO (about 6 lines)
        # BEGIN SOLUTION
        shape = ctx[-1]
        axes = _axes(axis, len(shape))
        count = int(np.prod([shape[ax] for ax in axes]))
        if not keepdims:
            grad_output = np.expand_dims(grad_output, axes)
        return [np.broadcast_to(grad_output / count, shape)]
        # END SOLUTION


@tensor_op
class reshape(Operation):
    """a with a new shape of the same size (reshape(a, shape=(2, -1)))."""

    @staticmethod
    def forward(ctx, a, shape: tuple[int, ...]):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        ctx.append(a.shape)
        return a.reshape(shape)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output, shape: tuple[int, ...]):
        # TODO (about 1 line)
        # BEGIN SOLUTION
        return [grad_output.reshape(ctx[-1])]
        # END SOLUTION


@tensor_op
class transpose(Operation):
    """a with its axes permuted (axes=None reverses them, like np.transpose)."""

    @staticmethod
    def forward(ctx, a, axes: tuple[int, ...] | None = None):
        # TODO (about 1 line)
        # BEGIN SOLUTION
        return np.transpose(a, axes)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output, axes: tuple[int, ...] | None = None):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        inverse = None if axes is None else np.argsort(axes)
        return [np.transpose(grad_output, inverse)]
        # END SOLUTION


@tensor_op
class concat(Operation):
    """The inputs joined along `axis` (concat(a, b, c, axis=1)); all other sizes must agree."""

    @staticmethod
    def forward(ctx, *values, axis: int = 0):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        ctx.append(np.cumsum([value.shape[axis] for value in values])[:-1])
        return np.concatenate(values, axis=axis)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output, axis: int = 0):
        # TODO (about 1 line)
        # BEGIN SOLUTION
        return np.split(grad_output, ctx[-1], axis=axis)
        # END SOLUTION


@tensor_op
class getitem(Operation):
    """a[index] for a numpy index (slices, integers, integer arrays); tensor[index] calls it."""

    @staticmethod
    def forward(ctx, a, index):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        ctx.append((a.shape, a.dtype))
        return a[index]
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output, index):
        # TODO (about 4 lines): an entry selected twice (a[[0, 0]]) gets both gradients: np.add.at adds, = would not.
        # BEGIN SOLUTION
        shape, dtype = ctx[-1]
        grad = np.zeros(shape, dtype=dtype)
        np.add.at(grad, index, grad_output)
        return [grad]
        # END SOLUTION


# ---- matrices -------------------------------------------------------------------------------------


@tensor_op
class matmul(Operation):
    """a @ b for a: [..., n, k] and b: [..., k, m] -> [..., n, m] (leading batch axes broadcast)."""

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim < 2 or b.ndim < 2:
            raise ValueError(
                f"matmul needs operands with at least 2 axes but got shapes {a.shape} and {b.shape}: "
                "reshape a vector to [1, n] or [n, 1]"
            )
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        ctx.append((a, b))
        return a @ b
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        # TODO (about 7 lines): the two products with _batched_product (given, below: where the summed axis has
        # size 1, as in word2vec's [B, 1 + k, 1] @ [B, 1, d], it broadcasts instead), then unbroadcast each.
        # BEGIN SOLUTION
        a, b = ctx[-1]
        grad_a = grad_b = None  # skip the products for inputs that need no gradient (data, constants)
        if ctx.needs_input_grad[0]:
            grad_a = unbroadcast(_batched_product(grad_output, b.swapaxes(-1, -2)), a.shape)  # [..., n, k]
        if ctx.needs_input_grad[1]:
            grad_b = unbroadcast(_batched_product(a.swapaxes(-1, -2), grad_output), b.shape)  # [..., k, m]
        return [grad_a, grad_b]
        # END SOLUTION


def _batched_product(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x @ y for x: [..., n, m] and y: [..., m, k]. When m is 1 this is an outer product, which
    broadcasting computes many times faster than numpy's batched matmul (one tiny product per row)."""
    return x * y if x.shape[-1] == 1 else x @ y


def _check_indices(indices: np.ndarray, size: int, what: str) -> None:
    """A clear error for non-integer or out-of-range indices into `size` rows/classes."""
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"{what} must be an integer array but got dtype {indices.dtype}: pass an int64 array")
    if indices.size and (indices.min() < 0 or indices.max() >= size):
        raise IndexError(
            f"{what} must lie in [0, {size}) but got values from {indices.min()} to {indices.max()}: "
            "check the vocabulary or label set sizes"
        )


@tensor_op
class lookup_rows(Operation):
    """Rows of `table` picked by integer `indices` (an embedding lookup).

    table: [num_rows, dim]; indices: integer array of any shape [...] -> [..., dim].
    """

    @staticmethod
    def forward(ctx, table, indices: np.ndarray):
        assert table.ndim == 2, f"lookup_rows: expected a table of shape [num_rows, dim] but got {table.shape}"
        _check_indices(np.asarray(indices), table.shape[0], "lookup_rows indices")
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        ctx.append(table.shape)
        return table[indices]
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output, indices: np.ndarray):
        # TODO (about 7 lines): a row looked up twice gets the sum of both gradients
        # (np.add.at, not grad[indices] = ...).
        # BEGIN SOLUTION
        num_rows, dim = ctx[-1]
        flat = np.asarray(indices).reshape(-1)  # [n]
        rows = grad_output.reshape(-1, dim)  # [n, dim]
        # one_hot: [n, num_rows] sparse with a 1 at (i, flat[i]); one_hot.T @ rows adds up each row's
        # gradients (much faster than np.add.at on 2-D arrays).
        one_hot = scipy.sparse.csr_matrix(
            (np.ones(len(flat), dtype=rows.dtype), flat, np.arange(len(flat) + 1)), shape=(len(flat), num_rows)
        )
        return [np.asarray(one_hot.T @ rows)]
        # END SOLUTION


# ---- probabilities and losses -----------------------------------------------------------------


@tensor_op
class softmax(Operation):
    """e ** a / sum(e ** a) along `axis` (default the last), stable for large |a|."""

    @staticmethod
    def forward(ctx, a, axis: int = -1):
        # TODO (about 4 lines): softmax(a) = softmax(a - max(a)); subtracting the max keeps exp from overflowing.
        # BEGIN SOLUTION
        e = np.exp(a - a.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.append(out)
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output, axis: int = -1):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        out = ctx[-1]
        return [out * (grad_output - (grad_output * out).sum(axis=axis, keepdims=True))]
        # END SOLUTION


@tensor_op
class log_softmax(Operation):
    """log(softmax(a)) along `axis` (default the last), finite even where softmax underflows to 0."""

    @staticmethod
    def forward(ctx, a, axis: int = -1):
        # TODO (about 4 lines)
        # BEGIN SOLUTION
        shifted = a - a.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.append(out)
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output, axis: int = -1):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        probabilities = np.exp(ctx[-1])
        return [grad_output - probabilities * grad_output.sum(axis=axis, keepdims=True)]
        # END SOLUTION


@tensor_op
class cross_entropy(Operation):
    """Mean over the batch of -log softmax(logits)[label]: the classification loss.

    logits: [batch, num_classes] (unnormalised scores); labels: [batch] integer class indices
    (PyTorch's convention; not one-hot vectors). Returns a single number.
    """

    @staticmethod
    def forward(ctx, logits, labels: np.ndarray):
        labels = np.asarray(labels)
        if logits.ndim != 2 or labels.shape != logits.shape[:1]:
            raise ValueError(
                f"cross_entropy expects logits [batch, num_classes] and labels [batch] but got "
                f"{logits.shape} and {labels.shape}: pass class indices, not one-hot vectors"
            )
        _check_indices(labels, logits.shape[1], "cross_entropy labels")
        # TODO (about 4 lines)
        # BEGIN SOLUTION
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # [batch, C]
        ctx.append(log_probabilities)
        return -log_probabilities[np.arange(len(labels)), labels].mean()
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output, labels: np.ndarray):
        # TODO (about 4 lines): d loss / d logits = (softmax(logits) - one_hot(labels)) / batch, times grad_output.
        # BEGIN SOLUTION
        grad = np.exp(ctx[-1])  # softmax: [batch, C]
        grad[np.arange(len(labels)), labels] -= 1.0
        grad *= grad_output / len(labels)
        return [grad]
        # END SOLUTION


@tensor_op
class dropout(Operation):
    """Inverted dropout: in training, zero each entry with probability p and scale the rest by 1/(1-p).

    With training=False (or p=0) it is the identity. `rng` (a np.random.Generator) draws the mask;
    None uses numpy's global random state (seeded by common.seed.seed_everything).
    """

    @staticmethod
    def forward(ctx, a, p: float = 0.5, training: bool = True, rng: np.random.Generator | None = None):
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability p must be in [0, 1) but got {p}")
        # TODO (about 7 lines)
        # BEGIN SOLUTION
        if not training or p == 0.0:
            ctx.append(None)
            return a
        uniform = (rng or np.random).random(a.shape)
        mask = (uniform >= p).astype(a.dtype) / a.dtype.type(1.0 - p)
        ctx.append(mask)
        return a * mask
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output, p: float = 0.5, training: bool = True, rng=None):
        # TODO (about 2 lines)
        # BEGIN SOLUTION
        mask = ctx[-1]
        return [grad_output if mask is None else grad_output * mask]
        # END SOLUTION
