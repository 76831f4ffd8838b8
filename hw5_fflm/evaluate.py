"""Perplexity: how surprised a language model is by text it has not seen (your task), and the
interpolation of two models (given).

Over N predicted words (the end-of-sentence marker included),

    perplexity = exp( −(1/N) Σ_t log p(w_t | context_t) )

A model that spreads its probability evenly over V words has perplexity exactly V; lower is better.
"""
from __future__ import annotations

import numpy as np

from common.metrics import perplexity
from hw3_edugrad.edugrad import no_grad, ops
from hw5_fflm.model import FeedForwardLM
from hw5_fflm.windows import Windows


def token_log_probs(model: FeedForwardLM, windows: Windows, batch_size: int = 1024) -> np.ndarray:
    """log p(target | context) (natural log) of every window under `model`, in evaluation mode
    (no dropout, no graph) -> [N] float64. Restores the model's training mode afterwards."""
    if len(windows) == 0:
        raise ValueError("no windows to score: the corpus is empty")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1 but got {batch_size}")
    was_training = model.training
    model.eval()
    try:
        # TODO: create `out`, a float64 array [N] (returned below), and fill it in batches under
        # no_grad(): the logits, their log_softmax, and the entry of each row's target. About 6 lines.
        # BEGIN SOLUTION
        out = np.empty(len(windows), dtype=np.float64)
        with no_grad():
            for start in range(0, len(windows), batch_size):
                stop = start + batch_size
                log_probs = ops.log_softmax(model(windows.contexts[start:stop])).value  # (b, V)
                out[start:stop] = log_probs[np.arange(len(log_probs)), windows.targets[start:stop]]
        # END SOLUTION
    finally:
        model.train(was_training)
    return out


def perplexity_of(log_probs: np.ndarray) -> float:
    """exp of the mean negative log-probability of `log_probs` [N] (natural logs)."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    # TODO: one line, with common.metrics.perplexity.
    # BEGIN SOLUTION
    return perplexity(-log_probs.sum(), len(log_probs))
    # END SOLUTION


def interpolate(log_p: np.ndarray, log_q: np.ndarray, weight: float) -> np.ndarray:
    """log(weight · p + (1 − weight) · q) per token, from log p and log q [N] (given)."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"the interpolation weight must lie in [0, 1] but got {weight}")
    with np.errstate(divide="ignore"):
        return np.logaddexp(np.log(weight) + log_p, np.log1p(-weight) + log_q)


def tune_weight(log_p: np.ndarray, log_q: np.ndarray, steps: int = 100) -> float:
    """The weight of p in [0, 1] (a grid of `steps` + 1 values) with the lowest interpolated
    perplexity on these (development) tokens (given)."""
    grid = np.linspace(0.0, 1.0, steps + 1)
    scores = [-interpolate(log_p, log_q, w).mean() for w in grid]
    return float(grid[int(np.argmin(scores))])
