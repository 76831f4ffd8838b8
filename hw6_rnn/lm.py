"""A recurrent language model trained with truncated backpropagation through time (TBPTT).

The training text is one long stream of token indices, cut into `batch_size` parallel rows; the
model reads windows of `bptt` steps and carries its state from one window to the next (detached,
so gradients reach back at most `bptt` steps):

    stream = batchify(token_ids, batch_size=20)               # [20, N // 20]
    for inputs, targets in bptt_windows(stream, bptt=35):      # each [20, <= 35]
        logits, state = model(inputs, state)                   # [20, t, V]
        state = detach_state(state)                            # (train.py) gradients stop here
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from common.vocabulary import Vocabulary
from hw6_rnn.cells import State
from hw6_rnn.layers import make_rnn
from hw6_rnn.sampling import check_sampling_settings, sample_next


def batchify(token_ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut a stream [N] into `batch_size` contiguous rows [batch_size, N // batch_size]; the rest is dropped.

    Row b holds tokens b*L .. (b+1)*L - 1 with L = N // batch_size, so each row reads on as one text.
    """
    if token_ids.dim() != 1:
        raise ValueError(f"expected a 1-D stream of token indices, got shape {tuple(token_ids.shape)}")
    if batch_size < 1 or token_ids.numel() < 2 * batch_size:
        raise ValueError(f"cannot cut {token_ids.numel()} tokens into {batch_size} rows of at least 2 tokens; "
                         "use a smaller batch_size or more text")
    # TODO: trim to a multiple of batch_size and reshape (about 2 lines)
    # BEGIN SOLUTION
    length = token_ids.numel() // batch_size
    return token_ids[: length * batch_size].view(batch_size, length)      # (B, L)
    # END SOLUTION


def bptt_windows(stream: torch.Tensor, bptt: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Consecutive (inputs, targets) windows of a [B, L] stream: targets are the inputs shifted by one.

    Window k covers inputs stream[:, k*bptt : k*bptt + t] and targets one step later, with
    t = min(bptt, L - 1 - k*bptt), so every token but the first of each row is predicted exactly once.
    """
    if bptt < 1:
        raise ValueError(f"bptt must be >= 1, got {bptt}")
    if stream.dim() != 2 or stream.size(1) < 2:
        raise ValueError(f"expected a stream [batch, length >= 2], got shape {tuple(stream.shape)}")
    # TODO: step through the columns bptt at a time; slice inputs and the shifted targets (about 4 lines)
    # BEGIN SOLUTION
    windows = []
    for start in range(0, stream.size(1) - 1, bptt):
        width = min(bptt, stream.size(1) - 1 - start)
        windows.append((stream[:, start : start + width], stream[:, start + 1 : start + 1 + width]))
    return windows
    # END SOLUTION


class RNNLanguageModel(nn.Module):
    """Embeddings -> dropout -> recurrent layers -> dropout -> linear over the vocabulary.

    With `tie_weights` the output layer reuses the embedding matrix (Press & Wolf 2017; Inan et al.
    2017), which needs embedding_dim == hidden_size and saves vocab * hidden parameters.
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 200, hidden_size: int = 200, num_layers: int = 2,
                 cell: str = "lstm", dropout: float = 0.0, tie_weights: bool = False, fused: bool = False) -> None:
        super().__init__()
        if tie_weights and embedding_dim != hidden_size:
            raise ValueError(f"tie_weights needs embedding_dim == hidden_size, got {embedding_dim} and "
                             f"{hidden_size}; set them equal or tie_weights: false")
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = make_rnn(cell, embedding_dim, hidden_size, num_layers, False, dropout, fused)
        self.dropout = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden_size, vocab_size)
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        if tie_weights:
            self.decoder.weight = self.embedding.weight
        else:
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, indices: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """indices [B, T] int64 (no padding), state from the previous window or None -> (logits [B, T, V], state)."""
        batch, time = indices.shape
        lengths = torch.full((batch,), time, dtype=torch.int64)            # every row is full
        # TODO: embed, dropout, run self.rnn from `state`, dropout, decode (about 4 lines)
        # BEGIN SOLUTION
        embedded = self.dropout(self.embedding(indices))                   # (B, T, E)
        outputs, state = self.rnn(embedded, lengths, state)                # (B, T, H)
        logits = self.decoder(self.dropout(outputs))                       # (B, T, V)
        return logits, state
        # END SOLUTION


@torch.no_grad()
def generate(model: RNNLanguageModel, vocab: Vocabulary, prompt: Sequence[str], max_tokens: int = 30,
             temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
             stop_token: str | None = None, seed: int = 0) -> list[str]:
    """Continue `prompt` (tokens, at least one) by sampling up to `max_tokens` tokens; returns only the new tokens.

    Each step samples from the model's next-token distribution with `temperature`, `top_k` and
    `top_p` (:func:`hw6_rnn.sampling.sample_next`; temperature 0 is greedy). Generation stops
    after `stop_token` (included in the result) or after `max_tokens`. The same seed gives the same text.
    A prompt token outside the vocabulary is an error (it would silently become ``<unk>``).
    """
    if len(prompt) == 0:
        raise ValueError("the prompt is empty; give at least one token (e.g. the start token '<s>')")
    unknown = [token for token in prompt if token not in vocab]
    if unknown:
        raise ValueError(f"prompt tokens {unknown[:5]} are not in the vocabulary ({len(vocab)} tokens); "
                         "use tokens the model was trained on (e.g. <unk> for a rare word)")
    if stop_token is not None and stop_token not in vocab:
        raise ValueError(f"stop_token {stop_token!r} is not in the vocabulary")
    if max_tokens < 0:
        raise ValueError(f"max_tokens must be >= 0, got {max_tokens}")
    check_sampling_settings(temperature, top_k, top_p)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    prompt_ids = torch.tensor([vocab.tokens_to_indices(prompt)], device=device)   # (1, P)
    new_tokens: list[str] = []
    # TODO: run the prompt once; then repeat: sample_next from the last position's logits, record the
    #  token, stop at stop_token, feed the token back in with the carried state (about 8 lines)
    # BEGIN SOLUTION
    logits, state = model(prompt_ids)                                      # (1, P, V)
    for _ in range(max_tokens):
        next_id = sample_next(logits[:, -1], temperature, top_k, top_p, generator)   # (1,)
        token = vocab.index_to_token(int(next_id))
        new_tokens.append(token)
        if token == stop_token:
            break
        logits, state = model(next_id.view(1, 1).to(device), state)       # (1, 1, V)
    # END SOLUTION
    model.train(was_training)
    return new_tokens
