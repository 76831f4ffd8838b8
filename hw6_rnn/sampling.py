"""Drawing the next token from a language model's logits (given code): temperature, top-k and top-p.

    next_index = sample_next(logits, temperature=0.8, top_k=50, top_p=0.9, generator=generator)   # logits [B, V]
"""
from __future__ import annotations

import torch


def check_sampling_settings(temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None) -> None:
    """Raise a ValueError naming the setting when :func:`sample_next` would refuse it (so callers can fail early)."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 = greedy), got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be >= 1 or None, got {top_k}")
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1] or None, got {top_p}")


def sample_next(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw one index per row from ``softmax(logits / temperature)`` restricted to the top-k / top-p tokens.

    logits: [batch, vocab] (or [vocab]); returns [batch] (or a 0-d tensor) int64.
    `temperature` 0 means greedy (argmax). `top_k`: keep the k most probable tokens. `top_p`
    (nucleus): keep the smallest set of most probable tokens whose probability reaches p, in (0, 1].
    Both filters may be combined (top-k first). The same generator state gives the same draws.
    """
    check_sampling_settings(temperature, top_k, top_p)
    single = logits.dim() == 1
    logits = logits[None, :] if single else logits                     # [B, V]
    if logits.dim() != 2:
        raise ValueError(f"expected logits [batch, vocab] or [vocab], got shape {tuple(logits.shape)}")
    logits = logits.float()
    if temperature == 0:
        choice = logits.argmax(dim=-1)
        return choice[0] if single else choice
    logits = logits / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]         # [B, 1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)   # [B, V]
        probs = torch.softmax(sorted_logits, dim=-1)
        before = torch.cumsum(probs, dim=-1) - probs                   # mass of the strictly better tokens
        drop_sorted = before >= top_p                                  # the first token is always kept
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    probs = torch.softmax(logits, dim=-1)                              # [B, V]
    choice = torch.multinomial(probs.cpu(), 1, generator=generator).squeeze(-1).to(logits.device)
    return choice[0] if single else choice

