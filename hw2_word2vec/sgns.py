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
    # TODO (about 1 line): split by the sign of x so that exp never sees a large positive argument
    # BEGIN SOLUTION
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    # END SOLUTION


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + exp(-x)), elementwise, without overflow warnings for large |x|.

    x: any shape. Returns the same shape and dtype.
    """
    # TODO (about 2 lines)
    # BEGIN SOLUTION
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    # END SOLUTION


def sgns_score_gradients(scores: np.ndarray) -> tuple[float, np.ndarray]:
    """The summed SGNS loss of a batch as a function of its dot products, and dL/dscore.

    scores: [B, 1 + k]; column 0 holds the observed pairs' e·c, columns 1..k the negatives' e·n_j.
    Returns (loss, d_scores [B, 1 + k]) with loss = Σ_b ( -log σ(s_b0) - Σ_j log σ(-s_bj) ) as a
    Python float; d_scores keeps the dtype of `scores`.
    """
    # TODO (about 6 lines): d/ds of -log σ(s) is σ(s) - 1; d/ds of -log σ(-s) is σ(s)
    # BEGIN SOLUTION
    signs = np.ones_like(scores)
    signs[:, 0] = -1                                                   # +1 for negatives, -1 for the pair
    loss = -log_sigmoid(-signs * scores).sum()
    d_scores = sigmoid(scores)                                         # [B, 1 + k]
    d_scores[:, 0] -= 1
    return float(loss), d_scores
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
    # TODO (about 6 lines): stack the context and negative rows into one [B, 1 + k, d] array, get all scores with one
    # np.einsum, call sgns_score_gradients, then apply the chain rule (score = e·v: d/de = v, d/dv = e)
    # BEGIN SOLUTION
    output_vectors = np.concatenate([context_vectors[:, None, :], negative_vectors], axis=1)  # [B, 1+k, d]
    scores = np.einsum("bkd,bd->bk", output_vectors, target_vectors)                         # [B, 1+k]
    loss, d_scores = sgns_score_gradients(scores)                                            # [B, 1+k]
    grad_target = np.einsum("bk,bkd->bd", d_scores, output_vectors)                          # [B, d]
    grad_outputs = d_scores[:, :, None] * target_vectors[:, None, :]                         # [B, 1+k, d]
    return loss, grad_target, grad_outputs[:, 0], grad_outputs[:, 1:]
    # END SOLUTION


def scatter_add(
    matrix: np.ndarray,
    rows: np.ndarray,
    vectors: np.ndarray,
    weights: np.ndarray | None = None,
    scale: float = 1.0,
) -> None:
    """``matrix[rows[b, j]] += scale * weights[b, j] * vectors[b]`` for every b, j, in place,
    summing the updates of repeated rows.

    matrix: [V, d]; vectors: [B, d]; rows: [B] or [B, m] integer indices; weights: like rows, or
    None for all ones. With rows [B] and no weights this is ``matrix[rows[b]] += scale * vectors[b]``.
    (Plain ``matrix[rows] += ...`` keeps only one update per repeated row; ``np.add.at`` sums them
    correctly but slowly.)
    """
    batch = len(vectors)
    assert vectors.ndim == 2 and vectors.shape[1] == matrix.shape[1], (
        f"expected vectors [B, {matrix.shape[1]}], got {vectors.shape}"
    )
    assert rows.shape[0] == batch and (weights is None or weights.shape == rows.shape), (
        f"expected rows [{batch}] or [{batch}, m] and weights of the same shape; got rows {rows.shape}, "
        f"weights {None if weights is None else weights.shape}"
    )
    # TODO (about 8 lines): build a sparse [V, B] matrix S with S[rows[b, j], b] = scale * weights[b, j] (scipy sums
    # repeated entries), then matrix += S @ vectors: the summing happens in compiled code
    # BEGIN SOLUTION
    per_row = rows.size // batch if batch else 1
    values = np.full(rows.size, scale, dtype=vectors.dtype)
    if weights is not None:
        values *= weights.reshape(-1)
    selector = scipy.sparse.csc_matrix(                                # [V, B]: column b lists b's rows
        (values, rows.reshape(-1), np.arange(0, rows.size + 1, per_row)), shape=(matrix.shape[0], batch)
    )
    matrix += selector @ vectors                                       # [V, d]
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
        # TODO (about 10 lines): gather E[targets] and C[[contexts, negatives]] (np.take is fastest), score them with
        # np.einsum, call sgns_score_gradients, then scatter_add -lr * gradient into E and C. Use the
        # per-score gradients directly for C (rows [B, 1 + k], weights d_scores, vectors e) instead of
        # building the [B, 1 + k, d] gradient array.
        # BEGIN SOLUTION
        E, C = self.target_embeddings, self.context_embeddings
        output_rows = np.concatenate([contexts[:, None], negatives], axis=1)      # [B, 1+k]
        target_vectors = E.take(targets, axis=0)                                   # [B, d]
        output_vectors = C.take(output_rows, axis=0)                               # [B, 1+k, d]
        scores = np.einsum("bkd,bd->bk", output_vectors, target_vectors)           # [B, 1+k]
        loss, d_scores = sgns_score_gradients(scores)                              # [B, 1+k]
        grad_target = np.einsum("bk,bkd->bd", d_scores, output_vectors)            # [B, d]
        scatter_add(E, targets, grad_target, scale=-lr)
        scatter_add(C, output_rows, target_vectors, weights=d_scores, scale=-lr)
        return loss
        # END SOLUTION
