"""Skip-gram with negative sampling (SGNS) as an edugrad computation graph.

The model is hw2's: target embeddings E [V, d], context embeddings C [V, d], and for a target word
w, its observed context word c and k negative words n_1..n_k the loss

    L = -log σ(E[w]·C[c]) - Σ_j log σ(-E[w]·C[n_j])

summed over the batch. In hw2 you derived its gradients by hand; here you only write the forward
computation with edugrad operations and ``loss.backward()`` finds the gradients.

Training updates only the rows a batch uses (a "sparse" SGD step, as in hw2):
:meth:`EdugradSGNS.step` gathers those rows into two leaf tensors, runs the graph of
:func:`sgns_loss_of_vectors` on them and scatter-adds the gradient rows back into E and C. A dense
step over all of E and C (V x d numbers each) for every batch of ~1,000 pairs would be many times
slower and would give the same result.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse

from hw3_edugrad.edugrad import Tensor, ops


def sgns_loss_of_vectors(target_vectors: Tensor, context_vectors: Tensor) -> Tensor:
    """The summed SGNS loss of a batch, given the looked-up rows.

    target_vectors: [B, d] the rows E[w] of the batch's target words;
    context_vectors: [B, 1 + k, d] for each pair, row 0 is C[c] (the observed context word) and
    rows 1..k are C[n_1], ..., C[n_k] (its negatives).
    Returns a one-number Tensor: Σ_b ( -log σ(e_b·c_b) - Σ_j log σ(-e_b·n_bj) ).
    """
    assert target_vectors.ndim == 2 and context_vectors.ndim == 3, (
        f"expected target_vectors [B, d] and context_vectors [B, 1 + k, d], got {target_vectors.shape} and "
        f"{context_vectors.shape}"
    )
    batch, dim = target_vectors.shape
    assert batch > 0, "expected a non-empty batch of (target, context) pairs, got 0 pairs"
    assert context_vectors.shape[0] == batch and context_vectors.shape[2] == dim and context_vectors.shape[1] >= 2, (
        f"expected context_vectors [{batch}, 1 + k, {dim}] with k >= 1, got {context_vectors.shape}"
    )
    # TODO (about 5 lines): the B x (1 + k) row-wise dot products in one batched matmul ([B, 1 + k, d] @ [B, d, 1]), or
    # with multiply + sum; then log_sigmoid of +score (observed pair) and -score (negatives), summed
    # BEGIN SOLUTION
    scores = ops.matmul(context_vectors, ops.reshape(target_vectors, shape=(batch, dim, 1)))  # [B, 1 + k, 1]
    scores = ops.reshape(scores, shape=context_vectors.shape[:2])                          # [B, 1 + k]
    signs = np.ones(scores.shape, dtype=scores.dtype)                                       # [B, 1 + k]
    signs[:, 1:] = -1.0                          # σ(+score) for the observed pair, σ(-score) for negatives
    return ops.negate(ops.sum(ops.log_sigmoid(ops.multiply(scores, signs))))               # []
    # END SOLUTION


def sgns_loss(
    target_table: Tensor,
    context_table: Tensor,
    targets: np.ndarray,
    contexts: np.ndarray,
    negatives: np.ndarray,
) -> Tensor:
    """The summed SGNS loss of a batch, as an edugrad graph over the two embedding tables.

    target_table: [V, d] the target embeddings E; context_table: [V, d] the context embeddings C;
    targets: [B] and contexts: [B] integer rows of E and of C; negatives: [B, k] integer rows of C.
    Returns a one-number Tensor (see :func:`sgns_loss_of_vectors`); backward() gives d loss / d E
    and d loss / d C, [V, d] each.
    """
    batch = len(targets)
    assert contexts.shape == (batch,), f"expected contexts [{batch}], got {contexts.shape}"
    assert negatives.ndim == 2 and len(negatives) == batch, f"expected negatives [{batch}, k], got {negatives.shape}"
    # TODO (about 4 lines): lookup_rows for the target rows, and for the context rows (look the context word and its k
    # negatives up together, as [B, 1 + k] indices); then sgns_loss_of_vectors
    # BEGIN SOLUTION
    target_vectors = ops.lookup_rows(target_table, indices=targets)                       # [B, d]
    context_ids = np.concatenate([contexts[:, None], negatives], axis=1)                  # [B, 1 + k]
    context_vectors = ops.lookup_rows(context_table, indices=context_ids)                 # [B, 1 + k, d]
    return sgns_loss_of_vectors(target_vectors, context_vectors)
    # END SOLUTION


def used_rows(indices: np.ndarray, num_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows `indices` uses, in increasing order, and `indices` renumbered into them.

    indices: [n] integers in [0, num_rows). Returns (rows [U], positions [n]) with
    ``rows[positions] == indices``. Like ``np.unique(indices, return_inverse=True)`` but without
    sorting: O(num_rows + n), several times faster for a vocabulary of 10,000 and a batch of 6,000.
    """
    used = np.zeros(num_rows, dtype=bool)
    used[indices] = True
    rows = np.flatnonzero(used)                                  # [U]
    position = np.empty(num_rows, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    return rows, position[indices]


def scatter_add_rows(table: np.ndarray, rows: np.ndarray, updates: np.ndarray, scale: float) -> None:
    """``table[rows[i]] += scale * updates[i]`` for every i, in place; repeated rows get every update.

    table: [V, d]; rows: integer array of any shape [...]; updates: [..., d]. The updates of each
    distinct row are summed by a sparse [U, n] selection matrix (compiled code; np.add.at is much
    slower for rows of a 2-D array), then each of the U rows is written once.
    """
    flat_rows = rows.reshape(-1)                                                     # [n]
    updates = updates.reshape(len(flat_rows), table.shape[1])                        # [n, d]
    # TODO (about 6 lines): renumber the rows with used_rows, sum each distinct row's updates with a
    # sparse [U, n] matrix times updates (or np.add.at, slower), then add the U sums into their rows
    # BEGIN SOLUTION
    distinct, positions = used_rows(flat_rows, len(table))                           # [U], [n]
    selection = scipy.sparse.csc_matrix(                                             # [U, n]: a 1 at (positions[i], i)
        (np.full(len(flat_rows), scale, dtype=table.dtype), positions, np.arange(len(flat_rows) + 1)),
        shape=(len(distinct), len(flat_rows)),
    )
    table[distinct] += selection @ updates                                           # [U, d]
    # END SOLUTION


class EdugradSGNS:
    """Target embeddings E [V, d] and context embeddings C [V, d] (float32), trained by sparse SGD.

    Initialised exactly as hw2's SGNSModel (E uniform in [-0.5/d, 0.5/d] drawn from `rng`, C zero),
    so the same generator gives the same starting weights. E holds the word vectors.
    """

    def __init__(self, vocab_size: int, dim: int, rng: np.random.Generator) -> None:
        if vocab_size < 1 or dim < 1:
            raise ValueError(f"vocab_size and dim must be >= 1, got {vocab_size} and {dim}")
        self.target_embeddings = ((rng.random((vocab_size, dim)) - 0.5) / dim).astype(np.float32)  # E [V, d]
        self.context_embeddings = np.zeros((vocab_size, dim), dtype=np.float32)                   # C [V, d]

    def step(self, targets: np.ndarray, contexts: np.ndarray, negatives: np.ndarray, lr: float) -> float:
        """One SGD step on the summed loss of the batch; returns that loss (before the step).

        targets: [B], contexts: [B], negatives: [B, k] vocabulary indices. Only the rows the batch
        uses are read and written: they are gathered (the forward pass of lookup_rows) into two leaf
        tensors, the graph of :func:`sgns_loss_of_vectors` gives their gradients, and each gradient
        row is scatter-added into its table row times -lr (the backward pass of lookup_rows, done in
        place). A dense [V, d] gradient of E and C, and an update of every row, would cost far more.
        """
        batch = len(targets)
        assert batch > 0 and contexts.shape == (batch,) and negatives.ndim == 2 and len(negatives) == batch, (
            f"expected targets [B], contexts [B], negatives [B, k] with B > 0; got {targets.shape}, "
            f"{contexts.shape}, {negatives.shape}"
        )
        E, C = self.target_embeddings, self.context_embeddings
        context_ids = np.concatenate([contexts[:, None], negatives], axis=1)             # [B, 1 + k]
        target_vectors = Tensor(E.take(targets, axis=0), requires_grad=True)             # [B, d]
        context_vectors = Tensor(C.take(context_ids, axis=0), requires_grad=True)        # [B, 1 + k, d]
        loss = sgns_loss_of_vectors(target_vectors, context_vectors)
        loss.backward()
        scatter_add_rows(E, targets, target_vectors.grad, scale=-lr)
        scatter_add_rows(C, context_ids, context_vectors.grad, scale=-lr)
        return loss.item()
