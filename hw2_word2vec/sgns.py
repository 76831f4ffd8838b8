"""Skip-gram with negative sampling (SGNS) in numpy: the loss, its gradients and the model update.

For a target word w with embedding e = E[w], its observed context word c with embedding C[c], and
k negative words n_1..n_k (context embeddings C[n_j]), the loss of one pair is

    L = -log σ(e·C[c]) - Σ_j log σ(-e·C[n_j])

A batch's loss is the SUM of its pairs' losses; :class:`SGNSModel` takes a plain SGD step on it.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log σ(x) = -log(1 + exp(-x)), elementwise, finite for every finite x (no overflow, no log(0)).

    x: any shape. Returns the same shape and dtype.
    """
    # TODO: split by the sign of x so that exp never sees a large positive argument
    # BEGIN SOLUTION
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    # END SOLUTION


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + exp(-x)), elementwise, without overflow warnings for large |x|.

    x: any shape. Returns the same shape and dtype.
    """
    # BEGIN SOLUTION
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    # END SOLUTION


def sgns_loss_and_gradients(
    target_vectors: np.ndarray, context_vectors: np.ndarray, negative_vectors: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The summed SGNS loss of a batch of pairs and its gradients with respect to each input.

    target_vectors: [B, d] rows E[w]; context_vectors: [B, d] rows C[c];
    negative_vectors: [B, k, d] rows C[n_j].
    Returns (loss, grad_target [B, d], grad_context [B, d], grad_negatives [B, k, d]), where loss is
    Σ_b ( -log σ(e_b·c_b) - Σ_j log σ(-e_b·n_bj) ) as a Python float and each gradient has the shape
    and dtype of its input.
    """
    batch, dim = target_vectors.shape
    assert context_vectors.shape == (batch, dim), (
        f"expected context_vectors {(batch, dim)}, got {context_vectors.shape}"
    )
    assert negative_vectors.ndim == 3 and negative_vectors.shape[0] == batch and negative_vectors.shape[2] == dim, (
        f"expected negative_vectors [{batch}, k, {dim}], got {negative_vectors.shape}"
    )
    # TODO: scores with np.einsum (no Python loop over the batch), then dL/dscore = σ(score) - 1 for the
    # positive pair and σ(score) for a negative one
    # BEGIN SOLUTION
    positive = np.einsum("bd,bd->b", target_vectors, context_vectors)               # [B]
    negative = np.einsum("bkd,bd->bk", negative_vectors, target_vectors)            # [B, k]
    loss = -(log_sigmoid(positive).sum() + log_sigmoid(-negative).sum())
    d_positive = sigmoid(positive) - 1                                              # [B]
    d_negative = sigmoid(negative)                                                  # [B, k]
    grad_target = d_positive[:, None] * context_vectors                             # [B, d]
    grad_target += np.einsum("bk,bkd->bd", d_negative, negative_vectors)            # [B, d]
    grad_context = d_positive[:, None] * target_vectors                             # [B, d]
    grad_negatives = d_negative[:, :, None] * target_vectors[:, None, :]            # [B, k, d]
    return float(loss), grad_target, grad_context, grad_negatives
    # END SOLUTION


def scatter_add(matrix: np.ndarray, rows: np.ndarray, updates: np.ndarray, scale: float = 1.0) -> None:
    """``matrix[rows[i]] += scale * updates[i]`` for every i, in place, summing the updates of
    repeated rows.

    matrix: [V, d]; rows: [M] integer indices; updates: [M, d]. (Plain ``matrix[rows] += updates``
    would keep only one update per repeated row.)
    """
    assert updates.shape == (len(rows), matrix.shape[1]), (
        f"expected updates [{len(rows)}, {matrix.shape[1]}], got {updates.shape}"
    )
    # TODO: np.add.at is correct but slow for 2-D updates; a sparse [V, M] matrix with one 1 per
    # column (column i in row rows[i]) times `updates` sums repeated rows in compiled code
    # BEGIN SOLUTION
    num_rows = len(rows)
    selector = scipy.sparse.csc_matrix(                                # [V, M], S[rows[i], i] = scale
        (np.full(num_rows, scale, dtype=updates.dtype), rows, np.arange(num_rows + 1)),
        shape=(matrix.shape[0], num_rows),
    )
    matrix += selector @ updates                                       # [V, d]
    # END SOLUTION


def linear_decay_lr(initial_lr: float, progress: float, min_fraction: float = 1e-4) -> float:
    """word2vec's schedule: the learning rate falls linearly from `initial_lr` (progress 0) towards 0
    (progress 1), but never below ``initial_lr * min_fraction``.

    progress: the fraction of training done, in [0, 1].
    """
    assert 0.0 <= progress <= 1.0 + 1e-9, f"expected progress in [0, 1], got {progress}"
    # BEGIN SOLUTION
    return initial_lr * max(1.0 - progress, min_fraction)
    # END SOLUTION


class SGNSModel:
    """Target embeddings E [V, d] and context embeddings C [V, d] (float32), trained by SGD.

    As in word2vec, E starts uniform in [-0.5/d, 0.5/d] and C starts at zero. E holds the word
    vectors that are saved and evaluated.
    """

    def __init__(self, vocab_size: int, dim: int, rng: np.random.Generator) -> None:
        if vocab_size < 1 or dim < 1:
            raise ValueError(f"vocab_size and dim must be >= 1, got {vocab_size} and {dim}")
        self.target_embeddings = ((rng.random((vocab_size, dim)) - 0.5) / dim).astype(np.float32)  # E [V, d]
        self.context_embeddings = np.zeros((vocab_size, dim), dtype=np.float32)                   # C [V, d]

    def step(self, targets: np.ndarray, contexts: np.ndarray, negatives: np.ndarray, lr: float) -> float:
        """One SGD step on the summed loss of a batch; returns that loss (before the update).

        targets: [B], contexts: [B], negatives: [B, k] vocabulary indices. Every row's update is the
        sum of its gradients over the batch (rows repeat: frequent words are in many pairs).
        """
        assert targets.shape == contexts.shape and negatives.shape[0] == len(targets), (
            f"expected targets [B], contexts [B], negatives [B, k]; got {targets.shape}, {contexts.shape}, "
            f"{negatives.shape}"
        )
        # TODO: gather the rows, call sgns_loss_and_gradients, then scatter_add -lr * gradient into
        # E (targets) and C (contexts and negatives together)
        # BEGIN SOLUTION
        E, C = self.target_embeddings, self.context_embeddings
        loss, grad_target, grad_context, grad_negatives = sgns_loss_and_gradients(
            E[targets], C[contexts], C[negatives]
        )
        scatter_add(E, targets, grad_target, scale=-lr)
        scatter_add(C, contexts, grad_context, scale=-lr)
        scatter_add(C, negatives.reshape(-1), grad_negatives.reshape(-1, E.shape[1]), scale=-lr)
        return loss
        # END SOLUTION
