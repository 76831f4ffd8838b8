"""Decoding a trained model: greedy search and (batched) beam search.

Both take a padded source batch and return one :class:`Hypothesis` per sentence, in batch order.
A hypothesis ends at ``</s>`` (not included in its tokens) or after `max_len` tokens. Its score is
the sum of the log-probabilities of its tokens, ``</s>`` included when it was generated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from hw7_seq2seq.data import BOS_INDEX, EOS_INDEX, PAD_INDEX
from hw7_seq2seq.model import Seq2Seq


@dataclass
class Hypothesis:
    """One decoded sentence: target ids (without ``<s>``/``</s>``), their summed log-probability,
    and (greedy decoding) the attention weights [steps, n] of each step over the sentence's own n
    source tokens (its padding columns dropped): steps = len(tokens) + 1 when it ended with ``</s>``
    (the last row is the step that produced ``</s>``), len(tokens) when `max_len` cut it."""

    tokens: list[int]
    score: float
    attention: np.ndarray | None = None


def check_decoding_arguments(src: torch.Tensor, lengths: torch.Tensor, max_len: int, beam_size: int = 1) -> None:
    """Raise ValueError for an empty batch, an empty sentence, max_len < 1 or beam_size < 1."""
    if src.ndim != 2 or src.size(0) == 0:
        raise ValueError(f"expected a source batch [B, S] with B >= 1, got shape {tuple(src.shape)}")
    if int(lengths.min()) < 1:
        raise ValueError("a source sentence is empty; give every sentence at least one token")
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1, got {beam_size}; beam size 1 is greedy search")


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor,
                  max_len: int) -> list[Hypothesis]:
    """Pick the most likely token at every step, for the whole batch at once.

    src: [B, S]; lengths: [B]; mask: [B, S]. Decodes until every sentence has produced ``</s>`` or
    `max_len` steps have run. Returns B hypotheses with their attention weights (None without
    attention).
    """
    check_decoding_arguments(src, lengths, max_len)
    # TODO: encode; start every sentence with <s>; at each step take the argmax of log_softmax,
    # add its log-probability to the score of unfinished sentences only, remember the tokens and the
    # attention rows, and stop early when all are finished. Then cut each sentence at its </s>
    # (about 20 lines)
    # BEGIN SOLUTION
    model.eval()
    memory, state = model.encode(src, lengths, mask)
    batch = src.size(0)
    prev = torch.full((batch,), BOS_INDEX, dtype=torch.long, device=src.device)
    finished = torch.zeros(batch, dtype=torch.bool, device=src.device)
    scores = torch.zeros(batch, device=src.device)
    steps, weights_per_step = [], []
    for _ in range(max_len):
        logits, state, weights = model.decoder.step(prev, state, memory)        # (B, V)
        log_probs, prev = logits.log_softmax(dim=-1).max(dim=-1)                 # (B,), (B,)
        scores += log_probs.masked_fill(finished, 0.0)
        steps.append(prev.masked_fill(finished, PAD_INDEX))
        weights_per_step.append(weights)
        finished |= prev == EOS_INDEX
        if bool(finished.all()):
            break
    tokens = torch.stack(steps, dim=1).tolist()                                  # (B, steps)
    attention = None if weights_per_step[0] is None else torch.stack(weights_per_step, dim=1).cpu().numpy()
    hypotheses = []
    for row, sequence in enumerate(tokens):
        length = sequence.index(EOS_INDEX) if EOS_INDEX in sequence else len(sequence)
        rows = min(length + 1, len(sequence))
        weights_row = None if attention is None else attention[row, :rows, : int(lengths[row])]
        hypotheses.append(Hypothesis(sequence[:length], float(scores[row]), weights_row))
    return hypotheses
    # END SOLUTION


@torch.no_grad()
def beam_search(model: Seq2Seq, src: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor, beam_size: int,
                max_len: int, length_penalty: float = 0.0) -> list[Hypothesis]:
    """Beam search for a whole batch at once: B sentences x `beam_size` hypotheses in one tensor.

    Each step extends every live hypothesis by every token and keeps, per sentence, the
    `beam_size` best by summed log-probability. A hypothesis that produced ``</s>`` is finished: it
    stays in the beam with its score frozen (its only continuation is padding at no cost). Search
    stops when all hypotheses are finished or after `max_len` steps. The result per sentence is
    the hypothesis with the best score / length ** `length_penalty` (length counts ``</s>``;
    0 = no normalisation); its `score` stays the summed log-probability. Every id, the special tokens
    included, is a valid next token of an unfinished hypothesis. With beam_size 1 this is greedy search.
    """
    check_decoding_arguments(src, lengths, max_len, beam_size)
    # TODO: encode and repeat each sentence's memory and state beam_size times ([B * K] rows); start
    # with one live hypothesis per sentence (the others at -inf); at each step add log_softmax to the
    # scores, give finished hypotheses a row that is -inf except 0 at padding, take the top K of
    # the K * V candidates per sentence, reorder states, tokens, lengths and finished flags by the
    # beam each candidate came from. When all K hypotheses of a sentence are finished, pick its best
    # normalised score; dropping its rows from the tensors then makes the others decode faster (a
    # speed-up the tests do not require) (about 40 lines)
    # BEGIN SOLUTION
    model.eval()
    memory, state = model.encode(src, lengths, mask)
    batch, beams, device = src.size(0), beam_size, src.device
    rows = torch.arange(batch, device=device).repeat_interleave(beams)            # (B*K,)
    memory, state = memory.select(rows), state[rows]                               # (B*K, ...)
    scores = torch.full((batch, beams), float("-inf"), device=device)
    scores[:, 0] = 0.0                                                              # (B, K)
    finished = torch.zeros(batch, beams, dtype=torch.bool, device=device)
    hyp_lengths = torch.zeros(batch, beams, device=device)
    history = torch.zeros(batch, beams, 0, dtype=torch.long, device=device)       # (B, K, t)
    prev = torch.full((batch * beams,), BOS_INDEX, dtype=torch.long, device=device)
    active = torch.arange(batch, device=device)      # which input sentence each remaining row of the batch is
    results: list[Hypothesis | None] = [None] * batch

    def pick(done: torch.Tensor) -> None:
        """Store the best normalised hypothesis of each sentence flagged in done [B_active]."""
        normalised = scores / hyp_lengths.clamp(min=1.0) ** length_penalty        # (B_active, K)
        for row in done.nonzero().flatten().tolist():
            best = int(normalised[row].argmax())
            sequence = history[row, best].tolist()
            length = sequence.index(EOS_INDEX) if EOS_INDEX in sequence else len(sequence)
            results[int(active[row])] = Hypothesis(sequence[:length], float(scores[row, best]))

    for _ in range(max_len):
        logits, state, _ = model.decoder.step(prev, state, memory)                 # (B*K, V)
        live, vocab = active.size(0), logits.size(-1)
        log_probs = logits.log_softmax(dim=-1).view(live, beams, vocab)            # (B, K, V)
        log_probs.masked_fill_(finished[..., None], float("-inf"))                 # a finished hypothesis
        log_probs[..., PAD_INDEX].masked_fill_(finished, 0.0)                      # continues with padding only
        candidates = log_probs.add_(scores[..., None]).view(live, beams * vocab)   # (B, K*V)
        scores, best = candidates.topk(beams, dim=-1)                              # (B, K)
        origin, tokens = best // vocab, best % vocab                               # (B, K)
        flat_origin = (origin + torch.arange(live, device=device)[:, None] * beams).view(-1)
        state = state[flat_origin]
        history = torch.cat([history.gather(1, origin[..., None].expand_as(history)), tokens[..., None]], dim=-1)
        was_finished = finished.gather(1, origin)
        hyp_lengths = hyp_lengths.gather(1, origin) + (~was_finished).float()
        finished = was_finished | (tokens == EOS_INDEX)
        prev = tokens.view(-1)
        done = finished.all(dim=-1)                                                # (B,)
        if bool(done.any()):
            pick(done)
            keep, keep_rows = ~done, (~done).repeat_interleave(beams)
            scores, finished, hyp_lengths, history = scores[keep], finished[keep], hyp_lengths[keep], history[keep]
            active, state, prev = active[keep], state[keep_rows], prev[keep_rows]
            memory = memory.select(keep_rows.nonzero().flatten())
            if active.numel() == 0:
                break
    pick(torch.ones(active.size(0), dtype=torch.bool, device=device))             # reached max_len
    return results
    # END SOLUTION
