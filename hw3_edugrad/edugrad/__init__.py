"""edugrad: a small automatic differentiation library on numpy (homeworks 3, 4 and 5).

    from hw3_edugrad import edugrad
    from hw3_edugrad.edugrad import Tensor, nn, optim

    x = Tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    loss = edugrad.sum(edugrad.tanh(x @ w))
    loss.backward()

tensor.py is the engine (Tensor, Operation, tensor_op, no_grad); ops.py the operations; nn.py
modules (Linear, Embedding, Dropout, Sequential); optim.py the optimizers (SGD, Adagrad, Adam);
sparse.py (given) an embedding whose gradient covers only the rows a batch uses, and its optimizer.
Every operation is available as `edugrad.ops.<name>` and as `edugrad.<name>`.
"""
from . import nn, ops, optim, sparse
from .ops import (
    add,
    concat,
    cross_entropy,
    divide,
    dropout,
    exp,
    getitem,
    log,
    log_sigmoid,
    log_softmax,
    lookup_rows,
    matmul,
    mean,
    multiply,
    negate,
    power,
    relu,
    reshape,
    sigmoid,
    softmax,
    subtract,
    sum,
    tanh,
    transpose,
    unbroadcast,
)
from .tensor import Operation, Tensor, is_grad_enabled, no_grad, tensor_op

__all__ = [
    "Operation", "Tensor", "is_grad_enabled", "no_grad", "tensor_op", "nn", "ops", "optim", "sparse",
    "add", "concat", "cross_entropy", "divide", "dropout", "exp", "getitem", "log", "log_sigmoid",
    "log_softmax", "lookup_rows", "matmul", "mean", "multiply", "negate", "power", "relu", "reshape",
    "sigmoid", "softmax", "subtract", "sum", "tanh", "transpose", "unbroadcast",
]
