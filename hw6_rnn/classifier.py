"""A recurrent text classifier: embeddings -> (bi)LSTM -> pooled sentence vector -> linear.

    model = RNNClassifier(vocab_size=20_000, num_classes=2, pad_index=1, pooling="max")
    logits = model(indices, lengths)       # indices [B, T] int64, lengths [B] -> logits [B, 2]
"""
from __future__ import annotations

import torch
from torch import nn

from hw6_rnn.layers import lengths_to_mask, make_rnn

POOLINGS = ("final", "mean", "max")


def masked_mean(outputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the real time steps: outputs [B, T, H], mask [B, T] bool -> [B, H]."""
    # TODO: zero the padding, sum over time, divide by each row's count of real tokens (about 3 lines)
    # BEGIN SOLUTION
    weights = mask.unsqueeze(-1).to(outputs.dtype)                       # (B, T, 1)
    return (outputs * weights).sum(dim=1) / weights.sum(dim=1)           # (B, H)
    # END SOLUTION


def masked_max(outputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max over the real time steps (padding never wins, even where every real value is negative): -> [B, H]."""
    # TODO: fill the padding with -inf before taking the max over time (about 2 lines)
    # BEGIN SOLUTION
    return outputs.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)   # (B, H)
    # END SOLUTION


def final_states(h_n: torch.Tensor, num_layers: int, directions: int) -> torch.Tensor:
    """The top layer's final hidden states, directions concatenated: h_n [L*D, B, H] -> [B, D*H].

    Forward direction: the state after each sequence's last token; backward: after its first.
    """
    assert h_n.size(0) == num_layers * directions, (
        f"expected h_n [{num_layers * directions}, B, H], got {tuple(h_n.shape)}")
    # TODO: take the last layer's D states and concatenate them along the feature axis (about 2 lines)
    # BEGIN SOLUTION
    top = h_n[(num_layers - 1) * directions:]                            # (D, B, H)
    return torch.cat(list(top), dim=-1)                                  # (B, D*H)
    # END SOLUTION


class RNNClassifier(nn.Module):
    """Embeddings -> dropout -> recurrent encoder -> pooling -> dropout -> linear (given code)."""

    def __init__(self, vocab_size: int, num_classes: int, pad_index: int, embedding_dim: int = 300,
                 hidden_size: int = 150, num_layers: int = 1, bidirectional: bool = True, cell: str = "lstm",
                 pooling: str = "max", dropout: float = 0.5, fused: bool = False,
                 sparse_embeddings: bool = False) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; choose one of {list(POOLINGS)}")
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        self.pooling, self.pad_index = pooling, pad_index
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index, sparse=sparse_embeddings)
        self.rnn = make_rnn(cell, embedding_dim, hidden_size, num_layers, bidirectional, dropout, fused)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size * self.rnn.directions, num_classes)

    def forward(self, indices: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """indices [B, T] int64, lengths [B] -> logits [B, num_classes]."""
        mask = lengths_to_mask(lengths.to(indices.device), indices.size(1))  # (B, T)
        embedded = self.dropout(self.embedding(indices))                   # (B, T, E)
        outputs, state = self.rnn(embedded, lengths)                       # (B, T, D*H)
        if self.pooling == "final":
            sentence = final_states(state[0], self.rnn.num_layers, self.rnn.directions)   # (B, D*H)
        elif self.pooling == "mean":
            sentence = masked_mean(outputs, mask)
        else:
            sentence = masked_max(outputs, mask)
        return self.output(self.dropout(sentence))                         # (B, C)
