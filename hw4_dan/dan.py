"""The deep averaging network (Iyyer et al. 2015) in edugrad: your part of homework 4.

For a sentence of T tokens with embeddings x_1 … x_T (after word dropout removed some tokens),

    a   = (1 / |kept|) Σ_{t kept} x_t                       the masked average    [d]
    h_1 = g(a W_1 + b_1), …, h_L = g(h_{L-1} W_L + b_L)      the feed-forward stack [hidden]
    z   = h_L W_out + b_out                                   the logits            [num_classes]
    loss = cross_entropy(z, y) + λ Σ_l ||W_l||²               (λ: l2, over the weight matrices)

Batches are padded: `mask[b, t]` is True at the real tokens of sentence b and False at padding.
edugrad's Linear keeps its weight as [in_features, out_features] (PyTorch: [out, in]).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hw3_edugrad.edugrad import Tensor, nn, ops
from hw3_edugrad.edugrad.sparse import SparseEmbedding

ACTIVATIONS = {"relu": ops.relu, "tanh": ops.tanh}


def masked_average(embeddings: Tensor, mask: np.ndarray) -> Tensor:
    """The mean of each sentence's token vectors, counting only positions where `mask` is True.

    embeddings: [batch, max_len, dim]; mask: [batch, max_len] bool with at least one True per row
    -> [batch, dim], in the embeddings' dtype (float32 stays float32). Padding (and dropped words) must
    not change the result, whatever its vectors hold.
    """
    mask = np.asarray(mask)
    assert mask.shape == embeddings.shape[:2], (
        f"masked_average: expected a mask of shape {embeddings.shape[:2]} but got {mask.shape}"
    )
    assert mask.any(axis=1).all(), "masked_average: every row of the mask needs at least one True (a token)"
    # TODO: weight each position by mask / (the row's count of kept tokens) and add up over the
    # tokens: multiply and sum, or one batched matmul of the weights [B, 1, T] with the embeddings
    # (which skips the gradient of the constant weights). About 3 lines.
    # BEGIN SOLUTION
    weights = mask.astype(embeddings.dtype)  # (B, T)
    weights /= weights.sum(axis=1, keepdims=True)  # each row sums to 1 over its kept tokens
    return ops.reshape(ops.matmul(weights[:, None, :], embeddings), shape=(len(mask), embeddings.shape[2]))  # (B, d)
    # END SOLUTION


def word_dropout(mask: np.ndarray, p: float, rng: np.random.Generator, training: bool = True) -> np.ndarray:
    """Drop whole tokens before averaging: each real token is kept with probability 1 - p.

    mask: [batch, max_len] bool (True at real tokens, at least one per row) -> a new mask of the
    same shape, True at the kept tokens, never True at padding. A row that would lose all of its
    tokens keeps one of them, chosen uniformly at random (so the average always exists). With
    `training` False or p == 0 the mask is returned unchanged. Draw every random number from `rng`
    (uniform numbers with rng.random, the same number of draws whatever the outcome), so the same
    seed gives the same dropout. The mask passed in is never modified.
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"word dropout p must be in [0, 1) but got {p}")
    mask = np.asarray(mask, dtype=bool)
    if not training or p == 0.0:
        return mask
    # TODO: keep = mask & (uniform >= p). For the rows with nothing kept, pick one of the row's real
    # tokens: e.g. the real token with the largest of a second uniform draw (np.argmax over
    # np.where(mask, draw, -1)). About 6 lines.
    # BEGIN SOLUTION
    keep = mask & (rng.random(mask.shape) >= p)  # (B, T)
    rescue = np.argmax(np.where(mask, rng.random(mask.shape), -1.0), axis=1)  # (B,) a real token per row
    empty = ~keep.any(axis=1)  # (B,)
    keep[np.flatnonzero(empty), rescue[empty]] = True
    return keep
    # END SOLUTION


class FeedForward(nn.Module):
    """`depth` layers of Linear then the non-linearity g: [..., in_dim] -> [..., hidden] (depth 0: identity).

    Dropout with probability `dropout` follows each non-linearity in training mode.
    """

    def __init__(
        self,
        in_dim: int,
        hidden: int,
        depth: int,
        activation: str = "relu",
        dropout: float = 0.0,
        rng: np.random.Generator | None = None,
    ):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)} but got {activation!r}")
        if depth < 0:
            raise ValueError(f"depth must be >= 0 but got {depth}")
        sizes = [in_dim] + [hidden] * depth
        self.layers = [nn.Linear(a, b, rng=rng) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        self.activation = activation
        self.dropout = nn.Dropout(dropout, rng=rng)
        self.out_dim = sizes[-1]

    def forward(self, x: Tensor) -> Tensor:
        """x: [batch, in_dim] -> [batch, out_dim]."""
        g = ACTIVATIONS[self.activation]
        # TODO: for each layer: x = dropout(g(layer(x))). About 3 lines.
        # BEGIN SOLUTION
        for layer in self.layers:
            x = self.dropout(g(layer(x)))  # (B, hidden)
        return x
        # END SOLUTION


class DAN(nn.Module):
    """Embedding -> word dropout -> masked average -> FeedForward -> Linear to the logits.

    embedding: a SparseEmbedding [vocab_size, dim] (given: `pretrained` rows to start from, `frozen`);
    word_dropout: the probability p of dropping a token in training mode; `rng` draws the initial
    weights, the word dropout and the dropout masks.
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int,
        hidden: int,
        depth: int,
        num_classes: int,
        activation: str = "relu",
        word_dropout: float = 0.0,
        dropout: float = 0.0,
        rng: np.random.Generator | None = None,
        pretrained: np.ndarray | None = None,
        frozen: bool = False,
        init_scale: float = 1.0,
    ):
        self.rng = rng if rng is not None else np.random.default_rng()
        if pretrained is None:
            pretrained = init_scale * self.rng.standard_normal((vocab_size, dim))
        self.embedding = SparseEmbedding(vocab_size, dim, weight=pretrained, frozen=frozen)
        self.feedforward = FeedForward(dim, hidden, depth, activation, dropout, rng=self.rng)
        self.output = nn.Linear(self.feedforward.out_dim, num_classes, rng=self.rng)
        self.word_dropout = word_dropout

    def forward(self, indices: np.ndarray, mask: np.ndarray) -> Tensor:
        """indices: [batch, max_len] int; mask: [batch, max_len] bool -> logits [batch, num_classes].

        Apply word_dropout (in training mode only, with self.rng), embed, average, feed forward, output.
        """
        # TODO: the docstring's steps in order: word dropout, embedding, masked average, feed-forward,
        # output layer. About 3 lines.
        # BEGIN SOLUTION
        kept = word_dropout(mask, self.word_dropout, self.rng, training=self.training)  # (B, T)
        average = masked_average(self.embedding(indices), kept)  # (B, d)
        return self.output(self.feedforward(average))  # (B, C)
        # END SOLUTION

    def set_rng(self, rng: np.random.Generator) -> None:
        """Draw word dropout and dropout from `rng` from now on (the trainer gives one per epoch)."""
        self.rng = self.feedforward.dropout.rng = rng

    def weight_matrices(self) -> list[Tensor]:
        """The weight matrices that L2 regularisation applies to: every Linear's weight (not biases,
        not the embeddings: a penalty on the table would give every row a gradient at every step)."""
        return [layer.weight for layer in self.feedforward.layers] + [self.output.weight]


def classification_loss(logits: Tensor, labels: np.ndarray, weights: Sequence[Tensor], l2: float) -> Tensor:
    """Mean cross-entropy of `logits` [batch, num_classes] against integer `labels` [batch], plus
    l2 * (sum of squares of every entry of every tensor in `weights`). Returns a single number."""
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0 but got {l2}")
    # TODO: ops.cross_entropy, then add l2 times the summed squares (skip the penalty when l2 == 0).
    # About 4 lines.
    # BEGIN SOLUTION
    loss = ops.cross_entropy(logits, labels=labels)
    if l2 > 0:
        for weight in weights:
            loss = loss + l2 * ops.sum(weight * weight)
    return loss
    # END SOLUTION
