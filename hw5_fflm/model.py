"""The feed-forward neural language model of Bengio et al. (2003), in edugrad (your task).

For a window of the previous c = n − 1 words w_{t−c} … w_{t−1}:

    x = [C[w_{t−c}]; …; C[w_{t−2}]; C[w_{t−1}]]     [B, c·e]   the word vectors, concatenated, oldest first
    h = tanh(x H + d)                               [B, h]
    y = b + x W + h U                               [B, V]     logits; p(w_t | context) = softmax(y)

C [V, e] is the shared embedding table, H [c·e, h] and d [h] the hidden layer, U [h, V] and b [V]
the output layer, and W [c·e, V] the paper's optional *direct connections* from the word vectors to
the output (no bias). Dropout (when p > 0) is applied to x and to h in training.

With *tied embeddings* (Press & Wolf, 2017) the output layer reuses the word vectors: U = P Cᵀ, so

    y = b + x W + (h P + p) Cᵀ                      [B, V]     P [h, e] and p [e]: a projection to word-vector space

The output layer then has h·e + e parameters of its own instead of h·V, and each word's vector is
trained both by the contexts it appears in and by the predictions of it.
"""
from __future__ import annotations

import numpy as np

from hw3_edugrad.edugrad import Tensor, nn, ops


class FeedForwardLM(nn.Module):
    """Bengio's model: contexts [B, context_size] int -> logits [B, vocab_size].

    Parameters (float32 unless `dtype`), from `rng` (np.random.Generator; None: numpy's global state):
    `embedding` (nn.Embedding [V, e], N(0, embedding_std²)), `hidden` (nn.Linear c·e -> h),
    `output` (nn.Linear h -> V), and `direct` (nn.Linear c·e -> V without bias) or None.
    With `tie_embeddings`, `output` is None and there are `projection` (nn.Linear h -> e, drawn from
    rng where `output` would be) and `output_bias` (a trainable Tensor [V] of zeros of `dtype`) instead.
    The embedding is drawn N(0, 1) and then multiplied by `embedding_std`.
    """

    def __init__(self, vocab_size: int, context_size: int, embedding_dim: int, hidden_dim: int,
                 direct: bool = False, dropout: float = 0.0, embedding_std: float = 1.0,
                 tie_embeddings: bool = False, rng: np.random.Generator | None = None, dtype: type = np.float32):
        if min(vocab_size, context_size, embedding_dim, hidden_dim) < 1:
            raise ValueError(f"vocab_size, context_size, embedding_dim and hidden_dim must be >= 1 but got "
                             f"{vocab_size}, {context_size}, {embedding_dim}, {hidden_dim}")
        self.vocab_size, self.context_size = vocab_size, context_size
        # TODO: the four layers above (embedding scaled by embedding_std, hidden, output, direct or
        # None) and a Dropout module; in this order, from rng. With tie_embeddings, projection and
        # output_bias take output's place (output = None). About 13 lines.
        # BEGIN SOLUTION
        self.embedding = nn.Embedding(vocab_size, embedding_dim, rng=rng, dtype=dtype)
        self.embedding.weight.value *= dtype(embedding_std)
        self.hidden = nn.Linear(context_size * embedding_dim, hidden_dim, rng=rng, dtype=dtype)
        if tie_embeddings:
            self.output = None
            self.projection = nn.Linear(hidden_dim, embedding_dim, rng=rng, dtype=dtype)
            self.output_bias = Tensor(np.zeros(vocab_size, dtype=dtype), True)
        else:
            self.output = nn.Linear(hidden_dim, vocab_size, rng=rng, dtype=dtype)
        self.direct = (nn.Linear(context_size * embedding_dim, vocab_size, bias=False, rng=rng, dtype=dtype)
                       if direct else None)
        self.dropout = nn.Dropout(dropout, rng=rng)
        # END SOLUTION

    def forward(self, contexts: np.ndarray) -> Tensor:
        """contexts: [B, context_size] word ids, most recent word last -> logits [B, vocab_size]."""
        contexts = np.asarray(contexts)
        assert contexts.ndim == 2 and contexts.shape[1] == self.context_size, (
            f"expected contexts [batch, {self.context_size}] but got {contexts.shape}")
        # TODO: look up and concatenate (one lookup_rows, then reshape), hidden tanh layer, output
        # layer (or, tied, the projection times the transposed word vectors plus output_bias) plus the
        # direct connections when there are any; dropout on x and h. About 10 lines.
        # BEGIN SOLUTION
        batch = contexts.shape[0]
        x = self.embedding(contexts).reshape(batch, -1)  # (B, c·e)
        x = self.dropout(x)
        h = self.dropout(ops.tanh(self.hidden(x)))  # (B, h)
        if self.output is None:
            logits = self.projection(h) @ self.embedding.weight.T + self.output_bias  # (B, e) @ (e, V)
        else:
            logits = self.output(h)  # (B, V)
        if self.direct is not None:
            logits = logits + self.direct(x)  # (B, V)
        return logits
        # END SOLUTION
