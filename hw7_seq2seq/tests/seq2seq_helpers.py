"""Shared test helpers: tiny models with fixed random weights, stand-ins that keep each task's tests
independent of the other tasks' code, and padded source batches.

- ``tiny_model(..., given_encoder=True)``: the real Seq2Seq with :class:`StandInEncoder` in place of
  ``Encoder`` (the decoder's tests do not depend on task_encoder).
- :class:`ScriptedModel`: the interface the decoders use (``encode``, ``decoder.step``) over fixed tables,
  no ``model.py`` code at all (greedy and beam search are tested on their own).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from common.torch_utils import TensorBatch, padded_tensors
from hw7_seq2seq.config import ModelConfig
from hw7_seq2seq.data import BOS_INDEX, EOS_INDEX, PAD_INDEX
from hw7_seq2seq.model import Memory, Seq2Seq


class StandInEncoder(nn.Module):
    """Not a GRU: each source id's fixed vector (tanh of a random table), zero at padding.

    Returns what ``Encoder.forward`` returns: states [B, S, 2H] and final [B, 2H] (here the first plus the
    last real token's vector), so ``Seq2Seq.encode`` works without the student's encoder.
    """

    def __init__(self, vocab_size: int, hidden: int, generator: torch.Generator) -> None:
        super().__init__()
        self.register_buffer("table", torch.randn(vocab_size, 2 * hidden, generator=generator))

    def forward(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        real = torch.arange(src.size(1))[None, :] < lengths[:, None]                 # (B, S)
        states = torch.tanh(self.table[src]) * real[..., None]                      # (B, S, 2H)
        last = states[torch.arange(src.size(0)), lengths - 1]                        # (B, 2H)
        return states, states[:, 0] + last                                           # (B, S, 2H), (B, 2H)


def tiny_model(attention: str = "additive", src_vocab: int = 11, tgt_vocab: int = 9, seed: int = 0,
               scale: float = 1.0, given_encoder: bool = False) -> Seq2Seq:
    """A small model in eval mode with deterministic random weights (no dropout).

    `scale` multiplies every weight: larger weights give peakier distributions (fewer near-ties).
    `given_encoder` puts a :class:`StandInEncoder` in place of the student's ``Encoder``.
    """
    torch.manual_seed(seed)
    config = ModelConfig(emb_dim=6, enc_hidden=5, dec_hidden=10 if attention == "dot" else 7,
                         attention=attention, attn_dim=4, dropout=0.0)
    model = Seq2Seq(config, src_vocab, tgt_vocab)
    if given_encoder:
        model.encoder = StandInEncoder(src_vocab, config.enc_hidden, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(scale)
    return model.eval()


class ScriptedDecoder(nn.Module):
    """A fixed, history-dependent next-token distribution behind ``step``'s interface (not a neural decoder).

    The logits add a bigram table's row for the previous token (no token likes to repeat itself), a
    read of the state (a decaying sum of the previous tokens' vectors), a read of the source's summary
    ``memory.final``, and a bonus for ``</s>`` that grows with the step counter kept in the state's last
    entry. The "attention" weights are positive bumps over the real source positions that
    move with the state (rows sum to 1, 0 at padding), or None when `attention` is False.
    """

    def __init__(self, tgt_vocab: int, src_dim: int, state_dim: int, attention: bool, scale: float,
                 generator: torch.Generator) -> None:
        super().__init__()
        self.register_buffer("token_vectors", torch.randn(tgt_vocab, state_dim - 1, generator=generator))
        self.register_buffer("read_state", 0.5 * scale * torch.randn(state_dim - 1, tgt_vocab, generator=generator))
        self.register_buffer("read_source", 0.5 * scale * torch.randn(src_dim, tgt_vocab, generator=generator))
        bigrams = torch.randn(tgt_vocab, tgt_vocab, generator=generator) - 3.0 * torch.eye(tgt_vocab)
        self.register_buffer("bigrams", scale * bigrams)
        self.register_buffer("eos_per_step", (torch.arange(tgt_vocab) == EOS_INDEX).float())
        self.attention = "scripted" if attention else None

    def step(self, prev_tokens: torch.Tensor, state: torch.Tensor, memory: Memory
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        history = 0.7 * state[:, :-1] + self.token_vectors[prev_tokens]                       # (N, D-1)
        steps = state[:, -1:] + 1.0                                                            # (N, 1)
        logits = (self.bigrams[prev_tokens] + torch.tanh(history) @ self.read_state
                  + memory.final @ self.read_source + (steps - 4.0) * self.eos_per_step)      # (N, V)
        state = torch.cat([history, steps], dim=-1)                                            # (N, D)
        if self.attention is None:
            return logits, state, None
        positions = torch.arange(memory.mask.size(1), dtype=state.dtype)                       # (S,)
        bumps = memory.mask * (1.5 + torch.cos(positions[None, :] - 3.0 * history[:, :1]))     # (N, S)
        return logits, state, bumps / bumps.sum(dim=-1, keepdim=True)


class ScriptedModel(nn.Module):
    """What ``greedy_decode`` and ``beam_search`` call (``encode``, ``decoder.step``), built from fixed
    random tables only, so the decoders' tests run before (and without) the model's tasks.

    `scale` multiplies the logits: larger gives peakier distributions, 0.1 nearly uniform ones.
    """

    def __init__(self, src_vocab: int = 11, tgt_vocab: int = 9, attention: bool = True, scale: float = 1.0,
                 seed: int = 0) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.encoder = StandInEncoder(src_vocab, 3, generator)                             # states of size 6
        self.decoder = ScriptedDecoder(tgt_vocab, 6, 8, attention, scale, generator)
        self.register_buffer("start", torch.randn(6, 7, generator=generator))

    def encode(self, src: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor) -> tuple[Memory, torch.Tensor]:
        states, final = self.encoder(src, lengths)                                         # (B, S, 6), (B, 6)
        history = torch.tanh(final @ self.start)                                             # (B, 7)
        return Memory(states, states, mask, final), torch.cat([history, torch.zeros(len(src), 1)], dim=-1)


def sequence_log_probs(model: nn.Module, source: Sequence[int], candidates: Sequence[Sequence[int]]) -> list[float]:
    """log P(candidate | source) of each candidate, its gold tokens fed to ``model.decoder.step`` one at
    a time: a way to score hypotheses that does not go through the search under test."""
    memory, state = model.encode(*batch_args([source] * len(candidates)))
    longest = max(len(c) for c in candidates)
    gold = torch.tensor([[*c, *[PAD_INDEX] * (longest - len(c))] for c in candidates])   # (N, T)
    real = torch.arange(longest)[None, :] < torch.tensor([len(c) for c in candidates])[:, None]
    prev, total = torch.full((len(candidates),), BOS_INDEX), torch.zeros(len(candidates))
    with torch.no_grad():
        for t in range(longest):
            logits, state, _ = model.decoder.step(prev, state, memory)                      # (N, V)
            total += logits.log_softmax(-1).gather(-1, gold[:, t, None]).squeeze(-1) * real[:, t]
            prev = gold[:, t]
    return total.tolist()


def sources(sentences: Sequence[Sequence[int]]) -> TensorBatch:
    """Pad source id lists into a batch (indices [B, S], lengths [B], mask [B, S])."""
    return padded_tensors(sentences, PAD_INDEX)


def random_sources(count: int, vocab: int = 11, min_len: int = 1, max_len: int = 7, seed: int = 0) -> list[list[int]]:
    """`count` random source sentences of ids in [4, vocab) (no specials), lengths in [min_len, max_len]."""
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(min_len, max_len + 1, (count,), generator=generator).tolist()
    return [torch.randint(4, vocab, (n,), generator=generator).tolist() for n in lengths]


def batch_args(sentences: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(src [B, S], lengths [B], mask [B, S]) of the padded sentences, as the decoders take them."""
    batch = sources(sentences)
    return batch.indices, batch.lengths, batch.mask
