"""An encoder-decoder translation model with attention (Bahdanau et al., 2014).

The encoder reads the source with a bidirectional GRU; the decoder generates the target one token
at a time. At step t it scores every encoder state h_j against its previous state s_{t-1}, turns
the scores into weights a_tj with a softmax over the real (non-padding) source positions, and reads
the context c_t = Σ_j a_tj h_j. Notation (the handout's): B batch, S source length, T target length,
E embedding size, H encoder size per direction (so encoder states are 2H), D decoder size, V target
vocabulary.

    score_additive(s, h) = vᵀ tanh(W_q s + W_k h)      (Bahdanau)
    score_dot(s, h)      = sᵀ h                         (Luong; needs D == 2H)
    score_general(s, h)  = sᵀ W h                       (Luong)

With ``attention="none"`` the context is the encoder's final state at every step (the baseline).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from hw7_seq2seq.config import ModelConfig


@dataclass
class Memory:
    """What the decoder reads from the encoder, for B sentences (or B x beam hypotheses).

    states: [B, S, 2H] encoder states; keys: [B, S, K] the states as the attention compares them
    (projected once per sentence; K depends on the attention kind); mask: [B, S] True at real
    tokens; final: [B, 2H] the final forward and backward states, concatenated.
    """

    states: torch.Tensor
    keys: torch.Tensor
    mask: torch.Tensor
    final: torch.Tensor

    def select(self, rows: torch.Tensor) -> Memory:
        """The memory of the sentences at `rows` [N] (repeats allowed: a beam copies its sentence)."""
        return Memory(self.states[rows], self.keys[rows], self.mask[rows], self.final[rows])


class Encoder(nn.Module):
    """Embeddings and a bidirectional GRU over the source."""

    def __init__(self, vocab_size: int, emb_dim: int, hidden: int, pad_index: int, dropout: float) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_index)
        self.rnn = nn.GRU(emb_dim, hidden, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode a padded batch.

        src: [B, S] ids; lengths: [B] true lengths (>= 1). Returns (states [B, S, 2H], zero at padding
        positions; final [B, 2H]: the forward GRU's state after each sentence's last real token,
        then the backward GRU's state after its first). Padding must not change any real position's
        output: a sentence encodes the same alone or in a batch.
        """
        # TODO: embed (with dropout), pack with pack_padded_sequence (enforce_sorted=False), run the GRU,
        # unpack to length S, and concatenate the two directions' final states (about 6 lines)
        # BEGIN SOLUTION
        embedded = self.dropout(self.embedding(src))                                   # (B, S, E)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_states, final = self.rnn(packed)                                        # final (2, B, H)
        states, _ = pad_packed_sequence(packed_states, batch_first=True, total_length=src.size(1))  # (B, S, 2H)
        return states, torch.cat([final[0], final[1]], dim=-1)                         # (B, 2H)
        # END SOLUTION


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis where `mask` is True; exactly 0 where it is False.

    scores: [B, S] float; mask: [B, S] bool with at least one True per row. Returns [B, S], rows sum to 1.
    """
    assert mask.shape == scores.shape, f"expected mask of shape {tuple(scores.shape)}, got {tuple(mask.shape)}"
    # TODO: fill the masked positions with -inf before the softmax (about 1 line)
    # BEGIN SOLUTION
    return scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)
    # END SOLUTION


class Attention(nn.Module):
    """Scores of a decoder state against every encoder state, and the weighted context.

    kind: ``"additive"`` (vᵀ tanh(W_q s + W_k h)), ``"dot"`` (sᵀ h) or ``"general"`` (sᵀ W h).
    """

    def __init__(self, kind: str, query_dim: int, key_dim: int, attn_dim: int) -> None:
        super().__init__()
        if kind not in ("additive", "dot", "general"):
            raise ValueError(f"attention kind must be 'additive', 'dot' or 'general', got {kind!r}")
        if kind == "dot" and query_dim != key_dim:
            raise ValueError(f"dot attention needs equal query and key sizes, got {query_dim} and {key_dim}")
        self.kind = kind
        if kind == "additive":
            self.query_proj = nn.Linear(query_dim, attn_dim, bias=False)   # W_q
            self.key_proj = nn.Linear(key_dim, attn_dim)                   # W_k (its bias is the layer's bias)
            self.v = nn.Linear(attn_dim, 1, bias=False)                    # v
        elif kind == "general":
            self.key_proj = nn.Linear(key_dim, query_dim, bias=False)      # W

    def project_keys(self, states: torch.Tensor) -> torch.Tensor:
        """The part of the score that depends on the encoder states only, computed once per sentence.

        states: [B, S, 2H]. Returns [B, S, attn_dim] (W_k h, additive), [B, S, D] (W h, general) or the
        states themselves (dot).
        """
        return states if self.kind == "dot" else self.key_proj(states)

    def scores(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """Unnormalised scores: query [B, D], keys [B, S, K] from :meth:`project_keys` -> [B, S]."""
        # TODO: additive: v(tanh(W_q s broadcast over S + keys)); dot and general: a batched
        # dot product of the query with every key (torch.bmm or einsum) (about 4 lines)
        # BEGIN SOLUTION
        if self.kind == "additive":
            hidden = torch.tanh(self.query_proj(query)[:, None, :] + keys)   # (B, S, A)
            return self.v(hidden).squeeze(-1)                                # (B, S)
        return torch.einsum("bsk,bk->bs", keys, query)                       # (B, S)
        # END SOLUTION

    def forward(self, query: torch.Tensor, memory: Memory) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend from decoder states query [B, D]: returns (context [B, 2H], weights [B, S]).

        The weights are a softmax over the real source positions (0 at padding, each row sums to 1);
        the context is the weighted sum of ``memory.states``.
        """
        # TODO: scores -> masked_softmax -> weighted sum of the states (about 3 lines)
        # BEGIN SOLUTION
        weights = masked_softmax(self.scores(query, memory.keys), memory.mask)      # (B, S)
        context = torch.einsum("bs,bsh->bh", weights, memory.states)                # (B, 2H)
        return context, weights
        # END SOLUTION


class Decoder(nn.Module):
    """A GRU decoder that reads a context vector at every step.

    Step t: the previous token's embedding e_t = dropout(emb(y_{t-1})) (dropout once, here); the
    context c_t (attention with query s_{t-1}, or the encoder's final state without attention); then
    s_t = GRUCell([e_t; c_t], s_{t-1}) and logits_t = output(dropout([s_t; c_t; e_t])): a second
    dropout on the output layer's whole input, which holds e_t again.
    The first state is s_0 = tanh(W_b [final forward; final backward] + b_b).

    The output layer is W_o x + b_o, or with tie_embeddings E tanh(W_p x + b_p) + b_o: a projection
    to the embedding size, then the target embedding matrix E [V, E] itself (Press & Wolf, 2017).
    Tying shares what the model learns about a word as input and as output, and it divides the
    cost of the largest matrix product by about (D + 2H + E) / E.
    """

    def __init__(self, vocab_size: int, emb_dim: int, hidden: int, context_dim: int, attention: Attention | None,
                 pad_index: int, dropout: float, tie_embeddings: bool = False) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_index)
        self.bridge = nn.Linear(context_dim, hidden)
        self.cell = nn.GRUCell(emb_dim + context_dim, hidden)
        self.attention = attention
        if tie_embeddings:
            to_vocab = nn.Linear(emb_dim, vocab_size)
            to_vocab.weight = self.embedding.weight                              # E [V, E], shared
            with torch.no_grad():   # N(0, 1/E), not N(0, 1): the logits E h start at about unit scale
                self.embedding.weight.normal_(std=emb_dim ** -0.5)[pad_index].zero_()
            self.output = nn.Sequential(nn.Linear(hidden + context_dim + emb_dim, emb_dim), nn.Tanh(), to_vocab)
        else:
            self.output = nn.Linear(hidden + context_dim + emb_dim, vocab_size)
        self.dropout = nn.Dropout(dropout)

    def initial_state(self, final: torch.Tensor) -> torch.Tensor:
        """s_0 [B, D] from the encoder's final states [B, 2H]."""
        return torch.tanh(self.bridge(final))

    def step(self, prev_tokens: torch.Tensor, state: torch.Tensor, memory: Memory
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One decoding step.

        prev_tokens: [B] ids of y_{t-1}; state: [B, D] s_{t-1}. Returns (logits [B, V], s_t [B, D],
        attention weights [B, S], or None without attention).
        """
        # TODO: follow the class docstring: dropout on the embedding once, and once on the output
        # layer's input (about 8 lines)
        # BEGIN SOLUTION
        embedded = self.dropout(self.embedding(prev_tokens))                    # (B, E)
        if self.attention is None:
            context, weights = memory.final, None                                # (B, 2H)
        else:
            context, weights = self.attention(state, memory)                     # (B, 2H), (B, S)
        state = self.cell(torch.cat([embedded, context], dim=-1), state)        # (B, D)
        logits = self.output(self.dropout(torch.cat([state, context, embedded], dim=-1)))  # (B, V)
        return logits, state, weights
        # END SOLUTION


class Seq2Seq(nn.Module):
    """Encoder, decoder and their attention, built from a :class:`ModelConfig`."""

    def __init__(self, config: ModelConfig, src_vocab_size: int, tgt_vocab_size: int, pad_index: int = 0) -> None:
        super().__init__()
        self.config = config
        context_dim = 2 * config.enc_hidden
        self.encoder = Encoder(src_vocab_size, config.emb_dim, config.enc_hidden, pad_index, config.dropout)
        attention = None if config.attention == "none" else Attention(
            config.attention, config.dec_hidden, context_dim, config.attn_dim)
        self.decoder = Decoder(tgt_vocab_size, config.emb_dim, config.dec_hidden, context_dim, attention,
                               pad_index, config.dropout, config.tie_embeddings)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor) -> tuple[Memory, torch.Tensor]:
        """Encode src [B, S] (lengths [B], mask [B, S]); returns the decoder's memory and s_0 [B, D]."""
        states, final = self.encoder(src, lengths)                                   # (B, S, 2H), (B, 2H)
        attention = self.decoder.attention
        keys = states if attention is None else attention.project_keys(states)      # (B, S, K)
        return Memory(states, keys, mask, final), self.decoder.initial_state(final)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor, tgt_in: torch.Tensor,
                teacher_forcing: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """Logits [B, T, V] for every target position.

        tgt_in: [B, T] decoder inputs ``<s> y1 .. y_{T-1}``. With probability `teacher_forcing` (per
        sentence and step, drawn from `generator`) the input at step t > 0 is the gold token
        tgt_in[:, t]; otherwise it is the model's own most likely token of step t - 1. With
        teacher_forcing=1 nothing is drawn. `generator` is a CPU generator: draw on the CPU
        (``torch.rand(shape, generator=generator)``) and move the result to the tokens' device.
        """
        if not 0.0 <= teacher_forcing <= 1.0:
            raise ValueError(f"teacher_forcing must be in [0, 1], got {teacher_forcing}")
        # TODO: encode, then loop over t calling self.decoder.step, choosing each step's input as the
        # docstring says; stack the logits (about 10 lines)
        # BEGIN SOLUTION
        memory, state = self.encode(src, lengths, mask)
        prev, all_logits = tgt_in[:, 0], []                                          # (B,)
        for t in range(tgt_in.size(1)):
            logits, state, _ = self.decoder.step(prev, state, memory)               # (B, V)
            all_logits.append(logits)
            if t + 1 < tgt_in.size(1):
                prev = tgt_in[:, t + 1]
                if teacher_forcing < 1.0:
                    gold = torch.rand(prev.shape, generator=generator) < teacher_forcing
                    prev = torch.where(gold.to(prev.device), prev, logits.argmax(dim=-1))
        return torch.stack(all_logits, dim=1)                                        # (B, T, V)
        # END SOLUTION
