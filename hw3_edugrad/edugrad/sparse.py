"""Embeddings with sparse gradients (given code, used from homework 4 on).

A sentence batch uses a few thousand of a vocabulary's rows. `nn.Embedding` differentiates with
respect to the whole table, so every step builds a dense [num_embeddings, dim] gradient and the
optimizer updates every row. `SparseEmbedding` keeps the gradient to the rows the batch uses:

    forward:  unique, inverse = np.unique(indices)       # the U distinct rows of the batch
              rows = Tensor(weight[unique])               # a fresh leaf [U, dim]
              out  = lookup_rows(rows, indices=inverse)   # [..., dim], the same values as weight[indices]
    backward: rows.grad [U, dim], from lookup_rows   # d loss / d weight, row unique[i] in row i
    step:     RowOptimizer runs the optimizer's own update on those U rows and writes them back

(hw3's word2vec does the same by hand.) With SGD or Adagrad and no weight decay the result is
exactly a dense step, because a row without gradient would not move anyway; Adam's rows then
advance only when used ("lazy" Adam, like torch.optim.SparseAdam).

    embedding = sparse.SparseEmbedding(vocab_size, 300)
    row_optimizer = sparse.RowOptimizer(embedding, optim.Adagrad, lr=0.01)
    dense_optimizer = optim.Adagrad(other_parameters, lr=0.01)
    for batch in batches:
        row_optimizer.zero_grad(); dense_optimizer.zero_grad()
        loss = ...; loss.backward()
        row_optimizer.step(); dense_optimizer.step()
"""
from __future__ import annotations

import numpy as np

from . import nn, ops, optim
from .tensor import Tensor, is_grad_enabled

# Per optimizer, the state arrays that have one entry per parameter entry (gathered and written back
# row by row); other state (Adam's step count) is shared by all rows.
_ROW_STATE = {optim.SGD: (), optim.Adagrad: ("sums",), optim.Adam: ("first_moments", "second_moments")}


class SparseEmbedding(nn.Module):
    """A table of vectors, one row per index, whose gradient covers only the rows a forward used.

    weight: [num_embeddings, embedding_dim], initialised N(0, 1) like nn.Embedding (or pass `weight`,
    an array to start from). `weight.grad` stays None: after backward the gradient is in `used`,
    a list of (row indices [U], leaf tensor of those rows [U, embedding_dim]) per forward since the
    last zero_grad(). With `frozen`, the table is a constant (no gradient, no update).
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        rng: np.random.Generator | None = None,
        dtype: type = np.float32,
        weight: np.ndarray | None = None,
        frozen: bool = False,
    ):
        if weight is None:
            weight = (np.random if rng is None else rng).standard_normal((num_embeddings, embedding_dim))
        weight = np.asarray(weight, dtype=dtype)
        assert weight.shape == (num_embeddings, embedding_dim), (
            f"SparseEmbedding: expected a weight of shape {(num_embeddings, embedding_dim)} but got {weight.shape}"
        )
        self.weight = Tensor(weight, requires_grad=not frozen)
        self.used: list[tuple[np.ndarray, Tensor]] = []

    def forward(self, indices: np.ndarray) -> Tensor:
        """indices: integer array [...] -> [..., embedding_dim] (only the used rows get a gradient)."""
        table = Tensor(self.weight.value)  # the values as a constant: the graph starts at `rows` below
        if not (self.weight.requires_grad and is_grad_enabled()):
            return ops.lookup_rows(table, indices=indices)
        indices = np.asarray(indices)
        ops._check_indices(indices, self.weight.shape[0], "SparseEmbedding indices")
        unique, inverse = np.unique(indices, return_inverse=True)  # [U], indices' shape
        rows = Tensor(ops.lookup_rows(table, indices=unique).value, requires_grad=True)  # [U, dim], a leaf
        self.used.append((unique, rows))
        return ops.lookup_rows(rows, indices=inverse.reshape(indices.shape))  # [..., dim]

    def zero_grad(self) -> None:
        """Forget the rows used since the last step (and any gradient of the table)."""
        self.used = []
        self.weight.grad = None


class RowOptimizer:
    """Update a SparseEmbedding's used rows with an edugrad optimizer (SGD, Adagrad or Adam).

    The optimizer is built over the whole table (its state arrays are [num_embeddings, dim]); each
    step gathers the used rows of the table and of that state, runs the optimizer's own `step` on
    them, and writes them back. SGD with momentum is not supported (its lazy first step differs).
    """

    def __init__(self, embedding: SparseEmbedding, optimizer_class: type[optim.Optimizer], **kwargs):
        if optimizer_class not in _ROW_STATE:
            raise TypeError(f"RowOptimizer supports {[c.__name__ for c in _ROW_STATE]} but got {optimizer_class}")
        if optimizer_class is optim.SGD and kwargs.get("momentum"):
            raise ValueError("RowOptimizer does not support SGD with momentum; use Adagrad or Adam")
        self.embedding = embedding
        self.optimizer = optimizer_class([embedding.weight], **kwargs)
        self.state_names = _ROW_STATE[optimizer_class]

    def zero_grad(self) -> None:
        self.embedding.zero_grad()

    def step(self) -> None:
        """Apply the gradient of the rows used since zero_grad() (one forward per step)."""
        used = [(unique, rows) for unique, rows in self.embedding.used if rows.grad is not None]
        if len(used) > 1:
            raise RuntimeError(
                f"the embedding was used by {len(used)} forwards since zero_grad(); RowOptimizer updates the "
                "rows of one forward per step: embed the whole batch in one call"
            )
        if not used:
            return
        unique, rows = used[0]
        table = self.embedding.weight
        full_state = {name: getattr(self.optimizer, name)[0] for name in self.state_names}
        part = Tensor(table.value[unique], requires_grad=True)  # [U, dim]
        part.grad = rows.grad
        self.optimizer.params[0] = part
        for name, array in full_state.items():
            getattr(self.optimizer, name)[0] = array[unique]
        try:
            self.optimizer.step()
            table.value[unique] = part.value
            for name, array in full_state.items():
                array[unique] = getattr(self.optimizer, name)[0]
        finally:
            self.optimizer.params[0] = table
            for name, array in full_state.items():
                getattr(self.optimizer, name)[0] = array
