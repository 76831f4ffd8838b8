"""Scoring: the log-probability of each label word after a prompt (students' part: label_log_probs).

Three ways to get the same numbers, from slow to fast:

* :func:`score_naive`: one forward pass per prompt per label, every position's logits computed;
* :func:`score_batched`: prompts left-padded into batches, logits only where a label token is predicted
  (``logits_to_keep``);
* :func:`score_with_prefix_cache`: the demonstrations (the shared prefix) are encoded once; their
  key/value cache is copied for each batch of test reviews, which are left-padded after it.

A label word may be several tokens w_1..w_n: its score is log p(w_1 | prompt) + log p(w_2 | prompt, w_1)
+ ... , so the model reads ``prompt + w_1..w_{n-1}`` and the last n positions predict w_1..w_n.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence

import torch


def label_log_probs(logits: torch.Tensor, label_ids: torch.Tensor) -> torch.Tensor:
    """Summed log-probability of a (multi-token) label word.

    logits: [B, n, V], the model's outputs at the n positions that predict the label's tokens;
    label_ids: [n], the label's token ids. Returns [B] float32: sum_j log softmax(logits[b, j])[label_ids[j]].
    """
    assert logits.dim() == 3 and logits.shape[1] == label_ids.shape[0], (
        f"expected logits [B, n, V] with n = {label_ids.shape[0]} label tokens, got {tuple(logits.shape)}")
    # TODO: log-softmax over the vocabulary, pick each position's label token, sum (about 3 lines).
    # BEGIN SOLUTION
    log_probs = torch.log_softmax(logits.float(), dim=-1)                          # (B, n, V)
    positions = torch.arange(label_ids.shape[0], device=logits.device)
    return log_probs[:, positions, label_ids.to(logits.device)].sum(dim=-1)       # (B,)
    # END SOLUTION


@torch.no_grad()
def score_naive(model, prompts: Sequence[Sequence[int]], labels: Sequence[Sequence[int]]) -> torch.Tensor:
    """[N, L] label log-probabilities, one unbatched forward pass per prompt and label (the reference)."""
    scores = torch.empty(len(prompts), len(labels))
    for i, prompt in enumerate(prompts):
        for j, label in enumerate(labels):
            ids = torch.tensor([list(prompt) + list(label[:-1])])        # (1, T)
            logits = model(input_ids=ids).logits                          # (1, T, V)
            scores[i, j] = label_log_probs(logits[:, -len(label):], torch.tensor(label))[0]
    return scores


@torch.no_grad()
def score_batched(model, prompts: Sequence[Sequence[int]], labels: Sequence[Sequence[int]], pad_id: int,
                  batch_size: int = 16) -> torch.Tensor:
    """[N, L] label log-probabilities; prompts left-padded in batches of `batch_size`."""
    return _score_in_batches(model, None, prompts, labels, pad_id, batch_size)


@torch.no_grad()
def score_with_prefix_cache(model, prefix: Sequence[int], queries: Sequence[Sequence[int]],
                            labels: Sequence[Sequence[int]], pad_id: int, batch_size: int = 16) -> torch.Tensor:
    """[N, L] log-probabilities of each label after ``prefix + queries[i]``; the prefix is encoded once.

    An empty prefix (no demonstrations, no instruction, no BOS token) falls back to :func:`score_batched`.
    """
    if not prefix:
        return score_batched(model, queries, labels, pad_id, batch_size)
    cache = model(input_ids=torch.tensor([list(prefix)]), use_cache=True, logits_to_keep=1).cache
    return _score_in_batches(model, (len(prefix), cache), queries, labels, pad_id, batch_size)


def _score_in_batches(model, prefix_cache, queries, labels, pad_id: int, batch_size: int) -> torch.Tensor:
    """Score ``queries`` (after the cached prefix, if any) batch by batch; see the module doc."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    label_tensors = [torch.tensor(list(label)) for label in labels]
    single_token = all(len(label) == 1 for label in labels)
    scores = torch.empty(len(queries), len(labels))
    by_length = sorted(range(len(queries)), key=lambda i: len(queries[i]))  # similar lengths: little padding
    for start in range(0, len(queries), batch_size):
        rows = by_length[start:start + batch_size]
        batch = [list(queries[i]) for i in rows]
        if single_token:  # one pass: the last position's logits give every label
            logits = _last_logits(model, prefix_cache, batch, pad_id, keep=1)            # (B, 1, V)
            for j, label in enumerate(label_tensors):
                scores[rows, j] = label_log_probs(logits, label)
            continue
        for j, label in enumerate(label_tensors):
            extended = [query + label[:-1].tolist() for query in batch]
            logits = _last_logits(model, prefix_cache, extended, pad_id, keep=len(label))  # (B, n, V)
            scores[rows, j] = label_log_probs(logits, label)
    return scores


def left_pad(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """ids [B, T] with each sequence right-aligned after `pad_id`s, and the attention mask [B, T] (1 = token)."""
    width = max(len(sequence) for sequence in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        if len(sequence) == 0:
            raise ValueError(f"sequence {row} of the batch is empty; every prompt needs at least one token")
        ids[row, width - len(sequence):] = torch.tensor(list(sequence))
        mask[row, width - len(sequence):] = 1
    return ids, mask


def _last_logits(model, prefix_cache, sequences, pad_id: int, keep: int) -> torch.Tensor:
    """Logits [B, keep, V] at the last `keep` positions of the left-padded `sequences` (after the prefix)."""
    ids, mask = left_pad(sequences, pad_id)                                      # (B, T), (B, T)
    positions = (mask.cumsum(dim=-1) - 1).clamp(min=0)                           # (B, T) pads share position 0
    past = None
    if prefix_cache is not None:
        prefix_length, cache = prefix_cache
        past = copy.deepcopy(cache)
        past.batch_repeat_interleave(len(sequences))
        mask = torch.cat([torch.ones(len(sequences), prefix_length, dtype=torch.long), mask], dim=1)  # (B, P + T)
        positions = positions + prefix_length
    output = model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=past,
                   use_cache=past is not None, logits_to_keep=keep)
    return output.logits                                                         # (B, keep, V)
