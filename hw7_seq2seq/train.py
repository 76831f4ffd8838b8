"""Training and evaluation loops for the translation model (given code).

    loss = train_epoch(model, examples, step, batch_size=128, seed=epoch, teacher_forcing=1.0)
    nll, tokens = evaluate_nll(model, val_examples, batch_size=128)   # perplexity = exp(nll / tokens)
    hypotheses = translate_sources(model, [src for src, _ in test_examples], beam_size=5, max_len=80)
    aligned = align(model, sources, [h.tokens for h in hypotheses])   # for replacing <unk> (text.py)
    lr = next_learning_rate(lr, "plateau", 0.5, 1, epoch, improved=val_bleu > best_bleu)
    model.load_state_dict(average_states([state_after_epoch_9, state_after_epoch_10]))
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.nn import functional as F

from common.torch_utils import TrainStep, padded_tensors
from hw7_seq2seq.data import BOS_INDEX, PAD_INDEX, Batch, Example, bucketed_batches, make_batch
from hw7_seq2seq.decode import Hypothesis, beam_search, greedy_decode
from hw7_seq2seq.model import Seq2Seq

LR_SCHEDULES = ("plateau", "step")


def next_learning_rate(lr: float, schedule: str, lr_decay: float, decay_after: int, epoch: int,
                       improved: bool) -> float:
    """The learning rate for the epoch after `epoch` (counted from 1).

    ``plateau``: lr * lr_decay when this epoch's validation BLEU was no new best (`improved` False);
    ``step``: lr * lr_decay after every epoch from `decay_after` on. Otherwise lr unchanged.
    """
    if schedule not in LR_SCHEDULES:
        raise ValueError(f"schedule must be 'plateau' or 'step', got {schedule!r}")
    decays = not improved if schedule == "plateau" else epoch >= decay_after
    return lr * lr_decay if decays else lr


def average_states(states: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The element-wise mean of several state dicts of one model (checkpoint averaging: the weights at
    the ends of the last few epochs, averaged, often translate better than any one of them)."""
    if not states:
        raise ValueError("average_states needs at least one state dict")
    return {name: torch.stack([state[name] for state in states]).mean(dim=0) for name in states[0]}


def summed_loss(logits: torch.Tensor, tgt_out: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """Cross-entropy summed over the non-padding target positions: logits [B, T, V], tgt_out [B, T].

    With `label_smoothing` ε the target is (1 - ε) on the gold token plus ε / V on every token
    (Szegedy et al. 2016); evaluation always uses ε = 0, so perplexities stay comparable.
    """
    return F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD_INDEX, reduction="sum",
                           label_smoothing=label_smoothing)


def train_epoch(model: Seq2Seq, examples: Sequence[Example], step: TrainStep, batch_size: int, seed: int,
                teacher_forcing: float = 1.0, deadline: float | None = None,
                progress: Callable = lambda iterable, **kwargs: iterable,
                label_smoothing: float = 0.0) -> tuple[float, int, bool]:
    """One pass over `examples` in length-bucketed batches (order from `seed`), minimising the mean
    loss per target token of each batch (label-smoothed by `label_smoothing`, see :func:`summed_loss`).

    Returns (mean loss per target token, target tokens seen, whether the pass was cut short because
    ``time.perf_counter()`` passed `deadline`).
    """
    model.train()
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    total_loss, total_tokens = torch.zeros(()), 0
    batches = list(bucketed_batches(examples, batch_size, shuffle=True, seed=seed))
    for positions in progress(batches, total=len(batches)):
        if deadline is not None and time.perf_counter() > deadline:
            return float(total_loss) / max(total_tokens, 1), total_tokens, True
        batch = make_batch(examples, positions, device)
        tokens = batch.num_target_tokens

        def loss_fn(batch: Batch = batch, tokens: int = tokens) -> torch.Tensor:
            logits = model(batch.src, batch.src_lengths, batch.src_mask, batch.tgt_in, teacher_forcing, generator)
            return summed_loss(logits, batch.tgt_out, label_smoothing) / tokens

        loss, _ = step(loss_fn)
        total_loss += loss.cpu() * tokens
        total_tokens += tokens
    return float(total_loss) / max(total_tokens, 1), total_tokens, False


@torch.no_grad()
def evaluate_nll(model: Seq2Seq, examples: Sequence[Example], batch_size: int) -> tuple[float, int]:
    """Summed negative log-likelihood of the targets with teacher forcing, and the number of target tokens."""
    model.eval()
    device = next(model.parameters()).device
    total, tokens = 0.0, 0
    for positions in bucketed_batches(examples, batch_size, shuffle=False):
        batch = make_batch(examples, positions, device)
        logits = model(batch.src, batch.src_lengths, batch.src_mask, batch.tgt_in)
        total += float(summed_loss(logits, batch.tgt_out))
        tokens += batch.num_target_tokens
    return total, tokens


@torch.no_grad()
def translate_sources(model: Seq2Seq, sources: Sequence[Sequence[int]], beam_size: int = 1, max_len: int = 80,
                      length_penalty: float = 0.0, batch_size: int = 128) -> list[Hypothesis]:
    """Decode every source (id lists), batched by length; results in the order of `sources`.

    beam_size 1 runs :func:`greedy_decode` (which also returns attention weights), otherwise
    :func:`beam_search`.
    """
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1, got {beam_size}; beam size 1 is greedy search")
    empty = [i for i, source in enumerate(sources) if len(source) == 0]
    if empty:
        raise ValueError(f"source sentence {empty[0]} is empty; give every sentence at least one token")
    device = next(model.parameters()).device
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    results: list[Hypothesis | None] = [None] * len(sources)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        batch = padded_tensors([sources[i] for i in chunk], PAD_INDEX, device)
        if beam_size == 1:
            decoded = greedy_decode(model, batch.indices, batch.lengths, batch.mask, max_len)
        else:
            decoded = beam_search(model, batch.indices, batch.lengths, batch.mask, beam_size, max_len, length_penalty)
        for i, hypothesis in zip(chunk, decoded, strict=True):
            results[i] = hypothesis
    return results


@torch.no_grad()
def align(model: Seq2Seq, sources: Sequence[Sequence[int]], outputs: Sequence[Sequence[int]],
          batch_size: int = 128) -> list[list[int] | None]:
    """For each output (target ids without ``<s>``/``</s>``), the source position each of its tokens
    attended to most, found by feeding the output back through the decoder (teacher forcing); None
    for every output of a model without attention."""
    if model.decoder.attention is None:
        return [None] * len(outputs)
    model.eval()
    device = next(model.parameters()).device
    aligned: list[list[int] | None] = []
    for start in range(0, len(sources), batch_size):
        chunk = range(start, min(start + batch_size, len(sources)))
        src = padded_tensors([sources[i] for i in chunk], PAD_INDEX, device)
        tgt_in = padded_tensors([[BOS_INDEX, *outputs[i]] for i in chunk], PAD_INDEX, device).indices  # [B, T+1]
        memory, state = model.encode(src.indices, src.lengths, src.mask)
        best = []
        for t in range(tgt_in.size(1) - 1):
            _, state, weights = model.decoder.step(tgt_in[:, t], state, memory)       # weights [B, S]
            best.append(weights.argmax(dim=-1))
        positions = torch.stack(best, dim=1).tolist() if best else [[] for _ in chunk]   # [B, T]
        aligned += [row[: len(outputs[i])] for i, row in zip(chunk, positions, strict=True)]
    return aligned


def mean_length_ratio(hypotheses: Sequence[Sequence[int]], references: Sequence[Sequence[int]]) -> float:
    """Total hypothesis tokens / total reference tokens (below 1: translations too short)."""
    return float(np.sum([len(h) for h in hypotheses]) / max(np.sum([len(r) for r in references]), 1))
